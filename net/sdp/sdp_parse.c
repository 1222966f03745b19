/* SDP parser: one pass over the lines (RFC 8866 5), attributes dispatched by
 * name into the bounded structs of sdp.h. Errors carry the line number. */
#include <stdlib.h>
#include <string.h>

#include "net/sdp/sdp.h"
#include "net/sdp/sdp_text.h"
#include "parley.h"

typedef struct parser {
  pl_sdp *s;
  pl_sdp_media *m; /* current m= section, NULL at session level */
  bool skip_media; /* the current m= section was over PL_SDP_MAX_MEDIA */
  unsigned line;
  const char *why;
  sdp_span line_text; /* the whole line, for candidate parsing */
} parser;

/* Returned by handlers: 0 or an error reason. */
#define OK NULL

pl_sdp *pl_sdp_new(void) { return calloc(1, sizeof(pl_sdp)); }
void pl_sdp_free(pl_sdp *s) { free(s); }
void pl_sdp_reset(pl_sdp *s) { memset(s, 0, sizeof *s); }

static bool is_token_char(char c) { /* RFC 8866 9 token-char */
  unsigned char u = (unsigned char)c;
  return u >= 0x21 && u <= 0x7e && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

static bool is_token(sdp_span s) {
  if (s.n == 0)
    return false;
  for (size_t i = 0; i < s.n; i++)
    if (!is_token_char(s.p[i]))
      return false;
  return true;
}

static bool is_ice_chars(sdp_span s) { /* RFC 8839 ice-char */
  if (s.n == 0)
    return false;
  for (size_t i = 0; i < s.n; i++) {
    char c = s.p[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '+' || c == '/'))
      return false;
  }
  return true;
}

static pl_sdp_dir dir_of(sdp_span s) {
  for (int d = PL_SDP_SENDRECV; d <= PL_SDP_INACTIVE; d++)
    if (sdp_span_eq(s, pl_sdp_dir_name((pl_sdp_dir)d)))
      return (pl_sdp_dir)d;
  return PL_SDP_DIR_UNSET;
}

/* ---- line handlers ---- */

static const char *parse_origin(parser *P, sdp_span v) {
  pl_sdp *s = P->s;
  sdp_span user, id, ver, net, at, addr, extra;
  uint64_t x;
  if (!sdp_next(&v, &user) || !sdp_next(&v, &id) || !sdp_next(&v, &ver) ||
      !sdp_next(&v, &net) || !sdp_next(&v, &at) || !sdp_next(&v, &addr) ||
      sdp_next(&v, &extra))
    return "o= needs six fields";
  if (!SDP_COPY(s->origin_user, user) || !SDP_COPY(s->origin_addr, addr))
    return "o= field too long";
  if (!sdp_u64(id, UINT64_MAX, &x))
    return "o= sess-id is not a number";
  s->sess_id = x;
  if (!sdp_u64(ver, UINT64_MAX, &x))
    return "o= sess-version is not a number";
  s->sess_version = x;
  if (!sdp_span_eq(net, "IN"))
    return "o= nettype is not IN";
  if (!sdp_span_eq(at, "IP4") && !sdp_span_eq(at, "IP6"))
    return "o= addrtype is not IP4/IP6";
  SDP_COPY(s->origin_addrtype, at);
  return OK;
}

static const char *parse_conn(pl_sdp_conn *c, sdp_span v) {
  sdp_span net, at, addr, extra;
  if (!sdp_next(&v, &net) || !sdp_next(&v, &at) || !sdp_next(&v, &addr) ||
      sdp_next(&v, &extra))
    return "c= needs three fields";
  if (!sdp_span_eq(net, "IN") ||
      (!sdp_span_eq(at, "IP4") && !sdp_span_eq(at, "IP6")))
    return "c= is not IN IP4/IP6";
  if (!SDP_COPY(c->addr, addr))
    return "c= address too long";
  SDP_COPY(c->addrtype, at);
  c->present = true;
  return OK;
}

