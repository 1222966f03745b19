/* The speech/music/other classifier with its built-in model and as a
 * send-graph stage: probabilities are a distribution, synthetic band music
 * reads as music, steady noise as other, the bundled speech sample as
 * speech; NaN input does not poison the state; reset gives a fresh stream;
 * a frame does not allocate; model files are checked on load. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ai/classify/classify.h"
#include "ai/classify/stage.h"
#include "ai/denoise/dsp.h"
#include "audio/resample/resample.h"
#include "audio/siggen/siggen.h"
#include "audio/wav/wav.h"
#include "base/log.h"
#include "classify_music.h"
#include "engine/graph/graph.h"
#include "parley.h"

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
static _Thread_local long n_allocs;
void *malloc(size_t n) {
  n_allocs++;
  return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
  n_allocs++;
  return __libc_calloc(a, b);
}
#endif

static void setup(void) { pl_log_set_level(PL_LOG_ERROR); }
TestSuite(classify, .init = setup);

/* Mean probabilities over the frames after the first second (the state has
 * settled), and the share of those frames whose argmax is `cls`. */
static void classify_buf(const float *x, size_t n, double mean[3], int cls, double *share) {
  pl_classify *c;
  cr_assert_eq(pl_classify_new(&c, NULL), 0);
  int frames = 0, hits = 0;
  mean[0] = mean[1] = mean[2] = 0;
  for (size_t t = 0; t + PL_CLASSIFY_FRAME <= n; t += PL_CLASSIFY_FRAME) {
    float p[PL_CLASS_N];
    pl_classify_process(c, x + t, p);
    cr_assert(fabsf(p[0] + p[1] + p[2] - 1.0f) < 1e-4f);
    if (t < 48000)
      continue;
    int best = p[1] > p[0] ? 1 : 0;
    best = p[2] > p[best] ? 2 : best;
    hits += best == cls;
    frames++;
    for (int k = 0; k < 3; k++)
      mean[k] += p[k];
  }
  for (int k = 0; k < 3; k++)
    mean[k] /= frames;
  *share = (double)hits / frames;
  pl_classify_free(c);
}

static float *noise(uint64_t seed, size_t n, double rms, int kind) {
  pl_siggen g;
  pl_siggen_config c = {.kind = kind, .rate = 48000, .channels = 1, .amplitude = rms * sqrt(2.0),
                        .seed = seed};
  cr_assert_eq(pl_siggen_init(&g, &c), 0);
  float *x = malloc(sizeof(float) * n);
  pl_siggen_fill(&g, x, (int)n);
  return x;
}

Test(classify, synthetic_band_music_reads_as_music) {
  size_t n;
  float *x = cm_music(6.0, &n);
  double m[3], share;
  classify_buf(x, n, m, PL_CLASS_MUSIC, &share);
  cr_assert_gt(share, 0.85, "music frames: %.2f (p %.2f %.2f %.2f)", share, m[0], m[1], m[2]);
  free(x);
}

Test(classify, steady_noise_reads_as_other) {
  for (int kind = 0; kind < 2; kind++) {
    float *x = noise(7, 48000 * 4, 0.03, kind ? PL_SIG_PINK : PL_SIG_WHITE);
    double m[3], share;
    classify_buf(x, 48000 * 4, m, PL_CLASS_OTHER, &share);
    cr_assert_gt(share, 0.9, "kind %d: other %.2f (p %.2f %.2f %.2f)", kind, share, m[0], m[1],
                 m[2]);
    free(x);
  }
}

Test(classify, speech_sample_reads_as_speech) {
  float *s, *y;
  size_t n;
  pl_wav_info info;
  cr_assert_eq(pl_wav_read_file(PL_SOURCE_DIR "/apps/parley/samples/speech_16k.wav", &s, &info),
               0);
  cr_assert_eq(pl_resample_buffer(1, info.rate, 48000, PL_RESAMPLE_QUALITY_FILE, s, info.frames,
                                  &y, &n),
               0);
  double m[3], share;
  classify_buf(y, n, m, PL_CLASS_SPEECH, &share);
  /* Pauses between phrases may read as other; music must not win. */
  cr_assert_gt(m[0], 0.6, "p %.2f %.2f %.2f", m[0], m[1], m[2]);
  cr_assert_lt(m[1], 0.15, "p %.2f %.2f %.2f", m[0], m[1], m[2]);
  free(s);
  free(y);
}

