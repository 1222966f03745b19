/* RTP fixed header, CSRC list, extension block and padding (RFC 3550 §5.1,
 * §5.3.1). Element-level extension handling lives in rtp_ext.c. */
#include "net/rtp/rtp.h"

#include <string.h>

#include "base/bytes.h"
#include "parley.h"

int pl_rtp_parse(pl_rtp_header *h, const uint8_t *p, size_t n) {
  if (!h || (!p && n))
    return PL_EINVAL;
  if (n < PL_RTP_MIN_HEADER)
    return PL_ETRUNC;
  uint8_t b0 = p[0], b1 = p[1];
  if ((b0 >> 6) != PL_RTP_VERSION)
    return PL_EPARSE;
  h->version = PL_RTP_VERSION;
  h->padding = (b0 >> 5) & 1;
  h->extension = (b0 >> 4) & 1;
  h->csrc_count = b0 & 0x0F;
  h->marker = b1 >> 7;
  h->pt = b1 & 0x7F;
  h->seq = pl_be16(p + 2);
  h->ts = pl_be32(p + 4);
  h->ssrc = pl_be32(p + 8);

  size_t off = PL_RTP_MIN_HEADER;
  if (n - off < (size_t)h->csrc_count * 4)
    return PL_ETRUNC;
  for (unsigned i = 0; i < h->csrc_count; i++, off += 4)
    h->csrc[i] = pl_be32(p + off);

  h->ext_profile = 0;
  h->ext = NULL;
  h->ext_len = 0;
  if (h->extension) {
    if (n - off < 4)
      return PL_ETRUNC;
    h->ext_profile = pl_be16(p + off);
    size_t words = pl_be16(p + off + 2);
    off += 4;
    if (n - off < words * 4)
      return PL_ETRUNC;
    h->ext = p + off;
    h->ext_len = words * 4;
    off += h->ext_len;
  }
  h->header_len = off;

  h->padding_len = 0;
  if (h->padding) {
    /* The count byte is the packet's last; it counts itself, so 0 is
     * malformed, and it may not eat into the header. */
    uint8_t pad = p[n - 1];
    if (pad == 0 || pad > n - off)
      return PL_EPARSE;
    h->padding_len = pad;
  }
  h->payload = p + off;
  h->payload_len = n - off - h->padding_len;
  return 0;
}

int pl_rtp_write(const pl_rtp_header *h, const pl_rtp_ext_builder *ext,
                 uint8_t *out, size_t cap) {
  if (!h || !out || h->csrc_count > PL_RTP_MAX_CSRC ||
      (h->payload_len && !h->payload))
    return PL_EINVAL;
  bool use_builder = ext && ext->count > 0;
  size_t ext_len = 0;
  if (use_builder) {
    ext_len = pl_rtp_ext_builder_len(ext);
  } else if (h->extension) {
    if (h->ext_len % 4 || h->ext_len > 0xFFFF * 4 || (h->ext_len && !h->ext))
      return PL_EINVAL;
    ext_len = h->ext_len;
  }
  bool has_ext = use_builder || h->extension;
  size_t hlen = PL_RTP_MIN_HEADER + (size_t)h->csrc_count * 4 +
                (has_ext ? 4 + ext_len : 0);
  size_t total = hlen + h->payload_len + h->padding_len;
  if (total > cap)
    return PL_EFULL;
  if (total > INT32_MAX)
    return PL_ERANGE;

  /* Payload first: it may already sit in `out` where the header goes. */
  if (h->payload_len)
    memmove(out + hlen, h->payload, h->payload_len);
  if (h->padding_len) {
    uint8_t *pad = out + hlen + h->payload_len;
    memset(pad, 0, h->padding_len - 1u);
    pad[h->padding_len - 1] = h->padding_len;
  }

  out[0] = (uint8_t)(PL_RTP_VERSION << 6 | (h->padding_len ? 0x20 : 0) |
                     (has_ext ? 0x10 : 0) | h->csrc_count);
  out[1] = (uint8_t)((h->marker ? 0x80 : 0) | (h->pt & 0x7F));
  pl_put_be16(out + 2, h->seq);
  pl_put_be32(out + 4, h->ts);
  pl_put_be32(out + 8, h->ssrc);
  size_t off = PL_RTP_MIN_HEADER;
  for (unsigned i = 0; i < h->csrc_count; i++, off += 4)
    pl_put_be32(out + off, h->csrc[i]);
  if (has_ext) {
    uint16_t profile = h->ext_profile;
    if (use_builder) {
      int r = pl_rtp_ext_build(ext, out + off + 4, ext_len, &profile);
      if (r < 0)
        return r;
    } else if (ext_len) {
      memmove(out + off + 4, h->ext, ext_len);
    }
    pl_put_be16(out + off, profile);
    pl_put_be16(out + off + 2, (uint16_t)(ext_len / 4));
  }
  return (int)total;
}
