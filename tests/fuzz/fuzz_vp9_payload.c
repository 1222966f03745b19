/* Fuzzes the VP9 receive path: the RFC 9628 descriptor parser with a
 * write/re-parse round trip, the depacketizer, the uncompressed header
 * reader and the superframe index splitter. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "video/payload/vp9.h"
#include "video/vpx/bitstream.h"

static pl_vp9_desc d, e; /* large (the SS): off the stack */
static uint8_t out[2048];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int n = pl_vp9_desc_parse(&d, data, size);
  if (n > 0) {
    if ((size_t)n >= size)
      abort();
    int w = pl_vp9_desc_write(&d, out, sizeof out - 1);
    if (w != n || (size_t)w != pl_vp9_desc_len(&d))
      abort();
    out[w] = 0x80;
    if (pl_vp9_desc_parse(&e, out, (size_t)w + 1) != n)
      abort();
    /* Fields read back the same; SS entries beyond the counts are never
     * written, so compare what the counts cover. */
    if (e.i != d.i || e.p != d.p || e.l != d.l || e.f != d.f || e.b != d.b ||
        e.e != d.e || e.v != d.v || e.z != d.z || e.picture_id != d.picture_id ||
        e.tid != d.tid || e.sid != d.sid || e.tl0picidx != d.tl0picidx ||
        e.nrefs != d.nrefs || memcmp(e.pdiff, d.pdiff, sizeof d.pdiff) ||
        e.ss.n_s != d.ss.n_s || e.ss.n_g != d.ss.n_g)
      abort();
  }
  pl_video_rtp_info info;
  if (pl_vp9_depacketize(&info, data, size) == 0) {
    if (info.payload + info.payload_len != data + size || info.payload_len == 0)
      abort();
    if (info.nrefs > PL_VP9_MAX_REFS)
      abort();
  }
  pl_vpx_header h;
  if (pl_vp9_header_parse(&h, data, size) == 0 && h.has_size &&
      (h.width < 1 || h.height < 1 || h.width > 65536 || h.height > 65536))
    abort();
  size_t offs[PL_VP9_MAX_SUPERFRAME], sizes[PL_VP9_MAX_SUPERFRAME];
  int nf = pl_vp9_superframe_split(data, size, offs, sizes);
  for (int i = 0; i < nf; i++)
    if (offs[i] > size || sizes[i] > size - offs[i])
      abort();
  return 0;
}
