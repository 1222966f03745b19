/* Two engines on the simulated clock over the WebRTC transport: JSEP
 * offer/answer, ICE, DTLS with fingerprint checks, DTLS-SRTP, Opus both
 * ways; and what must not work: a wrong fingerprint, forged STUN, a peer
 * that vanishes, a replayed SRTP packet; ICE restart; Chromium's offer. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/call/call.h"
#include "engine/sim.h"
#include "net/demux/demux.h"
#include "net/dtls/dtls.h"
#include "net/stun/stun.h"
#include "parley.h"

#define SDP_CAP 16384

typedef struct capture {
  float *pcm;
  size_t n, cap;
} capture;

static int cap_write(void *user, const float *pcm, int samples, int channels) {
  capture *c = user;
  for (int i = 0; i < samples && c->n < c->cap; i++)
    c->pcm[c->n++] = pcm[i * channels];
  return 0;
}

static double tone_freq(const float *x, size_t n) {
  size_t crossings = 0;
  for (size_t i = 1; i < n; i++)
    if ((x[i - 1] < 0) != (x[i] < 0))
      crossings++;
  return crossings * 48000.0 / 2.0 / (double)n;
}

typedef struct events {
  int connected, bye, track, timeouts;
  int ice[8], dtls[8], conn[8];          /* how often each state was entered */
  pl_time_us t_conn[8];                  /* when (sim time of the last entry) */
  int dtls_error;
  pl_sim **sim;
} events;

static void on_event(pl_call *call, const pl_event *ev, void *user) {
  events *e = user;
  pl_time_us now = e->sim && *e->sim ? (*e->sim)->now : 0;
  if (getenv("PL_TEST_VERBOSE")) /* the event trace, when a test needs reading */
    fprintf(stderr, "%p t=%lld event %d state %d error %d %s\n", (void *)call, (long long)now,
            ev->type, ev->state, ev->error, ev->detail ? ev->detail : "");
  switch (ev->type) {
  case PL_EVENT_CONNECTED: e->connected++; break;
  case PL_EVENT_REMOTE_BYE: e->bye++; break;
  case PL_EVENT_TRACK: e->track++; break;
  case PL_EVENT_TIMEOUT: e->timeouts++; break;
  case PL_EVENT_ICE_STATE: e->ice[ev->state]++; break;
  case PL_EVENT_DTLS_STATE:
    e->dtls[ev->state]++;
    if (ev->state == PL_DTLS_TRANSPORT_FAILED)
      e->dtls_error = ev->error;
    break;
  case PL_EVENT_CONNECTION_STATE:
    e->conn[ev->state]++;
    e->t_conn[ev->state] = now;
    break;
  default: break;
  }
}

typedef struct rig {
  pl_sim *s;
  events ea, eb;
  capture ra, rb;
} rig;

static void rig_new(rig *r, double hz_a, double hz_b, double seconds) {
  memset(r, 0, sizeof *r);
  pl_call_config a, b;
  pl_call_config_init(&a);
  pl_call_config_init(&b);
  a.transport = b.transport = PL_TRANSPORT_WEBRTC;
  a.on_event = b.on_event = on_event;
  a.user = &r->ea;
  b.user = &r->eb;
  r->ea.sim = r->eb.sim = &r->s;
  pl_emu_config net;
  memset(&net, 0, sizeof net);
  net.delay = PL_MS(10);
  cr_assert_eq(pl_sim_new(&r->s, &a, &b, &net, &net, 11), 0);
  r->ra.cap = r->rb.cap = (size_t)(seconds * 48000);
  r->ra.pcm = calloc(r->ra.cap, sizeof(float));
  r->rb.pcm = calloc(r->rb.cap, sizeof(float));
  pl_audio_io ta, tb, sa = {.write = cap_write, .user = &r->ra},
                      sb = {.write = cap_write, .user = &r->rb};
  cr_assert_eq(pl_audio_io_tone_source(&ta, hz_a, 0.3), 0);
  cr_assert_eq(pl_audio_io_tone_source(&tb, hz_b, 0.3), 0);
  pl_call_set_audio_source(r->s->a, &ta);
  pl_call_set_audio_source(r->s->b, &tb);
  pl_call_set_audio_sink(r->s->a, &sa);
  pl_call_set_audio_sink(r->s->b, &sb);
}

