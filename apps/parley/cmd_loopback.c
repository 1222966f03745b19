/* `parley loopback`: both ends of a call in one process, joined by the
 * network emulator on a simulated clock, then objective metrics and a
 * report. A 60 s call runs in a few seconds, identically for a given seed.
 *
 *   parley loopback [--net SCENARIO|FLAGS] [--send A.wav] [--send-b B.wav]
 *                   [--ref CLEAN.wav] [--duration S] [--stage NAME=on|off]
 *                   [--out DIR] [--seed N] [--quiet] */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apps/parley/cli.h"
#include "apps/parley/commands.h"
#include "apps/parley/lab.h"
#include "audio/wav/wav.h"
#include "engine/call/call.h"
#include "engine/sim.h"
#include "net/emu/scenario.h"

typedef struct capture {
  float *pcm;
  size_t n, cap;
} capture;

static int cap_write(void *user, const float *pcm, int samples, int channels) {
  capture *c = user;
  for (int i = 0; i < samples && c->n < c->cap; i++)
    c->pcm[c->n++] = pcm[(size_t)i * (size_t)channels];
  return 0;
}

static void usage(FILE *f) {
  char names[512];
  pl_emu_scenario_names(names, sizeof names);
  fprintf(f,
          "usage: parley loopback [options]\n"
          "  --net SPEC          scenario name or emulator flags (default clean)\n"
          "                      scenarios: %s\n"
          "                      flags: loss=0.1,delay=50,jitter=20,capacity=1000,...\n"
          "  --send FILE.wav     what A sends to B (default: the bundled speech)\n"
          "  --send-b FILE.wav   what B sends to A (default: the same)\n"
          "  --ref FILE.wav      clean reference for A->B metrics (default: --send)\n"
          "  --duration S        simulated seconds (default: the scenario's, else 20)\n"
          "  --stage NAME=on|off switch a media-graph stage on both ends\n"
          "  --bitrate BPS       Opus bitrate (default 32000)\n"
          "  --seed N            emulator and engine seed (default 1)\n"
          "  --out DIR           where rx_*.wav, stats.json, report.html go (default out/loopback)\n"
          "  --quiet             no progress bar\n",
          names);
}

static int load_mono(const char *path, float **out, size_t *n, int *rate) {
  pl_wav_info info;
  float *x = NULL;
  int rc = pl_wav_read_file(path, &x, &info);
  if (rc) {
    fprintf(stderr, "parley loopback: %s: %s%s%s\n", path, pl_strerror(rc),
            info.error[0] ? ": " : "", info.error);
    return rc;
  }
  if (info.frames == 0) {
    fprintf(stderr, "parley loopback: %s: no audio\n", path);
    free(x);
    return PL_EFORMAT;
  }
  for (uint64_t i = 0; i < info.frames; i++) {
    float acc = 0;
    for (int ch = 0; ch < info.channels; ch++)
      acc += x[i * (uint64_t)info.channels + (uint64_t)ch];
    x[i] = acc / (float)info.channels;
  }
  *out = x;
  *n = (size_t)info.frames;
  *rate = info.rate;
  return 0;
}

/* The sources loop for the whole call, so the reference does too: metrics
 * then cover every second of the call, not just the first pass. */
static int tile(float **x, size_t *n, int rate, double seconds) {
  size_t want = (size_t)(seconds * rate) + (size_t)rate;
  if (want <= *n)
    return 0;
  float *y = realloc(*x, want * sizeof(float));
  if (!y)
    return PL_ENOMEM;
  for (size_t i = *n; i < want; i++)
    y[i] = y[i % *n];
  *x = y;
  *n = want;
  return 0;
}

/* Metrics of a whole call. A jitter buffer that stretches time (as it must
 * to follow jitter and clock drift) shifts the delay during the call, so
 * one alignment for the whole recording would score every stretch as
 * distortion. The call is scored in 5 s segments instead, each aligned on
 * its own near the call's overall delay, and the segment scores averaged;
 * delay_ms is the mean of the segments' delays. */
#define SEG_S 5.0