static const char *parse_bandwidth(parser *P, sdp_span v) {
  uint8_t *n = P->m ? &P->m->n_bandwidths : &P->s->n_bandwidths;
  pl_sdp_bandwidth *b = P->m ? P->m->bandwidths : P->s->bandwidths;
  sdp_span type, val;
  uint64_t x;
  if (!sdp_split(v, ':', &type, &val) || !is_token(type) ||
      !sdp_u64(val, UINT32_MAX, &x))
    return "b= is not <type>:<number>";
  if (*n >= PL_SDP_MAX_BANDWIDTHS || type.n >= sizeof b->type) {
    P->s->dropped++;
    return OK;
  }
  SDP_COPY(b[*n].type, type);
  b[*n].value = (uint32_t)x;
  (*n)++;
  return OK;
}

static const char *parse_media_line(parser *P, sdp_span v) {
  pl_sdp *s = P->s;
  if (s->n_media >= PL_SDP_MAX_MEDIA) {
    s->dropped++;
    P->skip_media = true;
    P->m = NULL;
    return OK;
  }
  P->skip_media = false;
  pl_sdp_media *m = &s->media[s->n_media];
  sdp_span media, port, proto, fmt, cnt, ps;
  uint64_t x;
  if (!sdp_next(&v, &media) || !sdp_next(&v, &port) || !sdp_next(&v, &proto))
    return "m= needs media, port, proto and a format";
  if (!is_token(media) || !SDP_COPY(m->media, media))
    return "m= media is not a short token";
  m->type = sdp_span_eq(media, "audio")         ? PL_SDP_AUDIO
            : sdp_span_eq(media, "video")       ? PL_SDP_VIDEO
            : sdp_span_eq(media, "application") ? PL_SDP_APPLICATION
                                                : PL_SDP_OTHER;
  bool has_count = sdp_split(port, '/', &ps, &cnt);
  if (!sdp_u64(ps, 65535, &x))
    return "m= port is not 0..65535";
  m->port = (uint16_t)x;
  if (has_count) {
    if (!sdp_u64(cnt, 65535, &x) || x == 0)
      return "m= port count is not 1..65535";
    m->port_count = (uint16_t)x;
  }
  if (!SDP_COPY(m->proto, proto))
    return "m= proto too long";
  for (size_t i = 0; i < proto.n; i++)
    if (!is_token_char(proto.p[i]) && proto.p[i] != '/')
      return "m= proto has a bad character";
  m->is_rtp = strstr(m->proto, "RTP/") != NULL;
  sdp_span rest = sdp_rest(v);
  if (rest.n == 0)
    return "m= has no format";
  if (m->is_rtp) {
    while (sdp_next(&rest, &fmt)) {
      if (!sdp_u64(fmt, 127, &x))
        return "m= payload type is not 0..127";
      if (pl_sdp_media_codec(m, (uint8_t)x)) {
        s->ignored++;
        continue;
      }
      if (m->n_codecs >= PL_SDP_MAX_CODECS) {
        s->dropped++;
        continue;
      }
      m->codecs[m->n_codecs++].pt = (uint8_t)x;
    }
  } else {
    if (!SDP_COPY(m->fmt, rest))
      return "m= format list too long";
  }
  s->n_media++;
  P->m = m;
  return OK;
}

static const char *keep_attr(parser *P, sdp_span name, bool has_value,
                             sdp_span value) {
  uint8_t *n = P->m ? &P->m->n_attrs : &P->s->n_attrs;
  pl_sdp_attr *a = P->m ? P->m->attrs : P->s->attrs;
  if (*n >= PL_SDP_MAX_ATTRS || name.n >= sizeof a->name ||
      value.n >= sizeof a->value) {
    P->s->dropped++;
    return OK;
  }
  SDP_COPY(a[*n].name, name);
  SDP_COPY(a[*n].value, value);
  a[*n].has_value = has_value;
  (*n)++;
  return OK;
}

static const char *parse_ice_value(char *dst, size_t cap, sdp_span v) {
  if (!is_ice_chars(v) || v.n > 256)
    return "ICE credential is not 1..256 ice-chars";
  sdp_copy(dst, cap, v);
  return OK;
}

