/* The noise suppressor's runtime: model loading and checks, the per-stream
 * state (DSP + recurrent state), and the per-frame path. */
#include "ai/denoise/denoise.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/denoise/dsp.h"
#include "ai/model/model.h"
#include "parley.h"

/* ai/models/denoise_model.c (.incbin of ai/models/denoise.plmd). */
extern const unsigned char pl_model_denoise[];
extern const size_t pl_model_denoise_len;

#define FORMAT_VERSION "1" /* denoise.format in the model's metadata */

/* The features' input floor when running: as if white noise at -60 dBFS
 * were always there, added in the power domain (nothing is added to the
 * audio). Files and some capture paths hold stretches of digital or
 * near-digital silence, which no microphone produces and training hardly
 * shows: the band log-energies then fall far below anything the network
 * learnt, and its recurrent state came out of such a gap suppressing the
 * next word by 20-30 dB (a held-out alsa-utils prompt: SI-SDR of clean
 * speech through the model 0.6 dB; with this floor 24+ dB). Speech at call
 * levels is 30-40 dB above it. */
#define RUN_PSD_FLOOR 1e-6f

struct pl_denoise_model {
  pl_model *m;
  pl_nn_seq net;
  int lookahead; /* frames the network sees beyond the one it filters */
};

struct pl_denoise {
  const pl_denoise_model *m;
  pl_nn_seq_state st;
  pl_dn_dsp dsp;
  float feat[PL_DN_NFEAT];
  float out[PL_DN_NOUT];
  float gain[PL_DN_BANDS], comb[PL_DN_BANDS];
  float floor_gain;
  /* With look-ahead: the spectra of the frame the gains are for, one
   * analysis behind the features (exchanged with the DSP's each frame
   * through its scratch: 3 copies of 8 KB, under 1 µs of the ~48). */
  pl_dn_cpx X[PL_DN_BINS], P[PL_DN_BINS];
};

static void say(char *why, size_t len, const char *msg) {
  if (why && len)
    snprintf(why, len, "%s", msg);
}

/* Takes ownership of pm. */
static int finish_load(pl_denoise_model **out, pl_model *pm, char *why,
                       size_t why_len) {
  char v[32];
  int rc;
  if (strcmp(pl_model_kind(pm), "denoise")) {
    say(why, why_len, "model kind is not \"denoise\"");
    rc = PL_EFORMAT;
    goto fail;
  }
  if (pl_model_meta_get(pm, "denoise.format", v, sizeof v) ||
      strcmp(v, FORMAT_VERSION)) {
    say(why, why_len, "model has no denoise.format=" FORMAT_VERSION
                      " (features of another version)");
    rc = PL_ENOTSUP;
    goto fail;
  }
  pl_denoise_model *dm = calloc(1, sizeof *dm);
  if (!dm) {
    rc = PL_ENOMEM;
    goto fail;
  }
  rc = pl_nn_seq_init(&dm->net, pm);
  if (!rc && (dm->net.in != PL_DN_NFEAT || dm->net.out != PL_DN_NOUT)) {
    char msg[96];
    snprintf(msg, sizeof msg, "network maps %d -> %d values, want %d -> %d",
             dm->net.in, dm->net.out, PL_DN_NFEAT, PL_DN_NOUT);
    say(why, why_len, msg);
    rc = PL_EFORMAT;
  } else if (rc) {
    say(why, why_len, "network description (arch lines) is invalid");
  }
  if (rc) {
    free(dm);
    goto fail;
  }
  /* Optional key: models before look-ahead have none and mean 0. */
  if (pl_model_meta_get(pm, "denoise.lookahead", v, sizeof v) == 0) {
    if (strcmp(v, "0") && strcmp(v, "1")) {
      say(why, why_len, "denoise.lookahead must be 0 or 1 frames");
      free(dm);
      rc = PL_EFORMAT;
      goto fail;
    }
    dm->lookahead = v[0] - '0';
  }
  dm->m = pm;
  *out = dm;
  return 0;
fail:
  pl_model_free(pm);
  return rc;
}

int pl_denoise_model_load_file(pl_denoise_model **out, const char *path,
                               char *why, size_t why_len) {
  pl_model *pm;
  *out = NULL;
  int rc = pl_model_load_file(&pm, path, why, why_len);
  return rc ? rc : finish_load(out, pm, why, why_len);
}

int pl_denoise_model_load_bytes(pl_denoise_model **out, const void *p,
                                size_t n, char *why, size_t why_len) {
  pl_model *pm;
  *out = NULL;
  int rc = pl_model_load_bytes(&pm, p, n, why, why_len);
  return rc ? rc : finish_load(out, pm, why, why_len);
}

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static pl_denoise_model *builtin;
static int builtin_rc;

static void load_builtin(void) {
  pl_model *pm;
  char why[PL_MODEL_WHY_LEN];
  builtin_rc = pl_model_load_static(&pm, pl_model_denoise,
                                    pl_model_denoise_len, why, sizeof why);
  if (!builtin_rc)
    builtin_rc = finish_load(&builtin, pm, why, sizeof why);
}

int pl_denoise_model_builtin(const pl_denoise_model **out) {
  pthread_once(&builtin_once, load_builtin);
  *out = builtin;
  return builtin_rc;
}

void pl_denoise_model_free(pl_denoise_model *m) {
  if (!m || m == builtin)
    return;
  pl_model_free(m->m);
  free(m);
}

