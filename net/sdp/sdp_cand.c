/* ICE candidate lines (RFC 8839 5.1) and DTLS fingerprints (RFC 8122 5):
 * the two SDP values that also travel on their own (trickle ICE, the DTLS
 * core's certificate digest). */
#include <string.h>

#include "net/sdp/sdp.h"
#include "net/sdp/sdp_text.h"
#include "parley.h"

static bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

static bool all_of(sdp_span s, const char *extra) {
  if (s.n == 0)
    return false;
  for (size_t i = 0; i < s.n; i++)
    if (!is_alnum(s.p[i]) && (s.p[i] == 0 || !strchr(extra, s.p[i])))
      return false;
  return true;
}

static const char *const cand_types[] = {"host", "srflx", "prflx", "relay"};

/* Candidates too long for our fields are refused with PL_ERANGE so the
 * SDP parser can drop and count them rather than fail the whole offer. */
int pl_sdp_candidate_parse(pl_sdp_candidate *c, const char *text, size_t n) {
  if (!c || (!text && n))
    return PL_EINVAL;
  memset(c, 0, sizeof *c);
  c->generation = c->network_id = c->network_cost = -1;
  sdp_span s = sdp_span_of(text, n), tok;
  if (s.n >= 2 && memcmp(s.p, "a=", 2) == 0) {
    s.p += 2;
    s.n -= 2;
  }
  static const char pfx[] = "candidate:";
  if (s.n < sizeof pfx - 1 || memcmp(s.p, pfx, sizeof pfx - 1) != 0)
    return PL_EPARSE;
  s.p += sizeof pfx - 1;
  s.n -= sizeof pfx - 1;
  uint64_t v;
  /* foundation: 1*32 ice-char */
  if (!sdp_next(&s, &tok) || tok.n > 32 || !all_of(tok, "+/"))
    return PL_EPARSE;
  SDP_COPY(c->foundation, tok);
  if (!sdp_next(&s, &tok) || tok.n > 3 || !sdp_u64(tok, 256, &v) || v == 0)
    return PL_EPARSE;
  c->component = (uint16_t)v;
  if (!sdp_next(&s, &tok) || !all_of(tok, "-_.!%*+`'~"))
    return PL_EPARSE;
  if (!SDP_COPY(c->transport, tok))
    return PL_ERANGE;
  if (!sdp_next(&s, &tok) || tok.n > 10 || !sdp_u64(tok, UINT32_MAX, &v))
    return PL_EPARSE;
  c->priority = (uint32_t)v;
  if (!sdp_next(&s, &tok) || !all_of(tok, ".:-_%"))
    return PL_EPARSE;
  if (!SDP_COPY(c->address, tok))
    return PL_ERANGE;
  if (!sdp_next(&s, &tok) || !sdp_u64(tok, 65535, &v))
    return PL_EPARSE;
  c->port = (uint16_t)v;
  if (!sdp_next(&s, &tok) || !sdp_span_eq(tok, "typ") || !sdp_next(&s, &tok) ||
      !all_of(tok, "-_"))
    return PL_EPARSE;
  if (!SDP_COPY(c->type_name, tok))
    return PL_ERANGE;
  c->type = PL_SDP_CAND_OTHER;
  for (int i = 0; i < 4; i++)
    if (sdp_span_eq(tok, cand_types[i]))
      c->type = (pl_sdp_cand_type)i;
  /* extensions come in name/value pairs */
  size_t ext_len = 0;
  sdp_span name, val;
  while (sdp_next(&s, &name)) {
    if (!sdp_next(&s, &val) || !all_of(name, "-_."))
      return PL_EPARSE;
    for (size_t i = 0; i < val.n; i++)
      if ((unsigned char)val.p[i] < 0x21 || (unsigned char)val.p[i] > 0x7e)
        return PL_EPARSE;
    if (sdp_span_eq(name, "raddr") && !c->has_raddr) {
      if (!all_of(val, ".:-_%"))
        return PL_EPARSE;
      if (!SDP_COPY(c->raddr, val))
        return PL_ERANGE;
      c->has_raddr = true;
    } else if (sdp_span_eq(name, "rport") && !c->has_rport) {
      if (!sdp_u64(val, 65535, &v))
        return PL_EPARSE;
      c->rport = (uint16_t)v;
      c->has_rport = true;
    } else if (sdp_span_eq(name, "tcptype") && !c->tcptype[0]) {
      if (!SDP_COPY(c->tcptype, val))
        return PL_ERANGE;
    } else if (sdp_span_eq(name, "generation") && c->generation < 0) {
      if (!sdp_u64(val, INT32_MAX, &v))
        return PL_EPARSE;
      c->generation = (int32_t)v;
    } else if (sdp_span_eq(name, "ufrag") && !c->ufrag[0]) {
      if (!SDP_COPY(c->ufrag, val))
        return PL_ERANGE;
    } else if (sdp_span_eq(name, "network-id") && c->network_id < 0) {
      if (!sdp_u64(val, INT32_MAX, &v))
        return PL_EPARSE;
      c->network_id = (int32_t)v;
    } else if (sdp_span_eq(name, "network-cost") && c->network_cost < 0) {
      if (!sdp_u64(val, INT32_MAX, &v))
        return PL_EPARSE;
      c->network_cost = (int32_t)v;
    } else {
      size_t need = (ext_len ? 1 : 0) + name.n + 1 + val.n;
      if (ext_len + need >= sizeof c->ext)
        return PL_ERANGE;
      if (ext_len)
        c->ext[ext_len++] = ' ';
      memcpy(c->ext + ext_len, name.p, name.n);
      ext_len += name.n;
      c->ext[ext_len++] = ' ';
      memcpy(c->ext + ext_len, val.p, val.n);
      ext_len += val.n;
      c->ext[ext_len] = 0;
    }
  }
  return 0;
}

