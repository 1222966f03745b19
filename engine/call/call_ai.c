/* The AI stages of a call. Noise suppression is a send-graph stage; neural
 * packet-loss concealment is the jitter buffer's concealer. Both exist in
 * every call from the start (weights are compiled in and shared), off until
 * the app switches them on with pl_call_set_stage ("denoise", "plc"). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ai/classify/stage.h"
#include "ai/denoise/stage.h"
#include "ai/extend/stage.h"
#include "ai/plc/plc.h"
#include "base/log.h"
#include "engine/call/call.h"
#include "net/rtp/red.h"

int pl_call_ai_init(pl_call *c) {
  const pl_stage_ops *ops;
  void *self;
  /* The classifier first: it hears the capture before any suppression. */
  int rc = pl_classify_stage_new(&ops, &self, NULL);
  if (rc == 0)
    rc = pl_graph_add(&c->send_graph, ops, self, false);
  if (rc == PL_ENOMEM)
    return rc;
  if (rc)
    PL_WARN("call", "speech/music classifier unavailable: %s", pl_strerror(rc));
  rc = pl_denoise_stage_new(&ops, &self, NULL);
  if (rc == 0)
    rc = pl_graph_add(&c->send_graph, ops, self, false);
  if (rc == PL_ENOMEM)
    return rc;
  if (rc)
    PL_WARN("call", "noise suppression unavailable: %s", pl_strerror(rc));
  /* Bandwidth extension: on (auto) from the start; it stays out of the way
   * (bit-exact) while the received audio is full-band. */
  rc = pl_extend_stage_new(&ops, &self, NULL);
  if (rc == 0 && (rc = pl_graph_add(&c->recv_graph, ops, self, true)) != 0)
    ops->free(self);
  else if (rc == 0)
    c->extend = self;
  if (rc == PL_ENOMEM)
    return rc;
  if (rc)
    PL_WARN("call", "bandwidth extension unavailable: %s", pl_strerror(rc));
  c->plc = pl_plc_new(NULL);
  if (!c->plc)
    PL_WARN("call", "neural PLC model unavailable: Opus PLC only");
  atomic_init(&c->plc_on, false);
  return 0;
}

void pl_call_ai_destroy(pl_call *c) {
  if (c->plc)
    pl_plc_free(c->plc);
  c->plc = NULL;
}

static uint64_t cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One concealer call's CPU time into the stage's cost (a bridge counts as
 * one call however long its gap). */
static void plc_cost(pl_call *c, uint64_t t0) {
  uint64_t dt = cpu_ns() - t0;
  c->plc_frames++;
  c->plc_ns += dt;
  if (dt > c->plc_max_ns)
    c->plc_max_ns = dt;
}

/* The neural concealer always watches the decoded audio (a copy into its
 * history), so it can take over at any loss once switched on; while off it
 * declines, and the jitter buffer uses Opus PLC. */
static int ai_conceal(void *self, float *out, int samples, int channels, int nth) {
  pl_call *c = self;
  if (!atomic_load_explicit(&c->plc_on, memory_order_relaxed))
    return PL_ENOTSUP;
  uint64_t t0 = cpu_ns();
  int rc = pl_plc_conceal(c->plc, out, samples, channels, nth);
  plc_cost(c, t0);
  return rc;
}

static int ai_bridge(void *self, float *out, int samples, const float *next, int next_samples,
                     int channels) {
  pl_call *c = self;
  if (!atomic_load_explicit(&c->plc_on, memory_order_relaxed))
    return PL_ENOTSUP;
  uint64_t t0 = cpu_ns();
  int rc = pl_plc_bridge(c->plc, out, samples, next, next_samples, channels);
  plc_cost(c, t0);
  return rc;
}

static void ai_observe(void *self, const float *pcm, int samples, int channels) {
  pl_call *c = self;
  pl_plc_observe(c->plc, pcm, samples, channels);
}

static const pl_concealer_ops ai_concealer = {ai_conceal, ai_observe, PL_PLC_FADE_START_MS,
                                              PL_PLC_FADE_END_MS, ai_bridge};

void pl_call_ai_start(pl_call *c) {
  if (c->plc)
    pl_jitter_set_concealer(c->jb, &ai_concealer, c);
}

int pl_call_ai_set_mode(pl_call *c, const char *name, int mode) {
  if (strcmp(name, "extend") != 0 || !c->extend)
    return PL_ENOENT;
  if (mode != PL_STAGE_OFF)
    pl_extend_stage_set_mode(c->extend, mode == PL_STAGE_ON ? PL_EXTEND_ON : PL_EXTEND_AUTO);
  return pl_graph_request(&c->recv_graph, "extend", mode != PL_STAGE_OFF);
}

/* The Opus bandwidth of the packet (its TOC; a RED packet's primary block)
 * tells the extender the decoded band before the spectrum can. Taken at
 * arrival, a jitter-buffer delay ahead of playout: the 200 ms fade covers
 * the difference. */
void pl_call_ai_packet(pl_call *c, const pl_rx_item *it) {
  if (!c->extend || it->len == 0)
    return;
  const uint8_t *p = it->payload;
  int n = it->len;
  if (it->red) {
    pl_red_packet r;
    if (pl_red_parse(&r, it->payload, it->len) != 0 || r.n < 1)
      return;
    p = r.blocks[r.n - 1].data;
    n = (int)r.blocks[r.n - 1].len;
  }
  int hz = pl_extend_opus_band_hz(p, n);
  /* libopus 1.6's decoder extends wideband SILK to full band itself when
   * its BWE is on (c->dec_bwe, set with the jitter buffer): those packets
   * play full-band, and a second extension on top would add only delay. */
  if (hz == 8000 && (p[0] >> 3) < 12 && c->dec_bwe)
    hz = 20000;
  if (hz)
    pl_extend_stage_hint(c->extend, hz);
}

void pl_call_ai_publish(pl_call *c) {
  pl_extend_stats st = {0};
  if (c->extend)
    pl_extend_stage_stats(c->extend, &st);
  c->snap.extend_cutoff_hz = st.cutoff_hz;
}

int pl_call_ai_set(pl_call *c, const char *name, bool on) {
  if (!strcmp(name, "extend") && c->extend) {
    if (on) /* the graph switch is pl_call_set_stage's; "on" is auto here */
      pl_extend_stage_set_mode(c->extend, PL_EXTEND_AUTO);
    return 0;
  }
  if (strcmp(name, "plc") != 0)
    return PL_ENOENT;
  if (!c->plc)
    return PL_ENOENT;
  atomic_store(&c->plc_on, on);
  return 0;
}

void pl_call_ai_info(pl_call *c, pl_stage_info *info) {
  memset(info, 0, sizeof *info);
  snprintf(info->name, sizeof info->name, "plc");
  info->enabled = atomic_load(&c->plc_on);
  info->frames = c->plc_frames;
  info->avg_us = c->plc_frames ? (double)c->plc_ns / (double)c->plc_frames / 1e3 : 0;
  info->max_us = (double)c->plc_max_ns / 1e3;
}