static int lab_metrics(pl_lab_dir *dir) {
  pl_audio_compare_opts o = {.max_lag_s = 2.0};
  int rc = pl_audio_compare_ex(dir->ref, dir->n_ref, dir->ref_rate, dir->rx, dir->n_rx,
                               PL_AUDIO_RATE, &o, &dir->m);
  if (rc)
    return rc;
  double global_ms = dir->m.delay_ms;
  double rx_s = (double)dir->n_rx / PL_AUDIO_RATE;
  pl_audio_metrics sum;
  memset(&sum, 0, sizeof sum);
  int n = 0, n_stoi = 0;
  for (double t = 0; t + SEG_S + global_ms / 1000 + 0.5 <= rx_s; t += SEG_S) {
    size_t ra = (size_t)(t * dir->ref_rate), rn = (size_t)(SEG_S * dir->ref_rate);
    if (ra + rn > dir->n_ref)
      break;
    double start = t + global_ms / 1000 - 0.5;
    if (start < 0)
      start = 0;
    size_t xa = (size_t)(start * PL_AUDIO_RATE), xn = (size_t)((SEG_S + 1.0) * PL_AUDIO_RATE);
    if (xa + xn > dir->n_rx)
      xn = dir->n_rx - xa;
    pl_audio_compare_opts so = {.max_lag_s = 1.0};
    pl_audio_metrics m;
    if (pl_audio_compare_ex(dir->ref + ra, rn, dir->ref_rate, dir->rx + xa, xn, PL_AUDIO_RATE, &so,
                            &m) != 0)
      continue;
    sum.delay_ms += m.delay_ms + (start - t) * 1000;
    sum.align_peak += m.align_peak;
    sum.snr_db += m.snr_db;
    sum.segsnr_db += m.segsnr_db;
    sum.si_sdr_db += m.si_sdr_db;
    sum.lsd_db += m.lsd_db;
    if (isfinite(m.stoi)) {
      sum.stoi += m.stoi;
      n_stoi++;
    }
    n++;
  }
  if (n == 0)
    return 0; /* shorter than one segment: the whole-call alignment stands */
  dir->m.delay_ms = sum.delay_ms / n;
  dir->m.align_peak = sum.align_peak / n;
  dir->m.snr_db = sum.snr_db / n;
  dir->m.segsnr_db = sum.segsnr_db / n;
  dir->m.si_sdr_db = sum.si_sdr_db / n;
  dir->m.lsd_db = sum.lsd_db / n;
  dir->m.stoi = n_stoi ? sum.stoi / n_stoi : NAN;
  dir->segments = n;
  return 0;
}

static void progress(double t, double total, bool tty) {
  if (!tty)
    return;
  int width = 40, done = (int)(width * t / total);
  fprintf(stderr, "\r[");
  for (int i = 0; i < width; i++)
    fputc(i < done ? '#' : '.', stderr);
  fprintf(stderr, "] %5.1f / %.1f s simulated", t, total);
  fflush(stderr);
}

typedef struct prev {
  pl_emu_stats link;
  double net_sum;
  uint64_t net_n;
  pl_jitter_stats jb;
} prev;

static void sample_second(pl_lab_second *s, pl_emu_link *link, pl_call *rx, prev *p,
                          pl_time_us now) {
  pl_emu_stats ls;
  pl_emu_link_stats(link, now, &ls);
  s->send_kbps = (double)(ls.bytes_in - p->link.bytes_in) * 8 / 1000;
  s->delivered_kbps = (double)(ls.bytes_delivered - p->link.bytes_delivered) * 8 / 1000;
  s->capacity_kbps = ls.capacity_bps == UINT64_MAX ? -1 : (double)ls.capacity_bps / 1000;
  uint64_t in = ls.packets_in - p->link.packets_in;
  uint64_t lost = (ls.lost_random + ls.lost_queue + ls.lost_outage) -
                  (p->link.lost_random + p->link.lost_queue + p->link.lost_outage);
  s->loss_pct = in ? 100.0 * (double)lost / (double)in : 0;
  uint64_t dn = rx->net_delay_n - p->net_n;
  s->owd_ms = dn ? (rx->net_delay_sum_us - p->net_sum) / (double)dn / 1000 : -1;
  pl_media_snapshot m;
  pl_call_media_snapshot(rx, &m);
  double em = (double)(m.jb.jitter_buffer_emitted_count - p->jb.jitter_buffer_emitted_count);
  s->jb_ms = em > 0 ? (m.jb.jitter_buffer_delay - p->jb.jitter_buffer_delay) / em * 1000 : -1;
  s->jb_target_ms = m.target_delay_ms;
  double played = (double)(m.jb.total_samples_received - p->jb.total_samples_received);
  s->concealed_pct =
      played > 0 ? 100.0 * (double)(m.jb.concealed_samples - p->jb.concealed_samples) / played : 0;
  s->conceal_events = m.jb.concealment_events - p->jb.concealment_events;
  p->link = ls;
  p->net_sum = rx->net_delay_sum_us;
  p->net_n = rx->net_delay_n;
  p->jb = m.jb;
}

