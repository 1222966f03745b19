/* The noise suppressor with its trained, built-in model, and as a media
 * graph stage: noise-only input is attenuated, clean speech comes through,
 * frames join without seams, no allocation per frame, NaN does not poison
 * the state, the stage switches on/off/reset in a graph, stereo channels
 * are independent, model files are checked on load. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ai/denoise/denoise.h"
#include "ai/denoise/dsp.h"
#include "ai/denoise/stage.h"
#include "ai/model/model.h"
#include "audio/metrics/metrics.h"
#include "audio/resample/resample.h"
#include "audio/siggen/siggen.h"
#include "audio/wav/wav.h"
#include "base/log.h"
#include "base/rng.h"
#include "engine/graph/graph.h"
#include "parley.h"

/* ---- allocation counting (this thread only; not under ASan, which owns
 * malloc) ---- */
#if defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNT_ALLOCS 0
#endif
#endif
#ifndef COUNT_ALLOCS
#define COUNT_ALLOCS 1
#endif

#if COUNT_ALLOCS
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static _Thread_local long n_allocs;
void *malloc(size_t n) {
  n_allocs++;
  return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
  n_allocs++;
  return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
  n_allocs++;
  return __libc_realloc(p, n);
}
#endif

static void setup(void) { pl_log_set_level(PL_LOG_ERROR); }

/* The built-in model's delay (10 ms, or 20 with look-ahead). */
static size_t builtin_delay(void) {
  const pl_denoise_model *m;
  cr_assert_eq(pl_denoise_model_builtin(&m), 0);
  return (size_t)(PL_DENOISE_DELAY + PL_DENOISE_FRAME * pl_denoise_model_lookahead(m));
}
#define DELAY builtin_delay()
TestSuite(denoise_model, .init = setup);

static float *noise(uint64_t seed, size_t n, double rms, int pink) {
  pl_siggen g;
  pl_siggen_config c = {.kind = pink ? PL_SIG_PINK : PL_SIG_WHITE,
                        .rate = 48000, .channels = 1,
                        .amplitude = rms * sqrt(2.0), .seed = seed};
  cr_assert_eq(pl_siggen_init(&g, &c), 0);
  float *x = malloc(sizeof(float) * n);
  pl_siggen_fill(&g, x, (int)n);
  return x;
}

/* The bundled speech sample at 48 kHz (a training file: this checks
 * behaviour, the quality table uses held-out speech). */
static float *speech(size_t *n) {
  float *s, *y;
  pl_wav_info info;
  cr_assert_eq(pl_wav_read_file(PL_SOURCE_DIR "/apps/parley/samples/speech_16k.wav",
                                &s, &info), 0);
  cr_assert_eq(pl_resample_buffer(1, info.rate, 48000, PL_RESAMPLE_QUALITY_FILE,
                                  s, info.frames, &y, n), 0);
  free(s);
  *n -= *n % PL_DENOISE_FRAME;
  return y;
}

static float *run(pl_denoise *d, const float *x, size_t n, float *vad_mean) {
  float *y = malloc(sizeof(float) * n);
  double v = 0;
  memset(y, 0, sizeof(float) * n);
  for (size_t t = 0; t + PL_DENOISE_FRAME <= n; t += PL_DENOISE_FRAME)
    v += pl_denoise_process(d, x + t, y + t);
  if (vad_mean)
    *vad_mean = (float)(v / (double)(n / PL_DENOISE_FRAME));
  return y;
}

static double energy_db(const float *x, size_t n) {
  double e = 0;
  for (size_t i = 0; i < n; i++)
    e += (double)x[i] * x[i];
  return 10 * log10(e / (double)n + 1e-30);
}

Test(denoise_model, builtin_model_loads_with_the_expected_shape) {
  const pl_denoise_model *m;
  cr_assert_eq(pl_denoise_model_builtin(&m), 0);
  const pl_nn_seq *net = pl_denoise_model_net(m);
  cr_assert_eq(net->in, PL_DN_NFEAT);
  cr_assert_eq(net->out, PL_DN_NOUT);
  cr_assert_str_eq(pl_denoise_model_name(m), "denoise-gru");
  const pl_denoise_model *again;
  cr_assert_eq(pl_denoise_model_builtin(&again), 0);
  cr_assert_eq(m, again, "loaded once and shared");
}