int pl_sdp_candidate_write(const pl_sdp_candidate *c, char *buf, size_t cap) {
  if (!c || !buf || !c->foundation[0] || !c->transport[0] || !c->address[0] ||
      !c->type_name[0])
    return PL_EINVAL;
  sdp_out o = {buf, cap, 0, false};
  sdp_printf(&o, "candidate:%s %u %s %u %s %u typ %s", c->foundation,
             (unsigned)c->component, c->transport, (unsigned)c->priority,
             c->address, (unsigned)c->port, c->type_name);
  if (c->has_raddr)
    sdp_printf(&o, " raddr %s", c->raddr);
  if (c->has_rport)
    sdp_printf(&o, " rport %u", (unsigned)c->rport);
  if (c->tcptype[0])
    sdp_printf(&o, " tcptype %s", c->tcptype);
  if (c->generation >= 0)
    sdp_printf(&o, " generation %d", (int)c->generation);
  if (c->ufrag[0])
    sdp_printf(&o, " ufrag %s", c->ufrag);
  if (c->network_id >= 0)
    sdp_printf(&o, " network-id %d", (int)c->network_id);
  if (c->network_cost >= 0)
    sdp_printf(&o, " network-cost %d", (int)c->network_cost);
  if (c->ext[0])
    sdp_printf(&o, " %s", c->ext);
  return o.full ? PL_EFULL : (int)o.len;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = sdp_lower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

int pl_sdp_fingerprint_parse(pl_sdp_fingerprint *f, const char *text,
                             size_t n) {
  if (!f || (!text && n))
    return PL_EINVAL;
  memset(f, 0, sizeof *f);
  sdp_span s = sdp_span_of(text, n), alg, hex;
  if (!sdp_next(&s, &alg) || !all_of(alg, "-_") || !SDP_COPY(f->alg, alg) ||
      !sdp_next(&s, &hex) || sdp_next(&s, &alg))
    return PL_EPARSE;
  /* 2HEXDIG *(":" 2HEXDIG) */
  if (hex.n % 3 != 2 || hex.n / 3 + 1 > sizeof f->digest)
    return PL_EPARSE;
  for (size_t i = 0; i < hex.n; i += 3) {
    int hi = hexval(hex.p[i]), lo = hexval(hex.p[i + 1]);
    if (hi < 0 || lo < 0 || (i + 2 < hex.n && hex.p[i + 2] != ':'))
      return PL_EPARSE;
    f->digest[f->len++] = (uint8_t)(hi << 4 | lo);
  }
  return 0;
}

int pl_sdp_fingerprint_write(const pl_sdp_fingerprint *f, char *buf,
                             size_t cap) {
  if (!f || !buf || !f->alg[0] || f->len == 0 || f->len > sizeof f->digest)
    return PL_EINVAL;
  sdp_out o = {buf, cap, 0, false};
  sdp_printf(&o, "%s ", f->alg);
  for (unsigned i = 0; i < f->len; i++)
    sdp_printf(&o, i ? ":%02X" : "%02X", f->digest[i]);
  return o.full ? PL_EFULL : (int)o.len;
}
