/* Offer/answer: answers to the real Chromium offers keep mids, order and
 * the offer's payload types, intersect codecs, rtcp-fb and extmaps, reject
 * what we cannot take with port 0, and answer directions and DTLS roles
 * per RFC 3264 and RFC 5763. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/sdp/sdp.h"
#include "parley.h"

static pl_sdp *parse_file(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/sdp/%s", PL_FIXTURES, name);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f);
  static char buf[PL_SDP_MAX_INPUT];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  pl_sdp *s = pl_sdp_new();
  cr_assert_eq(pl_sdp_parse(s, buf, n, NULL), 0);
  return s;
}

static void add_codec(pl_sdp_caps *c, pl_sdp_media_type t, const char *name,
                      uint32_t clock, uint8_t ch, const char *fmtp, const char *match,
                      uint32_t fb) {
  pl_sdp_codec_cap *k = &c->codecs[c->n_codecs++];
  memset(k, 0, sizeof *k);
  k->type = t;
  snprintf(k->name, sizeof k->name, "%s", name);
  k->clock = clock;
  k->channels = ch;
  snprintf(k->fmtp, sizeof k->fmtp, "%s", fmtp);
  snprintf(k->fmtp_match, sizeof k->fmtp_match, "%s", match);
  k->fb = fb;
}

#define FB_ALL_VIDEO                                                           \
  (PL_SDP_FB_NACK | PL_SDP_FB_NACK_PLI | PL_SDP_FB_CCM_FIR |                  \
   PL_SDP_FB_TRANSPORT_CC | PL_SDP_FB_GOOG_REMB)

static void our_caps(pl_sdp_caps *c) {
  memset(c, 0, sizeof *c);
  add_codec(c, PL_SDP_AUDIO, "opus", 48000, 2, "minptime=10;useinbandfec=1", "",
            PL_SDP_FB_TRANSPORT_CC);
  add_codec(c, PL_SDP_VIDEO, "VP8", 90000, 0, "", "", FB_ALL_VIDEO);
  add_codec(c, PL_SDP_VIDEO, "vp9", 90000, 0, "profile-id=0", "profile-id",
            PL_SDP_FB_NACK | PL_SDP_FB_NACK_PLI | PL_SDP_FB_TRANSPORT_CC);
  add_codec(c, PL_SDP_VIDEO, "H264", 90000, 0,
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
            "packetization-mode profile-level-id", PL_SDP_FB_NACK | PL_SDP_FB_NACK_PLI);
  c->rtx = true;
  const char *ext[] = {"urn:ietf:params:rtp-hdrext:ssrc-audio-level",
                       "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
                       "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
                       "urn:ietf:params:rtp-hdrext:sdes:mid"};
  for (int i = 0; i < 4; i++)
    snprintf(c->extmaps[c->n_extmaps++], sizeof c->extmaps[0], "%s", ext[i]);
  c->datachannel = true;
}

static void our_local(pl_sdp_local *l) {
  memset(l, 0, sizeof *l);
  l->sess_id = 4242424242ull;
  snprintf(l->ice_ufrag, sizeof l->ice_ufrag, "pRly");
  snprintf(l->ice_pwd, sizeof l->ice_pwd, "parleyparleyparleyparley");
  snprintf(l->fingerprint.alg, sizeof l->fingerprint.alg, "sha-256");
  l->fingerprint.len = 32;
  for (int i = 0; i < 32; i++)
    l->fingerprint.digest[i] = (uint8_t)(i * 7);
}

/* Writes the answer where tests/fixtures/sdp/check_answers.js looks for it. */
static void save(const char *name, const char *text) {
  const char *dir = getenv("PL_SDP_ANSWER_DIR");
  if (!dir)
    return;
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
}

static void pts_are(const pl_sdp_media *m, const uint8_t *want, unsigned n) {
  cr_assert_eq(m->n_codecs, n, "%u codecs, want %u", m->n_codecs, n);
  for (unsigned i = 0; i < n; i++)
    cr_assert_eq(m->codecs[i].pt, want[i], "codec %u is pt %u, want %u", i,
                 m->codecs[i].pt, want[i]);
}