Test(denoise_model, noise_only_input_is_attenuated) {
  pl_denoise *d;
  cr_assert_eq(pl_denoise_new(&d, NULL), 0);
  size_t n = 48000 * 4;
  for (int pink = 0; pink < 2; pink++) {
    for (int lvl = 0; lvl < 2; lvl++) {
      double rms = lvl ? 0.03 : 0.003; /* -30 and -50 dBFS */
      float *x = noise(11 + pink, n, rms, pink), vad;
      pl_denoise_reset(d);
      float *y = run(d, x, n, &vad);
      /* After the first second (the network's noise estimate settles). */
      double in = energy_db(x + 48000, n - 48000 - DELAY);
      double out = energy_db(y + 48000 + DELAY,
                             n - 48000 - DELAY);
      cr_log_info("%s noise at %.0f dBFS: %.1f dB less, voice %.2f",
                  pink ? "pink" : "white", 20 * log10(rms), in - out, vad);
      cr_assert(in - out >= 20.0, "%s noise at %.0f dBFS: %.1f dB less",
                pink ? "pink" : "white", 20 * log10(rms), in - out);
      cr_assert(vad < 0.2f, "voice probability %.2f on noise", vad);
      free(x);
      free(y);
    }
  }
  pl_denoise_free(d);
}

Test(denoise_model, clean_speech_comes_through) {
  size_t n;
  float *x = speech(&n), vad;
  pl_denoise *d;
  cr_assert_eq(pl_denoise_new(&d, NULL), 0);
  float *y = run(d, x, n, &vad);
  size_t m = n - DELAY;
  double sdr = pl_si_sdr_db(x, y + DELAY, m);
  cr_log_info("clean speech: SI-SDR %.1f dB, voice %.2f", sdr, vad);
  cr_assert(sdr > 20.0, "SI-SDR of clean speech through the model %.1f dB", sdr);
  double lvl = energy_db(y + DELAY, m) - energy_db(x, m);
  cr_assert(fabs(lvl) < 1.0, "level changed by %.2f dB", lvl);
  cr_assert(vad > 0.5f, "mean voice probability %.2f on speech", vad);
  free(x);
  free(y);
  pl_denoise_free(d);
}

Test(denoise_model, speech_in_noise_gets_better) {
  size_t n;
  float *s = speech(&n);
  float *w = noise(5, n, 0.1, 0), *x = malloc(sizeof(float) * n);
  /* 5 dB below the speech power. */
  double ps = energy_db(s, n), pw = energy_db(w, n);
  double k = pow(10, (ps - 5 - pw) / 20);
  for (size_t i = 0; i < n; i++)
    x[i] = s[i] + (float)(k * w[i]);
  pl_denoise *d;
  cr_assert_eq(pl_denoise_new(&d, NULL), 0);
  float *y = run(d, x, n, NULL);
  size_t m = n - DELAY;
  double before = pl_si_sdr_db(s, x, m);
  double after = pl_si_sdr_db(s, y + DELAY, m);
  cr_log_info("white noise at 5 dB: SI-SDR %.1f -> %.1f dB", before, after);
  cr_assert(after - before > 6.0, "SI-SDR %.1f -> %.1f dB", before, after);
  free(s);
  free(w);
  free(x);
  free(y);
  pl_denoise_free(d);
}

