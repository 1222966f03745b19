/* Concealment helpers (audio/plc): comfort noise that matches the
 * background, the concealer registry, loss traces and drawn loss patterns,
 * and the `parley conceal` command end to end. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audio/jitter/jitter.h"
#include "audio/plc/cng.h"
#include "audio/plc/loss.h"
#include "audio/plc/registry.h"
#include "audio/siggen/siggen.h"
#include "audio/wav/wav.h"
#include "base/rng.h"
#include "parley.h"

static double db_ms(double ms) { return 10 * log10(ms + 1e-30); }

static double mean_square(const float *x, int n) {
  double e = 0;
  for (int i = 0; i < n; i++)
    e += (double)x[i] * x[i];
  return e / n;
}

/* Energy below 1 kHz over energy above 6 kHz, by two one-pole filters:
 * enough to tell a low-passed noise from a white one. */
static double tilt_db(const float *x, int n) {
  double lo = 0, hi = 0, l = 0, h = 0, prev = 0;
  double al = exp(-2 * M_PI * 1000.0 / 48000), ah = exp(-2 * M_PI * 6000.0 / 48000);
  for (int i = 0; i < n; i++) {
    l = (1 - al) * x[i] + al * l;
    double hp = x[i] - prev; /* first difference: rises 6 dB/octave */
    prev = x[i];
    h = (1 - ah) * hp + ah * h;
    lo += l * l;
    hi += (hp - h) * (hp - h);
  }
  return 10 * log10(lo / hi);
}

/* Background noise: white, or low-passed by a one-pole at 800 Hz. */
static void noise(pl_rng *r, float *x, int n, double rms, bool lowpass) {
  double s = 0, a = exp(-2 * M_PI * 800.0 / 48000);
  for (int i = 0; i < n; i++) {
    double w = pl_rng_uniform(r) * 2 - 1;
    s = lowpass ? (1 - a) * w + a * s : w;
    x[i] = (float)s;
  }
  double g = rms / sqrt(mean_square(x, n));
  for (int i = 0; i < n; i++)
    x[i] = (float)(x[i] * g);
}

Test(conceal, comfort_noise_matches_the_background_level_and_shape) {
  enum { N = 48000 * 6 };
  float *x = malloc(sizeof(float) * N), *cn = malloc(sizeof(float) * 48000);
  for (int lp = 0; lp < 2; lp++) {
    pl_rng r;
    pl_rng_seed(&r, 4);
    noise(&r, x, N, 0.00316, lp); /* -50 dBFS */
    double want = db_ms(mean_square(x, N)), want_tilt = tilt_db(x, N);
    /* Talk spurts on top: 200 ms of a loud tone every 500 ms. */
    for (int i = 0; i < N; i++)
      if (i % 24000 < 9600)
        x[i] += (float)(0.3 * sin(2 * M_PI * 300.0 * i / 48000));
    pl_cng c;
    pl_cng_init(&c, 9);
    pl_cng_observe(&c, x, N, 1);
    pl_cng_generate(&c, cn, 48000, 1);
    double lvl = pl_cng_level_db(&c), got = db_ms(mean_square(cn, 48000));
    double tilt = tilt_db(cn, 48000);
    cr_log_info("%s background %.1f dBFS: model %.1f, generated %.1f dBFS; tilt %.1f vs %.1f dB",
                lp ? "low-passed" : "white", want, lvl, got, tilt, want_tilt);
    cr_expect_lt(fabs(lvl - want), 1.5, "level %.1f vs %.1f", lvl, want);
    cr_expect_lt(fabs(got - want), 1.5, "generated %.1f vs %.1f", got, want);
    cr_expect_lt(fabs(tilt - want_tilt), 4.0, "tilt %.1f vs %.1f dB", tilt, want_tilt);
  }
  free(x);
  free(cn);
}

