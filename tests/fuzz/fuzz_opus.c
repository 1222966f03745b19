/* Opus packet inspection and decoding on arbitrary bytes: never a crash, and
 * the decoder agrees with the packet parser about validity and length. */
#include <stdint.h>
#include <stdlib.h>

#include "audio/opus/opus.h"
#include "parley.h"

static float pcm[PL_OPUS_MAX_SAMPLES * 2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static pl_opus_dec *mono, *stereo;
  if (!mono) {
    mono = pl_opus_dec_new(1);
    stereo = pl_opus_dec_new(2);
  }
  int ns = pl_opus_packet_samples(data, size);
  (void)pl_opus_packet_has_lbrr(data, size);
  if (size > 0) {
    int ch = pl_opus_packet_channels(data, size);
    if (ch != 1 && ch != 2)
      abort();
  }
  for (int k = 0; k < 2; k++) {
    pl_opus_dec *d = k ? stereo : mono;
    int r = pl_opus_dec_decode(d, data, size, pcm, PL_OPUS_MAX_SAMPLES);
    if (size == 0) {
      if (r != PL_EINVAL)
        abort();
      continue;
    }
    if (ns < 0 ? r != PL_ECODEC : r != ns)
      abort();
    if (r > 0 && pl_opus_dec_last_duration(d) != r)
      abort();
    r = pl_opus_dec_decode_fec(d, data, size, pcm, 960);
    if (r != PL_ECODEC && r != 960)
      abort();
    if (pl_opus_dec_plc(d, pcm, 480) != 480)
      abort();
  }
  return 0;
}