Test(denoise_model, frames_join_without_seams) {
  /* A steady tone: whatever the network does, the output envelope must not
   * jump at frame boundaries. Largest sample-to-sample step at a boundary
   * vs inside frames. */
  size_t n = 48000 * 2;
  float *x = malloc(sizeof(float) * n);
  for (size_t i = 0; i < n; i++)
    x[i] = (float)(0.1 * sin(2 * M_PI * 440.0 * (double)i / 48000));
  pl_denoise *d;
  cr_assert_eq(pl_denoise_new(&d, NULL), 0);
  float *y = run(d, x, n, NULL);
  double at = 0, inside = 0;
  for (size_t i = 48000; i + 1 < n; i++) {
    double step = fabs(y[i + 1] - y[i]);
    if ((i + 1) % PL_DENOISE_FRAME == 0)
      at = fmax(at, step);
    else
      inside = fmax(inside, step);
  }
  cr_assert(inside > 0, "the tone came through");
  cr_log_info("largest step at frame boundaries %g, inside frames %g", at, inside);
  cr_assert(at <= 1.05 * inside, "step at boundaries %g, inside %g", at,
            inside);
  free(x);
  free(y);
  pl_denoise_free(d);
}

Test(denoise_model, reset_restores_a_fresh_stream_and_streams_are_independent) {
  size_t n = 48000;
  float *x = noise(3, n, 0.05, 1);
  pl_denoise *a, *b;
  cr_assert_eq(pl_denoise_new(&a, NULL), 0);
  cr_assert_eq(pl_denoise_new(&b, NULL), 0);
  float *y1 = run(a, x, n, NULL);
  float *junk = run(b, x + 1000, n - 2400, NULL); /* b's history differs */
  pl_denoise_reset(a);
  float *y2 = run(a, x, n, NULL);
  pl_denoise_reset(b);
  float *y3 = run(b, x, n, NULL);
  cr_assert_eq(memcmp(y1, y2, sizeof(float) * n), 0, "reset == fresh");
  cr_assert_eq(memcmp(y1, y3, sizeof(float) * n), 0, "no shared state");
  free(x);
  free(y1);
  free(y2);
  free(y3);
  free(junk);
  pl_denoise_free(a);
  pl_denoise_free(b);
}

Test(denoise_model, nan_and_inf_input_do_not_poison_the_stream) {
  size_t n;
  float *x = speech(&n);
  pl_denoise *d;
  cr_assert_eq(pl_denoise_new(&d, NULL), 0);
  float *ref = run(d, x, n, NULL);
  pl_denoise_reset(d);
  float bad[PL_DENOISE_FRAME], out[PL_DENOISE_FRAME];
  for (int i = 0; i < PL_DENOISE_FRAME; i++)
    bad[i] = i % 3 == 0 ? NAN : i % 3 == 1 ? INFINITY : -INFINITY;
  for (int t = 0; t < 10; t++) {
    pl_denoise_process(d, bad, out);
    for (int i = 0; i < PL_DENOISE_FRAME; i++)
      cr_assert(isfinite(out[i]));
  }
  float *y = run(d, x, n, NULL);
  for (size_t i = 0; i < n; i++)
    cr_assert(isfinite(y[i]));
  /* After 100 ms of garbage the stream recovers: same quality as fresh. */
  size_t m = n - 48000;
  double a = pl_si_sdr_db(x + 48000 - DELAY, ref + 48000, m);
  double b = pl_si_sdr_db(x + 48000 - DELAY, y + 48000, m);
  cr_assert(fabs(a - b) < 1.0, "fresh %.1f dB, after NaN %.1f dB", a, b);
  free(x);
  free(ref);
  free(y);
  pl_denoise_free(d);
}

Test(denoise_model, processing_a_frame_does_not_allocate) {
#if !COUNT_ALLOCS
  cr_skip_test("allocation counting is off under ASan");
#else
  const pl_stage_ops *ops;
  void *self;
  cr_assert_eq(pl_denoise_stage_new(&ops, &self, NULL), 0);
  pl_audio_frame f;
  pl_audio_frame_init(&f, 2);
  float *x = noise(9, 2 * PL_AUDIO_FRAME_SAMPLES * 50, 0.05, 0);
  long before = n_allocs;
  for (int t = 0; t < 50; t++) {
    memcpy(f.pcm, x + t * 2 * PL_AUDIO_FRAME_SAMPLES,
           sizeof(float) * 2 * PL_AUDIO_FRAME_SAMPLES);
    cr_assert_eq(ops->process(self, &f, 0), 0);
  }
  ops->reset(self);
  cr_assert_eq(n_allocs - before, 0, "%ld allocations in 50 frames",
               n_allocs - before);
  free(x);
  ops->free(self);
#endif
}