static void rig_free(rig *r) {
  pl_sim_free(r->s);
  free(r->ra.pcm);
  free(r->rb.pcm);
}

Test(webrtc, ice_dtls_srtp_connect_and_carry_each_tone) {
  rig r;
  rig_new(&r, 440, 1000, 5);
  cr_assert_eq(pl_sim_connect(r.s), 0);
  pl_sim_run_until(r.s, PL_SEC(4));
  for (int i = 0; i < 2; i++) {
    events *e = i ? &r.eb : &r.ea;
    cr_assert_eq(e->ice[PL_ICE_CONNECTION_CHECKING], 1);
    cr_assert_eq(e->ice[PL_ICE_CONNECTION_CONNECTED], 1);
    cr_assert_eq(e->dtls[PL_DTLS_TRANSPORT_CONNECTED], 1);
    cr_assert_eq(e->conn[PL_CONNECTION_CONNECTED], 1);
    cr_assert_eq(e->conn[PL_CONNECTION_FAILED], 0);
    cr_assert_eq(e->track, 1);
    cr_assert_eq(e->connected, 1, "media from the peer");
  }
  pl_call_stats sa, sb;
  pl_call_get_stats(r.s->a, &sa);
  pl_call_get_stats(r.s->b, &sb);
  cr_assert_eq(sa.connection_state, PL_CONNECTION_CONNECTED);
  cr_assert_str_eq(sa.local_candidate, "host 10.0.0.1:5000");
  cr_assert_str_eq(sa.remote_candidate, "host 10.0.0.2:5000");
  cr_assert_str_eq(sa.srtp_profile, "SRTP_AES128_CM_SHA1_80");
  /* ICE (check, answer, nomination) then two DTLS round trips at 10 ms. */
  cr_assert_gt(sa.dtls_connected_s, 0.03);
  cr_assert_lt(sa.dtls_connected_s, 0.2);
  cr_assert_gt(sb.packets_received, 150);
  cr_assert_eq(sb.packets_lost, 0);
  cr_assert_eq(sb.srtp_auth_failures, 0);
  /* a, the DTLS server, is keyed one flight before b and waits for b's
   * first SRTCP before sending: b never sees SRTP it cannot decrypt yet. */
  cr_assert_eq(sb.packets_dropped, 0);
  cr_assert_eq(sa.packets_dropped, 0);
  cr_assert_eq(r.s->b->early.count, 0);
  cr_assert_float_eq(tone_freq(r.rb.pcm + 48000, 48000 * 2), 440.0, 5.0);
  cr_assert_float_eq(tone_freq(r.ra.pcm + 48000, 48000 * 2), 1000.0, 5.0);
  rig_free(&r);
}

/* Offer/answer by hand, with a chance to edit the offer on the way. */
static void connect_editing(rig *r, void (*edit)(char *offer)) {
  char *offer = malloc(SDP_CAP), *answer = malloc(SDP_CAP);
  cr_assert_eq(pl_call_create_offer(r->s->a, offer, SDP_CAP), 0);
  if (edit)
    edit(offer);
  cr_assert_eq(pl_call_accept_offer(r->s->b, offer, answer, SDP_CAP), 0);
  cr_assert_eq(pl_call_accept_answer(r->s->a, answer), 0);
  free(offer);
  free(answer);
}

static void flip_fingerprint(char *offer) {
  char *fp = strstr(offer, "a=fingerprint:sha-256 ");
  cr_assert_not_null(fp);
  char *hex = fp + strlen("a=fingerprint:sha-256 ");
  *hex = *hex == 'A' ? 'B' : 'A'; /* one nibble of the certificate's digest */
}

