/* The classifier's runtime: model checks, per-stream state (its own band
 * analysis and recurrent state), softmax. */
#include "ai/classify/classify.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/denoise/dsp.h"
#include "ai/model/model.h"
#include "parley.h"

/* ai/models/classify_model.c (.incbin of ai/models/classify.plmd). */
extern const unsigned char pl_model_classify[];
extern const size_t pl_model_classify_len;

#define FORMAT_VERSION "1" /* classify.format in the model's metadata */
/* The input floor of the features, the denoiser's running one (as if white
 * noise at -60 dBFS were always present): training computed its features
 * with it (`parley denoise --train-records --run-floor`). */
#define RUN_PSD_FLOOR 1e-6f

struct pl_classify_model {
  pl_model *m;
  pl_nn_seq net;
};

struct pl_classify {
  const pl_classify_model *m;
  pl_nn_seq_state st;
  pl_dn_dsp dsp;
  float feat[PL_DN_NFEAT];
  float logit[PL_CLASS_N];
};

static void say(char *why, size_t len, const char *msg) {
  if (why && len)
    snprintf(why, len, "%s", msg);
}

static int finish_load(pl_classify_model **out, pl_model *pm, char *why, size_t why_len) {
  char v[32];
  int rc;
  if (strcmp(pl_model_kind(pm), "classify")) {
    say(why, why_len, "model kind is not \"classify\"");
    rc = PL_EFORMAT;
    goto fail;
  }
  if (pl_model_meta_get(pm, "classify.format", v, sizeof v) || strcmp(v, FORMAT_VERSION)) {
    say(why, why_len, "model has no classify.format=" FORMAT_VERSION);
    rc = PL_ENOTSUP;
    goto fail;
  }
  pl_classify_model *cm = calloc(1, sizeof *cm);
  if (!cm) {
    rc = PL_ENOMEM;
    goto fail;
  }
  rc = pl_nn_seq_init(&cm->net, pm);
  if (!rc && (cm->net.in != PL_DN_NFEAT || cm->net.out != PL_CLASS_N)) {
    say(why, why_len, "network does not map the 72 denoise features to 3 classes");
    rc = PL_EFORMAT;
  } else if (rc) {
    say(why, why_len, "network description (arch lines) is invalid");
  }
  if (rc) {
    free(cm);
    goto fail;
  }
  cm->m = pm;
  *out = cm;
  return 0;
fail:
  pl_model_free(pm);
  return rc;
}

int pl_classify_model_load_file(pl_classify_model **out, const char *path, char *why,
                                size_t why_len) {
  pl_model *pm;
  *out = NULL;
  int rc = pl_model_load_file(&pm, path, why, why_len);
  return rc ? rc : finish_load(out, pm, why, why_len);
}

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static pl_classify_model *builtin;
static int builtin_rc;

static void load_builtin(void) {
  pl_model *pm;
  char why[PL_MODEL_WHY_LEN];
  builtin_rc = pl_model_load_static(&pm, pl_model_classify, pl_model_classify_len, why,
                                    sizeof why);
  if (!builtin_rc)
    builtin_rc = finish_load(&builtin, pm, why, sizeof why);
}

int pl_classify_model_builtin(const pl_classify_model **out) {
  pthread_once(&builtin_once, load_builtin);
  *out = builtin;
  return builtin_rc;
}

void pl_classify_model_free(pl_classify_model *m) {
  if (!m || m == builtin)
    return;
  pl_model_free(m->m);
  free(m);
}

int pl_classify_new(pl_classify **out, const pl_classify_model *m) {
  *out = NULL;
  if (!m) {
    int rc = pl_classify_model_builtin(&m);
    if (rc)
      return rc;
  }
  pl_classify *c = calloc(1, sizeof *c);
  if (!c)
    return PL_ENOMEM;
  c->m = m;
  int rc = pl_dn_dsp_init(&c->dsp);
  if (!rc) {
    pl_dn_dsp_set_floor(&c->dsp, RUN_PSD_FLOOR);
    rc = pl_nn_seq_state_init(&c->st, &m->net);
  }
  if (rc) {
    pl_dn_dsp_free(&c->dsp);
    free(c);
    return rc;
  }
  *out = c;
  return 0;
}

void pl_classify_free(pl_classify *c) {
  if (!c)
    return;
  pl_nn_seq_state_free(&c->st);
  pl_dn_dsp_free(&c->dsp);
  free(c);
}

void pl_classify_reset(pl_classify *c) {
  pl_dn_dsp_reset(&c->dsp);
  pl_nn_seq_state_reset(&c->st);
  memset(c->logit, 0, sizeof c->logit);
}

void pl_classify_process_features(pl_classify *c, const float *feat, float *p) {
  if (feat != c->feat)
    memcpy(c->feat, feat, sizeof c->feat);
  pl_nn_seq_step(&c->st, c->feat, c->logit);
  float mx = c->logit[0];
  for (int k = 1; k < PL_CLASS_N; k++)
    mx = fmaxf(mx, c->logit[k]);
  float s = 0.0f;
  for (int k = 0; k < PL_CLASS_N; k++) {
    p[k] = expf(c->logit[k] - mx);
    s += p[k];
  }
  /* A NaN from a damaged model reads as "other" (never drives Opus). */
  if (!(s > 0.0f) || !isfinite(s)) {
    p[PL_CLASS_SPEECH] = p[PL_CLASS_MUSIC] = 0.0f;
    p[PL_CLASS_OTHER] = 1.0f;
    return;
  }
  for (int k = 0; k < PL_CLASS_N; k++)
    p[k] /= s;
}

void pl_classify_process(pl_classify *c, const float *in, float *p) {
  float x[PL_CLASSIFY_FRAME];
  for (int i = 0; i < PL_CLASSIFY_FRAME; i++) {
    float v = in[i];
    x[i] = isfinite(v) ? fmaxf(-8.0f, fminf(8.0f, v)) : 0.0f;
  }
  pl_dn_dsp_analyze(&c->dsp, x, c->feat);
  pl_classify_process_features(c, c->feat, p);
}

const float *pl_classify_features(const pl_classify *c) { return c->feat; }
const float *pl_classify_logits(const pl_classify *c) { return c->logit; }