Test(denoise_model, stage_switches_on_off_and_resets_in_a_graph) {
  pl_graph g;
  pl_graph_init(&g, PL_MEDIA_AUDIO);
  const pl_stage_ops *ops;
  void *self;
  cr_assert_eq(pl_denoise_stage_new(&ops, &self, NULL), 0);
  cr_assert_str_eq(ops->name, "denoise");
  cr_assert_eq(ops->kind, PL_MEDIA_AUDIO);
  cr_assert_eq(pl_graph_add(&g, ops, self, true), 0);
  enum { T = 40 };
  float *x = noise(21, PL_AUDIO_FRAME_SAMPLES * T, 0.03, 1);
  float on1[T][PL_AUDIO_FRAME_SAMPLES], on2[T][PL_AUDIO_FRAME_SAMPLES];
  pl_audio_frame f;
  for (int t = 0; t < T; t++) {
    pl_audio_frame_init(&f, 1);
    memcpy(f.pcm, x + t * PL_AUDIO_FRAME_SAMPLES, sizeof on1[0]);
    pl_graph_run(&g, &f, 0);
    memcpy(on1[t], f.pcm, sizeof on1[0]);
    cr_assert(f.voice_prob >= 0.0f && f.voice_prob <= 1.0f);
  }
  /* Off: frames pass untouched and voice_prob stays unknown. */
  cr_assert_eq(pl_graph_request(&g, "denoise", false), 0);
  for (int t = 0; t < 5; t++) {
    pl_audio_frame_init(&f, 1);
    memcpy(f.pcm, x + t * PL_AUDIO_FRAME_SAMPLES, sizeof on1[0]);
    pl_graph_run(&g, &f, 0);
    cr_assert_eq(memcmp(f.pcm, x + t * PL_AUDIO_FRAME_SAMPLES, sizeof on1[0]), 0);
    cr_assert_eq(f.voice_prob, -1.0f);
  }
  /* On again: reset, so the same input gives the same output as at first. */
  cr_assert_eq(pl_graph_request(&g, "denoise", true), 0);
  for (int t = 0; t < T; t++) {
    pl_audio_frame_init(&f, 1);
    memcpy(f.pcm, x + t * PL_AUDIO_FRAME_SAMPLES, sizeof on1[0]);
    pl_graph_run(&g, &f, 0);
    memcpy(on2[t], f.pcm, sizeof on1[0]);
  }
  cr_assert_eq(memcmp(on1, on2, sizeof on1), 0);
  /* A frame of the wrong size is refused, counted, and passes unchanged. */
  pl_audio_frame_init(&f, 1);
  f.samples = 160;
  f.pcm[0] = 0.25f;
  pl_graph_run(&g, &f, 0);
  cr_assert_eq(f.pcm[0], 0.25f);
  const pl_stage *st = pl_graph_find(&g, "denoise");
  cr_assert_eq(st->stats.errors, 1);
  cr_assert_eq(st->stats.frames, 2 * T + 1);
  cr_assert(st->stats.total_ns > 0);
  pl_graph_destroy(&g);
  free(x);
}