Test(webrtc, wrong_fingerprint_fails_dtls_before_any_srtp_key) {
  rig r;
  rig_new(&r, 440, 1000, 4);
  connect_editing(&r, flip_fingerprint);
  pl_sim_run_until(r.s, PL_SEC(3));
  /* b (DTLS client, a=setup:active) checks a's certificate against the
   * edited fingerprint and aborts with an alert; a fails on the alert. */
  cr_assert_eq(r.eb.dtls[PL_DTLS_TRANSPORT_FAILED], 1);
  cr_assert_eq(r.eb.dtls_error, PL_EAUTH);
  cr_assert_eq(r.ea.dtls[PL_DTLS_TRANSPORT_FAILED], 1);
  for (int i = 0; i < 2; i++) {
    events *e = i ? &r.eb : &r.ea;
    pl_call *c = i ? r.s->b : r.s->a;
    cr_assert_eq(e->ice[PL_ICE_CONNECTION_CONNECTED], 1, "ICE itself worked");
    cr_assert_eq(e->dtls[PL_DTLS_TRANSPORT_CONNECTED], 0);
    cr_assert_eq(e->conn[PL_CONNECTION_FAILED], 1);
    cr_assert_eq(e->connected, 0, "no media event");
    cr_assert_null(c->srtp, "no SRTP keys were derived");
    pl_call_stats st;
    pl_call_get_stats(c, &st);
    cr_assert_eq(st.packets_sent, 0);
    cr_assert_eq(st.packets_received, 0);
    cr_assert_eq(pl_call_deadline(c), PL_TIME_NEVER, "the call is over");
  }
  rig_free(&r);
}

Test(webrtc, stun_check_with_bad_message_integrity_is_ignored_and_counted) {
  rig r;
  rig_new(&r, 440, 1000, 3);
  cr_assert_eq(pl_sim_connect(r.s), 0);
  pl_sim_run_until(r.s, PL_SEC(1));
  pl_call *b = r.s->b;
  char username[160];
  snprintf(username, sizeof username, "%s:%s", b->wrtc->ufrag, r.s->a->wrtc->ufrag);
  uint8_t msg[256], txid[PL_STUN_TXID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  for (int forged = 0; forged < 2; forged++) {
    pl_stun_builder sb;
    pl_stun_build_begin(&sb, msg, sizeof msg, pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), txid);
    pl_stun_put_bytes(&sb, PL_STUN_ATTR_USERNAME, username, strlen(username));
    pl_stun_put_u32(&sb, PL_STUN_ATTR_PRIORITY, 0x6e7f1eff);
    pl_stun_put_u64(&sb, PL_STUN_ATTR_ICE_CONTROLLING, 42);
    const char *key = forged ? "not-the-password-at-all!" : b->wrtc->pwd;
    pl_stun_put_integrity(&sb, (const uint8_t *)key, strlen(key));
    pl_stun_put_fingerprint(&sb);
    int n = pl_stun_build_end(&sb);
    cr_assert_gt(n, 0);
    pl_call_stats before, after;
    pl_call_get_stats(b, &before);
    pl_addr from;
    pl_addr_parse(&from, "10.0.0.1:5000");
    pl_call_input(b, r.s->now, &from.ss, msg, (size_t)n);
    /* What b sends right after: a STUN answer only for the genuine one. */
    uint8_t out[1600];
    int answers = 0, k;
    while ((k = pl_call_poll_transmit(b, out, sizeof out, NULL)) > 0)
      answers += pl_demux_classify(out, (size_t)k) == PL_DEMUX_STUN;
    pl_call_get_stats(b, &after);
    if (forged) {
      cr_assert_eq(answers, 0);
      cr_assert_eq(after.stun_bad_integrity, before.stun_bad_integrity + 1);
    } else {
      cr_assert_eq(answers, 1, "the control: a check with the right key is answered");
      cr_assert_eq(after.stun_bad_integrity, before.stun_bad_integrity);
    }
    txid[0]++;
  }
  pl_call_stats st;
  pl_call_get_stats(b, &st);
  cr_assert_eq(st.connection_state, PL_CONNECTION_CONNECTED, "the call goes on");
  rig_free(&r);
}

/* Drops everything both ways from `vanish_at` on: the peer is gone. */
typedef struct vanish {
  pl_time_us at;
} vanish;

static bool vanish_tap(void *user, int dir, pl_time_us now, uint8_t *buf, size_t *len) {
  (void)dir;
  (void)buf;
  (void)len;
  return now < ((vanish *)user)->at;
}