Test(classify, nan_input_does_not_poison_and_reset_gives_a_fresh_stream) {
  size_t n;
  float *x = cm_music(2.0, &n);
  pl_classify *c;
  cr_assert_eq(pl_classify_new(&c, NULL), 0);
  float first[PL_CLASS_N], p[PL_CLASS_N];
  for (size_t t = 0; t + PL_CLASSIFY_FRAME <= n; t += PL_CLASSIFY_FRAME)
    pl_classify_process(c, x + t, first);
  float bad[PL_CLASSIFY_FRAME];
  for (int i = 0; i < PL_CLASSIFY_FRAME; i++)
    bad[i] = i % 3 ? NAN : INFINITY;
  pl_classify_process(c, bad, p);
  for (int k = 0; k < 3; k++)
    cr_assert(isfinite(p[k]));
  pl_classify_reset(c);
  for (size_t t = 0; t + PL_CLASSIFY_FRAME <= n; t += PL_CLASSIFY_FRAME)
    pl_classify_process(c, x + t, p);
  cr_assert_eq(memcmp(p, first, sizeof p), 0, "reset = a fresh stream");
#if COUNT_ALLOCS
  long before = n_allocs;
  for (size_t t = 0; t + PL_CLASSIFY_FRAME <= n; t += PL_CLASSIFY_FRAME)
    pl_classify_process(c, x + t, p);
  cr_assert_eq(n_allocs, before, "a frame does not allocate");
#endif
  pl_classify_free(c);
  free(x);
}

Test(classify, stage_writes_music_and_voice_probability_on_mono_and_stereo) {
  pl_graph g;
  pl_graph_init(&g, PL_MEDIA_AUDIO);
  const pl_stage_ops *ops;
  void *self;
  cr_assert_eq(pl_classify_stage_new(&ops, &self, NULL), 0);
  cr_assert_str_eq(ops->name, "classify");
  cr_assert_eq(pl_graph_add(&g, ops, self, true), 0);
  size_t n;
  float *x = cm_music(3.0, &n);
  pl_audio_frame f;
  for (int ch = 1; ch <= 2; ch++) {
    pl_graph_request(&g, "classify", false);
    pl_graph_request(&g, "classify", true);
    for (size_t t = 0; t + PL_AUDIO_FRAME_SAMPLES <= n; t += PL_AUDIO_FRAME_SAMPLES) {
      pl_audio_frame_init(&f, ch);
      for (int i = 0; i < PL_AUDIO_FRAME_SAMPLES; i++)
        for (int c = 0; c < ch; c++)
          f.pcm[i * ch + c] = x[t + (size_t)i];
      pl_graph_run(&g, &f, 0);
      cr_assert(f.music_prob >= 0.0f && f.music_prob <= 1.0f);
      cr_assert(f.voice_prob >= 0.0f && f.voice_prob <= 1.0f);
      cr_assert_eq(memcmp(f.pcm, x + t, 0), 0);
    }
    cr_assert_gt(f.music_prob, 0.5f, "%d channels: %.2f", ch, f.music_prob);
  }
  pl_graph_request(&g, "classify", false);
  pl_audio_frame_init(&f, 1);
  pl_graph_run(&g, &f, 0);
  cr_assert_eq(f.music_prob, -1.0f, "off: unknown");
  pl_graph_destroy(&g);
  free(x);
}

Test(classify, model_files_are_checked_on_load) {
  pl_classify_model *m;
  char why[160];
  cr_assert_eq(pl_classify_model_load_file(&m, PL_SOURCE_DIR "/ai/models/classify.plmd", why,
                                           sizeof why),
               0, "%s", why);
  pl_classify *c;
  cr_assert_eq(pl_classify_new(&c, m), 0);
  pl_classify_free(c);
  pl_classify_model_free(m);
  cr_assert_eq(pl_classify_model_load_file(&m, PL_SOURCE_DIR "/ai/models/denoise.plmd", why,
                                           sizeof why),
               PL_EFORMAT, "a denoise model is not a classifier");
  cr_assert_null(m);
  cr_assert_eq(pl_classify_model_load_file(&m, "/nonexistent.plmd", why, sizeof why), PL_ENOENT);
}