Test(sdp_answer, answers_chromium_audio_video_data_offer) {
  pl_sdp *o = parse_file("chromium_audio_video_data.sdp");
  pl_sdp *a = pl_sdp_new();
  pl_sdp_caps caps;
  pl_sdp_local local;
  our_caps(&caps);
  our_local(&local);
  cr_assert_eq(pl_sdp_answer(a, o, &caps, &local), 0);
  cr_assert_eq(a->n_media, 3);
  cr_assert_eq(a->sess_id, 4242424242ull);
  /* audio: opus only, our fmtp, the offer's extmap ids */
  const pl_sdp_media *au = &a->media[0];
  cr_assert_str_eq(au->mid, "0");
  cr_assert_eq(au->port, 9);
  cr_assert_str_eq(au->proto, "UDP/TLS/RTP/SAVPF");
  const uint8_t apts[] = {111};
  pts_are(au, apts, 1);
  cr_assert_str_eq(au->codecs[0].name, "opus");
  cr_assert_eq(au->codecs[0].channels, 2);
  cr_assert_str_eq(au->codecs[0].fmtp, "minptime=10;useinbandfec=1");
  cr_assert_eq(au->codecs[0].fb.bits, PL_SDP_FB_TRANSPORT_CC);
  cr_assert_eq(au->n_extmaps, 4);
  cr_assert_eq(au->extmaps[0].id, 1);
  cr_assert_eq(au->extmaps[3].id, 4);
  cr_assert_eq(au->dir, PL_SDP_SENDRECV);
  cr_assert(au->rtcp_mux && au->rtcp_rsize);
  cr_assert_str_eq(au->transport.ice_ufrag, "pRly");
  cr_assert_str_eq(au->transport.ice_options, "trickle");
  cr_assert_eq(au->transport.setup, PL_SDP_SETUP_ACTIVE);
  cr_assert_eq(au->transport.n_fingerprints, 1);
  /* video: VP8, H264 42e01f mode 1, VP9 profile 0 and their rtx, offer order */
  const pl_sdp_media *vi = &a->media[1];
  const uint8_t vpts[] = {96, 97, 108, 109, 98, 99};
  pts_are(vi, vpts, 6);
  cr_assert_str_eq(vi->codecs[1].name, "rtx");
  cr_assert_str_eq(vi->codecs[1].fmtp, "apt=96");
  cr_assert_str_eq(vi->codecs[5].fmtp, "apt=98");
  cr_assert_eq(vi->codecs[0].fb.bits, FB_ALL_VIDEO);
  cr_assert_eq(vi->codecs[2].fb.bits, PL_SDP_FB_NACK | PL_SDP_FB_NACK_PLI);
  cr_assert_eq(vi->codecs[4].fb.bits,
               PL_SDP_FB_NACK | PL_SDP_FB_NACK_PLI | PL_SDP_FB_TRANSPORT_CC);
  cr_assert_eq(vi->codecs[1].fb.bits, 0);
  cr_assert_str_eq(vi->codecs[4].name, "VP9"); /* the offer's spelling */
  cr_assert_eq(vi->n_extmaps, 3);
  cr_assert_eq(vi->extmaps[0].id, 2);
  cr_assert_eq(vi->extmaps[1].id, 3);
  cr_assert_eq(vi->extmaps[2].id, 4);
  /* data channel */
  const pl_sdp_media *dc = &a->media[2];
  cr_assert_eq(dc->port, 9);
  cr_assert_str_eq(dc->proto, "UDP/DTLS/SCTP");
  cr_assert_str_eq(dc->fmt, "webrtc-datachannel");
  cr_assert_eq(dc->sctp_port, 5000);
  cr_assert_eq(dc->max_message_size, 262144);
  cr_assert_eq(dc->dir, PL_SDP_DIR_UNSET);
  const pl_sdp_group *g = pl_sdp_find_group(a, "BUNDLE");
  cr_assert_not_null(g);
  cr_assert_eq(g->n, 3);
  cr_assert_str_eq(g->mids[1], "1");
  /* text form parses back to the same answer */
  static char text[PL_SDP_MAX_INPUT];
  int n = pl_sdp_write(a, text, sizeof text);
  cr_assert_gt(n, 0);
  save("chromium_audio_video_data.answer.sdp", text);
  cr_assert_not_null(strstr(text, "a=group:BUNDLE 0 1 2\r\n"));
  cr_assert_not_null(strstr(text, "m=video 9 UDP/TLS/RTP/SAVPF 96 97 108 109 98 99\r\n"));
  cr_assert_not_null(strstr(text, "a=setup:active\r\n"));
  pl_sdp *b = pl_sdp_new();
  pl_sdp_error err;
  cr_assert_eq(pl_sdp_parse(b, text, (size_t)n, &err), 0, "line %u: %s", err.line,
               err.reason);
  cr_assert_eq(memcmp(a->media, b->media, sizeof a->media), 0);
  pl_sdp_free(b);
  pl_sdp_free(a);
  pl_sdp_free(o);
}