Test(webrtc, peer_vanishing_ends_the_call_by_consent_expiry_within_30s) {
  rig r;
  rig_new(&r, 440, 1000, 1);
  vanish v = {.at = PL_SIM_START_US + PL_SEC(3)};
  r.s->tap = vanish_tap;
  r.s->tap_user = &v;
  cr_assert_eq(pl_sim_connect(r.s), 0);
  pl_sim_run_until(r.s, PL_SEC(60));
  cr_assert_eq(r.ea.conn[PL_CONNECTION_CONNECTED], 1);
  cr_assert_eq(r.ea.ice[PL_ICE_CONNECTION_DISCONNECTED], 1, "no consent answers for 10 s");
  cr_assert_eq(r.ea.ice[PL_ICE_CONNECTION_FAILED], 1);
  cr_assert_eq(r.ea.conn[PL_CONNECTION_FAILED], 1);
  cr_assert_eq(r.ea.timeouts, 1, "the media timeout fired first, at 10 s");
  pl_time_us ended = r.ea.t_conn[PL_CONNECTION_FAILED] - v.at;
  /* RFC 7675: 30 s after the last answer, which came at most one consent
   * interval (5 s x 1.2) before the peer vanished. */
  cr_assert_leq(ended, PL_SEC(30));
  cr_assert_geq(ended, PL_SEC(24));
  cr_assert_eq(atomic_load(&r.s->a->state), PL_CALL_CLOSED);
  cr_assert_eq(pl_call_deadline(r.s->a), PL_TIME_NEVER, "no timers left");
  rig_free(&r);
}

/* Keeps a copy of the 100th RTP packet from a to b. */
typedef struct keep {
  int seen;
  uint8_t pkt[1600];
  size_t len;
} keep;

static bool keep_tap(void *user, int dir, pl_time_us now, uint8_t *buf, size_t *len) {
  (void)now;
  keep *k = user;
  if (dir == 0 && pl_demux_classify(buf, *len) == PL_DEMUX_RTP && ++k->seen == 100) {
    memcpy(k->pkt, buf, *len);
    k->len = *len;
  }
  return true;
}

Test(webrtc, replayed_srtp_packet_is_dropped_and_counted) {
  rig r;
  rig_new(&r, 440, 1000, 4);
  keep k = {0};
  r.s->tap = keep_tap;
  r.s->tap_user = &k;
  cr_assert_eq(pl_sim_connect(r.s), 0);
  pl_sim_run_until(r.s, PL_SEC(3));
  cr_assert_gt(k.len, 12u);
  pl_call_stats before, after;
  pl_call_get_stats(r.s->b, &before);
  cr_assert_eq(before.srtp_replays, 0);
  pl_addr from;
  pl_addr_parse(&from, "10.0.0.1:5000");
  cr_assert_eq(pl_call_input(r.s->b, r.s->now, &from.ss, k.pkt, k.len), PL_EREPLAY);
  pl_call_get_stats(r.s->b, &after);
  cr_assert_eq(after.srtp_replays, 1);
  cr_assert_eq(after.packets_dropped, before.packets_dropped + 1);
  cr_assert_eq(after.packets_received, before.packets_received, "never reached media");
  /* From an address that is no valid pair, it is not even tried. */
  pl_addr_parse(&from, "10.0.0.9:5000");
  cr_assert_eq(pl_call_input(r.s->b, r.s->now, &from.ss, k.pkt, k.len), PL_EAUTH);
  pl_call_get_stats(r.s->b, &after);
  cr_assert_eq(after.srtp_replays, 1);
  rig_free(&r);
}

/* Issue 13, 4: one spoofed 33-byte datagram (a DTLS record in epoch 1 with
 * a 20-byte body, from the peer's address and port) ended both ends of an
 * established call within 50 ms. Now it is discarded and counted, on either
 * end, and the call and its audio go on. */