static const char *parse_transport_attr(parser *P, pl_sdp_transport *t,
                                        sdp_span name, sdp_span v,
                                        bool *handled) {
  *handled = true;
  if (sdp_span_eq(name, "ice-ufrag"))
    return parse_ice_value(t->ice_ufrag, sizeof t->ice_ufrag, v);
  if (sdp_span_eq(name, "ice-pwd"))
    return parse_ice_value(t->ice_pwd, sizeof t->ice_pwd, v);
  if (sdp_span_eq(name, "ice-options")) {
    if (!SDP_COPY(t->ice_options, sdp_rest(v)))
      P->s->dropped++;
    return OK;
  }
  if (sdp_span_eq(name, "fingerprint")) {
    pl_sdp_fingerprint f;
    if (pl_sdp_fingerprint_parse(&f, v.p, v.n) != 0)
      return "fingerprint is not <hash> XX:XX:...";
    if (t->n_fingerprints >= PL_SDP_MAX_FINGERPRINTS)
      P->s->dropped++;
    else
      t->fingerprints[t->n_fingerprints++] = f;
    return OK;
  }
  if (sdp_span_eq(name, "setup")) {
    static const char *const roles[] = {"actpass", "active", "passive",
                                        "holdconn"};
    for (int i = 0; i < 4; i++)
      if (sdp_span_eq(v, roles[i])) {
        t->setup = (pl_sdp_setup)(PL_SDP_SETUP_ACTPASS + i);
        return OK;
      }
    return "setup is not actpass/active/passive/holdconn";
  }
  *handled = false;
  return OK;
}

static const char *parse_rtpmap(parser *P, sdp_span v) {
  pl_sdp_media *m = P->m;
  sdp_span pt, enc, extra, name, rest, clock, chans;
  uint64_t x, c, ch = 0;
  if (!sdp_next(&v, &pt) || !sdp_u64(pt, 127, &x) || !sdp_next(&v, &enc) ||
      sdp_next(&v, &extra))
    return "rtpmap is not <pt> <name>/<clock>[/<channels>]";
  sdp_split(enc, '/', &name, &rest);
  bool has_ch = sdp_split(rest, '/', &clock, &chans);
  if (!is_token(name) || name.n >= sizeof m->codecs[0].name ||
      !sdp_u64(clock, UINT32_MAX, &c) || c == 0 ||
      (has_ch && (!sdp_u64(chans, 255, &ch) || ch == 0)))
    return "rtpmap is not <pt> <name>/<clock>[/<channels>]";
  pl_sdp_codec *k = m->is_rtp ? pl_sdp_media_codec(m, (uint8_t)x) : NULL;
  if (!k) { /* RFC 8866 6.6: only formats on the m= line are described */
    P->s->ignored++;
    return OK;
  }
  SDP_COPY(k->name, name);
  k->clock = (uint32_t)c;
  k->channels = (uint8_t)ch;
  k->has_rtpmap = true;
  return OK;
}

static const char *parse_fmtp(parser *P, sdp_span v) {
  sdp_span pt;
  uint64_t x;
  if (!sdp_next(&v, &pt) || !sdp_u64(pt, 127, &x))
    return "fmtp is not <pt> <parameters>";
  pl_sdp_codec *k = P->m->is_rtp ? pl_sdp_media_codec(P->m, (uint8_t)x) : NULL;
  if (!k) {
    P->s->ignored++;
    return OK;
  }
  char text[PL_SDP_FMTP_LEN];
  if (!SDP_COPY(text, sdp_rest(v))) {
    P->s->dropped++;
    return OK;
  }
  pl_sdp_codec_set_fmtp(k, text);
  return OK;
}

static void add_fb(parser *P, pl_sdp_fb *fb, sdp_span type, sdp_span param) {
  uint32_t bit = 0;
  if (sdp_span_eq(type, "nack") && param.n == 0)
    bit = PL_SDP_FB_NACK;
  else if (sdp_span_eq(type, "nack") && sdp_span_eq(param, "pli"))
    bit = PL_SDP_FB_NACK_PLI;
  else if (sdp_span_eq(type, "ccm") && sdp_span_eq(param, "fir"))
    bit = PL_SDP_FB_CCM_FIR;
  else if (sdp_span_eq(type, "transport-cc") && param.n == 0)
    bit = PL_SDP_FB_TRANSPORT_CC;
  else if (sdp_span_eq(type, "goog-remb") && param.n == 0)
    bit = PL_SDP_FB_GOOG_REMB;
  if (bit) {
    fb->bits |= bit;
    return;
  }
  size_t need = type.n + (param.n ? 1 + param.n : 0);
  if (fb->n_other >= PL_SDP_MAX_FB_OTHER || need >= sizeof fb->other[0]) {
    P->s->dropped++;
    return;
  }
  char *o = fb->other[fb->n_other++];
  memcpy(o, type.p, type.n);
  if (param.n) {
    o[type.n] = ' ';
    memcpy(o + type.n + 1, param.p, param.n);
  }
  o[need] = 0;
}