Test(conceal, comfort_noise_is_silence_for_a_silent_background) {
  pl_cng c;
  pl_cng_init(&c, 1);
  float buf[4800];
  for (int i = 0; i < 4800; i++)
    buf[i] = 1.0f;
  pl_cng_generate(&c, buf, 2400, 2); /* nothing observed yet */
  for (int i = 0; i < 4800; i++)
    cr_assert_eq(buf[i], 0.0f);
  memset(buf, 0, sizeof buf);
  for (int k = 0; k < 100; k++)
    pl_cng_observe(&c, buf, 4800, 1);
  cr_expect(isinf(pl_cng_level_db(&c)));
  pl_cng_generate(&c, buf, 4800, 1);
  cr_expect_eq(mean_square(buf, 4800), 0.0);
}

static int reg_calls;
static int reg_conceal(void *self, float *out, int samples, int channels, int nth) {
  (void)self;
  (void)nth;
  reg_calls++;
  memset(out, 0, sizeof(float) * (size_t)(samples * channels));
  return 0;
}
static const pl_concealer_ops reg_ops = {.conceal = reg_conceal};
static int made;
static void *reg_create(int channels) {
  made = channels;
  return &made;
}
static void reg_destroy(void *self) { *(int *)self = -1; }

Test(conceal, registry_finds_replaces_and_refuses) {
  pl_plc_registry_clear();
  cr_expect_null(pl_plc_find("neural"));
  pl_plc_provider p = {"neural", reg_create, reg_destroy, &reg_ops};
  cr_expect_eq(pl_plc_register(&p), 0);
  const pl_plc_provider *f = pl_plc_find("neural");
  cr_assert_eq(f, &p);
  void *self = f->create(1);
  cr_expect_eq(made, 1);
  /* What `parley conceal --plc neural` does with it. */
  pl_jitter_config jc;
  pl_jitter_config_default(&jc);
  pl_jitter *jb = pl_jitter_new(&jc);
  pl_jitter_set_concealer(jb, f->ops, self);
  pl_jitter_free(jb);
  f->destroy(self);
  cr_expect_eq(made, -1);
  pl_plc_provider q = p;
  cr_expect_eq(pl_plc_register(&q), 0); /* same name: replaced */
  cr_expect_eq(pl_plc_find("neural"), &q);
  pl_plc_provider bad = {"x", NULL, reg_destroy, &reg_ops};
  cr_expect_eq(pl_plc_register(&bad), PL_EINVAL);
  static char names[PL_PLC_MAX_PROVIDERS][8];
  static pl_plc_provider many[PL_PLC_MAX_PROVIDERS];
  int ok = 0;
  for (int i = 0; i < PL_PLC_MAX_PROVIDERS; i++) {
    snprintf(names[i], sizeof names[i], "p%d", i);
    many[i] = p;
    many[i].name = names[i];
    ok += pl_plc_register(&many[i]) == 0;
  }
  cr_expect_eq(ok, PL_PLC_MAX_PROVIDERS - 1); /* "neural" holds one place */
  pl_plc_registry_clear();
  cr_expect_null(pl_plc_find("neural"));
}

static int parse_str(const char *s, uint8_t **v, size_t *n, size_t *bad) {
  return pl_loss_trace_parse((const uint8_t *)s, strlen(s), v, n, bad);
}

Test(conceal, loss_trace_parses_and_names_the_bad_line) {
  uint8_t *v;
  size_t n, bad;
  cr_assert_eq(parse_str("# a trace\n0\n1\r\n  1  # lost\n\n\t0\n1", &v, &n, &bad), 0);
  cr_assert_eq(n, 5);
  static const uint8_t want[] = {0, 1, 1, 0, 1};
  cr_expect_eq(memcmp(v, want, 5), 0);
  free(v);
  static const struct {
    const char *text;
    size_t line;
  } badcases[] = {{"0\n1\nx\n", 3}, {"01\n", 1}, {"0\n2\n", 2}, {"0\n1 1\n", 2},
                  {"0\n-1\n", 2},   {"yes\n", 1}, {"0\n\n0.5\n", 3}};
  for (size_t i = 0; i < sizeof badcases / sizeof badcases[0]; i++) {
    cr_expect_eq(parse_str(badcases[i].text, &v, &n, &bad), PL_EPARSE, "case %zu", i);
    cr_expect_eq(bad, badcases[i].line, "case %zu: line %zu", i, bad);
    cr_expect_null(v);
  }
  cr_expect_eq(parse_str("# nothing\n\n", &v, &n, &bad), PL_EPARSE);
  cr_expect_eq(bad, 0);
  const uint8_t nul[] = {'0', '\n', 0, '\n'};
  cr_expect_eq(pl_loss_trace_parse(nul, sizeof nul, &v, &n, &bad), PL_EPARSE);
  cr_expect_eq(bad, 2);
}