Test(webrtc, a_spoofed_dtls_record_after_the_handshake_is_counted_and_the_call_goes_on) {
  rig r;
  rig_new(&r, 440, 1000, 8);
  cr_assert_eq(pl_sim_connect(r.s), 0);
  pl_sim_run_until(r.s, PL_SEC(3));
  uint8_t rec[33] = {23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 20};
  for (int i = 13; i < 33; i++)
    rec[i] = (uint8_t)(i * 37);
  pl_addr a_addr, b_addr;
  pl_addr_parse(&a_addr, "10.0.0.1:5000");
  pl_addr_parse(&b_addr, "10.0.0.2:5000");
  pl_call_stats before_a, before_b;
  pl_call_get_stats(r.s->a, &before_a);
  pl_call_get_stats(r.s->b, &before_b);
  pl_call_input(r.s->b, r.s->now, &a_addr.ss, rec, sizeof rec);
  pl_call_input(r.s->a, r.s->now, &b_addr.ss, rec, sizeof rec);
  rec[0] = 21; /* and as a forged alert */
  pl_call_input(r.s->b, r.s->now, &a_addr.ss, rec, sizeof rec);
  pl_sim_run_until(r.s, PL_SEC(7));
  for (int i = 0; i < 2; i++) {
    events *e = i ? &r.eb : &r.ea;
    cr_assert_eq(e->conn[PL_CONNECTION_FAILED], 0, "side %d failed", i);
    cr_assert_eq(e->dtls[PL_DTLS_TRANSPORT_FAILED], 0);
    cr_assert_eq(e->bye, 0);
  }
  pl_call_stats sa, sb;
  pl_call_get_stats(r.s->a, &sa);
  pl_call_get_stats(r.s->b, &sb);
  cr_assert_eq(sa.connection_state, PL_CONNECTION_CONNECTED);
  cr_assert_eq(sb.connection_state, PL_CONNECTION_CONNECTED);
  cr_assert_eq(sb.dtls_records_discarded, before_b.dtls_records_discarded + 2);
  cr_assert_eq(sa.dtls_records_discarded, before_a.dtls_records_discarded + 1);
  /* Audio kept flowing both ways after the forgeries: 4 s more of it. */
  cr_assert_geq(sb.packets_received, before_b.packets_received + 150);
  cr_assert_geq(sa.packets_received, before_a.packets_received + 150);
  double fb = tone_freq(r.rb.pcm + 48000 * 5, 48000);
  cr_assert(fabs(fb - 440) < 10, "b hears a's tone after the forgery: %.1f Hz", fb);
  rig_free(&r);
}

Test(webrtc, ice_restart_by_new_offer_keeps_media_flowing) {
  rig r;
  rig_new(&r, 440, 1000, 6);
  cr_assert_eq(pl_sim_connect(r.s), 0);
  pl_sim_run_until(r.s, PL_SEC(2));
  char old_ufrag[64];
  snprintf(old_ufrag, sizeof old_ufrag, "%s", r.s->a->wrtc->ufrag);
  char *offer = malloc(SDP_CAP), *answer = malloc(SDP_CAP);
  cr_assert_eq(pl_call_restart_ice(r.s->a, offer, SDP_CAP), 0);
  cr_assert_null(strstr(offer, old_ufrag), "fresh credentials");
  cr_assert_not_null(strstr(offer, "a=setup:passive"), "a keeps its DTLS role (server)");
  cr_assert_not_null(strstr(offer, "a=candidate:"));
  cr_assert_eq(pl_call_accept_offer(r.s->b, offer, answer, SDP_CAP), 0);
  cr_assert_not_null(strstr(answer, "a=setup:active"));
  cr_assert_eq(pl_call_accept_answer(r.s->a, answer), 0);
  pl_call_stats b0, b1, a1;
  pl_call_get_stats(r.s->b, &b0);
  pl_sim_run_until(r.s, PL_SEC(5));
  pl_call_get_stats(r.s->b, &b1);
  pl_call_get_stats(r.s->a, &a1);
  cr_assert_gt(b1.packets_received, b0.packets_received + 130, "3 s more of 20 ms packets");
  cr_assert_eq(b1.packets_lost, 0);
  cr_assert_eq(r.ea.dtls[PL_DTLS_TRANSPORT_CONNECTED], 1, "no second DTLS handshake");
  cr_assert_eq(r.ea.conn[PL_CONNECTION_FAILED] + r.eb.conn[PL_CONNECTION_FAILED], 0);
  cr_assert_str_eq(a1.local_candidate, "host 10.0.0.1:5000", "a pair selected anew");
  cr_assert_float_eq(tone_freq(r.rb.pcm + 48000 * 2, 48000), 440.0, 5.0);
  free(offer);
  free(answer);
  rig_free(&r);
}