static const char *parse_rtcp_fb(parser *P, sdp_span v) {
  sdp_span pt, type;
  uint64_t x;
  if (!sdp_next(&v, &pt) || !sdp_next(&v, &type) || !is_token(type))
    return "rtcp-fb is not <pt|*> <type> [<param>]";
  sdp_span param = sdp_rest(v);
  if (sdp_span_eq(pt, "*")) {
    add_fb(P, &P->m->fb_all, type, param);
    return OK;
  }
  if (!sdp_u64(pt, 127, &x))
    return "rtcp-fb payload type is not 0..127 or *";
  pl_sdp_codec *k = P->m->is_rtp ? pl_sdp_media_codec(P->m, (uint8_t)x) : NULL;
  if (!k) {
    P->s->ignored++;
    return OK;
  }
  add_fb(P, &k->fb, type, param);
  return OK;
}

static const char *parse_extmap(parser *P, sdp_span v) {
  pl_sdp_media *m = P->m;
  sdp_span idd, id, d, uri;
  uint64_t x;
  if (!sdp_next(&v, &idd) || !sdp_next(&v, &uri))
    return "extmap is not <id>[/<dir>] <uri>";
  bool has_dir = sdp_split(idd, '/', &id, &d);
  /* RFC 8285 5: 1..14 one-byte, up to 255 two-byte, 4096..4351 in offers */
  if (!sdp_u64(id, 4351, &x) || x == 0)
    return "extmap id is not 1..4351";
  pl_sdp_dir dir = has_dir ? dir_of(d) : PL_SDP_DIR_UNSET;
  if (has_dir && dir == PL_SDP_DIR_UNSET)
    return "extmap direction is not sendrecv/sendonly/recvonly/inactive";
  sdp_span attrs = sdp_rest(v);
  if (m->n_extmaps >= PL_SDP_MAX_EXTMAPS ||
      uri.n >= sizeof m->extmaps[0].uri ||
      attrs.n >= sizeof m->extmaps[0].attrs) {
    P->s->dropped++;
    return OK;
  }
  pl_sdp_extmap *e = &m->extmaps[m->n_extmaps++];
  e->id = (uint16_t)x;
  e->dir = dir;
  SDP_COPY(e->uri, uri);
  SDP_COPY(e->attrs, attrs);
  return OK;
}

static const char *parse_msid_value(pl_sdp_msid *out, sdp_span v) {
  sdp_span stream, track, extra;
  if (!sdp_next(&v, &stream) || stream.n > 64)
    return "msid is not <stream id> [<track id>]";
  bool has_track = sdp_next(&v, &track);
  if ((has_track && track.n > 64) || sdp_next(&v, &extra))
    return "msid is not <stream id> [<track id>]";
  SDP_COPY(out->stream, stream);
  if (has_track)
    SDP_COPY(out->track, track);
  return OK;
}