Test(conceal, drawn_losses_have_the_rate_and_the_bursts_asked_for) {
  enum { N = 200000 };
  uint8_t *v = malloc(N);
  pl_rng r;
  pl_rng_seed(&r, 6);
  cr_assert_eq(pl_loss_draw(&r, 0.1, 0, v, N), 0);
  size_t lost = 0, runs = 0;
  for (int i = 0; i < N; i++) {
    lost += v[i];
    runs += v[i] && (i == 0 || !v[i - 1]);
  }
  cr_expect_float_eq((double)lost / N, 0.1, 0.003);
  cr_expect_float_eq((double)lost / (double)runs, 1 / 0.9, 0.03); /* independent: 1/(1-p) */
  cr_assert_eq(pl_loss_draw(&r, 0.2, 5, v, N), 0);
  lost = runs = 0;
  for (int i = 0; i < N; i++) {
    lost += v[i];
    runs += v[i] && (i == 0 || !v[i - 1]);
  }
  cr_expect_float_eq((double)lost / N, 0.2, 0.01);
  cr_expect_float_eq((double)lost / (double)runs, 5.0, 0.25);
  cr_expect_eq(pl_loss_draw(&r, 1.0, 0, v, N), PL_EINVAL);
  cr_expect_eq(pl_loss_draw(&r, -0.1, 0, v, N), PL_EINVAL);
  cr_expect_eq(pl_loss_draw(&r, 0.9, 2, v, N), PL_EINVAL); /* p = 4.5 > 1 */
  /* Same seed, same pattern. */
  uint8_t *w = malloc(N);
  pl_rng_seed(&r, 7);
  pl_loss_draw(&r, 0.2, 5, v, N);
  pl_rng_seed(&r, 7);
  pl_loss_draw(&r, 0.2, 5, w, N);
  cr_expect_eq(memcmp(v, w, N), 0);
  free(v);
  free(w);
}

/* Runs the parley binary; returns its exit status, stdout and stderr in
 * out (truncated to cap). */
static int run_parley(const char *args, char *out, size_t cap) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "%s/parley %s 2>&1", PL_BIN_DIR, args);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  size_t n = fread(out, 1, cap - 1, p);
  out[n] = 0;
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double json_num(const char *text, const char *key) {
  char pat[64];
  snprintf(pat, sizeof pat, "\"%s\": ", key);
  const char *at = strstr(text, pat);
  cr_assert_not_null(at, "no %s in %s", key, text);
  return strtod(at + strlen(pat), NULL);
}