Test(webrtc, ice_lite_answerer_connects_with_a_full_offerer) {
  rig r;
  memset(&r, 0, sizeof r);
  pl_call_config a, b;
  pl_call_config_init(&a);
  pl_call_config_init(&b);
  a.transport = b.transport = PL_TRANSPORT_WEBRTC;
  b.ice_lite = true;
  a.on_event = b.on_event = on_event;
  a.user = &r.ea;
  b.user = &r.eb;
  pl_emu_config net;
  memset(&net, 0, sizeof net);
  net.delay = PL_MS(10);
  cr_assert_eq(pl_sim_new(&r.s, &a, &b, &net, &net, 5), 0);
  char *offer = malloc(SDP_CAP), *answer = malloc(SDP_CAP);
  cr_assert_eq(pl_call_create_offer(r.s->a, offer, SDP_CAP), 0);
  cr_assert_eq(pl_call_accept_offer(r.s->b, offer, answer, SDP_CAP), 0);
  cr_assert_not_null(strstr(answer, "a=ice-lite"));
  cr_assert_eq(pl_call_accept_answer(r.s->a, answer), 0);
  pl_sim_run_until(r.s, PL_SEC(2));
  cr_assert_eq(r.ea.conn[PL_CONNECTION_CONNECTED], 1);
  cr_assert_eq(r.eb.conn[PL_CONNECTION_CONNECTED], 1);
  pl_call_stats sb;
  pl_call_get_stats(r.s->b, &sb);
  cr_assert_eq(sb.ice_checks_sent, 0, "a lite agent never checks");
  cr_assert_gt(sb.packets_received, 50);
  free(offer);
  free(answer);
  pl_sim_free(r.s);
}

static char *read_fixture(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/sdp/%s", PL_FIXTURES, name);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "%s", path);
  char *buf = calloc(1, 65536);
  size_t n = fread(buf, 1, 65535, f);
  fclose(f);
  buf[n] = 0;
  return buf;
}