Test(denoise_model, stereo_channels_are_denoised_independently) {
  const pl_stage_ops *ops;
  void *self;
  cr_assert_eq(pl_denoise_stage_new(&ops, &self, NULL), 0);
  size_t n;
  float *s = speech(&n);
  size_t T = n / PL_AUDIO_FRAME_SAMPLES;
  float *left = malloc(sizeof(float) * n);
  double silent_right = 0, vad_sum = 0;
  pl_audio_frame f;
  for (size_t t = 0; t < T; t++) {
    pl_audio_frame_init(&f, 2);
    for (int i = 0; i < PL_AUDIO_FRAME_SAMPLES; i++) {
      f.pcm[2 * i] = s[t * PL_AUDIO_FRAME_SAMPLES + i];
      f.pcm[2 * i + 1] = 0.0f;
    }
    cr_assert_eq(ops->process(self, &f, 0), 0);
    for (int i = 0; i < PL_AUDIO_FRAME_SAMPLES; i++) {
      left[t * PL_AUDIO_FRAME_SAMPLES + i] = f.pcm[2 * i];
      silent_right += fabs(f.pcm[2 * i + 1]);
    }
    vad_sum += f.voice_prob;
  }
  cr_assert_eq(silent_right, 0.0, "silence in, silence out");
  cr_assert(vad_sum / (double)T > 0.5, "talker on one side is voice");
  /* The left channel is what a mono stream gives. */
  pl_denoise *d;
  cr_assert_eq(pl_denoise_new(&d, NULL), 0);
  float *mono = run(d, s, n, NULL);
  cr_assert_eq(memcmp(mono, left, sizeof(float) * n), 0);
  free(s);
  free(left);
  free(mono);
  pl_denoise_free(d);
  ops->free(self);
}

/* ---- model files ---- */

static int load_variant(const char *kind, bool with_format, int drop_out) {
  const pl_denoise_model *bm;
  cr_assert_eq(pl_denoise_model_builtin(&bm), 0);
  char why[PL_MODEL_WHY_LEN];
  pl_model *src;
  extern const unsigned char pl_model_denoise[];
  extern const size_t pl_model_denoise_len;
  cr_assert_eq(pl_model_load_static(&src, pl_model_denoise, pl_model_denoise_len,
                                    why, sizeof why), 0);
  pl_model_writer *w = pl_model_writer_new("variant", kind);
  /* Metadata: every line but denoise.format when asked to drop it. */
  const char *meta = pl_model_meta(src);
  char line[1024];
  for (const char *p = meta; *p;) {
    const char *e = strchr(p, '\n');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len < sizeof line) {
      memcpy(line, p, len);
      line[len] = 0;
      char *eq = strchr(line, '=');
      if (eq && (with_format || strncmp(line, "denoise.format=", 15))) {
        *eq = 0;
        pl_model_writer_meta(w, line, eq + 1);
      }
    }
    p += len + (e ? 1 : 0);
  }
  for (int i = 0; i < pl_model_tensor_count(src); i++) {
    const pl_tensor *t = pl_model_tensor_at(src, i);
    int dims[4] = {t->dims[0], t->dims[1], t->dims[2], t->dims[3]};
    if (drop_out && !strcmp(t->name, "fc_out.weight"))
      dims[0] -= drop_out; /* a network with fewer outputs */
    if (drop_out && !strcmp(t->name, "fc_out.bias")) {
      dims[0] -= drop_out;
    }
    cr_assert_eq(pl_model_writer_add_f32(w, t->name, t->ndims, dims, t->data), 0);
  }
  uint8_t *buf;
  size_t n;
  cr_assert_eq(pl_model_writer_finish(w, &buf, &n), 0);
  pl_model_writer_free(w);
  pl_model_free(src);
  pl_denoise_model *m;
  int rc = pl_denoise_model_load_bytes(&m, buf, n, why, sizeof why);
  if (!rc)
    pl_denoise_model_free(m);
  free(buf);
  return rc;
}

Test(denoise_model, model_files_are_checked_on_load) {
  cr_assert_eq(load_variant("denoise", true, 0), 0, "a faithful copy loads");
  cr_assert_eq(load_variant("plc", true, 0), PL_EFORMAT, "wrong kind");
  cr_assert_eq(load_variant("denoise", false, 0), PL_ENOTSUP,
               "features of another version");
  cr_assert_eq(load_variant("denoise", true, 1), PL_EFORMAT,
               "output count does not match");
  pl_denoise_model *m;
  char why[PL_MODEL_WHY_LEN];
  cr_assert_eq(pl_denoise_model_load_file(&m, "/nonexistent.plmd", why, sizeof why),
               PL_ENOENT);
  cr_assert_null(m);
}
