/* `parley metrics REF DEG`: objective quality of a received recording
 * against the sent one. WAV pairs get delay, SNR, segmental SNR, SI-SDR,
 * STOI and LSD; Y4M pairs get PSNR/SSIM (luma, ffmpeg-compatible), frame
 * rate, freezes and, when the FRAME lines carry times, end-to-end delay. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/parley/commands.h"
#include "apps/parley/wav_input.h"
#include "audio/metrics/metrics.h"
#include "audio/wav/wav.h"
#include "parley.h"
#include "video/metrics/vmetrics.h"
#include "video/y4m/y4m.h"

typedef struct opts {
  bool json, per_frame;
  double max_lag_ms;
  const char *ref, *deg;
} opts;

static void usage(FILE *f) {
  fprintf(f,
          "usage: parley metrics [--json] [--per-frame] [--max-lag MS] REF DEG\n"
          "  WAV pair: delay, SNR, segSNR, SI-SDR, STOI, LSD (DEG is mixed to\n"
          "            mono and resampled to REF's rate when they differ)\n"
          "  Y4M pair: PSNR-Y, SSIM-Y (as ffmpeg's psnr/ssim filters), frame\n"
          "            rate, freezes, end-to-end delay when frames carry times\n"
          "  --max-lag MS   alignment search range for audio (default 1000, max 10000)\n"
          "  --per-frame    Y4M: also print every frame's PSNR-Y and SSIM-Y\n"
          "exit status: 0 ok, 1 unreadable or mismatched input, 2 usage\n");
}

/* JSON has no Inf/NaN: those become null. */
static bool all_zero(const float *x, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (x[i] != 0.0f)
      return false;
  return true;
}

static void jnum(const char *key, double v, const char *fmt, bool comma) {
  printf("  \"%s\": ", key);
  if (isfinite(v))
    printf(fmt, v);
  else
    printf("null");
  printf(comma ? ",\n" : "\n");
}

enum { KIND_NONE, KIND_WAV, KIND_Y4M };

static int sniff(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  char h[12] = {0};
  size_t n = fread(h, 1, sizeof h, f);
  fclose(f);
  if (n >= 4 && (!memcmp(h, "RIFF", 4) || !memcmp(h, "RF64", 4)))
    return KIND_WAV;
  if (n >= 9 && !memcmp(h, "YUV4MPEG2", 9))
    return KIND_Y4M;
  return KIND_NONE;
}

static int run_audio(const opts *o) {
  pl_wav_info ri, di;
  float *ref = pl_cli_read_mono("parley metrics", NULL, o->ref, &ri);
  if (!ref)
    return 1;
  float *deg = pl_cli_read_mono("parley metrics", NULL, o->deg, &di);
  if (!deg) {
    free(ref);
    return 1;
  }
  if (ri.channels != di.channels)
    fprintf(stderr, "parley metrics: note: %d vs %d channels, both mixed to "
            "mono\n", ri.channels, di.channels);
  if (ri.rate != di.rate)
    fprintf(stderr, "parley metrics: note: resampling DEG from %d to %d Hz\n",
            di.rate, ri.rate);
  pl_audio_compare_opts co = {.max_lag_s = o->max_lag_ms / 1000.0};
  pl_audio_metrics m;
  int err = pl_audio_compare_ex(ref, (size_t)ri.frames, ri.rate, deg,
                                (size_t)di.frames, di.rate, &co, &m);
  /* Alignment and every metric are ratios against the signals: say which
   * one is silent rather than "value out of range". */
  const char *silent = NULL;
  if (err == PL_ERANGE)
    silent = all_zero(ref, (size_t)ri.frames) ? "REF"
             : all_zero(deg, (size_t)di.frames) ? "DEG" : NULL;
  free(ref);
  free(deg);
  if (err) {
    if (silent)
      fprintf(stderr, "parley metrics: cannot compare: %s is silent (all samples 0), so delay "
              "and quality are undefined\n", silent);
    else
      fprintf(stderr, "parley metrics: cannot compare: %s%s\n", pl_strerror(err),
              err == PL_ERANGE ? " (the signals do not overlap)" : "");
    return 1;
  }
  if (m.stoi_err)
    fprintf(stderr, "parley metrics: note: no STOI: %s (needs 384 ms of "
            "active speech)\n", pl_strerror(m.stoi_err));
  if (o->json) {
    printf("{\n  \"kind\": \"audio\",\n  \"rate\": %d,\n", m.rate);
    printf("  \"delay_samples\": %ld,\n", m.delay_samples);
    jnum("delay_ms", m.delay_ms, "%.3f", true);
    jnum("align_peak", m.align_peak, "%.6f", true);
    jnum("overlap_s", (double)m.overlap / m.rate, "%.3f", true);
    jnum("snr_db", m.snr_db, "%.4f", true);
    jnum("segsnr_db", m.segsnr_db, "%.4f", true);
    jnum("si_sdr_db", m.si_sdr_db, "%.4f", true);
    jnum("stoi", m.stoi, "%.6f", true);
    jnum("lsd_db", m.lsd_db, "%.4f", false);
    printf("}\n");
  } else {
    printf("delay    %9.3f ms  (%ld samples at %d Hz, correlation %.4f)\n",
           m.delay_ms, m.delay_samples, m.rate, m.align_peak);
    printf("overlap  %9.3f s\n", (double)m.overlap / m.rate);
    printf("SNR      %9.4f dB\n", m.snr_db);
    printf("segSNR   %9.4f dB\n", m.segsnr_db);
    printf("SI-SDR   %9.4f dB\n", m.si_sdr_db);
    printf("STOI     %9.6f\n", m.stoi);
    printf("LSD      %9.4f dB\n", m.lsd_db);
  }
  return 0;
}

