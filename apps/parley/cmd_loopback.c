/* `parley loopback`: both ends of a call in one process, joined by the
 * network emulator on a simulated clock, then objective metrics and a
 * report. A 60 s call runs in a few seconds, identically for a given seed.
 *
 *   parley loopback [--net SCENARIO|FLAGS] [--send A.wav] [--send-b B.wav]
 *                   [--ref CLEAN.wav] [--noise white|pink|N.wav] [--snr DB]
 *                   [--duration S] [--stage NAME=on|off]
 *                   [--out DIR] [--seed N] [--quiet]
 *                   [--video pattern|FILE.y4m] [--video-codec vp8|vp9] ...
 * With --video both directions carry video too: each shown frame is matched
 * to the source frame it shows (the pattern's drawn frame number, or for a
 * file the capture time the RTP header extension carried) and scored. */
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
#include "apps/parley/lab_data.h"
#include "audio/wav/wav.h"
#include "engine/call/call.h"
#include "engine/sim.h"
#include "net/emu/scenario.h"
#include "ai/upscale/upscale.h"
#include "video/pattern/pattern.h"
#include "video/scale/scale.h"
#include "video/y4m/y4m.h"

/* ---- video: sources that remember what they sent, sinks that score ---- */

/* Source frames kept for matching a file's frames (~2 s at 30 fps), luma
 * only (what the scores use): 64 x 8.3 MB per direction at 3840x2160. */
#define VRING 64

typedef struct vluma {
  uint8_t *y; /* width x height, stride width; NULL when unused */
  int width, height;
} vluma;

typedef struct vlab {
  pl_video_io inner;
  bool pattern;
  const pl_sim *sim;
  int64_t next;
  int read_rc; /* the source's first error, 0 if none */
  vluma ring[VRING];
  pl_time_us ring_cap[VRING];
  int64_t ring_idx[VRING];
  pl_video_buffer ref; /* the pattern, redrawn for a shown frame */
  int32_t *scratch;
  int scratch_w;
  pl_lab_video *out;
  /* --video FILE with a smaller --video-size: the sender gets the file
   * scaled down (libyuv box, as the ladder scales); each shown picture is
   * enlarged back to the file's size by bicubic and by the network
   * (ai/upscale) and both are scored against the original. */
  int send_w, send_h;
  pl_video_buffer small, big;
  pl_upscaler *up;
} vlab;

static int vlab_read(void *user, pl_video_picture *pic) {
  vlab *v = user;
  int rc = v->inner.read(v->inner.user, pic);
  if (rc < 0 && !v->read_rc)
    v->read_rc = rc;
  if (rc != 1)
    return rc;
  int64_t i = v->next++;
  v->out->frames_sent = v->next;
  if (v->pattern)
    return 1;
  /* The call stamps the frame with the tick it reads it on: sim->now. */
  int slot = (int)(i % VRING);
  vluma *b = &v->ring[slot];
  if (b->width != pic->width || b->height != pic->height) {
    free(b->y);
    b->y = malloc((size_t)pic->width * (size_t)pic->height);
    b->width = b->y ? pic->width : 0;
    b->height = b->y ? pic->height : 0;
    if (!b->y)
      return 1;
  }
  for (int y = 0; y < pic->height; y++)
    memcpy(b->y + (size_t)y * (size_t)b->width, pic->y + (size_t)y * (size_t)pic->stride_y,
           (size_t)pic->width);
  v->ring_cap[slot] = v->sim->now;
  v->ring_idx[slot] = i;
  if (v->send_w && (pic->width != v->send_w || pic->height != v->send_h)) {
    if (v->small.f.width != v->send_w && pl_video_buffer_alloc(&v->small, v->send_w, v->send_h))
      return PL_ENOMEM;
    pl_video_frame src = {.y = (uint8_t *)pic->y, .u = (uint8_t *)pic->u,
                          .v = (uint8_t *)pic->v, .stride_y = pic->stride_y,
                          .stride_u = pic->stride_u, .stride_v = pic->stride_v,
                          .width = pic->width, .height = pic->height};
    int rc = pl_video_scale(&src, &v->small.f, PL_SCALE_BOX);
    if (rc)
      return rc;
    pic->y = v->small.f.y, pic->u = v->small.f.u, pic->v = v->small.f.v;
    pic->stride_y = v->small.f.stride_y, pic->stride_u = v->small.f.stride_u;
    pic->stride_v = v->small.f.stride_v;
    pic->width = v->send_w, pic->height = v->send_h;
  }
  return 1;
}