static int ensure_dir(const char *dir) {
  char tmp[512];
  snprintf(tmp, sizeof tmp, "%s", dir);
  for (char *p = tmp + 1; *p; p++) {
    if (*p == '/') {
      *p = 0;
      if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
      *p = '/';
    }
  }
  return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int pl_cmd_loopback(int argc, char **argv) {
  const char *net = "clean", *send_a = NULL, *send_b = NULL, *ref_a = NULL;
  const char *out_dir = "out/loopback";
  double duration = 0, bitrate = 32000;
  uint64_t seed = 1;
  bool quiet = false;
  pl_cli_stage stages[PL_MAX_STAGES];
  int n_stages = 0;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    bool takes = strcmp(o, "--quiet") && strcmp(o, "--help") && strcmp(o, "-h");
    if (takes && !v) {
      fprintf(stderr, "parley loopback: %s needs a value\n", o);
      return 2;
    }
    if (!strcmp(o, "--net")) net = v;
    else if (!strcmp(o, "--send")) send_a = v;
    else if (!strcmp(o, "--send-b")) send_b = v;
    else if (!strcmp(o, "--ref")) ref_a = v;
    else if (!strcmp(o, "--out")) out_dir = v;
    else if (!strcmp(o, "--duration")) {
      if (pl_cli_parse_double(v, 0.5, PL_LAB_MAX_SECONDS - 1, &duration)) return 2;
    } else if (!strcmp(o, "--bitrate")) {
      if (pl_cli_parse_double(v, 6000, 510000, &bitrate)) return 2;
    } else if (!strcmp(o, "--seed")) {
      double d;
      if (pl_cli_parse_double(v, 0, 1e15, &d)) return 2;
      seed = (uint64_t)d;
    } else if (!strcmp(o, "--stage")) {
      if (n_stages == PL_MAX_STAGES || pl_cli_parse_stage(v, &stages[n_stages])) return 2;
      n_stages++;
    } else if (!strcmp(o, "--quiet")) {
      quiet = true;
      continue;
    } else if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
      usage(stdout);
      return 0;
    } else {
      fprintf(stderr, "parley loopback: unknown option '%s'\n", o);
      usage(stderr);
      return 2;
    }
    i++;
  }
  pl_emu_scenario sc;
  pl_emu_err err = {0};
  if (pl_emu_scenario_parse(&sc, net, &err) != 0) {
    fprintf(stderr, "parley loopback: --net %s: %s\n", net, err.msg);
    return 2;
  }
  if (duration <= 0)
    duration = sc.duration > 0 ? (double)sc.duration / 1e6 : 20;
  if (duration >= PL_LAB_MAX_SECONDS)
    duration = PL_LAB_MAX_SECONDS - 1;
  if (!send_a)
    send_a = pl_cli_sample_path();
  if (!send_b)
    send_b = send_a;
  if (!ref_a)
    ref_a = send_a;

  pl_lab_run *run = calloc(1, sizeof *run);
  if (!run)
    return 1;
  int code = 1;
  pl_sim *sim = NULL;
  capture rx[2] = {{0}, {0}};
  snprintf(run->scenario, sizeof run->scenario, "%s", net);
  run->duration_s = duration;
  run->seed = seed;
  for (int i = 0; i < n_stages; i++) {
    size_t l = strlen(run->stages);
    snprintf(run->stages + l, sizeof run->stages - l, "%s%s=%s", i ? "," : "", stages[i].name,
             stages[i].on ? "on" : "off");
  }
  run->dir[0].send_path = send_a;
  run->dir[0].ref_path = ref_a;
  run->dir[1].send_path = send_b;
  run->dir[1].ref_path = send_b;
  if (load_mono(ref_a, &run->dir[0].ref, &run->dir[0].n_ref, &run->dir[0].ref_rate) ||
      load_mono(send_b, &run->dir[1].ref, &run->dir[1].n_ref, &run->dir[1].ref_rate))
    goto done;
  if (tile(&run->dir[0].ref, &run->dir[0].n_ref, run->dir[0].ref_rate, duration) ||
      tile(&run->dir[1].ref, &run->dir[1].n_ref, run->dir[1].ref_rate, duration))
    goto done;
  if (ensure_dir(out_dir) != 0) {
    fprintf(stderr, "parley loopback: cannot create %s: %s\n", out_dir, strerror(errno));
    goto done;
  }

  pl_call_config ca, cb;
  pl_call_config_init(&ca);
  pl_call_config_init(&cb);
  ca.opus_bitrate = cb.opus_bitrate = (int)bitrate;
  int rc = pl_sim_new(&sim, &ca, &cb, &sc.fwd, &sc.rev, seed);
  if (rc) {
    fprintf(stderr, "parley loopback: %s\n", pl_strerror(rc));
    goto done;
  }
  pl_call *calls[2] = {sim->a, sim->b};
  const char *sends[2] = {send_a, send_b};
  for (int d = 0; d < 2; d++) {
    pl_audio_io src;
    rc = pl_audio_io_wav_source(&src, sends[d], true);
    if (rc) {
      fprintf(stderr, "parley loopback: %s: %s\n", sends[d], pl_strerror(rc));
      goto done;
    }
    pl_call_set_audio_source(calls[d], &src);
    rx[d].cap = (size_t)((duration + 1) * PL_AUDIO_RATE);
    rx[d].pcm = calloc(rx[d].cap, sizeof(float));
    if (!rx[d].pcm)
      goto done;
    pl_audio_io sink = {.write = cap_write, .user = &rx[d]};
    pl_call_set_audio_sink(calls[1 - d], &sink);
    for (int i = 0; i < n_stages; i++) {
      if (pl_call_set_stage(calls[d], stages[i].name, stages[i].on) != 0) {
        fprintf(stderr, "parley loopback: no stage '%s' in this build\n", stages[i].name);
        code = 2;
        goto done;
      }
    }
  }
  rc = pl_sim_connect(sim);
  if (rc) {
    fprintf(stderr, "parley loopback: offer/answer failed: %s\n", pl_strerror(rc));
    goto done;
  }
  bool tty = !quiet && isatty(2);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  prev p[2];
  memset(p, 0, sizeof p);
  int secs = (int)ceil(duration);
  for (int s = 0; s < secs; s++) {
    pl_time_us until = s + 1 < duration ? PL_SEC(s + 1) : (pl_time_us)(duration * 1e6);
    pl_sim_run_until(sim, until);
    sample_second(&run->sec[0][s], sim->ab, sim->b, &p[0], sim->now);
    sample_second(&run->sec[1][s], sim->ba, sim->a, &p[1], sim->now);
    run->n_seconds = s + 1;
    progress((double)until / 1e6, duration, tty);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  run->wall_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  if (tty)
    fputc('\n', stderr);

  for (int d = 0; d < 2; d++) {
    pl_lab_dir *dir = &run->dir[d];
    pl_call_get_stats(calls[1 - d], &dir->final);
    dir->rx = rx[d].pcm;
    dir->n_rx = rx[d].n;
    char path[600];
    snprintf(path, sizeof path, "%s/rx_%s.wav", out_dir, d ? "a" : "b");
    pl_wav_spec spec = {.rate = PL_AUDIO_RATE, .channels = 1, .format = PL_WAV_PCM_S16};
    if (pl_wav_write_file(path, &spec, rx[d].pcm, rx[d].n) != 0)
      fprintf(stderr, "parley loopback: cannot write %s\n", path);
    dir->metrics_rc = lab_metrics(dir);
  }
  char path[600];
  snprintf(path, sizeof path, "%s/stats.json", out_dir);
  if (pl_lab_write_json(path, run) != 0)
    fprintf(stderr, "parley loopback: cannot write %s\n", path);
  snprintf(path, sizeof path, "%s/report.html", out_dir);
  if (pl_lab_write_html(path, run) != 0)
    fprintf(stderr, "parley loopback: cannot write %s\n", path);

  printf("loopback: %s, %.1f s simulated in %.2f s%s%s\n", net, duration, run->wall_s,
         run->stages[0] ? ", stages " : "", run->stages);
  for (int d = 0; d < 2; d++) {
    const pl_lab_dir *dir = &run->dir[d];
    const pl_call_stats *st = &dir->final;
    double expected = (double)st->packets_received + (double)(st->packets_lost > 0 ? st->packets_lost : 0);
    printf("  %s  lost %5.2f%%  concealed %5.2f%%  jb %5.1f ms", d ? "B->A" : "A->B",
           expected > 0 ? 100.0 * (double)st->packets_lost / expected : 0,
           st->total_samples_received
               ? 100.0 * (double)st->concealed_samples / (double)st->total_samples_received
               : 0,
           st->jitter_buffer_delay_s * 1000);
    if (dir->metrics_rc == 0)
      printf("  delay %6.1f ms  STOI %.4f  SI-SDR %6.2f dB  LSD %5.2f dB\n", dir->m.delay_ms,
             dir->m.stoi, dir->m.si_sdr_db, dir->m.lsd_db);
    else
      printf("  metrics: %s\n", pl_strerror(dir->metrics_rc));
  }
  printf("  report: %s/report.html\n", out_dir);
  code = 0;
done:
  pl_sim_free(sim);
  pl_emu_scenario_free(&sc);
  for (int d = 0; d < 2; d++) {
    free(rx[d].pcm);
    free(run->dir[d].ref);
  }
  free(run);
  return code;
}
