/* pl_loopback_run: the loopback lab for apps (parley.h). It is the
 * simulated-clock driver (engine/sim.c) with the network presets of
 * net/emu/scenario.c and one whole-call audio score, so an app can measure
 * a configuration without the `parley` program; `parley loopback` adds the
 * per-second series, video, congestion figures and the reports on top. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/frame.h"
#include "audio/metrics/metrics.h"
#include "audio/wav/wav.h"
#include "engine/sim.h"
#include "net/emu/scenario.h"
#include "parley.h"

#define LAB_MAX_SECONDS 3600

typedef struct capture {
  float *pcm; /* mono, 48 kHz, sized for the whole call when it starts */
  size_t n, cap;
} capture;

/* Runs on the media half; the buffer was sized before the call started. */
static int cap_write(void *user, const float *pcm, int samples, int channels) {
  capture *c = user;
  for (int i = 0; i < samples && c->n < c->cap; i++) {
    float v = 0;
    for (int ch = 0; ch < channels; ch++)
      v += pcm[i * channels + ch];
    c->pcm[c->n++] = v / (float)channels;
  }
  return 0;
}

static int fail(char *err, size_t cap, int rc, const char *fmt, ...) {
  if (err && cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
  }
  return rc;
}

/* The sent WAV as mono at its own rate, looped to `seconds`: the reference
 * the received audio is scored against. */
static int load_reference(const char *path, double seconds, float **out, size_t *n, int *rate) {
  float *x = NULL;
  pl_wav_info info;
  int rc = pl_wav_read_file(path, &x, &info);
  if (rc || !x)
    return rc ? rc : PL_EFORMAT;
  size_t frames = info.frames, want = (size_t)(seconds * info.rate);
  float *ref = frames ? malloc(want * sizeof *ref) : NULL;
  if (!ref) {
    free(x);
    return frames ? PL_ENOMEM : PL_EFORMAT;
  }
  for (size_t i = 0; i < want; i++) {
    const float *f = x + (i % frames) * (size_t)info.channels;
    float v = 0;
    for (int ch = 0; ch < info.channels; ch++)
      v += f[ch];
    ref[i] = v / (float)info.channels;
  }
  free(x);
  *out = ref;
  *n = want;
  *rate = info.rate;
  return 0;
}

void pl_loopback_config_init(pl_loopback_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->duration_s = 10;
  cfg->seed = 1;
  pl_call_config_init(&cfg->call);
}

static int set_stages(pl_call *call, const char *list, char *err, size_t cap) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", list ? list : "");
  for (char *save = NULL, *name = strtok_r(buf, ", ", &save); name;
       name = strtok_r(NULL, ", ", &save))
    if (pl_call_set_stage(call, name, true) != 0)
      return fail(err, cap, PL_ENOENT, "no stage '%s' in this build", name);
  return 0;
}

int pl_loopback_run(const pl_loopback_config *cfg, pl_loopback_result *out, char *err,
                    size_t err_cap) {
  if (!cfg || !out || !(cfg->duration_s > 0) || cfg->duration_s > LAB_MAX_SECONDS)
    return fail(err, err_cap, PL_EINVAL, "duration must be in (0, %d] s", LAB_MAX_SECONDS);
  memset(out, 0, sizeof *out);
  pl_emu_scenario sc;
  pl_emu_err eerr = {0};
  int rc = pl_emu_scenario_parse(&sc, cfg->net ? cfg->net : "clean", &eerr);
  if (rc)
    return fail(err, err_cap, rc, "net %s: %s", cfg->net, eerr.msg);
  pl_sim *sim = NULL;
  capture rx[2] = {{0}};
  float *ref = NULL;
  size_t n_ref = 0;
  int ref_rate = 0;
  if (cfg->send && (rc = load_reference(cfg->send, cfg->duration_s, &ref, &n_ref, &ref_rate))) {
    fail(err, err_cap, rc, "%s: %s", cfg->send, pl_strerror(rc));
    goto done;
  }
  pl_call_config cc = cfg->call;
  cc.on_event = NULL;
  cc.video = false;
  if ((rc = pl_sim_new(&sim, &cc, &cc, &sc.fwd, &sc.rev, cfg->seed ? cfg->seed : 1))) {
    fail(err, err_cap, rc, "cannot create the calls: %s", pl_strerror(rc));
    goto done;
  }
  pl_call *calls[2] = {sim->a, sim->b};
  for (int d = 0; d < 2; d++) {
    pl_audio_io src;
    rc = cfg->send ? pl_audio_io_wav_source(&src, cfg->send, true)
                   : pl_audio_io_tone_source(&src, 440, 0.3);
    if (rc) {
      fail(err, err_cap, rc, "%s: %s", cfg->send ? cfg->send : "tone", pl_strerror(rc));
      goto done;
    }
    pl_call_set_audio_source(calls[d], &src);
    rx[d].cap = (size_t)((cfg->duration_s + 1) * PL_AUDIO_RATE);
    if (!(rx[d].pcm = malloc(rx[d].cap * sizeof(float)))) {
      rc = fail(err, err_cap, PL_ENOMEM, "out of memory");
      goto done;
    }
    pl_audio_io sink = {.write = cap_write, .user = &rx[d]};
    pl_call_set_audio_sink(calls[1 - d], &sink);
    if ((rc = set_stages(calls[d], cfg->stages, err, err_cap)))
      goto done;
  }
  if ((rc = pl_sim_connect(sim))) {
    fail(err, err_cap, rc, "offer/answer failed: %s", pl_strerror(rc));
    goto done;
  }
  pl_sim_run_until(sim, (pl_time_us)(cfg->duration_s * 1e6));
  out->duration_s = cfg->duration_s;
  pl_emu_link *links[2] = {sim->ab, sim->ba};
  for (int d = 0; d < 2; d++) {
    pl_loopback_direction *o = &out->dir[d];
    pl_call_get_stats(calls[1 - d], &o->receiver);
    pl_call_get_stats(calls[d], &o->sender);
    pl_emu_stats ls;
    pl_emu_link_stats(links[d], sim->now, &ls);
    o->link_packets = ls.packets_in;
    o->link_lost = ls.lost_random + ls.lost_queue + ls.lost_outage + ls.lost_pool;
    o->stoi = o->si_sdr_db = o->delay_ms = NAN;
    pl_audio_metrics m;
    pl_audio_compare_opts opts = {.max_lag_s = 1.0};
    if (ref && pl_audio_compare_ex(ref, n_ref, ref_rate, rx[d].pcm, rx[d].n, PL_AUDIO_RATE,
                                   &opts, &m) == 0) {
      o->stoi = m.stoi;
      o->si_sdr_db = m.si_sdr_db;
      o->delay_ms = m.delay_ms;
    }
  }
  rc = 0;
done:
  pl_sim_free(sim); /* frees the calls, which close their sources and sinks */
  free(rx[0].pcm);
  free(rx[1].pcm);
  free(ref);
  pl_emu_scenario_free(&sc);
  return rc;
}