/* A shown picture smaller than its original: bicubic and network scores at
 * the original's size. */
static int vlab_score_sr(vlab *v, const pl_video_frame *f, const uint8_t *ref, int rw, int rh,
                         double psnr[2], double ssim[2]) {
  pl_lab_video *o = v->out;
  if (v->big.f.width != rw || v->big.f.height != rh) {
    pl_video_buffer_free(&v->big);
    if (pl_video_buffer_alloc(&v->big, rw, rh))
      return PL_ENOMEM;
  }
  if (!v->up && pl_upscaler_new(&v->up, pl_upscale_model_default(), 0, 0))
    return PL_ENOMEM;
  if (v->scratch_w < rw) {
    free(v->scratch);
    v->scratch = malloc(pl_ssim_scratch_ints(rw) * sizeof(int32_t));
    v->scratch_w = v->scratch ? rw : 0;
  }
  for (int m = 0; m < 2; m++) {
    int rc = pl_upscale_frame(v->up, f, &v->big.f, m == 1, NULL, NULL);
    if (rc)
      return rc;
    double p = pl_psnr_from_mse(pl_plane_mse(ref, rw, v->big.f.y, v->big.f.stride_y, rw, rh));
    psnr[m] = p > 100 ? 100 : p;
    ssim[m] = v->scratch ? pl_plane_ssim(ref, rw, v->big.f.y, v->big.f.stride_y, rw, rh,
                                         v->scratch)
                         : NAN;
    o->sr_psnr[m] += psnr[m];
    o->sr_ssim[m] += ssim[m];
  }
  o->sr_n++;
  o->sr_width = rw;
  o->sr_height = rh;
  return 0;
}

static int vlab_write(void *user, const pl_video_picture *pic) {
  vlab *v = user;
  pl_lab_video *o = v->out;
  pl_video_frame f = {.y = (uint8_t *)pic->y, .u = (uint8_t *)pic->u, .v = (uint8_t *)pic->v,
                      .stride_y = pic->stride_y, .stride_u = pic->stride_u,
                      .stride_v = pic->stride_v, .width = pic->width, .height = pic->height};
  const uint8_t *ref = NULL;
  int ref_stride = 0;
  int64_t idx = -1;
  if (v->pattern) {
    idx = pl_pattern_read_index(&f);
    if (idx >= 0 && (v->ref.f.width != f.width || v->ref.f.height != f.height)) {
      pl_video_buffer_free(&v->ref);
      if (pl_video_buffer_alloc(&v->ref, f.width, f.height) != 0)
        idx = -1;
    }
    if (idx >= 0) {
      pl_pattern_draw(&v->ref.f, idx);
      ref = v->ref.f.y;
      ref_stride = v->ref.f.stride_y;
    }
  } else if (pic->capture_us) {
    /* The capture time went out as abs-capture-time (NTP, ~1 us steps). */
    for (int s = 0; s < VRING && !ref; s++)
      if (v->ring[s].y && llabs(v->ring_cap[s] - pic->capture_us) < PL_MS(2) &&
          ((v->ring[s].width == f.width && v->ring[s].height == f.height) ||
           (v->send_w && v->ring[s].width >= f.width && v->ring[s].height >= f.height))) {
        ref = v->ring[s].y;
        ref_stride = v->ring[s].width;
        idx = v->ring_idx[s];
      }
  }
  if (!ref) {
    o->unmatched++;
    return 0;
  }
  /* The sender was scaled down: score at the original's size, the row
   * below gets the bicubic view (what a plain display shows). */
  double srp[2] = {0, 0}, srs[2] = {0, 0};
  bool sr = false;
  if (!v->pattern && ref_stride != f.width) {
    for (int s = 0; s < VRING && !sr; s++)
      if (v->ring[s].y == ref) {
        int rc = vlab_score_sr(v, &f, ref, v->ring[s].width, v->ring[s].height, srp, srs);
        if (rc)
          return rc;
        sr = true;
      }
  }
  if (o->n == o->cap) {
    size_t cap = o->cap ? o->cap * 2 : 1024;
    pl_lab_vframe *p = realloc(o->frames, cap * sizeof *p);
    if (!p)
      return PL_ENOMEM;
    o->frames = p;
    o->cap = cap;
  }
  if (v->scratch_w < f.width) {
    free(v->scratch);
    v->scratch = malloc(pl_ssim_scratch_ints(f.width) * sizeof(int32_t));
    v->scratch_w = v->scratch ? f.width : 0;
  }
  pl_lab_vframe *r = &o->frames[o->n++];
  r->index = idx;
  r->render_s = (double)(pic->render_us - PL_SIM_START_US) / 1e6;
  r->delay_ms = pic->capture_us ? (double)(pic->render_us - pic->capture_us) / 1e3 : -1;
  if (sr) {
    r->psnr = srp[0];
    r->ssim = srs[0];
    return 0;
  }
  r->psnr = pl_psnr_from_mse(pl_plane_mse(ref, ref_stride, f.y, f.stride_y, f.width, f.height));
  if (r->psnr > 100)
    r->psnr = 100;
  r->ssim = v->scratch ? pl_plane_ssim(ref, ref_stride, f.y, f.stride_y, f.width, f.height,
                                       v->scratch)
                       : NAN;
  return 0;
}

