/* DCEP (RFC 8832) messages: see dcep.h. */
#include "net/sctp/dcep.h"

#include <string.h>

#include "base/bytes.h"
#include "parley.h"

int pl_dcep_type(const uint8_t *p, size_t n) {
  if (!p || n < 1) return PL_ETRUNC;
  return p[0];
}

static bool known_type(uint8_t t) {
  uint8_t base = t & (uint8_t)~PL_DCEP_UNORDERED;
  return base == PL_DCEP_RELIABLE || base == PL_DCEP_PARTIAL_RELIABLE_REXMIT ||
         base == PL_DCEP_PARTIAL_RELIABLE_TIMED;
}

int pl_dcep_parse_open(pl_dcep_open *o, const uint8_t *p, size_t n) {
  if (!o || !p) return PL_EINVAL;
  if (n < 1) return PL_ETRUNC;
  if (p[0] != PL_DCEP_OPEN) return PL_EPARSE;
  if (n < PL_DCEP_OPEN_HEADER) return PL_ETRUNC;
  memset(o, 0, sizeof *o);
  o->channel_type = p[1];
  if (!known_type(o->channel_type)) return PL_EPARSE;
  o->priority = pl_be16(p + 2);
  o->reliability = pl_be32(p + 4);
  o->label_len = pl_be16(p + 8);
  o->protocol_len = pl_be16(p + 10);
  size_t need = (size_t)PL_DCEP_OPEN_HEADER + o->label_len + o->protocol_len;
  if (n < need) return PL_ETRUNC;
  o->label = p + PL_DCEP_OPEN_HEADER;
  o->protocol = o->label + o->label_len;
  return (int)need;
}

int pl_dcep_build_open(uint8_t *buf, size_t cap, const pl_dcep_open *o) {
  if (!buf || !o || (o->label_len && !o->label) ||
      (o->protocol_len && !o->protocol) || !known_type(o->channel_type))
    return PL_EINVAL;
  size_t need = (size_t)PL_DCEP_OPEN_HEADER + o->label_len + o->protocol_len;
  if (cap < need) return PL_EFULL;
  buf[0] = PL_DCEP_OPEN;
  buf[1] = o->channel_type;
  pl_put_be16(buf + 2, o->priority);
  pl_put_be32(buf + 4, o->reliability);
  pl_put_be16(buf + 8, o->label_len);
  pl_put_be16(buf + 10, o->protocol_len);
  if (o->label_len) memcpy(buf + PL_DCEP_OPEN_HEADER, o->label, o->label_len);
  if (o->protocol_len)
    memcpy(buf + PL_DCEP_OPEN_HEADER + o->label_len, o->protocol,
           o->protocol_len);
  return (int)need;
}

int pl_dcep_build_ack(uint8_t *buf, size_t cap) {
  if (!buf) return PL_EINVAL;
  if (cap < 1) return PL_EFULL;
  buf[0] = PL_DCEP_ACK;
  return 1;
}
