/* SDP parse/write: real Chromium 156 offers field by field, write-parse
 * round trips, candidates and fingerprints alone, and hostile inputs. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/sdp/sdp.h"
#include "parley.h"

static char *load(const char *name, size_t *n) {
  char path[512];
  snprintf(path, sizeof path, "%s/sdp/%s", PL_FIXTURES, name);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "missing fixture %s", path);
  static char buf[PL_SDP_MAX_INPUT + 1];
  *n = fread(buf, 1, PL_SDP_MAX_INPUT, f);
  fclose(f);
  buf[*n] = 0;
  return buf;
}

static pl_sdp *parse_fixture(const char *name) {
  size_t n;
  char *text = load(name, &n);
  pl_sdp *s = pl_sdp_new();
  pl_sdp_error err;
  int rc = pl_sdp_parse(s, text, n, &err);
  cr_assert_eq(rc, 0, "%s line %u: %s", name, err.line, err.reason);
  return s;
}

static int count_lines(const char *text, const char *prefix) {
  int c = 0;
  size_t pl = strlen(prefix);
  for (const char *p = text; p && *p;) {
    if (strncmp(p, prefix, pl) == 0)
      c++;
    p = strchr(p, '\n');
    if (p)
      p++;
  }
  return c;
}

Test(sdp, chromium_audio_offer_fields) {
  pl_sdp *s = parse_fixture("chromium_audio.sdp");
  cr_assert_eq(s->sess_id, 2413236440772283132ull);
  cr_assert_eq(s->sess_version, 2);
  cr_assert_str_eq(s->origin_user, "-");
  cr_assert_str_eq(s->origin_addr, "127.0.0.1");
  cr_assert_eq(s->t_start, 0);
  cr_assert(s->extmap_allow_mixed);
  cr_assert(s->has_msid_semantic);
  cr_assert_str_eq(s->msid_semantic, "WMS");
  const pl_sdp_group *g = pl_sdp_find_group(s, "BUNDLE");
  cr_assert_not_null(g);
  cr_assert_eq(g->n, 1);
  cr_assert_str_eq(g->mids[0], "0");
  cr_assert_eq(s->n_media, 1);
  pl_sdp_media *m = &s->media[0];
  cr_assert_eq(m->type, PL_SDP_AUDIO);
  cr_assert_eq(m->port, 9);
  cr_assert_str_eq(m->proto, "UDP/TLS/RTP/SAVPF");
  cr_assert(m->is_rtp);
  cr_assert_eq(m->n_codecs, 8);
  static const uint8_t pts[8] = {111, 63, 9, 0, 8, 13, 110, 126};
  for (int i = 0; i < 8; i++)
    cr_assert_eq(m->codecs[i].pt, pts[i]);
  pl_sdp_codec *opus = pl_sdp_media_codec(m, 111);
  cr_assert_str_eq(opus->name, "opus");
  cr_assert_eq(opus->clock, 48000);
  cr_assert_eq(opus->channels, 2);
  cr_assert_str_eq(opus->fmtp, "minptime=10;useinbandfec=1");
  cr_assert_eq(opus->n_params, 2);
  size_t len;
  const char *v = pl_sdp_fmtp_get(opus, "useinbandfec", &len);
  cr_assert(v && len == 1 && v[0] == '1');
  v = pl_sdp_fmtp_get(opus, "MINPTIME", &len);
  cr_assert(v && len == 2 && memcmp(v, "10", 2) == 0);
  cr_assert_null(pl_sdp_fmtp_get(opus, "stereo", &len));
  cr_assert_eq(opus->fb.bits, PL_SDP_FB_TRANSPORT_CC);
  pl_sdp_codec *red = pl_sdp_media_codec(m, 63);
  cr_assert_str_eq(red->name, "red");
  cr_assert_eq(red->n_params, 1);
  cr_assert_eq(red->params[0].key_len, 0); /* "111/111" has no key */
  cr_assert_eq(pl_sdp_media_codec(m, 0)->clock, 8000);
  cr_assert_eq(pl_sdp_media_codec(m, 0)->channels, 0);
  cr_assert_str_eq(pl_sdp_media_codec(m, 126)->name, "telephone-event");
  cr_assert(m->conn.present);
  cr_assert_str_eq(m->conn.addr, "0.0.0.0");
  cr_assert_str_eq(m->mid, "0");
  cr_assert_eq(m->dir, PL_SDP_SENDRECV);
  cr_assert(m->rtcp_mux && m->rtcp_rsize);
  cr_assert_eq(m->n_extmaps, 4);
  cr_assert_eq(m->extmaps[0].id, 1);
  cr_assert_str_eq(m->extmaps[0].uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  cr_assert_eq(m->extmaps[2].id, 3);
  cr_assert_str_eq(m->extmaps[2].uri,
                   "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
  cr_assert_eq(m->n_msids, 1);
  cr_assert_str_eq(m->msids[0].stream, "-");
  cr_assert_str_eq(m->msids[0].track, "9d8ef52d-f34d-4691-b1d8-5265c4b368ee");
  cr_assert_eq(m->n_ssrcs, 1);
  cr_assert_eq(m->ssrcs[0].ssrc, 3156106262u);
  cr_assert_str_eq(m->ssrcs[0].cname, "09bjp9lzrFjMD//8");
  cr_assert(m->ssrcs[0].has_msid);
  cr_assert_str_eq(m->ssrcs[0].msid.track, "9d8ef52d-f34d-4691-b1d8-5265c4b368ee");
  cr_assert_str_eq(m->transport.ice_ufrag, "J8/4");
  cr_assert_str_eq(m->transport.ice_pwd, "A97FIEHMqcDEm4IyqdpYUEYh");
  cr_assert_str_eq(m->transport.ice_options, "trickle");
  cr_assert_eq(m->transport.setup, PL_SDP_SETUP_ACTPASS);
  cr_assert_eq(m->transport.n_fingerprints, 1);
  cr_assert_str_eq(m->transport.fingerprints[0].alg, "sha-256");
  cr_assert_eq(m->transport.fingerprints[0].len, 32);
  cr_assert_eq(m->transport.fingerprints[0].digest[0], 0x31);
  cr_assert_eq(m->transport.fingerprints[0].digest[31], 0x49);
  cr_assert_eq(m->n_candidates, 2);
  const pl_sdp_candidate *c = &m->candidates[0];
  cr_assert_str_eq(c->foundation, "2377626578");
  cr_assert_eq(c->component, 1);
  cr_assert_str_eq(c->transport, "udp");
  cr_assert_eq(c->priority, 2113937151u);
  cr_assert_str_eq(c->address, "ae1bc4c3-ddf3-4cfd-9f5f-211a7724b700.local");
  cr_assert_eq(c->port, 56985);
  cr_assert_eq(c->type, PL_SDP_CAND_HOST);
  cr_assert_eq(c->generation, 0);
  cr_assert_eq(c->network_cost, 999);
  cr_assert_eq(c->network_id, -1);
  /* a=rtcp and a=rtcp-xr are not ours to interpret: kept verbatim */
  cr_assert_eq(m->n_attrs, 2);
  cr_assert_str_eq(m->attrs[0].name, "rtcp");
  cr_assert_str_eq(m->attrs[0].value, "9 IN IP4 0.0.0.0");
  cr_assert_str_eq(m->attrs[1].name, "rtcp-xr");
  cr_assert_eq(s->dropped, 0);
  cr_assert_eq(s->ignored, 0);
  pl_sdp_free(s);
}

Test(sdp, chromium_video_and_data_offer_fields) {
  pl_sdp *s = parse_fixture("chromium_audio_video_data.sdp");
  cr_assert_eq(s->n_media, 3);
  const pl_sdp_group *g = pl_sdp_find_group(s, "BUNDLE");
  cr_assert_eq(g->n, 3);
  cr_assert_str_eq(g->mids[2], "2");
  pl_sdp_media *v = &s->media[1];
  cr_assert_eq(v->type, PL_SDP_VIDEO);
  cr_assert_eq(v->n_codecs, 23);
  pl_sdp_codec *vp8 = pl_sdp_media_codec(v, 96);
  cr_assert_str_eq(vp8->name, "VP8");
  cr_assert_eq(vp8->clock, 90000);
  cr_assert_eq(vp8->fb.bits, PL_SDP_FB_NACK | PL_SDP_FB_NACK_PLI | PL_SDP_FB_CCM_FIR |
                                 PL_SDP_FB_TRANSPORT_CC | PL_SDP_FB_GOOG_REMB);
  pl_sdp_codec *rtx = pl_sdp_media_codec(v, 97);
  cr_assert_str_eq(rtx->name, "rtx");
  size_t len;
  const char *apt = pl_sdp_fmtp_get(rtx, "apt", &len);
  cr_assert(apt && len == 2 && memcmp(apt, "96", 2) == 0);
  pl_sdp_codec *h264 = pl_sdp_media_codec(v, 102);
  cr_assert_eq(h264->n_params, 3);
  const char *plid = pl_sdp_fmtp_get(h264, "profile-level-id", &len);
  cr_assert(plid && len == 6 && memcmp(plid, "42001f", 6) == 0);
  pl_sdp_codec *av1 = pl_sdp_media_codec(v, 45);
  cr_assert_str_eq(av1->name, "AV1");
  cr_assert_str_eq(pl_sdp_media_codec(v, 100)->fmtp, "profile-id=2");
  cr_assert_eq(pl_sdp_media_codec(v, 120)->fb.bits, 0);
  cr_assert_eq(v->n_extmaps, 11);
  cr_assert_eq(v->extmaps[0].id, 14);
  cr_assert_str_eq(v->extmaps[0].uri, "urn:ietf:params:rtp-hdrext:toffset");
  cr_assert_eq(v->n_ssrc_groups, 1);
  cr_assert_str_eq(v->ssrc_groups[0].semantics, "FID");
  cr_assert_eq(v->ssrc_groups[0].n, 2);
  cr_assert_eq(v->ssrc_groups[0].ssrcs[0], 2113790321u);
  cr_assert_eq(v->ssrc_groups[0].ssrcs[1], 3028172982u);
  cr_assert_eq(v->n_ssrcs, 2);
  cr_assert_eq(v->ssrcs[1].ssrc, 3028172982u);
  cr_assert_str_eq(v->ssrcs[1].cname, "5oarkX4WlQfDiJB4");
  pl_sdp_media *d = &s->media[2];
  cr_assert_eq(d->type, PL_SDP_APPLICATION);
  cr_assert_not(d->is_rtp);
  cr_assert_str_eq(d->proto, "UDP/DTLS/SCTP");
  cr_assert_str_eq(d->fmt, "webrtc-datachannel");
  cr_assert_eq(d->sctp_port, 5000);
  cr_assert(d->has_max_message_size);
  cr_assert_eq(d->max_message_size, 262144);
  cr_assert_str_eq(d->mid, "2");
  cr_assert_eq(pl_sdp_media_dir(s, d), PL_SDP_SENDRECV);
  pl_sdp_transport t;
  pl_sdp_media_transport(s, d, &t);
  cr_assert_str_eq(t.ice_ufrag, "Xov1");
  cr_assert_eq(s->dropped + s->ignored, 0);
  cr_assert_eq(pl_sdp_find_mid(s, "1"), v);
  cr_assert_null(pl_sdp_find_mid(s, "7"));
  pl_sdp_free(s);
}

/* write(parse(x)) parses back to the same struct, and writing that again
 * gives the same text. */
static void round_trip(const char *name) {
  size_t n;
  char *text = load(name, &n);
  pl_sdp *a = pl_sdp_new(), *b = pl_sdp_new();
  cr_assert_eq(pl_sdp_parse(a, text, n, NULL), 0);
  static char out1[PL_SDP_MAX_INPUT], out2[PL_SDP_MAX_INPUT];
  int n1 = pl_sdp_write(a, out1, sizeof out1);
  cr_assert_gt(n1, 0);
  pl_sdp_error err;
  cr_assert_eq(pl_sdp_parse(b, out1, (size_t)n1, &err), 0, "line %u: %s", err.line,
               err.reason);
  cr_assert_eq(memcmp(a, b, sizeof *a), 0, "%s: struct differs after write+parse", name);
  int n2 = pl_sdp_write(b, out2, sizeof out2);
  cr_assert_eq(n1, n2);
  cr_assert_str_eq(out1, out2);
  /* nothing lost: every line of the capture is in the output (order of the
   * attributes we keep as text may move) */
  cr_assert_eq((size_t)n1, n, "%s: %d bytes written, %zu read", name, n1, n);
  for (const char *p = text; *p;) {
    const char *e = strstr(p, "\r\n");
    cr_assert_not_null(e);
    char line[1024];
    size_t l = (size_t)(e - p);
    memcpy(line, p, l);
    memcpy(line + l, "\r\n", 3);
    cr_assert_not_null(strstr(out1, line), "%s: lost line %.*s", name, (int)l, p);
    p = e + 2;
  }
  cr_assert_eq(out1[n1 - 1], '\n');
  cr_assert_eq(out1[n1 - 2], '\r');
  pl_sdp_free(a);
  pl_sdp_free(b);
}

Test(sdp, round_trip_chromium_audio) { round_trip("chromium_audio.sdp"); }
Test(sdp, round_trip_chromium_audio_video) { round_trip("chromium_audio_video.sdp"); }
Test(sdp, round_trip_chromium_audio_video_data) {
  round_trip("chromium_audio_video_data.sdp");
}

Test(sdp, round_trip_chromium_answer) {
  round_trip("chromium_answer_audio_video_data.sdp");
}

Test(sdp, chromium_answer_fields) {
  pl_sdp *s = parse_fixture("chromium_answer_audio_video_data.sdp");
  cr_assert_eq(s->n_media, 3);
  for (int i = 0; i < 3; i++) {
    pl_sdp_transport t;
    pl_sdp_media_transport(s, &s->media[i], &t);
    cr_assert_eq(t.setup, PL_SDP_SETUP_ACTIVE);
    cr_assert_str_eq(t.ice_ufrag, "HGQa");
    cr_assert_eq(s->media[i].n_candidates, 0);
  }
  cr_assert_eq(s->media[0].dir, PL_SDP_RECVONLY);
  cr_assert_eq(s->media[1].dir, PL_SDP_RECVONLY);
  cr_assert_eq(s->media[0].n_ssrcs, 0);
  cr_assert_eq(s->media[1].n_codecs, 23);
  cr_assert_eq(s->media[2].sctp_port, 5000);
  pl_sdp_free(s);
}

Test(sdp, lf_line_ends_parse_like_crlf) {
  size_t n;
  char *text = load("chromium_audio_video.sdp", &n);
  static char lf[PL_SDP_MAX_INPUT];
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (text[i] != '\r')
      lf[m++] = text[i];
  pl_sdp *a = pl_sdp_new(), *b = pl_sdp_new();
  cr_assert_eq(pl_sdp_parse(a, text, n, NULL), 0);
  cr_assert_eq(pl_sdp_parse(b, lf, m, NULL), 0);
  cr_assert_eq(memcmp(a, b, sizeof *a), 0);
  /* and without the final line end */
  cr_assert_eq(pl_sdp_parse(b, lf, m - 1, NULL), 0);
  cr_assert_eq(memcmp(a, b, sizeof *a), 0);
  pl_sdp_free(a);
  pl_sdp_free(b);
}

Test(sdp, candidate_full_grammar) {
  pl_sdp_candidate c;
  const char *srflx = "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx "
                      "raddr 192.168.1.4 rport 46154 generation 0 ufrag EsAw "
                      "network-id 1 network-cost 10";
  cr_assert_eq(pl_sdp_candidate_parse(&c, srflx, strlen(srflx)), 0);
  cr_assert_eq(c.type, PL_SDP_CAND_SRFLX);
  cr_assert(c.has_raddr && c.has_rport);
  cr_assert_str_eq(c.raddr, "192.168.1.4");
  cr_assert_eq(c.rport, 46154);
  cr_assert_str_eq(c.ufrag, "EsAw");
  cr_assert_eq(c.network_id, 1);
  char out[512];
  cr_assert_eq(pl_sdp_candidate_write(&c, out, sizeof out), (int)strlen(srflx));
  cr_assert_str_eq(out, srflx);
  const char *tcp = "a=candidate:1 2 TCP 1518280447 2001:db8::1 9 typ host tcptype active "
                    "foo bar";
  cr_assert_eq(pl_sdp_candidate_parse(&c, tcp, strlen(tcp)), 0);
  cr_assert_eq(c.component, 2);
  cr_assert_str_eq(c.transport, "TCP");
  cr_assert_str_eq(c.address, "2001:db8::1");
  cr_assert_str_eq(c.tcptype, "active");
  cr_assert_eq(c.generation, -1);
  cr_assert_str_eq(c.ext, "foo bar");
  cr_assert_gt(pl_sdp_candidate_write(&c, out, sizeof out), 0);
  cr_assert_str_eq(out, tcp + 2);
  const char *relay = "candidate:3 1 udp 41885439 198.51.100.2 50000 typ relay raddr "
                      "203.0.113.7 rport 46154";
  cr_assert_eq(pl_sdp_candidate_parse(&c, relay, strlen(relay)), 0);
  cr_assert_eq(c.type, PL_SDP_CAND_RELAY);
  static const char *bad[] = {
      "candidate:",
      "candidate:1 1 udp 1 1.2.3.4 5 typ",
      "candidate:1 0 udp 1 1.2.3.4 5 typ host",      /* component 0 */
      "candidate:1 257 udp 1 1.2.3.4 5 typ host",    /* component > 256 */
      "candidate:1 1 udp 4294967296 1.2.3.4 5 typ host",
      "candidate:1 1 udp 1 1.2.3.4 65536 typ host",
      "candidate:1 1 udp 1 1.2.3.4 5 type host",
      "candidate:1 1 udp 1 1.2.3.4 5 typ host generation",
      "candidate:1 1 udp 1 1.2.3.4 5 typ host rport x",
      "candidate:123456789012345678901234567890123 1 udp 1 1.2.3.4 5 typ host",
      "candidate:a$b 1 udp 1 1.2.3.4 5 typ host",
      "candidate:1 1 udp 1 1.2.3.4/8 5 typ host",
      "cand:1 1 udp 1 1.2.3.4 5 typ host",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(pl_sdp_candidate_parse(&c, bad[i], strlen(bad[i])), PL_EPARSE,
                 "accepted %s", bad[i]);
  /* a NUL inside an extension name (found by fuzz_sdp) */
  static const char nul[] = "candidate:1 1 udp 1 1.2.3.4 5 typ host rp\0rt 9";
  cr_assert_eq(pl_sdp_candidate_parse(&c, nul, sizeof nul - 1), PL_EPARSE);
}

Test(sdp, fingerprint_parse_and_write) {
  pl_sdp_fingerprint f;
  const char *t = "sha-256 31:58:A6:14:97:FC:B1:E2:EF:4A:E7:09:0C:50:CB:4C:AC:04:43:A4:82:"
                  "41:89:36:04:B3:46:4C:FA:89:9A:49";
  cr_assert_eq(pl_sdp_fingerprint_parse(&f, t, strlen(t)), 0);
  cr_assert_eq(f.len, 32);
  char out[256];
  cr_assert_eq(pl_sdp_fingerprint_write(&f, out, sizeof out), (int)strlen(t));
  cr_assert_str_eq(out, t);
  cr_assert_eq(pl_sdp_fingerprint_parse(&f, "sha-1 ab:cd", 11), 0);
  cr_assert_eq(f.digest[1], 0xcd);
  cr_assert_eq(pl_sdp_fingerprint_parse(&f, "sha-1 abc:d", 11), PL_EPARSE);
  cr_assert_eq(pl_sdp_fingerprint_parse(&f, "sha-1 ab:", 9), PL_EPARSE);
  cr_assert_eq(pl_sdp_fingerprint_parse(&f, "sha-1 ag", 8), PL_EPARSE);
  cr_assert_eq(pl_sdp_fingerprint_parse(&f, "sha-1", 5), PL_EPARSE);
  cr_assert_eq(pl_sdp_fingerprint_write(&f, out, 10), PL_EINVAL); /* len 0 */
}

#define MINI "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
#define AUDIO "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"

static int parse_str(pl_sdp *s, const char *text, pl_sdp_error *err) {
  return pl_sdp_parse(s, text, strlen(text), err);
}

Test(sdp, syntax_errors_name_the_line) {
  pl_sdp *s = pl_sdp_new();
  pl_sdp_error err;
  static const struct {
    const char *text;
    unsigned line;
  } cases[] = {
      {"", 0},
      {"v=1\r\n", 1},
      {"o=- 1 2 IN IP4 x\r\nv=0\r\n", 1},
      {"v=0\r\no=- 1 2 IN IP4\r\n", 2},
      {"v=0\r\no=- x 2 IN IP4 127.0.0.1\r\n", 2},
      {"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" AUDIO, 3}, /* m= before s= */
      {MINI "m=audio 9 UDP/TLS/RTP/SAVPF\r\n", 5},
      {MINI "m=audio 70000 UDP/TLS/RTP/SAVPF 111\r\n", 5},
      {MINI "m=audio 9 UDP/TLS/RTP/SAVPF 128\r\n", 5},
      {MINI "m=audio 9 UDP/TLS/RTP/SAVPF abc\r\n", 5},
      {MINI AUDIO "a=rtpmap:111 opus\r\n", 6},
      {MINI AUDIO "a=rtpmap:111 opus/0\r\n", 6},
      {MINI AUDIO "a=rtpmap:300 opus/48000\r\n", 6},
      {MINI AUDIO "a=rtcp-fb:111\r\n", 6},
      {MINI AUDIO "a=extmap:0 urn:x\r\n", 6},
      {MINI AUDIO "a=extmap:1/sideways urn:x\r\n", 6},
      {MINI AUDIO "a=setup:maybe\r\n", 6},
      {MINI AUDIO "a=fingerprint:sha-256 zz\r\n", 6},
      {MINI AUDIO "a=ice-ufrag:bad ufrag\r\n", 6},
      {MINI AUDIO "a=ssrc:4294967296 cname:x\r\n", 6},
      {MINI AUDIO "a=ssrc-group:FID\r\n", 6},
      {MINI AUDIO "a=sctp-port:99999\r\n", 6},
      {MINI AUDIO "a=candidate:1 1 udp 1 1.2.3.4 5 typ\r\n", 6},
      {MINI AUDIO "a=mid:0\r\n" AUDIO "a=mid:0\r\n", 8},
      {MINI AUDIO "x\r\n", 6},
      {MINI AUDIO "A=foo\r\n", 6},
      {MINI AUDIO "a=:foo\r\n", 6},
      {MINI "c=IN IP5 1.2.3.4\r\n", 5},
      {MINI "b=AS\r\n", 5},
      {MINI "t=0 0\r\n", 5},
      {MINI AUDIO "a=fo\ro\r\n", 6},
      {"v=0\r\ns=-\r\nt=0 0\r\n", 3},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int rc = parse_str(s, cases[i].text, &err);
    cr_assert_eq(rc, PL_EPARSE, "case %zu accepted", i);
    cr_assert_eq(err.line, cases[i].line, "case %zu: line %u (%s), want %u", i, err.line,
                 err.reason, cases[i].line);
    cr_assert_not_null(err.reason);
  }
  /* NUL inside a line */
  static const char nul[] = MINI AUDIO "a=mid:0\0x\r\n";
  cr_assert_eq(pl_sdp_parse(s, nul, sizeof nul - 1, &err), PL_EPARSE);
  cr_assert_eq(err.line, 6);
  pl_sdp_free(s);
}

Test(sdp, unknown_attributes_and_lines_are_kept_or_skipped) {
  pl_sdp *s = pl_sdp_new();
  const char *t = MINI "i=session info\r\na=x-session-thing:42\r\na=flag\r\n" AUDIO
                       "a=rtpmap:111 opus/48000/2\r\na=rtpmap:96 VP8/90000\r\n"
                       "a=simulcast:send 1;2\r\na=ssrc:5 label:foo\r\na=x-empty:\r\n"
                       "a=rtcp-fb:* nack\r\na=rtcp-fb:111 ccm tmmbr\r\n";
  pl_sdp_error err;
  cr_assert_eq(parse_str(s, t, &err), 0, "line %u: %s", err.line, err.reason);
  cr_assert_eq(s->ignored, 2); /* i= and the rtpmap for 96 */
  cr_assert_eq(s->n_attrs, 2);
  cr_assert_str_eq(s->attrs[0].name, "x-session-thing");
  cr_assert_str_eq(s->attrs[0].value, "42");
  cr_assert_not(s->attrs[1].has_value);
  pl_sdp_media *m = &s->media[0];
  cr_assert_eq(m->n_attrs, 3);
  cr_assert_str_eq(m->attrs[0].value, "send 1;2");
  cr_assert_str_eq(m->attrs[1].name, "ssrc");
  cr_assert_str_eq(m->attrs[1].value, "5 label:foo");
  cr_assert(m->attrs[2].has_value);
  cr_assert_str_eq(m->attrs[2].value, "");
  cr_assert_eq(m->fb_all.bits, PL_SDP_FB_NACK);
  cr_assert_eq(m->codecs[0].fb.n_other, 1);
  cr_assert_str_eq(m->codecs[0].fb.other[0], "ccm tmmbr");
  static char out[8192];
  cr_assert_gt(pl_sdp_write(s, out, sizeof out), 0);
  cr_assert_not_null(strstr(out, "a=x-session-thing:42\r\n"));
  cr_assert_not_null(strstr(out, "a=flag\r\n"));
  cr_assert_not_null(strstr(out, "a=simulcast:send 1;2\r\n"));
  cr_assert_not_null(strstr(out, "a=ssrc:5 label:foo\r\n"));
  cr_assert_not_null(strstr(out, "a=x-empty:\r\n"));
  cr_assert_not_null(strstr(out, "a=rtcp-fb:* nack\r\n"));
  cr_assert_not_null(strstr(out, "a=rtcp-fb:111 ccm tmmbr\r\n"));
  pl_sdp_free(s);
}

Test(sdp, hostile_repetition_is_bounded_and_counted) {
  static char t[PL_SDP_MAX_INPUT + 16];
  size_t n = 0;
#define ADD(...) n += (size_t)snprintf(t + n, sizeof t - n, __VA_ARGS__)
  ADD(MINI);
  for (int i = 0; i < 20; i++)
    ADD("a=group:BUNDLE a b\r\n");
  for (int i = 0; i < 40; i++)
    ADD("a=x%d\r\n", i);
  ADD("m=video 9 UDP/TLS/RTP/SAVPF");
  for (int pt = 0; pt < 60; pt++)
    ADD(" %d", 60 + pt);
  ADD("\r\n");
  for (int i = 0; i < 40; i++)
    ADD("a=candidate:%d 1 udp 1 10.0.0.%d 5000 typ host\r\n", i, i);
  for (int i = 0; i < 30; i++)
    ADD("a=extmap:%d urn:x:%d\r\n", i + 1, i);
  ADD("a=fmtp:60 ");
  for (int i = 0; i < 300; i++)
    ADD("x");
  ADD("\r\n");
  for (int i = 0; i < 20; i++)
    ADD("a=ssrc:%d cname:c\r\n", i + 1);
  for (int i = 0; i < 20; i++)
    ADD("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:m%d\r\n", i);
  pl_sdp *s = pl_sdp_new();
  pl_sdp_error err;
  cr_assert_eq(pl_sdp_parse(s, t, n, &err), 0, "line %u: %s", err.line, err.reason);
  cr_assert_eq(s->n_groups, PL_SDP_MAX_GROUPS);
  cr_assert_eq(s->n_attrs, PL_SDP_MAX_ATTRS);
  cr_assert_eq(s->n_media, PL_SDP_MAX_MEDIA);
  pl_sdp_media *m = &s->media[0];
  cr_assert_eq(m->n_codecs, PL_SDP_MAX_CODECS);
  cr_assert_eq(m->n_candidates, PL_SDP_MAX_CANDIDATES);
  cr_assert_eq(m->n_extmaps, PL_SDP_MAX_EXTMAPS);
  cr_assert_eq(m->n_ssrcs, PL_SDP_MAX_SSRCS);
  cr_assert_str_eq(m->codecs[0].fmtp, "");
  unsigned want = (20 - PL_SDP_MAX_GROUPS) + (40 - PL_SDP_MAX_ATTRS) +
                  (60 - PL_SDP_MAX_CODECS) + (40 - PL_SDP_MAX_CANDIDATES) +
                  (30 - PL_SDP_MAX_EXTMAPS) + 1 /* fmtp */ + (20 - PL_SDP_MAX_SSRCS) +
                  (21 - PL_SDP_MAX_MEDIA);
  cr_assert_eq(s->dropped, want);
  /* the kept part still writes and parses */
  static char out[PL_SDP_MAX_INPUT * 2];
  int w = pl_sdp_write(s, out, sizeof out);
  cr_assert_gt(w, 0);
  pl_sdp *b = pl_sdp_new();
  cr_assert_eq(pl_sdp_parse(b, out, (size_t)w, &err), 0, "line %u: %s", err.line,
               err.reason);
  cr_assert_eq(b->n_media, PL_SDP_MAX_MEDIA);
  pl_sdp_free(b);
  /* over the size cap */
  memset(t, 'a', sizeof t);
  cr_assert_eq(pl_sdp_parse(s, t, PL_SDP_MAX_INPUT + 1, &err), PL_ERANGE);
  pl_sdp_free(s);
#undef ADD
}

Test(sdp, write_reports_short_buffer_and_unwritable_structs) {
  pl_sdp *s = parse_fixture("chromium_audio.sdp");
  char small[100];
  cr_assert_eq(pl_sdp_write(s, small, sizeof small), PL_EFULL);
  static char out[8192];
  int n = pl_sdp_write(s, out, sizeof out);
  cr_assert_gt(n, 0);
  cr_assert_eq(pl_sdp_write(s, out, (size_t)n), PL_EFULL);
  cr_assert_eq(pl_sdp_write(s, out, (size_t)n + 1), n);
  s->media[0].n_codecs = 0; /* an RTP m= line needs a format */
  cr_assert_eq(pl_sdp_write(s, out, sizeof out), PL_EINVAL);
  pl_sdp_free(s);
}

Test(sdp, session_level_defaults_apply_to_media) {
  pl_sdp *s = pl_sdp_new();
  const char *t = MINI "a=ice-ufrag:sess\r\na=ice-pwd:sessionpasswordsessionpw\r\n"
                       "a=fingerprint:sha-256 AA:BB\r\na=setup:passive\r\na=sendonly\r\n"
                       "a=ice-lite\r\n" AUDIO "a=ice-ufrag:med1\r\n" AUDIO "a=recvonly\r\n";
  cr_assert_eq(parse_str(s, t, NULL), 0);
  cr_assert(s->ice_lite);
  pl_sdp_transport tr;
  pl_sdp_media_transport(s, &s->media[0], &tr);
  cr_assert_str_eq(tr.ice_ufrag, "med1");
  cr_assert_str_eq(tr.ice_pwd, "sessionpasswordsessionpw");
  cr_assert_eq(tr.setup, PL_SDP_SETUP_PASSIVE);
  cr_assert_eq(tr.n_fingerprints, 1);
  cr_assert_eq(pl_sdp_media_dir(s, &s->media[0]), PL_SDP_SENDONLY);
  cr_assert_eq(pl_sdp_media_dir(s, &s->media[1]), PL_SDP_RECVONLY);
  pl_sdp_free(s);
}

Test(sdp, fixture_line_counts_match_parsed_items) {
  size_t n;
  char *text = load("chromium_audio_video_data.sdp", &n);
  pl_sdp *s = pl_sdp_new();
  cr_assert_eq(pl_sdp_parse(s, text, n, NULL), 0);
  int cands = 0, fbs = 0, maps = 0;
  for (unsigned i = 0; i < s->n_media; i++) {
    cands += s->media[i].n_candidates;
    maps += s->media[i].n_extmaps;
    for (unsigned j = 0; j < s->media[i].n_codecs; j++)
      fbs += __builtin_popcount(s->media[i].codecs[j].fb.bits);
  }
  cr_assert_eq(cands, count_lines(text, "a=candidate:"));
  cr_assert_eq(fbs, count_lines(text, "a=rtcp-fb:"));
  cr_assert_eq(maps, count_lines(text, "a=extmap:"));
  pl_sdp_free(s);
}