typedef struct vid {
  pl_y4m_reader *r;
  pl_y4m_info info;
} vid;

static int open_y4m(const char *path, vid *v) {
  int err = pl_y4m_reader_open(&v->r, path, &v->info);
  if (err) {
    fprintf(stderr, "parley metrics: %s: %s%s%s\n", path, pl_strerror(err),
            v->info.error[0] ? ": " : "", v->info.error);
    return -1;
  }
  return 0;
}

static int run_video(const opts *o) {
  vid rv = {0}, dv = {0};
  pl_video_buffer rb, db[2];
  memset(&rb, 0, sizeof rb);
  memset(db, 0, sizeof db);
  pl_video_quality *q = NULL;
  pl_time_us *render = NULL, *capture = NULL;
  size_t cap_n = 0, n_render = 0, frames = 0, repeats = 0;
  bool all_times = true;
  int rc = 1;
  if (open_y4m(o->ref, &rv) || open_y4m(o->deg, &dv))
    goto out;
  if (rv.info.width != dv.info.width || rv.info.height != dv.info.height) {
    fprintf(stderr, "parley metrics: size mismatch: %s is %dx%d, %s is %dx%d\n",
            o->ref, rv.info.width, rv.info.height, o->deg, dv.info.width,
            dv.info.height);
    goto out;
  }
  int w = rv.info.width, h = rv.info.height;
  if (pl_video_buffer_alloc(&rb, w, h) || pl_video_buffer_alloc(&db[0], w, h) ||
      pl_video_buffer_alloc(&db[1], w, h) || !(q = pl_video_quality_new(w, h))) {
    fprintf(stderr, "parley metrics: out of memory\n");
    goto out;
  }
  double period_us = dv.info.fps_num > 0
                         ? 1e6 * dv.info.fps_den / dv.info.fps_num
                         : 1e6 / 30.0;
  size_t ref_frames = 0, deg_frames = 0;
  for (;;) {
    pl_y4m_frame_meta meta;
    pl_video_frame *cur = &db[frames & 1].f, *prev = &db[(frames + 1) & 1].f;
    int a = pl_y4m_reader_read(rv.r, &rb.f, NULL);
    int b = pl_y4m_reader_read(dv.r, cur, &meta);
    if (a < 0 || b < 0) {
      fprintf(stderr, "parley metrics: %s: frame %zu: %s\n",
              a < 0 ? o->ref : o->deg, frames, pl_strerror(a < 0 ? a : b));
      goto out;
    }
    ref_frames += (size_t)a;
    deg_frames += (size_t)b;
    if (!a || !b)
      break;
    pl_video_frame_score s;
    pl_video_quality_add(q, &rb.f, cur, &s);
    if (o->per_frame && !o->json)
      printf("frame %zu psnr_y %.4f ssim_y %.6f\n", frames, s.psnr_y,
             s.ssim_y);
    /* A frame identical to the one before was not a new render. */
    if (frames > 0 && pl_video_frame_equal(cur, prev)) {
      repeats++;
    } else {
      if (n_render == cap_n) {
        cap_n = cap_n ? 2 * cap_n : 256;
        pl_time_us *nr = realloc(render, cap_n * sizeof *nr);
        if (nr)
          render = nr;
        pl_time_us *nc = realloc(capture, cap_n * sizeof *nc);
        if (nc)
          capture = nc;
        if (!nr || !nc) {
          fprintf(stderr, "parley metrics: out of memory\n");
          goto out;
        }
      }
      render[n_render] = meta.has_recv ? meta.recv_us
                                       : (pl_time_us)llround(frames * period_us);
      capture[n_render] = meta.capture_us;
      all_times = all_times && meta.has_recv && meta.has_capture;
      n_render++;
    }
    frames++;
  }
  /* Count what is left over in the longer file. */
  for (int a; (a = pl_y4m_reader_read(rv.r, &rb.f, NULL)) > 0;)
    ref_frames++;
  for (int b; (b = pl_y4m_reader_read(dv.r, &db[0].f, NULL)) > 0;)
    deg_frames++;
  if (frames == 0) {
    fprintf(stderr, "parley metrics: no frames to compare\n");
    goto out;
  }
  if (ref_frames != deg_frames)
    fprintf(stderr, "parley metrics: note: %zu reference and %zu received "
            "frames; compared the first %zu by index\n", ref_frames,
            deg_frames, frames);
  pl_video_quality_summary qs;
  pl_video_quality_get(q, &qs);
  pl_video_timing t;
  if (pl_video_timing_analyze(render, all_times ? capture : NULL, n_render, &t)) {
    fprintf(stderr, "parley metrics: %s: render times go backwards\n", o->deg);
    goto out;
  }
  if (o->json) {
    printf("{\n  \"kind\": \"video\",\n  \"width\": %d,\n  \"height\": %d,\n", w, h);
    printf("  \"frames\": %zu,\n  \"ref_frames\": %zu,\n  \"deg_frames\": %zu,\n",
           frames, ref_frames, deg_frames);
    jnum("psnr_y", qs.psnr_y, "%.4f", true);
    jnum("psnr_y_mean", qs.psnr_y_mean, "%.4f", true);
    jnum("psnr_y_min", qs.psnr_y_min, "%.4f", true);
    jnum("ssim_y", qs.ssim_y, "%.6f", true);
    jnum("ssim_y_min", qs.ssim_y_min, "%.6f", true);
    printf("  \"repeated_frames\": %zu,\n  \"freeze_count\": %u,\n", repeats,
           t.freeze_count);
    jnum("freeze_total_s", t.freeze_total_s, "%.3f", true);
    jnum("fps", t.fps, "%.3f", true);
    jnum("delay_mean_ms", t.has_delay ? t.delay_mean_ms : NAN, "%.3f", true);
    jnum("delay_p95_ms", t.has_delay ? t.delay_p95_ms : NAN, "%.3f", false);
    printf("}\n");
  } else {
    printf("frames   %zu compared (%dx%d)\n", frames, w, h);
    printf("PSNR-Y   %.4f dB  (of mean MSE; per-frame mean %.4f, min %.4f)\n",
           qs.psnr_y, qs.psnr_y_mean, qs.psnr_y_min);
    printf("SSIM-Y   %.6f  (min %.6f)\n", qs.ssim_y, qs.ssim_y_min);
    printf("fps      %.3f  (%zu distinct of %zu received, %zu repeated)\n",
           t.fps, n_render, frames, repeats);
    printf("freezes  %u, %.3f s total, longest interval %.1f ms\n",
           t.freeze_count, t.freeze_total_s, t.max_interval_ms);
    if (t.has_delay)
      printf("delay    mean %.1f ms, p50 %.1f, p95 %.1f, max %.1f\n",
             t.delay_mean_ms, t.delay_p50_ms, t.delay_p95_ms, t.delay_max_ms);
  }
  rc = 0;
out:
  pl_y4m_reader_close(rv.r);
  pl_y4m_reader_close(dv.r);
  pl_video_buffer_free(&rb);
  pl_video_buffer_free(&db[0]);
  pl_video_buffer_free(&db[1]);
  pl_video_quality_free(q);
  free(render);
  free(capture);
  return rc;
}