Test(sdp_answer, unsupported_sections_are_rejected_with_port_zero) {
  pl_sdp *o = parse_file("chromium_audio_video_data.sdp");
  pl_sdp *a = pl_sdp_new();
  pl_sdp_caps caps;
  pl_sdp_local local;
  our_caps(&caps);
  our_local(&local);
  caps.n_codecs = 1; /* opus only: no video */
  caps.datachannel = false;
  cr_assert_eq(pl_sdp_answer(a, o, &caps, &local), 0);
  cr_assert_eq(a->n_media, 3);
  cr_assert_eq(a->media[0].port, 9);
  cr_assert_eq(a->media[1].port, 0);
  cr_assert_str_eq(a->media[1].mid, "1");
  cr_assert_eq(a->media[1].n_codecs, 1); /* m= line keeps one format */
  cr_assert_not(a->media[1].codecs[0].has_rtpmap);
  cr_assert_eq(a->media[2].port, 0);
  cr_assert_str_eq(a->media[2].fmt, "webrtc-datachannel");
  const pl_sdp_group *g = pl_sdp_find_group(a, "BUNDLE");
  cr_assert_eq(g->n, 1);
  cr_assert_str_eq(g->mids[0], "0");
  static char text[PL_SDP_MAX_INPUT];
  int n = pl_sdp_write(a, text, sizeof text);
  cr_assert_gt(n, 0);
  save("chromium_audio_video_data.reject.answer.sdp", text);
  cr_assert_not_null(strstr(text, "m=video 0 UDP/TLS/RTP/SAVPF 96\r\n"));
  cr_assert_not_null(strstr(text, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
  pl_sdp *b = pl_sdp_new();
  cr_assert_eq(pl_sdp_parse(b, text, (size_t)n, NULL), 0);
  pl_sdp_free(b);
  /* nothing in common at all: everything rejected, no BUNDLE group */
  caps.n_codecs = 0;
  cr_assert_eq(pl_sdp_answer(a, o, &caps, &local), 0);
  for (int i = 0; i < 3; i++)
    cr_assert_eq(a->media[i].port, 0);
  cr_assert_eq(a->n_groups, 0);
  pl_sdp_free(a);
  pl_sdp_free(o);
}

static pl_sdp *offer_text(const char *media_lines) {
  static char t[4096];
  snprintf(t, sizeof t,
           "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE a\r\n%s",
           media_lines);
  pl_sdp *s = pl_sdp_new();
  pl_sdp_error err;
  cr_assert_eq(pl_sdp_parse(s, t, strlen(t), &err), 0, "line %u: %s", err.line,
               err.reason);
  return s;
}

static pl_sdp_dir answered(const char *offer_dir, pl_sdp_dir want) {
  char m[512];
  snprintf(m, sizeof m,
           "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a\r\na=rtpmap:111 opus/48000/2\r\n"
           "a=setup:actpass\r\n%s",
           offer_dir);
  pl_sdp *o = offer_text(m), *a = pl_sdp_new();
  pl_sdp_caps caps;
  pl_sdp_local local;
  our_caps(&caps);
  our_local(&local);
  caps.audio_dir = want;
  cr_assert_eq(pl_sdp_answer(a, o, &caps, &local), 0);
  pl_sdp_dir d = a->media[0].dir;
  pl_sdp_free(a);
  pl_sdp_free(o);
  return d;
}

Test(sdp_answer, directions_follow_rfc3264) {
  cr_assert_eq(answered("a=sendrecv\r\n", PL_SDP_DIR_UNSET), PL_SDP_SENDRECV);
  cr_assert_eq(answered("", PL_SDP_SENDRECV), PL_SDP_SENDRECV);
  cr_assert_eq(answered("a=sendonly\r\n", PL_SDP_SENDRECV), PL_SDP_RECVONLY);
  cr_assert_eq(answered("a=recvonly\r\n", PL_SDP_SENDRECV), PL_SDP_SENDONLY);
  cr_assert_eq(answered("a=inactive\r\n", PL_SDP_SENDRECV), PL_SDP_INACTIVE);
  cr_assert_eq(answered("a=sendrecv\r\n", PL_SDP_RECVONLY), PL_SDP_RECVONLY);
  cr_assert_eq(answered("a=sendrecv\r\n", PL_SDP_SENDONLY), PL_SDP_SENDONLY);
  cr_assert_eq(answered("a=sendonly\r\n", PL_SDP_SENDONLY), PL_SDP_INACTIVE);
  cr_assert_eq(answered("a=recvonly\r\n", PL_SDP_INACTIVE), PL_SDP_INACTIVE);
}

static pl_sdp_setup setup_for(const char *offer_setup, pl_sdp_setup ours) {
  char m[512];
  snprintf(m, sizeof m,
           "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a\r\na=rtpmap:111 opus/48000/2\r\n%s",
           offer_setup);
  pl_sdp *o = offer_text(m), *a = pl_sdp_new();
  pl_sdp_caps caps;
  pl_sdp_local local;
  our_caps(&caps);
  our_local(&local);
  local.setup = ours;
  cr_assert_eq(pl_sdp_answer(a, o, &caps, &local), 0);
  pl_sdp_setup s = a->media[0].transport.setup;
  pl_sdp_free(a);
  pl_sdp_free(o);
  return s;
}

Test(sdp_answer, dtls_roles_follow_rfc5763) {
  cr_assert_eq(setup_for("a=setup:actpass\r\n", PL_SDP_SETUP_UNSET), PL_SDP_SETUP_ACTIVE);
  cr_assert_eq(setup_for("a=setup:actpass\r\n", PL_SDP_SETUP_PASSIVE),
               PL_SDP_SETUP_PASSIVE);
  cr_assert_eq(setup_for("a=setup:active\r\n", PL_SDP_SETUP_ACTIVE), PL_SDP_SETUP_PASSIVE);
  cr_assert_eq(setup_for("a=setup:passive\r\n", PL_SDP_SETUP_PASSIVE),
               PL_SDP_SETUP_ACTIVE);
}

Test(sdp_answer, insecure_or_already_rejected_offers_are_rejected) {
  pl_sdp_caps caps;
  pl_sdp_local local;
  our_caps(&caps);
  our_local(&local);
  pl_sdp *a = pl_sdp_new();
  pl_sdp *o = offer_text("m=audio 9 RTP/AVP 111\r\na=mid:a\r\na=rtpmap:111 opus/48000/2\r\n"
                         "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=mid:b\r\n"
                         "a=rtpmap:111 opus/48000/2\r\n"
                         "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=mid:c\r\na=bundle-only\r\n"
                         "a=rtpmap:111 opus/48000/2\r\n"
                         "m=text 9 UDP/TLS/RTP/SAVPF 98\r\na=mid:d\r\n"
                         "a=rtpmap:98 t140/1000\r\n"
                         "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:e\r\n"
                         "a=rtpmap:111 opus/48000/1\r\n"
                         "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:f\r\n"
                         "a=rtpmap:111 OPUS/48000\r\n");
  cr_assert_eq(pl_sdp_answer(a, o, &caps, &local), 0);
  cr_assert_eq(a->media[0].port, 0, "RTP/AVP carries no SRTP");
  cr_assert_eq(a->media[1].port, 0, "port 0 in the offer");
  cr_assert_eq(a->media[2].port, 9, "bundle-only is not a rejection");
  cr_assert_eq(a->media[3].port, 0, "m=text is not ours");
  cr_assert_eq(a->media[4].port, 0, "opus with one channel does not match opus/2");
  /* webrtcbin's early offers leave the count out: for Opus that is /2. */
  cr_assert_eq(a->media[5].port, 9, "OPUS/48000 is opus/48000/2");
  pl_sdp_free(o);
  pl_sdp_free(a);
}

Test(sdp_answer, rtcp_fb_wildcard_and_rtx_without_primary) {
  pl_sdp_caps caps;
  pl_sdp_local local;
  our_caps(&caps);
  our_local(&local);
  pl_sdp *a = pl_sdp_new();
  pl_sdp *o = offer_text("m=video 9 UDP/TLS/RTP/SAVPF 96 97 120 121\r\na=mid:a\r\n"
                         "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\n"
                         "a=fmtp:97 apt=96\r\na=rtpmap:120 H265/90000\r\n"
                         "a=rtpmap:121 rtx/90000\r\na=fmtp:121 apt=120\r\n"
                         "a=rtcp-fb:* nack\r\na=rtcp-fb:96 ccm fir\r\n");
  cr_assert_eq(pl_sdp_answer(a, o, &caps, &local), 0);
  const uint8_t want[] = {96, 97};
  pts_are(&a->media[0], want, 2);
  cr_assert_eq(a->media[0].codecs[0].fb.bits, PL_SDP_FB_NACK | PL_SDP_FB_CCM_FIR);
  caps.rtx = false;
  cr_assert_eq(pl_sdp_answer(a, o, &caps, &local), 0);
  pts_are(&a->media[0], want, 1);
  cr_assert_eq(pl_sdp_answer(a, a, &caps, &local), PL_EINVAL);
  pl_sdp_free(o);
  pl_sdp_free(a);
}

Test(sdp_answer, answers_all_three_fixtures) {
  static const char *names[] = {"chromium_audio.sdp", "chromium_audio_video.sdp",
                                "chromium_audio_video_data.sdp"};
  pl_sdp_caps caps;
  pl_sdp_local local;
  our_caps(&caps);
  our_local(&local);
  for (int i = 0; i < 3; i++) {
    pl_sdp *o = parse_file(names[i]), *a = pl_sdp_new();
    cr_assert_eq(pl_sdp_answer(a, o, &caps, &local), 0);
    cr_assert_eq(a->n_media, o->n_media);
    for (unsigned j = 0; j < o->n_media; j++) {
      cr_assert_str_eq(a->media[j].mid, o->media[j].mid);
      cr_assert_str_eq(a->media[j].media, o->media[j].media);
      cr_assert_eq(a->media[j].port, 9);
    }
    static char text[PL_SDP_MAX_INPUT];
    int n = pl_sdp_write(a, text, sizeof text);
    cr_assert_gt(n, 0);
    char name[128];
    snprintf(name, sizeof name, "%.*s.answer.sdp", (int)strlen(names[i]) - 4, names[i]);
    save(name, text);
    pl_sdp_free(o);
    pl_sdp_free(a);
  }
}

/* Used by tests/fixtures/sdp/check_answers.js: answers the offer in the file
 * PL_SDP_LIVE_OFFER (a fresh one from Chromium) into "<file>.answer", which
 * the script hands back to Chromium's setRemoteDescription. */
Test(sdp_answer, answers_live_offer_from_env) {
  const char *path = getenv("PL_SDP_LIVE_OFFER");
  if (!path)
    cr_skip_test("PL_SDP_LIVE_OFFER not set");
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f);
  static char buf[PL_SDP_MAX_INPUT];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  pl_sdp *o = pl_sdp_new(), *a = pl_sdp_new();
  pl_sdp_error err;
  cr_assert_eq(pl_sdp_parse(o, buf, n, &err), 0, "line %u: %s", err.line, err.reason);
  pl_sdp_caps caps;
  pl_sdp_local local;
  our_caps(&caps);
  our_local(&local);
  if (getenv("PL_SDP_LIVE_REJECT")) { /* audio only: video and data rejected */
    caps.n_codecs = 1;
    caps.datachannel = false;
  }
  cr_assert_eq(pl_sdp_answer(a, o, &caps, &local), 0);
  static char text[PL_SDP_MAX_INPUT];
  int w = pl_sdp_write(a, text, sizeof text);
  cr_assert_gt(w, 0);
  char out[600];
  snprintf(out, sizeof out, "%s.answer", path);
  f = fopen(out, "wb");
  cr_assert_not_null(f);
  fwrite(text, 1, (size_t)w, f);
  fclose(f);
  /* and our re-written offer, for Chromium to take as a remote offer */
  w = pl_sdp_write(o, text, sizeof text);
  cr_assert_gt(w, 0);
  snprintf(out, sizeof out, "%s.rewritten", path);
  f = fopen(out, "wb");
  cr_assert_not_null(f);
  fwrite(text, 1, (size_t)w, f);
  fclose(f);
  pl_sdp_free(o);
  pl_sdp_free(a);
}