static const char *parse_ssrc(parser *P, sdp_span name, sdp_span v) {
  pl_sdp_media *m = P->m;
  sdp_span id, attr, aname, aval;
  uint64_t x;
  sdp_span all = v;
  if (!sdp_next(&v, &id) || !sdp_u64(id, UINT32_MAX, &x))
    return "ssrc is not <ssrc-id> <attribute>[:<value>]";
  attr = sdp_rest(v);
  bool has_val = sdp_split(attr, ':', &aname, &aval);
  if (!is_token(aname))
    return "ssrc is not <ssrc-id> <attribute>[:<value>]";
  bool cname = sdp_span_eq(aname, "cname"), msid = sdp_span_eq(aname, "msid");
  if (!(cname || msid) || !has_val) /* other source attributes kept as text */
    return keep_attr(P, name, true, all);
  pl_sdp_ssrc *e = NULL;
  for (unsigned i = 0; i < m->n_ssrcs; i++)
    if (m->ssrcs[i].ssrc == (uint32_t)x)
      e = &m->ssrcs[i];
  if (!e) {
    if (m->n_ssrcs >= PL_SDP_MAX_SSRCS) {
      P->s->dropped++;
      return OK;
    }
    e = &m->ssrcs[m->n_ssrcs++];
    e->ssrc = (uint32_t)x;
  }
  if (cname) {
    if (!SDP_COPY(e->cname, aval))
      P->s->dropped++;
    return OK;
  }
  pl_sdp_msid ms;
  memset(&ms, 0, sizeof ms);
  const char *why = parse_msid_value(&ms, aval);
  if (why)
    return why;
  e->msid = ms;
  e->has_msid = true;
  return OK;
}

static const char *parse_ssrc_group(parser *P, sdp_span v) {
  pl_sdp_media *m = P->m;
  sdp_span sem, id;
  uint64_t x;
  pl_sdp_ssrc_group g;
  memset(&g, 0, sizeof g);
  if (!sdp_next(&v, &sem) || !is_token(sem))
    return "ssrc-group is not <semantics> <ssrc>...";
  bool fits = SDP_COPY(g.semantics, sem);
  unsigned count = 0;
  while (sdp_next(&v, &id)) {
    if (!sdp_u64(id, UINT32_MAX, &x))
      return "ssrc-group ssrc is not a 32-bit number";
    if (count < PL_SDP_MAX_GROUP_SSRCS)
      g.ssrcs[count] = (uint32_t)x;
    count++;
  }
  if (count == 0)
    return "ssrc-group has no ssrc";
  if (!fits || count > PL_SDP_MAX_GROUP_SSRCS ||
      m->n_ssrc_groups >= PL_SDP_MAX_SSRC_GROUPS) {
    P->s->dropped++;
    return OK;
  }
  g.n = (uint8_t)count;
  m->ssrc_groups[m->n_ssrc_groups++] = g;
  return OK;
}

static const char *parse_group(parser *P, sdp_span v) {
  pl_sdp *s = P->s;
  sdp_span sem, mid;
  pl_sdp_group *g = s->n_groups < PL_SDP_MAX_GROUPS ? &s->groups[s->n_groups] : NULL;
  if (!sdp_next(&v, &sem) || !is_token(sem))
    return "group is not <semantics> <mid>...";
  if (!g || sem.n >= sizeof g->semantics) {
    s->dropped++;
    return OK;
  }
  SDP_COPY(g->semantics, sem);
  while (sdp_next(&v, &mid)) {
    if (!is_token(mid) || mid.n > 64)
      return "group mid is not a token";
    if (g->n >= PL_SDP_MAX_GROUP_MIDS) {
      s->dropped++;
      continue;
    }
    SDP_COPY(g->mids[g->n++], mid);
  }
  s->n_groups++;
  return OK;
}

static const char *parse_mid(parser *P, sdp_span v) {
  if (!is_token(v) || v.n > 64)
    return "mid is not a token of 1..64 chars";
  for (unsigned i = 0; i + 1 < P->s->n_media; i++)
    if (sdp_span_eq(v, P->s->media[i].mid))
      return "mid repeats an earlier section's";
  SDP_COPY(P->m->mid, v);
  return OK;
}

static const char *parse_candidate(parser *P) {
  pl_sdp_media *m = P->m;
  pl_sdp_candidate c;
  int rc = pl_sdp_candidate_parse(&c, P->line_text.p, P->line_text.n);
  if (rc == PL_EPARSE || rc == PL_EINVAL)
    return "candidate does not follow RFC 8839 5.1";
  if (rc != 0 || m->n_candidates >= PL_SDP_MAX_CANDIDATES) {
    P->s->dropped++;
    return OK;
  }
  m->candidates[m->n_candidates++] = c;
  return OK;
}

static const char *parse_number_attr(sdp_span v, uint64_t max, uint64_t *out,
                                     const char *why) {
  return sdp_u64(v, max, out) ? OK : why;
}