Test(webrtc, chromium_offer_answered_with_audio_only_bundle_and_setup_active) {
  pl_engine *e;
  cr_assert_eq(pl_engine_new(&e, NULL), 0);
  events ev = {0};
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.bind = cfg.advertise = "10.0.0.2:5000";
  cfg.seed = 3;
  cfg.on_event = on_event;
  cfg.user = &ev;
  pl_call *c;
  cr_assert_eq(pl_call_new(&c, e, &cfg), 0);
  char *offer = read_fixture("chromium_audio_video_data.sdp");
  char *answer = malloc(SDP_CAP);
  /* AUTO transport: a WebRTC offer gets a WebRTC answer. */
  cr_assert_eq(pl_call_accept_offer(c, offer, answer, SDP_CAP), 0);
  pl_sdp *s = pl_sdp_new();
  pl_sdp_error err;
  cr_assert_eq(pl_sdp_parse(s, answer, strlen(answer), &err), 0, "line %u: %s", err.line,
               err.reason);
  cr_assert_eq(s->n_media, 3);
  const pl_sdp_media *au = &s->media[0], *vi = &s->media[1], *da = &s->media[2];
  cr_assert_eq(au->port, 9);
  cr_assert_str_eq(au->proto, "UDP/TLS/RTP/SAVPF");
  cr_assert_eq(au->n_codecs, 2, "opus and red");
  cr_assert_eq(au->codecs[0].pt, 111);
  cr_assert_str_eq(au->codecs[0].name, "opus");
  cr_assert_str_eq(au->codecs[1].name, "red");
  cr_assert_eq(vi->port, 0, "video rejected");
  cr_assert_eq(da->port, 0, "data channel rejected");
  const pl_sdp_group *g = pl_sdp_find_group(s, "BUNDLE");
  cr_assert_not_null(g);
  cr_assert_eq(g->n, 1);
  cr_assert_str_eq(g->mids[0], au->mid);
  cr_assert_eq(au->transport.setup, PL_SDP_SETUP_ACTIVE, "RFC 8829: answer actpass with active");
  cr_assert_eq(au->transport.n_fingerprints, 1);
  cr_assert_str_eq(au->transport.fingerprints[0].alg, "sha-256");
  cr_assert_eq(au->transport.fingerprints[0].len, 32);
  char fp[200];
  cr_assert_eq(pl_engine_fingerprint(e, fp, sizeof fp), 0);
  char written[200];
  pl_sdp_fingerprint_write(&au->transport.fingerprints[0], written, sizeof written);
  cr_assert_str_eq(written, fp, "the engine's certificate");
  cr_assert_eq(strlen(au->transport.ice_ufrag), 8);
  cr_assert_eq(strlen(au->transport.ice_pwd), 24);
  cr_assert_str_eq(au->transport.ice_options, "trickle");
  cr_assert(au->rtcp_mux && au->rtcp_rsize);
  cr_assert_eq(au->dir, PL_SDP_SENDRECV);
  cr_assert_eq(au->n_msids, 1);
  cr_assert_eq(au->n_ssrcs, 1);
  cr_assert_eq(au->ssrcs[0].ssrc, c->local_ssrc);
  cr_assert_str_eq(au->ssrcs[0].cname, c->cname);
  /* Of Chromium's four: mid and transport-wide-cc, with its ids; and the
   * transport-cc feedback on Opus. */
  cr_assert_eq(au->n_extmaps, 2, "mid and transport-cc of Chromium's four");
  int mid_id = 0, twcc_id = 0;
  for (int i = 0; i < au->n_extmaps; i++) {
    if (strstr(au->extmaps[i].uri, "sdes:mid"))
      mid_id = au->extmaps[i].id;
    if (strstr(au->extmaps[i].uri, "transport-wide-cc"))
      twcc_id = au->extmaps[i].id;
  }
  cr_assert_eq(mid_id, 4);
  cr_assert_eq(twcc_id, 3);
  cr_assert(au->codecs[0].fb.bits & PL_SDP_FB_TRANSPORT_CC);
  cr_assert_eq(c->ext_twcc_id, 3);
  cr_assert_eq(au->n_candidates, 1);
  cr_assert_str_eq(au->candidates[0].address, "10.0.0.2");
  cr_assert_eq(au->candidates[0].port, 5000);
  cr_assert_eq(au->candidates[0].type, PL_SDP_CAND_HOST);
  cr_assert_eq(ev.track, 1);
  cr_assert_eq(c->pt, 111);
  cr_assert_eq(c->ext_mid_id, 4);
  /* Chromium's host candidates are mDNS names: none could be added; its
   * checks will make peer-reflexive ones. */
  pl_call_stats st;
  pl_call_get_stats(c, &st);
  cr_assert_eq(st.remote_candidates, 0);
  /* Trickle: a literal address is taken, an mDNS name and TCP are not. */
  cr_assert_eq(pl_call_add_remote_candidate(
                   c, "candidate:1 1 udp 2122260223 192.0.2.7 40000 typ host generation 0"), 0);
  cr_assert_eq(pl_call_add_remote_candidate(
                   c, "a=candidate:2 1 udp 2122260223 abcd.local 40001 typ host"), 0);
  cr_assert_eq(pl_call_add_remote_candidate(
                   c, "candidate:3 1 tcp 1518280447 192.0.2.7 9 typ host tcptype active"), 0);
  cr_assert_eq(pl_call_add_remote_candidate(c, "candidate:garbage"), PL_EPARSE);
  cr_assert_eq(pl_call_add_remote_candidate(c, "end-of-candidates"), 0);
  pl_call_get_stats(c, &st);
  cr_assert_eq(st.remote_candidates, 1);
  pl_sdp_free(s);
  free(offer);
  free(answer);
  pl_call_free(c);
  pl_engine_free(e);
}

/* Chromium's audio offer lists red/48000/2 with fmtp 111/111 after Opus.
 * The answer keeps it (so Chromium's RED is decoded), with the offer's PT
 * and fmtp; when we send RED it comes before Opus, which is what makes
 * libwebrtc send RED to us in turn. */
static void answer_chromium_red(int red, int *first_pt, int *n_codecs, char *fmtp, int *red_pt) {
  pl_engine *e;
  cr_assert_eq(pl_engine_new(&e, NULL), 0);
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.bind = cfg.advertise = "10.0.0.2:5000";
  cfg.seed = 3;
  cfg.red = red;
  pl_call *c;
  cr_assert_eq(pl_call_new(&c, e, &cfg), 0);
  char *offer = read_fixture("chromium_audio.sdp");
  char *answer = malloc(SDP_CAP);
  cr_assert_eq(pl_call_accept_offer(c, offer, answer, SDP_CAP), 0);
  pl_sdp *s = pl_sdp_new();
  pl_sdp_error err;
  cr_assert_eq(pl_sdp_parse(s, answer, strlen(answer), &err), 0);
  const pl_sdp_media *au = &s->media[0];
  *first_pt = au->codecs[0].pt;
  *n_codecs = au->n_codecs;
  fmtp[0] = 0;
  for (int i = 0; i < au->n_codecs; i++)
    if (!strcmp(au->codecs[i].name, "red")) {
      cr_assert_eq(au->codecs[i].pt, 63);
      cr_assert_eq(au->codecs[i].clock, 48000u);
      cr_assert_eq(au->codecs[i].channels, 2);
      strcpy(fmtp, au->codecs[i].fmtp);
    }
  cr_assert(strstr(answer, "a=rtpmap:63 red/48000/2\r\n"));
  cr_assert(strstr(answer, "a=fmtp:63 111/111\r\n"));
  *red_pt = c->red_pt;
  cr_assert_eq(c->pt, 111);
  pl_sdp_free(s);
  free(offer);
  free(answer);
  pl_call_free(c);
  pl_engine_free(e);
}