static void vlab_close(void *user) {
  vlab *v = user;
  if (v->inner.close)
    v->inner.close(v->inner.user);
  v->inner.close = NULL;
}

static void vlab_free(vlab *v) {
  for (int s = 0; s < VRING; s++) {
    free(v->ring[s].y);
    v->ring[s] = (vluma){0};
  }
  pl_video_buffer_free(&v->ref);
  pl_video_buffer_free(&v->small);
  pl_video_buffer_free(&v->big);
  pl_upscaler_free(v->up);
  v->up = NULL;
  free(v->scratch);
  v->scratch = NULL;
}

/* A --video file, read once before the call with one frame of memory: a
 * size the call cannot send, a file with no frames or an unreadable frame
 * is refused here with the frame and the reason, instead of a call that
 * shows nothing and exits 0 (issue #13). */
static int check_video_file(const char *path) {
  pl_y4m_info info;
  pl_y4m_reader *r;
  int rc = pl_y4m_reader_open(&r, path, &info);
  if (rc) {
    fprintf(stderr, "parley loopback: --video %s: %s%s%s\n", path, pl_strerror(rc),
            info.error[0] ? ": " : "", info.error);
    return rc;
  }
  if (info.width > PL_VIDEO_CALL_MAX_WIDTH || info.height > PL_VIDEO_CALL_MAX_HEIGHT) {
    fprintf(stderr,
            "parley loopback: --video %s: %dx%d is larger than the %dx%d a call sends (scale "
            "it first, e.g. ffmpeg -i IN -vf scale=1920:-2 OUT.y4m)\n",
            path, info.width, info.height, PL_VIDEO_CALL_MAX_WIDTH, PL_VIDEO_CALL_MAX_HEIGHT);
    pl_y4m_reader_close(r);
    return PL_ERANGE;
  }
  pl_video_buffer b;
  rc = pl_video_buffer_alloc(&b, info.width, info.height);
  long frames = 0;
  while (rc == 0 && (rc = pl_y4m_reader_read(r, &b.f, NULL)) == 1) {
    frames++;
    rc = 0;
  }
  if (rc < 0)
    fprintf(stderr, "parley loopback: --video %s: %s: %s\n", path, pl_strerror(rc),
            pl_y4m_reader_info(r)->error);
  else if (frames == 0) {
    fprintf(stderr, "parley loopback: --video %s: no frames after the header\n", path);
    rc = PL_EFORMAT;
  }
  pl_video_buffer_free(&b);
  pl_y4m_reader_close(r);
  return rc < 0 ? rc : 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void vlab_summarise(pl_lab_video *o, double call_s) {
  if (!o->n)
    return;
  pl_time_us *render = malloc(o->n * sizeof *render);
  double *delay = malloc(o->n * sizeof *delay);
  double ps = 0, ss = 0;
  size_t nd = 0;
  o->psnr_min = o->ssim_min = 1e9;
  for (size_t i = 0; i < o->n; i++) {
    const pl_lab_vframe *r = &o->frames[i];
    ps += r->psnr;
    ss += r->ssim;
    o->psnr_min = fmin(o->psnr_min, r->psnr);
    o->ssim_min = fmin(o->ssim_min, r->ssim);
    if (render)
      render[i] = (pl_time_us)llround(r->render_s * 1e6);
    if (delay && r->delay_ms >= 0)
      delay[nd++] = r->delay_ms;
  }
  o->psnr_mean = ps / (double)o->n;
  o->ssim_mean = ss / (double)o->n;
  /* To the end of the call: a picture that stopped for good is a freeze. */
  if (render)
    pl_video_timing_analyze_until(render, NULL, o->n, (pl_time_us)llround(call_s * 1e6),
                                  &o->timing);
  /* Delay over the frames whose capture time arrived with them. */
  if (delay && nd) {
    qsort(delay, nd, sizeof *delay, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < nd; i++)
      sum += delay[i];
    o->timing.has_delay = true;
    o->timing.delay_mean_ms = sum / (double)nd;
    o->timing.delay_min_ms = delay[0];
    o->timing.delay_p50_ms = delay[nd / 2];
    o->timing.delay_p95_ms = delay[(size_t)((double)(nd - 1) * 0.95)];
    o->timing.delay_max_ms = delay[nd - 1];
  }
  free(render);
  free(delay);
}

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
          "  --noise SRC         add noise to what both ends send: white, pink or FILE.wav\n"
          "                      (looped); metrics stay against the clean talker\n"
          "  --snr DB            speech-to-noise ratio for --noise (default 10)\n"
          "  --duration S        simulated seconds (default: the scenario's, else 20)\n"
          "  --stage NAME=on|off|auto  a media-graph stage on both ends (extend: auto by default)\n"
          "  --bitrate BPS       Opus bitrate (default 32000)\n"
          "  --red 0|1|2|auto    RED (RFC 2198) both ways: distance, or adaptive\n"
          "  --opus-neural on|off  libopus's deep PLC, NoLACE, DRED, 1.6's BWE (default on;\n"
          "                      nothing on 1.3.1)\n"
          "  --opus-bwe on|off   libopus 1.6's bandwidth extension of wideband SILK in the\n"
          "                      decoder, with --opus-neural (default on; absent before 1.6)\n"
          "  --seed N            emulator and engine seed (default 1)\n"
          "  --out DIR           where rx_*.wav, stats.json, report.html go (default out/loopback)\n"
          "  --video SRC         video both ways too: pattern or FILE.y4m (looped)\n"
          "  --video-codec C     vp8 (default) or vp9\n"
          "  --video-bitrate BPS video target (default 800000)\n"
          "  --video-size WxH    pattern size (default 640x360); with a FILE smaller\n"
          "                      than it: the sender gets the file scaled down and\n"
          "                      each shown picture is scored at the file's size,\n"
          "                      enlarged by bicubic and by the upscale network\n"
          "  --cc NAME           congestion controller on both ends: gcc, learned or none\n"
          "                      (default: the engine's)\n"
          "  --data KBPS         a data channel A->B beside the call: a reliable bulk\n"
          "                      transfer offered at KBPS and timestamped pings every\n"
          "                      100 ms (WebRTC transport: DTLS, so runs do not replay)\n"
          "  --quiet             no progress bar\n",
          names);
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

