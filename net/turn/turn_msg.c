/* TURN on the wire beyond plain STUN: XOR-PEER-ADDRESS and
 * XOR-RELAYED-ADDRESS (the XOR-MAPPED-ADDRESS encoding under other type
 * numbers), ChannelData recognition, and the framing of a TCP stream,
 * where STUN messages and ChannelData follow one another with nothing
 * between them but their own lengths (RFC 8656 12.5). */
#include <arpa/inet.h>
#include <string.h>

#include "base/bytes.h"
#include "net/turn/turn_internal.h"
#include "parley.h"

void pl_turn_put_xor_addr_(pl_stun_builder *b, uint16_t attr, const pl_addr *a) {
  uint8_t v[20];
  uint16_t port = (uint16_t)(pl_addr_port(a) ^ (PL_STUN_MAGIC >> 16));
  v[0] = 0;
  pl_put_be16(v + 2, port);
  if (pl_addr_family(a) == AF_INET) {
    const struct sockaddr_in *s = (const struct sockaddr_in *)&a->ss;
    v[1] = 0x01;
    pl_put_be32(v + 4, ntohl(s->sin_addr.s_addr) ^ PL_STUN_MAGIC);
    pl_stun_put_bytes(b, attr, v, 8);
    return;
  }
  if (pl_addr_family(a) == AF_INET6 && b->len >= PL_STUN_HEADER_LEN) {
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)&a->ss;
    uint8_t mask[16];
    v[1] = 0x02;
    pl_put_be32(mask, PL_STUN_MAGIC);
    memcpy(mask + 4, b->buf + 8, PL_STUN_TXID_LEN);
    memcpy(v + 4, &s->sin6_addr, 16);
    for (int i = 0; i < 16; i++)
      v[4 + i] ^= mask[i];
    pl_stun_put_bytes(b, attr, v, 20);
    return;
  }
  if (!b->err)
    b->err = PL_EINVAL;
}

int pl_turn_get_xor_addr_(const pl_stun_msg *m, uint16_t type, pl_addr *a) {
  const uint8_t *v;
  size_t n;
  int rc = pl_stun_attr_find(m, type, &v, &n);
  if (rc)
    return rc;
  return pl_stun_decode_addr(a, v, n, true, m->txid);
}

bool pl_turn_is_channel_data(const uint8_t *p, size_t n) {
  return n >= 4 && (p[0] & 0xC0) == 0x40;
}

int pl_turn_frame_len(const uint8_t *p, size_t n) {
  if (n < 4)
    return PL_EAGAIN;
  size_t len = pl_be16(p + 2);
  if ((p[0] & 0xC0) == 0x40) /* ChannelData: padded to 4 over streams */
    return (int)(4 + ((len + 3) & ~(size_t)3));
  if ((p[0] & 0xC0) == 0x00 && (len & 3) == 0)
    return (int)(PL_STUN_HEADER_LEN + len);
  return PL_EPARSE;
}