Test(conceal, parley_conceal_scores_opus_plc_above_silence) {
  char dir[] = "/tmp/pl_conceal_XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  char in[256], out[256], trace[256], badtrace[256], args[1024], text[8192];
  snprintf(in, sizeof in, "%s/in.wav", dir);
  snprintf(out, sizeof out, "%s/out.wav", dir);
  snprintf(trace, sizeof trace, "%s/trace.txt", dir);
  snprintf(badtrace, sizeof badtrace, "%s/bad.txt", dir);
  /* 4 s of speech-like audio at 16 kHz stereo: mixed and resampled in. */
  enum { FR = 16000 * 4 };
  float *pcm = malloc(sizeof(float) * FR * 2);
  pl_siggen_config sc;
  pl_siggen_config_default(&sc, PL_SIG_SPEECH);
  sc.rate = 16000;
  sc.channels = 2;
  sc.seed = 12;
  pl_siggen g;
  cr_assert_eq(pl_siggen_init(&g, &sc), 0);
  pl_siggen_fill(&g, pcm, FR);
  pl_wav_spec spec = {16000, 2, PL_WAV_PCM_S16, false};
  cr_assert_eq(pl_wav_write_file(in, &spec, pcm, FR), 0);
  free(pcm);
  FILE *f = fopen(trace, "w");
  fputs("# every third packet lost\n0\n0\n1\n", f);
  fclose(f);
  f = fopen(badtrace, "w");
  fputs("0\n1\nlost\n", f);
  fclose(f);

  double stoi[2];
  static const char *plc[2] = {"none", "opus"};
  for (int k = 0; k < 2; k++) {
    snprintf(args, sizeof args, "conceal %s %s --loss %s --plc %s --json", in, out, trace, plc[k]);
    int rc = run_parley(args, text, sizeof text);
    cr_assert_eq(rc, 0, "%s", text);
    double packets = json_num(text, "packets"), lost = json_num(text, "lost");
    /* 4 s + the codec lookahead: 201 packets of 20 ms, every third lost. */
    cr_expect_eq(packets, 201);
    cr_expect_eq(lost, 67);
    cr_expect_eq(json_num(text, "stretched_samples"), 0);
    cr_expect_float_eq(json_num(text, "concealed_pct"), 100.0 * 67 / 201, 1.0);
    stoi[k] = json_num(text, "stoi");
    pl_wav_info info;
    float *o = NULL;
    cr_assert_eq(pl_wav_read_file(out, &o, &info), 0);
    cr_expect_eq(info.rate, 16000);
    cr_expect_eq(info.channels, 2);
    cr_expect_eq(info.frames, (uint64_t)FR);
    free(o);
  }
  cr_log_info("STOI with a third of the packets lost: none %.3f, opus %.3f", stoi[0], stoi[1]);
  cr_expect_gt(stoi[1], stoi[0] + 0.05);

  snprintf(args, sizeof args, "conceal %s %s --loss %s --plc opus", in, out, badtrace);
  cr_expect_eq(run_parley(args, text, sizeof text), 1);
  cr_expect_not_null(strstr(text, "bad.txt:3: expected 0 or 1"), "%s", text);
  /* The compiled-in neural PLC (ai/plc) registers itself and conceals. */
  snprintf(args, sizeof args, "conceal %s %s --loss 10%% --plc neural --json", in, out);
  cr_expect_eq(run_parley(args, text, sizeof text), 0, "%s", text);
  cr_expect_gt(json_num(text, "stoi"), 0.5, "%s", text);
  snprintf(args, sizeof args, "conceal %s %s --loss 0.1 --plc magic", in, out);
  cr_expect_eq(run_parley(args, text, sizeof text), 2);
  snprintf(args, sizeof args, "conceal %s %s --loss lots --plc opus", in, out);
  cr_expect_eq(run_parley(args, text, sizeof text), 2);
  cr_expect_not_null(strstr(text, "neither a file nor a rate"), "%s", text);
  snprintf(args, sizeof args, "conceal %s %s --loss 0.95 --burst 2 --plc opus", in, out);
  cr_expect_eq(run_parley(args, text, sizeof text), 2);
  snprintf(args, sizeof args, "conceal %s/missing.wav %s --loss 0.1 --plc opus", dir, out);
  cr_expect_eq(run_parley(args, text, sizeof text), 1);
  /* Random and bursty loss at a seed: the rate it says it dropped. */
  snprintf(args, sizeof args, "conceal %s %s --loss 20%% --burst 3 --seed 5 --plc opus --json", in,
           out);
  cr_assert_eq(run_parley(args, text, sizeof text), 0, "%s", text);
  cr_expect_gt(json_num(text, "lost"), 10);
  remove(in);
  remove(out);
  remove(trace);
  remove(badtrace);
  rmdir(dir);
}
