/* Opus packet inspection and decoding on arbitrary bytes: never a crash, and
 * the decoder agrees with the packet parser about validity and length. With
 * libopus >= 1.5, also DRED: parsing any packet's padding extension, and
 * decoding from whatever it gave. */
#include <stdint.h>
#include <stdlib.h>

#include "audio/opus/opus.h"
#include "parley.h"

static float pcm[PL_OPUS_MAX_SAMPLES * 2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static pl_opus_dec *mono, *stereo;
  static pl_opus_dred *dred; /* NULL without libopus 1.5 */
  if (!mono) {
    mono = pl_opus_dec_new(1);
    stereo = pl_opus_dec_new(2);
    dred = pl_opus_dred_new();
    pl_opus_dec_set_complexity(stereo, PL_OPUS_DEC_COMPLEXITY_NOLACE); /* 1.3.1: refused */
  }
  int ns = pl_opus_packet_samples(data, size);
  (void)pl_opus_packet_has_lbrr(data, size);
  if (size > 0) {
    int ch = pl_opus_packet_channels(data, size);
    if (ch != 1 && ch != 2)
      abort();
  }
  if (dred && size > 0) {
    int cover = pl_opus_dred_parse(dred, data, size);
    if (cover < 0 ? cover != PL_ECODEC : ns < 0)
      abort(); /* only a packet that parses can carry DRED */
    int off = cover > 480 ? (cover > 48000 ? 48000 : cover) / 120 * 120 : 480;
    if (pl_opus_dec_dred(stereo, dred, off, pcm, 480) != 480)
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