static const char *parse_media_attr(parser *P, sdp_span name, bool has_value,
                                    sdp_span v) {
  pl_sdp_media *m = P->m;
  uint64_t x;
  const char *why;
  bool handled;
  pl_sdp_dir d = has_value ? PL_SDP_DIR_UNSET : dir_of(name);
  if (d != PL_SDP_DIR_UNSET) {
    m->dir = d;
    return OK;
  }
  why = parse_transport_attr(P, &m->transport, name, v, &handled);
  if (handled)
    return why;
  if (sdp_span_eq(name, "rtpmap"))
    return parse_rtpmap(P, v);
  if (sdp_span_eq(name, "fmtp"))
    return parse_fmtp(P, v);
  if (sdp_span_eq(name, "rtcp-fb"))
    return parse_rtcp_fb(P, v);
  if (sdp_span_eq(name, "extmap"))
    return parse_extmap(P, v);
  if (sdp_span_eq(name, "candidate"))
    return parse_candidate(P);
  if (sdp_span_eq(name, "ssrc"))
    return parse_ssrc(P, name, v);
  if (sdp_span_eq(name, "ssrc-group"))
    return parse_ssrc_group(P, v);
  if (sdp_span_eq(name, "mid"))
    return parse_mid(P, v);
  if (sdp_span_eq(name, "msid")) {
    pl_sdp_msid ms;
    memset(&ms, 0, sizeof ms);
    if ((why = parse_msid_value(&ms, v)) != NULL)
      return why;
    if (m->n_msids >= PL_SDP_MAX_MSIDS)
      P->s->dropped++;
    else
      m->msids[m->n_msids++] = ms;
    return OK;
  }
  if (sdp_span_eq(name, "crypto")) {
    if (m->n_crypto >= PL_SDP_MAX_CRYPTO || !SDP_COPY(m->crypto[m->n_crypto], v))
      P->s->dropped++;
    else
      m->n_crypto++;
    return OK;
  }
  if (sdp_span_eq(name, "sctp-port")) {
    if ((why = parse_number_attr(v, 65535, &x, "sctp-port is not 0..65535")))
      return why;
    m->sctp_port = (uint16_t)x;
    return OK;
  }
  if (sdp_span_eq(name, "max-message-size")) {
    if ((why = parse_number_attr(v, UINT64_MAX, &x,
                                 "max-message-size is not a number")))
      return why;
    m->max_message_size = x;
    m->has_max_message_size = true;
    return OK;
  }
  if (!has_value) {
    bool *flag = sdp_span_eq(name, "rtcp-mux")             ? &m->rtcp_mux
                 : sdp_span_eq(name, "rtcp-mux-only")      ? &m->rtcp_mux_only
                 : sdp_span_eq(name, "rtcp-rsize")         ? &m->rtcp_rsize
                 : sdp_span_eq(name, "bundle-only")        ? &m->bundle_only
                 : sdp_span_eq(name, "extmap-allow-mixed") ? &m->extmap_allow_mixed
                 : sdp_span_eq(name, "end-of-candidates")  ? &m->end_of_candidates
                                                           : NULL;
    if (flag) {
      *flag = true;
      return OK;
    }
  }
  return keep_attr(P, name, has_value, v);
}

static const char *parse_session_attr(parser *P, sdp_span name, bool has_value,
                                      sdp_span v) {
  pl_sdp *s = P->s;
  bool handled;
  pl_sdp_dir d = has_value ? PL_SDP_DIR_UNSET : dir_of(name);
  if (d != PL_SDP_DIR_UNSET) {
    s->dir = d;
    return OK;
  }
  const char *why = parse_transport_attr(P, &s->transport, name, v, &handled);
  if (handled)
    return why;
  if (sdp_span_eq(name, "group"))
    return parse_group(P, v);
  if (sdp_span_eq(name, "msid-semantic")) {
    if (!SDP_COPY(s->msid_semantic, sdp_rest(v)))
      s->dropped++;
    else
      s->has_msid_semantic = true;
    return OK;
  }
  if (!has_value && sdp_span_eq(name, "ice-lite")) {
    s->ice_lite = true;
    return OK;
  }
  if (!has_value && sdp_span_eq(name, "extmap-allow-mixed")) {
    s->extmap_allow_mixed = true;
    return OK;
  }
  return keep_attr(P, name, has_value, v);
}