const char *pl_denoise_model_name(const pl_denoise_model *m) {
  return pl_model_name(m->m);
}

const pl_nn_seq *pl_denoise_model_net(const pl_denoise_model *m) {
  return &m->net;
}

int pl_denoise_model_lookahead(const pl_denoise_model *m) { return m->lookahead; }

int pl_denoise_delay(const pl_denoise *d) {
  return PL_DENOISE_FRAME * (1 + d->m->lookahead);
}

int pl_denoise_new(pl_denoise **out, const pl_denoise_model *m) {
  *out = NULL;
  if (!m) {
    int rc = pl_denoise_model_builtin(&m);
    if (rc)
      return rc;
  }
  pl_denoise *d = calloc(1, sizeof *d);
  if (!d)
    return PL_ENOMEM;
  d->m = m;
  int rc = pl_dn_dsp_init(&d->dsp);
  if (!rc) {
    pl_dn_dsp_set_floor(&d->dsp, RUN_PSD_FLOOR);
    rc = pl_nn_seq_state_init(&d->st, &m->net);
  }
  if (rc) {
    pl_dn_dsp_free(&d->dsp);
    free(d);
    return rc;
  }
  *out = d;
  return 0;
}

void pl_denoise_free(pl_denoise *d) {
  if (!d)
    return;
  pl_nn_seq_state_free(&d->st);
  pl_dn_dsp_free(&d->dsp);
  free(d);
}

void pl_denoise_reset(pl_denoise *d) {
  pl_dn_dsp_reset(&d->dsp);
  pl_nn_seq_state_reset(&d->st);
  memset(d->out, 0, sizeof d->out);
  memset(d->X, 0, sizeof d->X);
  memset(d->P, 0, sizeof d->P);
}

void pl_denoise_set_max_atten(pl_denoise *d, float db) {
  d->floor_gain = db > 0 ? powf(10.0f, -db / 20.0f) : 0.0f;
}

float pl_denoise_process(pl_denoise *d, const float *in, float *out) {
  float x[PL_DN_FRAME];
  for (int i = 0; i < PL_DN_FRAME; i++) {
    /* A NaN would poison the recurrent state for good; clamp far outside
     * [-1, 1] so a hot input still goes through but cannot overflow. */
    float v = in[i];
    x[i] = isfinite(v) ? fmaxf(-8.0f, fminf(8.0f, v)) : 0.0f;
  }
  pl_dn_dsp_analyze(&d->dsp, x, d->feat);
  pl_nn_seq_step(&d->st, d->feat, d->out);
  /* The sigmoid keeps these in [0, 1]; the clamps also turn a NaN from a
   * damaged model into "silence, no comb" (fmaxf returns the non-NaN). */
  const float *g = d->out + PL_DN_O_GAIN, *c = d->out + PL_DN_O_COMB;
  for (int b = 0; b < PL_DN_BANDS; b++) {
    d->gain[b] = fminf(1.0f, fmaxf(d->floor_gain, g[b]));
    d->comb[b] = fminf(1.0f, fmaxf(0.0f, c[b]));
  }
  if (d->m->lookahead) {
    /* The network has seen this frame; its gains are for the one before,
     * whose spectra the stream kept. Swap them in for synthesis, keep this
     * frame's for the next call. */
    pl_dn_cpx *t = d->dsp.Y;
    memcpy(t, d->dsp.X, sizeof d->X);
    memcpy(d->dsp.X, d->X, sizeof d->X);
    memcpy(d->X, t, sizeof d->X);
    memcpy(t, d->dsp.P, sizeof d->P);
    memcpy(d->dsp.P, d->P, sizeof d->P);
    memcpy(d->P, t, sizeof d->P);
  }
  pl_dn_dsp_synthesize(&d->dsp, d->gain, d->comb, out);
  return fminf(1.0f, fmaxf(0.0f, d->out[PL_DN_O_VAD]));
}

const float *pl_denoise_features(const pl_denoise *d) { return d->feat; }
const float *pl_denoise_outputs(const pl_denoise *d) { return d->out; }

int pl_denoise_training_records(const float *noisy, const float *clean,
                                size_t n, bool run_floor, float *rec) {
  pl_dn_dsp *d = malloc(sizeof *d);
  float *ch = calloc(PL_DN_WIN, sizeof(float));
  pl_dn_cpx *S = malloc(sizeof(pl_dn_cpx) * PL_DN_BINS);
  int rc = d && ch && S ? pl_dn_dsp_init(d) : PL_ENOMEM;
  if (rc) {
    free(d);
    free(ch);
    free(S);
    return rc;
  }
  if (run_floor)
    pl_dn_dsp_set_floor(d, RUN_PSD_FLOOR);
  for (size_t t = 0; t + PL_DN_FRAME <= n; t += PL_DN_FRAME) {
    float *r = rec + (t / PL_DN_FRAME) * PL_DN_TRAIN_REC;
    pl_dn_dsp_analyze(d, noisy + t, r);
    memmove(ch, ch + PL_DN_FRAME, sizeof(float) * (PL_DN_WIN - PL_DN_FRAME));
    memcpy(ch + PL_DN_WIN - PL_DN_FRAME, clean + t,
           sizeof(float) * PL_DN_FRAME);
    pl_dn_dsp_spectrum(d, ch, S);
    pl_dn_dsp_targets(d, S, r);
  }
  pl_dn_dsp_free(d);
  free(d);
  free(ch);
  free(S);
  return 0;
}