Test(webrtc, chromium_offer_with_red_is_answered_with_red) {
  int first, n, red_pt;
  char fmtp[64];
  answer_chromium_red(0, &first, &n, fmtp, &red_pt);
  cr_assert_eq(n, 2);
  cr_assert_eq(first, 111, "not sending RED: Opus first, as offered");
  cr_assert_str_eq(fmtp, "111/111");
  cr_assert_eq(red_pt, 63);
  answer_chromium_red(1, &first, &n, fmtp, &red_pt);
  cr_assert_eq(n, 2);
  cr_assert_eq(first, 63, "sending RED: red first, so Chromium sends RED too");
  cr_assert_eq(red_pt, 63);
}

Test(webrtc, red_pointing_at_another_codec_is_not_accepted) {
  pl_engine *e;
  cr_assert_eq(pl_engine_new(&e, NULL), 0);
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.bind = cfg.advertise = "10.0.0.2:5000";
  cfg.seed = 3;
  pl_call *c;
  cr_assert_eq(pl_call_new(&c, e, &cfg), 0);
  char *offer = read_fixture("chromium_audio.sdp");
  char *p = strstr(offer, "a=fmtp:63 111/111");
  cr_assert_not_null(p);
  memcpy(p, "a=fmtp:63 111/009", 17); /* Opus then G722: not WebRTC's RED */
  char *answer = malloc(SDP_CAP);
  cr_assert_eq(pl_call_accept_offer(c, offer, answer, SDP_CAP), 0);
  cr_assert_null(strstr(answer, "red/48000"));
  cr_assert_eq(c->red_pt, -1);
  free(offer);
  free(answer);
  pl_call_free(c);
  pl_engine_free(e);
}

Test(webrtc, app_certificate_gives_the_signalled_fingerprint) {
  pl_dtls_cert *cert;
  cr_assert_eq(pl_dtls_cert_generate(&cert), 0);
  char *cpem = malloc(8192), *kpem = malloc(8192);
  cr_assert_eq(pl_dtls_cert_to_pem(cert, cpem, 8192, kpem, 8192), 0);
  pl_engine *e;
  cr_assert_eq(pl_engine_new(&e, NULL), 0);
  cr_assert_neq(pl_engine_set_certificate(e, "not a pem", kpem), 0);
  cr_assert_eq(pl_engine_set_certificate(e, cpem, kpem), 0);
  char fp[200];
  cr_assert_eq(pl_engine_fingerprint(e, fp, sizeof fp), 0);
  cr_assert_str_eq(fp, pl_dtls_cert_fingerprint(cert));
  cr_assert_eq(strncmp(fp, "sha-256 ", 8), 0);
  pl_call_config cfg;
  pl_call_config_init(&cfg);
  cfg.transport = PL_TRANSPORT_WEBRTC;
  cfg.bind = cfg.advertise = "10.0.0.1:5000";
  pl_call *c;
  cr_assert_eq(pl_call_new(&c, e, &cfg), 0);
  char *offer = malloc(SDP_CAP);
  cr_assert_eq(pl_call_create_offer(c, offer, SDP_CAP), 0);
  char line[256];
  snprintf(line, sizeof line, "a=fingerprint:%s\r\n", fp);
  cr_assert_not_null(strstr(offer, line));
  cr_assert_not_null(strstr(offer, "a=setup:actpass\r\n"));
  cr_assert_eq(pl_engine_set_certificate(e, cpem, kpem), PL_ESTATE,
               "a call already signalled this identity");
  pl_call_free(c);
  pl_engine_free(e);
  pl_dtls_cert_free(cert);
  free(cpem);
  free(kpem);
  free(offer);
}
