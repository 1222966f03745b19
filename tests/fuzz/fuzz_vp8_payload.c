/* Fuzzes the VP8 receive path: the RFC 7741 descriptor parser (with a
 * write/re-parse round trip that must agree), the depacketizer, and the
 * VP8 frame header reader the decoder's guard uses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "video/payload/vp8.h"
#include "video/vpx/bitstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pl_vp8_desc d, e;
  int n = pl_vp8_desc_parse(&d, data, size);
  if (n > 0) {
    if ((size_t)n >= size || (size_t)n > PL_VP8_DESC_MAX)
      abort();
    uint8_t out[PL_VP8_DESC_MAX + 1];
    /* Everything parsed fits its field, so it writes back: as long, or
     * shorter when X was set over an all-zero extension octet (legal, and
     * dropped by the writer). */
    int w = pl_vp8_desc_write(&d, out, sizeof out - 1);
    if (w <= 0 || w > n)
      abort();
    out[w] = 0; /* a payload byte, so the re-parse is complete */
    if (pl_vp8_desc_parse(&e, out, (size_t)w + 1) != w ||
        memcmp(&d, &e, sizeof d) != 0)
      abort();
  }
  pl_video_rtp_info info;
  if (pl_vp8_depacketize(&info, data, size) == 0) {
    if (info.payload < data || info.payload + info.payload_len != data + size ||
        info.payload_len == 0)
      abort();
    if (info.key && !info.frame_begin)
      abort();
  }
  pl_vpx_header h;
  if (pl_vp8_header_parse(&h, data, size) == 0 && h.key &&
      (h.width <= 0 || h.height <= 0 || h.width > 16383 || h.height > 16383))
    abort();
  return 0;
}