static bool all_zero(const float *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (x[i] != 0.0f)
      return false;
  return true;
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

static void sample_second(pl_lab_second *s, pl_emu_link *link, pl_call *rx, pl_call *tx,
                          prev *p, pl_time_us now) {
  pl_emu_stats ls;
  pl_emu_link_stats(link, now, &ls);
  uint64_t queued = ls.queued - p->link.queued;
  s->queue_ms = queued ? (double)(ls.queue_delay_sum - p->link.queue_delay_sum) / (double)queued / 1000
                       : -1;
  pl_call_stats ts;
  pl_call_get_stats(tx, &ts);
  s->target_kbps = ts.cc_target_bps / 1000;
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
  const char *cc = NULL;
  const char *out_dir = "out/loopback";
  const char *video = NULL, *noise = NULL;
  double snr = 10;
  char noisy_path[2][600];
  int video_codec = 8, vw = 640, vh = 360;
  bool size_set = false;
  double video_bitrate = 800000;
  vlab vl[2];
  memset(vl, 0, sizeof vl);
  double duration = 0, bitrate = 32000;
  int red = 0;
  uint64_t seed = 1;
  bool quiet = false, opus_neural = true, opus_bwe = true;
  double data_kbps = 0;
  pl_lab_data *ld = NULL;
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
    else if (!strcmp(o, "--noise")) noise = v;
    else if (!strcmp(o, "--snr")) {
      if (pl_cli_parse_double(v, -20, 60, &snr)) return 2;
    }
    else if (!strcmp(o, "--out")) out_dir = v;
    else if (!strcmp(o, "--cc")) {
      if (!pl_cc_controller_find(v)) {
        fprintf(stderr, "parley loopback: --cc %s: controllers are %s\n", v, pl_cc_controller_names());
        return 2;
      }
      cc = v;
    }
    else if (!strcmp(o, "--video")) video = v;
    else if (!strcmp(o, "--video-codec")) {
      if (strcmp(v, "vp8") && strcmp(v, "vp9")) {
        fprintf(stderr, "parley loopback: --video-codec vp8|vp9\n");
        return 2;
      }
      video_codec = v[2] - '0';
    } else if (!strcmp(o, "--video-bitrate")) {
      if (pl_cli_parse_double(v, 30000, 20000000, &video_bitrate)) return 2;
    } else if (!strcmp(o, "--video-size")) {
      if (pl_cli_parse_size(v, 16, 16, 3840, 2160, &vw, &vh)) return 2;
      size_set = true;
    }
    else if (!strcmp(o, "--duration")) {
      if (pl_cli_parse_double(v, 0.5, PL_LAB_MAX_SECONDS - 1, &duration)) return 2;
    } else if (!strcmp(o, "--bitrate")) {
      if (pl_cli_parse_double(v, 6000, 510000, &bitrate)) return 2;
    } else if (!strcmp(o, "--red")) {
      if (pl_cli_parse_red(v, &red)) return 2;
    } else if (!strcmp(o, "--opus-neural")) {
      if (strcmp(v, "on") && strcmp(v, "off")) {
        fprintf(stderr, "parley loopback: --opus-neural on|off\n");
        return 2;
      }
      opus_neural = !strcmp(v, "on");
    } else if (!strcmp(o, "--opus-bwe")) {
      if (strcmp(v, "on") && strcmp(v, "off")) {
        fprintf(stderr, "parley loopback: --opus-bwe on|off\n");
        return 2;
      }
      opus_bwe = !strcmp(v, "on");
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
    } else if (!strcmp(o, "--data")) {
      if (pl_cli_parse_double(v, 1, 1e6, &data_kbps)) return 2;
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
  if (video && strcmp(video, "pattern") && check_video_file(video) != 0)
    return 1;
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
             stages[i].mode == PL_STAGE_AUTO ? "auto" : stages[i].on ? "on" : "off");
  }
  run->dir[0].send_path = send_a;
  run->dir[0].ref_path = ref_a;
  run->dir[1].send_path = send_b;
  run->dir[1].ref_path = send_b;
  if (pl_lab_load_mono(ref_a, NULL, &run->dir[0].ref, &run->dir[0].n_ref, &run->dir[0].ref_rate) ||
      pl_lab_load_mono(send_b, NULL, &run->dir[1].ref, &run->dir[1].n_ref, &run->dir[1].ref_rate))
    goto done;
  if (ensure_dir(out_dir) != 0) {
    fprintf(stderr, "parley loopback: cannot create %s: %s\n", out_dir, strerror(errno));
    goto done;
  }
  if (noise) {
    snprintf(run->noise, sizeof run->noise, "%s at %.1f dB SNR", noise, snr);
    for (int d = 0; d < 2; d++) {
      pl_lab_dir *dir = &run->dir[d];
      float *noisy = NULL;
      if (pl_lab_mix_noise(dir->ref, dir->n_ref, dir->ref_rate, noise, snr, seed + (uint64_t)d,
                           &noisy) != 0) {
        code = 2;
        goto done;
      }
      snprintf(noisy_path[d], sizeof noisy_path[d], "%s/noisy_%s.wav", out_dir, d ? "b" : "a");
      pl_wav_spec spec = {.rate = dir->ref_rate, .channels = 1, .format = PL_WAV_FLOAT32};
      int wrc = pl_wav_write_file(noisy_path[d], &spec, noisy, dir->n_ref);
      pl_audio_compare_opts io = {.max_lag_s = 0.05};
      dir->has_input = wrc == 0 && pl_audio_compare_ex(dir->ref, dir->n_ref, dir->ref_rate, noisy,
                                                       dir->n_ref, dir->ref_rate, &io,
                                                       &dir->in_m) == 0;
      free(noisy);
      if (wrc) {
        fprintf(stderr, "parley loopback: cannot write %s\n", noisy_path[d]);
        goto done;
      }
      dir->send_path = noisy_path[d];
    }
    send_a = noisy_path[0];
    send_b = noisy_path[1];
  } else if (strcmp(ref_a, send_a) != 0) {
    float *x = NULL;
    size_t n = 0;
    int rate = 0;
    pl_audio_compare_opts io = {.max_lag_s = 0.5};
    if (pl_lab_load_mono(send_a, NULL, &x, &n, &rate) == 0)
      run->dir[0].has_input = pl_audio_compare_ex(run->dir[0].ref, run->dir[0].n_ref,
                                                  run->dir[0].ref_rate, x, n, rate, &io,
                                                  &run->dir[0].in_m) == 0;
    free(x);
  }
  if (tile(&run->dir[0].ref, &run->dir[0].n_ref, run->dir[0].ref_rate, duration) ||
      tile(&run->dir[1].ref, &run->dir[1].n_ref, run->dir[1].ref_rate, duration))
    goto done;

  pl_call_config ca, cb;
  pl_call_config_init(&ca);
  pl_call_config_init(&cb);
  ca.opus_bitrate = cb.opus_bitrate = (int)bitrate;
  ca.red = cb.red = red;
  ca.opus_neural = cb.opus_neural = opus_neural;
  ca.opus_bwe = cb.opus_bwe = opus_bwe;
  ca.cc = cb.cc = cc;
  if (video) {
    ca.video = cb.video = true;
    ca.video_codec = cb.video_codec = video_codec;
    ca.video_bitrate = cb.video_bitrate = (int)video_bitrate;
  }
  if (data_kbps > 0) {
    ld = calloc(1, sizeof *ld);
    if (!ld)
      goto done;
    pl_lab_data_config(ld, &ca, &cb, data_kbps * 1000);
  }
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
    if (video) {
      /* Direction d: calls[d] sends, calls[1 - d] shows and scores. */
      vlab *v = &vl[d];
      v->sim = sim;
      v->out = &run->dir[d].video;
      v->out->on = true;
      snprintf(v->out->source, sizeof v->out->source, "%s", video);
      v->pattern = !strcmp(video, "pattern");
      if (!v->pattern && size_set) {
        v->send_w = vw;
        v->send_h = vh;
      }
      rc = v->pattern ? pl_video_io_pattern_source(&v->inner, vw, vh)
                      : pl_video_io_y4m_source(&v->inner, video, true);
      if (rc) {
        fprintf(stderr, "parley loopback: %s: %s\n", video, pl_strerror(rc));
        goto done;
      }
      pl_video_io vs = {.read = vlab_read, .close = vlab_close, .user = v};
      pl_video_io vk = {.write = vlab_write, .user = v};
      pl_call_set_video_source(calls[d], &vs);
      pl_call_set_video_sink(calls[1 - d], &vk);
    }
    for (int i = 0; i < n_stages; i++) {
      if (pl_cli_set_stage(calls[d], &stages[i]) != 0) {
        fprintf(stderr, "parley loopback: no stage '%s' (with that mode) in this build\n",
                stages[i].name);
        code = 2;
        goto done;
      }
    }
  }
  if (ld && (rc = pl_lab_data_setup(ld, sim)) != 0) {
    fprintf(stderr, "parley loopback: data channels: %s\n", pl_strerror(rc));
    goto done;
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
  pl_emu_stats lost0[2];
  memset(lost0, 0, sizeof lost0);
  int secs = (int)ceil(duration);
  for (int s = 0; s < secs; s++) {
    pl_time_us until = s + 1 < duration ? PL_SEC(s + 1) : (pl_time_us)(duration * 1e6);
    if (ld)
      pl_lab_data_run_until(ld, until);
    else
      pl_sim_run_until(sim, until);
    sample_second(&run->sec[0][s], sim->ab, sim->b, sim->a, &p[0], sim->now);
    sample_second(&run->sec[1][s], sim->ba, sim->a, sim->b, &p[1], sim->now);
    if (s + 1 == PL_LAB_CC_WARMUP) { /* percentiles of the settled call only */
      pl_emu_link_qdelay_reset(sim->ab);
      pl_emu_link_qdelay_reset(sim->ba);
      lost0[0] = p[0].link;
      lost0[1] = p[1].link;
    }
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
    pl_call_get_stats(calls[d], &dir->sender);
    dir->rx = rx[d].pcm;
    dir->n_rx = rx[d].n;
    char path[600];
    snprintf(path, sizeof path, "%s/rx_%s.wav", out_dir, d ? "a" : "b");
    pl_wav_spec spec = {.rate = PL_AUDIO_RATE, .channels = 1, .format = PL_WAV_PCM_S16};
    if (pl_wav_write_file(path, &spec, rx[d].pcm, rx[d].n) != 0)
      fprintf(stderr, "parley loopback: cannot write %s\n", path);
    vlab_summarise(&dir->video, run->duration_s);
    pl_emu_link *link = d ? sim->ba : sim->ab;
    pl_emu_stats ls;
    pl_emu_link_stats(link, sim->now, &ls);
    pl_lab_congestion_measure(&dir->cc, run, d, link, &ls, &lost0[d], &dir->sender,
                              &dir->final);
    dir->metrics_rc = lab_metrics(dir);
  }
  char path[600];
  snprintf(path, sizeof path, "%s/stats.json", out_dir);
  if (pl_lab_write_json(path, run) != 0)
    fprintf(stderr, "parley loopback: cannot write %s\n", path);
  snprintf(path, sizeof path, "%s/report.html", out_dir);
  if (pl_lab_write_html(path, run) != 0)
    fprintf(stderr, "parley loopback: cannot write %s\n", path);

  printf("loopback: %s, %.1f s simulated in %.2f s%s%s%s%s\n", net, duration, run->wall_s,
         run->stages[0] ? ", stages " : "", run->stages, run->noise[0] ? ", noise " : "",
         run->noise);
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
    else if (dir->metrics_rc == PL_ERANGE && all_zero(dir->ref, dir->n_ref))
      printf("  metrics: n/a (the reference is silent)\n");
    else if (dir->metrics_rc == PL_ERANGE && all_zero(dir->rx, dir->n_rx))
      printf("  metrics: n/a (nothing but silence was played)\n");
    else
      printf("  metrics: %s\n", pl_strerror(dir->metrics_rc));
    if (dir->has_input)
      printf("        input (sent file vs reference)         STOI %.4f  SI-SDR %6.2f dB  LSD %5.2f dB"
             "  -> call %+.4f STOI, %+.2f dB SI-SDR\n",
             dir->in_m.stoi, dir->in_m.si_sdr_db, dir->in_m.lsd_db,
             dir->metrics_rc == 0 ? dir->m.stoi - dir->in_m.stoi : NAN,
             dir->metrics_rc == 0 ? dir->m.si_sdr_db - dir->in_m.si_sdr_db : NAN);
    const pl_call_stats *ss = &dir->sender;
    for (int i = 0; i < ss->n_send_stages; i++)
      if (ss->send_stages[i].enabled)
        printf("        send stage %s: %.1f us per 10 ms frame (%.3f%% of a core, max %.1f us)\n",
               ss->send_stages[i].name, ss->send_stages[i].avg_us,
               ss->send_stages[i].avg_us / 100.0, ss->send_stages[i].max_us);
    const pl_lab_video *lv = &dir->video;
    if (lv->on)
      printf("        video %s: shown %zu of %lld  PSNR %.2f dB (min %.2f)  SSIM %.4f  "
             "%.1f fps  freezes %u (%.2f s)  delay %.0f ms (p95 %.0f)  NACK %llu  PLI %llu\n",
             st->video_codec == 9 ? "VP9" : "VP8", lv->n, (long long)lv->frames_sent,
             lv->psnr_mean, lv->psnr_min, lv->ssim_mean, lv->timing.fps,
             lv->timing.freeze_count, lv->timing.freeze_total_s, lv->timing.delay_mean_ms,
             lv->timing.delay_p95_ms, (unsigned long long)st->nack_count,
             (unsigned long long)st->pli_count);
    if (lv->on && lv->sr_n)
      printf("        upscale to %dx%d (%zu pictures): bicubic PSNR-Y %.2f dB SSIM %.4f; "
             "network PSNR-Y %.2f dB SSIM %.4f (%+.2f dB)\n",
             lv->sr_width, lv->sr_height, lv->sr_n, lv->sr_psnr[0] / (double)lv->sr_n,
             lv->sr_ssim[0] / (double)lv->sr_n, lv->sr_psnr[1] / (double)lv->sr_n,
             lv->sr_ssim[1] / (double)lv->sr_n, (lv->sr_psnr[1] - lv->sr_psnr[0]) / (double)lv->sr_n);
  }
  if (ld)
    pl_lab_data_report(ld, stdout, out_dir);
  printf("  report: %s/report.html\n", out_dir);
  code = 0;
  /* Video that was asked for and not shown is a failed run, not a report
   * of zeros: say what happened to it. */
  for (int d = 0; d < 2; d++) {
    const pl_lab_video *lv = &run->dir[d].video;
    const char *name = d ? "B->A" : "A->B";
    if (vl[d].read_rc) {
      fprintf(stderr, "parley loopback: video %s: the source stopped after %lld frames: %s\n",
              name, (long long)lv->frames_sent, pl_strerror(vl[d].read_rc));
      code = 1;
    } else if (lv->on && lv->n == 0) {
      fprintf(stderr, "parley loopback: video %s: none of the %lld frames sent was shown%s\n",
              name, (long long)lv->frames_sent,
              lv->unmatched ? " with a matching source frame" : "");
      code = 1;
    }
  }
done:
  pl_sim_free(sim);
  free(ld);
  for (int d = 0; d < 2; d++) {
    vlab_free(&vl[d]);
    free(run->dir[d].video.frames);
  }
  pl_emu_scenario_free(&sc);
  for (int d = 0; d < 2; d++) {
    free(rx[d].pcm);
    free(run->dir[d].ref);
  }
  free(run);
  return code;
}