int pl_cmd_metrics(int argc, char **argv) {
  opts o = {.max_lag_ms = 1000.0};
  static const struct option longopts[] = {
      {"json", no_argument, NULL, 'j'},
      {"per-frame", no_argument, NULL, 'p'},
      {"max-lag", required_argument, NULL, 'l'},
      {"help", no_argument, NULL, 'h'},
      {0, 0, 0, 0}};
  optind = 1;
  for (int c; (c = getopt_long(argc, argv, "h", longopts, NULL)) != -1;) {
    switch (c) {
    case 'j': o.json = true; break;
    case 'p': o.per_frame = true; break;
    case 'l': {
      char *end;
      o.max_lag_ms = strtod(optarg, &end);
      if (*end || !(o.max_lag_ms > 0) || o.max_lag_ms > 10000) {
        fprintf(stderr, "parley metrics: --max-lag wants 0 < MS <= 10000\n");
        return 2;
      }
      break;
    }
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (argc - optind != 2) {
    usage(stderr);
    return 2;
  }
  o.ref = argv[optind];
  o.deg = argv[optind + 1];
  int kr = sniff(o.ref), kd = sniff(o.deg);
  if (kr < 0 || kd < 0) {
    perror(kr < 0 ? o.ref : o.deg);
    return 1;
  }
  if (kr == KIND_NONE || kd == KIND_NONE) {
    fprintf(stderr, "parley metrics: %s is neither WAV nor Y4M\n",
            kr == KIND_NONE ? o.ref : o.deg);
    return 1;
  }
  if (kr != kd) {
    fprintf(stderr, "parley metrics: %s and %s are not the same kind of file "
            "(one WAV, one Y4M)\n", o.ref, o.deg);
    return 1;
  }
  return kr == KIND_WAV ? run_audio(&o) : run_video(&o);
}
