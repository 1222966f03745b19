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
  (void)call;
  events *e = user;
  pl_time_us now = e->sim && *e->sim ? (*e->sim)->now : 0;
  if (getenv("PL_TEST_VERBOSE")) fprintf(stderr, "%p t=%lld ev %d state %d err %d %s\n", (void*)call, (long long)now, ev->type, ev->state, ev->error, ev->detail ? ev->detail : "");
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
  cr_assert_float_eq(tone_freq(r.rb.pcm + 48000, 48000 * 2), 440.0, 5.0);
  cr_assert_float_eq(tone_freq(r.ra.pcm + 48000, 48000 * 2), 1000.0, 5.0);
  rig_free(&r);
}
