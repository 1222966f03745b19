/* RFC 7587 fmtp parsing on arbitrary text: never a crash, never a read past
 * n, and whatever parses formats back to text that parses to the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audio/opus/opus.h"
#include "parley.h"

static bool same(const pl_opus_fmtp *a, const pl_opus_fmtp *b) {
  return a->maxplaybackrate == b->maxplaybackrate &&
         a->sprop_maxcapturerate == b->sprop_maxcapturerate &&
         a->maxptime == b->maxptime && a->ptime == b->ptime &&
         a->minptime == b->minptime && a->maxaveragebitrate == b->maxaveragebitrate &&
         a->stereo == b->stereo && a->sprop_stereo == b->sprop_stereo &&
         a->cbr == b->cbr && a->useinbandfec == b->useinbandfec && a->usedtx == b->usedtx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* A private copy, so ASan catches any read past size. */
  char *s = malloc(size ? size : 1);
  if (!s)
    return 0;
  memcpy(s, data, size);
  pl_opus_fmtp f, g, def;
  pl_opus_fmtp_default(&def);
  int r = pl_opus_fmtp_parse(&f, s, size);
  if (r != 0) {
    if (r != PL_EPARSE && r != PL_ERANGE)
      abort();
    if (!same(&f, &def))
      abort();
    free(s);
    return 0;
  }
  char buf[512];
  int n = pl_opus_fmtp_format(&f, buf, sizeof buf);
  if (n < 0 || (size_t)n != strlen(buf))
    abort();
  if (pl_opus_fmtp_parse(&g, buf, (size_t)n) != 0 || !same(&f, &g))
    abort();
  pl_opus_enc_config c;
  pl_opus_enc_config_default(&c, 2);
  pl_opus_fmtp_apply(&f, &c);
  if (c.channels < 1 || c.channels > 2 || c.bitrate < 6000 || c.bitrate > 510000)
    abort();
  if (c.frame_ms != 10 && c.frame_ms != 20 && c.frame_ms != 40 && c.frame_ms != 60)
    abort();
  free(s);
  return 0;
}