static const char *parse_attr(parser *P, sdp_span v) {
  sdp_span name, value;
  bool has_value = sdp_split(v, ':', &name, &value);
  if (!is_token(name))
    return "attribute name is not a token";
  if (P->m)
    return parse_media_attr(P, name, has_value, value);
  return parse_session_attr(P, name, has_value, value);
}

static int fail(pl_sdp_error *err, unsigned line, const char *why) {
  if (err) {
    err->line = line;
    err->reason = why;
  }
  return PL_EPARSE;
}

int pl_sdp_parse(pl_sdp *s, const char *text, size_t n, pl_sdp_error *err) {
  if (err) {
    err->line = 0;
    err->reason = NULL;
  }
  if (!s || (!text && n))
    return PL_EINVAL;
  pl_sdp_reset(s);
  if (n > PL_SDP_MAX_INPUT) {
    if (err)
      err->reason = "SDP longer than PL_SDP_MAX_INPUT";
    return PL_ERANGE;
  }
  parser P;
  memset(&P, 0, sizeof P);
  P.s = s;
  bool seen_v = false, seen_o = false, seen_s = false, seen_t = false;
  size_t off = 0;
  while (off < n) {
    P.line++;
    const char *lp = text + off;
    const char *nl = memchr(lp, '\n', n - off);
    size_t len = nl ? (size_t)(nl - lp) : n - off;
    off += len + (nl ? 1 : 0);
    if (len && lp[len - 1] == '\r')
      len--;
    if (len && memchr(lp, '\0', len))
      return fail(err, P.line, "NUL byte in line");
    if (len && memchr(lp, '\r', len))
      return fail(err, P.line, "CR inside a line");
    if (len == 0)
      continue; /* tolerated: trailing blank lines are common */
    if (len < 2 || lp[1] != '=' || lp[0] < 'a' || lp[0] > 'z')
      return fail(err, P.line, "line is not <type>=<value>");
    sdp_span v = sdp_span_of(lp + 2, len - 2);
    P.line_text = sdp_span_of(lp, len);
    const char *why = OK;
    if (!seen_v) {
      if (lp[0] != 'v' || !sdp_span_eq(v, "0"))
        return fail(err, P.line, "SDP must start with v=0");
      seen_v = true;
      continue;
    }
    if (P.skip_media && lp[0] != 'm')
      continue;
    switch (lp[0]) {
    case 'v':
      why = "repeated v=";
      break;
    case 'o':
      why = (seen_o || P.m) ? "o= out of place" : parse_origin(&P, v);
      seen_o = true;
      break;
    case 's':
      if (seen_s || P.m)
        why = "s= out of place";
      else if (!SDP_COPY(s->name, v))
        s->dropped++;
      seen_s = true;
      break;
    case 't': {
      sdp_span a, b, extra;
      uint64_t x, y;
      if (P.m || seen_t)
        why = "t= out of place";
      else if (!sdp_next(&v, &a) || !sdp_next(&v, &b) || sdp_next(&v, &extra) ||
               !sdp_u64(a, UINT64_MAX, &x) || !sdp_u64(b, UINT64_MAX, &y))
        why = "t= is not <start> <stop>";
      else {
        s->t_start = x;
        s->t_stop = y;
      }
      seen_t = true;
      break;
    }
    case 'c':
      why = parse_conn(P.m ? &P.m->conn : &s->conn, v);
      break;
    case 'b':
      why = parse_bandwidth(&P, v);
      break;
    case 'm':
      if (!seen_o || !seen_s)
        why = "m= before o= and s=";
      else
        why = parse_media_line(&P, v);
      break;
    case 'a':
      why = parse_attr(&P, v);
      break;
    default: /* i= u= e= p= z= k= r= and unknown types: RFC 8866 5 */
      s->ignored++;
      break;
    }
    if (why)
      return fail(err, P.line, why);
  }
  if (!seen_v)
    return fail(err, 0, "empty SDP");
  if (!seen_o || !seen_s)
    return fail(err, P.line, "missing o= or s=");
  return 0;
}
