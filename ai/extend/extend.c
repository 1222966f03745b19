/* The bandwidth extender (see extend.h, docs/bwe.md). */
#include "ai/extend/extend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ai/extend/dsp.h"
#include "ai/nn/nn.h"
#include "parley.h"

extern const unsigned char pl_model_extend[];
extern const size_t pl_model_extend_len;

#define MAX_HIDDEN 256
#define N_STD (PL_EXT_IN_BANDS + 1)

/* Band detector (spectrum). Region powers are the mean bin power of the
 * triangular bands: speech 0.5-3 kHz (bands 1-6) against 5-7.5 kHz (10-15)
 * and 9-11.5 kHz (18-23), 1 kHz clear of the band edges they test so a
 * strong partial just under an edge does not leak in; averaged over active
 * frames with a 0.5 s time constant. Measured (docs/bwe.md): real
 * full-band speech sits 17-40 dB under its 0.5-3 kHz level at 9-11.5 kHz;
 * 16 kHz speech resampled to 48 kHz 99-121 dB under. Limited under -50 dB,
 * full again over -45 dB (hysteresis). */
#define DET_ALPHA 0.02f
#define DET_ON_DB (-50.0f)
#define DET_OFF_DB (-45.0f)
#define DET_FIRST 20   /* active frames before the first decision */
#define DET_HOLD 30    /* active frames a new decision must persist */
#define DET_VETO 100   /* active full-band frames in a row before the spectrum overrules the packets */
#define DET_ACTIVE_ABS 1e-4f
#define DET_ACTIVE_REL 1e-3f

typedef struct detector {
  float r4, r8, peak; /* averaged levels (dB re 0.5-3 kHz); peak: decaying max of that band */
  int active;             /* active frames seen */
  int state;              /* -1 undecided, 0 full, 4000, 8000 */
  int cand, cand_n;
  int full_run; /* consecutive active frames that looked full band */
} detector;

struct pl_extend {
  /* model (shared weights) */
  pl_model *own;
  pl_nn_dense fc_in, fc_out;
  pl_nn_rnn gru;
  pl_nn_rnn_state st;
  const float *feat_mean, *feat_std, *out_mean, *out_std;
  int top_band;
  float slope;
  int hidden;
  /* stream */
  pl_dn_fft *fft;
  const float *win;
  float buf[PL_EXT_WIN];  /* last 20 ms of the mono mix */
  float ola[PL_EXT_WIN];  /* added band, overlap-add */
  float tmp[PL_EXT_WIN];
  float hb[PL_EXT_HOP];
  pl_dn_cpx X[PL_EXT_NBIN], E[PL_EXT_NBIN];
  float logE[PL_EXT_NB], x[PL_EXT_N_IN], z[PL_EXT_N_IN];
  float h[MAX_HIDDEN], y[PL_EXT_OUT_BANDS], pred[PL_EXT_OUT_BANDS];
  detector det;
  /* Delay: the added band of a frame is ready one frame later, so while
   * extending, the input is played 10 ms late to meet it. The delay is
   * taken on and dropped only on a quiet frame (a repeated or skipped 10
   * ms of near-silence is inaudible), or after 1 s with a cross-fade. */
  float dly[PL_EXT_HOP * 2]; /* the previous input frame, interleaved */
  int dly_ch;
  bool delayed, fixed_delay;
  int wait;       /* frames the delay switch has waited for a quiet frame */
  float loud;     /* decaying peak of the frame mean square */
  pl_extend_mode mode;
  int hint, forced;
  int fc;     /* cutoff in use (0 none) */
  float gain; /* fade */
  pl_extend_stats stats;
};

static int net_init(pl_extend *e, const pl_model *m) {
  const pl_tensor *t = pl_model_find(m, "fc_in.weight");
  if (!t)
    return PL_ENOENT;
  int H = t->dims[0];
  if (t->ndims != 2 || H < 1 || H > MAX_HIDDEN)
    return PL_EFORMAT;
  e->hidden = H;
  int rc;
  if ((rc = pl_nn_dense_init(&e->fc_in, m, "fc_in", PL_EXT_N_IN, H,
                             pl_nn_act_make(PL_NN_ACT_TANH, 0, 0))) ||
      (rc = pl_nn_rnn_init(&e->gru, m, PL_NN_GRU, "gru1", 0, H, H)) ||
      (rc = pl_nn_dense_init(&e->fc_out, m, "fc_out", H, PL_EXT_OUT_BANDS,
                             pl_nn_act_make(PL_NN_ACT_NONE, 0, 0))))
    return rc;
  const struct {
    const char *name;
    int n;
    const float **dst;
  } v[] = {{"feat_mean", N_STD, &e->feat_mean},
           {"feat_std", N_STD, &e->feat_std},
           {"out_mean", PL_EXT_OUT_BANDS, &e->out_mean},
           {"out_std", PL_EXT_OUT_BANDS, &e->out_std}};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    if ((rc = pl_model_get_tensor(m, &t, v[i].name, PL_DTYPE_F32, 1, v[i].n)))
      return rc;
    *v[i].dst = t->data;
  }
  for (int b = 0; b < N_STD; b++)
    if (!(e->feat_std[b] > 0.0f))
      return PL_EFORMAT;
  char val[32];
  e->top_band = PL_EXT_OUT_HI;
  e->slope = 0.0f;
  if (pl_model_meta_get(m, "extend.top_band", val, sizeof val) == 0) {
    int tb = atoi(val);
    if (tb < PL_EXT_OUT_LO + 8 || tb > PL_EXT_OUT_HI)
      return PL_EFORMAT;
    e->top_band = tb;
  }
  if (pl_model_meta_get(m, "extend.slope", val, sizeof val) == 0) {
    e->slope = strtof(val, NULL);
    if (!(e->slope > -2.0f && e->slope < 2.0f))
      return PL_EFORMAT;
  }
  return 0;
}

int pl_extend_new(pl_extend **out, const pl_model *model) {
  *out = NULL;
  pl_extend *e = calloc(1, sizeof *e);
  if (!e)
    return PL_ENOMEM;
  int rc = 0;
  if (!model) {
    char why[128];
    rc = pl_model_load_static(&e->own, pl_model_extend, pl_model_extend_len, why, sizeof why);
    model = e->own;
  }
  if (!rc)
    rc = net_init(e, model);
  if (!rc)
    rc = pl_nn_rnn_state_init(&e->st, &e->gru);
  if (!rc && !(e->fft = pl_dn_fft_new(PL_EXT_WIN)))
    rc = PL_ENOMEM;
  if (rc) {
    pl_extend_free(e);
    return rc;
  }
  e->win = pl_ext_window();
  e->mode = PL_EXTEND_AUTO;
  pl_extend_reset(e);
  *out = e;
  return 0;
}

void pl_extend_free(pl_extend *e) {
  if (!e)
    return;
  pl_nn_rnn_state_free(&e->st);
  pl_dn_fft_free(e->fft);
  pl_model_free(e->own);
  free(e);
}

void pl_extend_reset(pl_extend *e) {
  memset(e->buf, 0, sizeof e->buf);
  memset(e->ola, 0, sizeof e->ola);
  pl_nn_rnn_state_reset(&e->st);
  memset(&e->det, 0, sizeof e->det);
  e->det.state = -1;
  e->fc = 0;
  e->gain = 0.0f;
  memset(e->dly, 0, sizeof e->dly);
  e->dly_ch = 1;
  /* A stream starts delayed: most band-limited calls then never move their
   * timeline (a 10 ms jump mid-call costs a metric with one alignment a lot,
   * and a listener a repeated syllable if no quiet frame comes); a
   * full-band one drops the delay on a quiet frame once the detector has
   * decided, usually within its first second. */
  e->delayed = e->fixed_delay || e->mode != PL_EXTEND_OFF;
  e->wait = 0;
  e->loud = 0.0f;
  int hint = e->stats.hint_hz;
  memset(&e->stats, 0, sizeof e->stats);
  e->stats.hint_hz = hint;
  e->stats.detected_hz = -1;
}

void pl_extend_set_mode(pl_extend *e, pl_extend_mode mode) { e->mode = mode; }

void pl_extend_set_fixed_delay(pl_extend *e, bool on) {
  e->fixed_delay = on;
  if (on && !e->delayed && e->stats.frames == 0)
    e->delayed = true;
}

int pl_extend_delay(const pl_extend *e) { return e->delayed ? PL_EXTEND_DELAY : 0; }

void pl_extend_set_hint(pl_extend *e, int band_hz) {
  e->hint = band_hz;
  e->stats.hint_hz = band_hz;
}

int pl_extend_set_cutoff(pl_extend *e, int fc) {
  if (fc != 0 && (fc < PL_EXT_CUTOFF_NB || fc > PL_EXT_CUTOFF_WB || fc % 200))
    return PL_EINVAL;
  e->forced = fc;
  return 0;
}

int pl_extend_opus_band_hz(const uint8_t *pkt, int len) {
  if (!pkt || len < 1)
    return 0;
  int config = pkt[0] >> 3;
  if (config < 12) { /* SILK: NB, MB, WB */
    static const int silk[3] = {4000, 6000, 8000};
    return silk[config / 4];
  }
  if (config < 16) /* hybrid: SWB, FB */
    return config < 14 ? 12000 : 20000;
  static const int celt[4] = {4000, 8000, 12000, 20000}; /* NB, WB, SWB, FB */
  return celt[(config - 16) / 4];
}

/* ---- detector ---------------------------------------------------------- */

static float band_mean(const float *logE, int lo, int hi) {
  double s = 0.0;
  for (int b = lo; b <= hi; b++)
    s += pow(10.0, logE[b]);
  return (float)(s / (hi - lo + 1));
}

static void detect(detector *d, const float *logE) {
  float lo = band_mean(logE, 1, 6);
  d->peak = fmaxf(d->peak * 0.999f, lo);
  if (!(lo > DET_ACTIVE_ABS) || lo < d->peak * DET_ACTIVE_REL)
    return;
  float r4 = band_mean(logE, 10, 15), r8 = band_mean(logE, 18, 23);
  /* Averaged in dB (a running mean over the first frames, then 0.5 s):
   * one broadband click or onset must not outweigh a second of evidence. */
  float f4 = fmaxf(-130.0f, fminf(10.0f, 10.0f * log10f((r4 + 1e-30f) / lo)));
  float f8 = fmaxf(-130.0f, fminf(10.0f, 10.0f * log10f((r8 + 1e-30f) / lo)));
  d->active++;
  float a = fmaxf(DET_ALPHA, 1.0f / (float)d->active);
  d->r4 += a * (f4 - d->r4);
  d->r8 += a * (f8 - d->r8);
  float l4 = d->r4, l8 = d->r8;
  /* Hysteresis: the threshold that keeps the current state. */
  float t4 = d->state == 4000 ? DET_OFF_DB : DET_ON_DB;
  float t8 = d->state == 8000 || d->state == 4000 ? DET_OFF_DB : DET_ON_DB;
  int c = l4 < t4 ? 4000 : l8 < t8 ? 8000 : 0;
  d->full_run = c == 0 ? d->full_run + 1 : 0;
  if (d->active < DET_FIRST)
    return;
  if (d->state == -1) {
    d->state = c;
    return;
  }
  if (c == d->state) {
    d->cand_n = 0;
    return;
  }
  if (c != d->cand) {
    d->cand = c;
    d->cand_n = 0;
  }
  if (++d->cand_n >= DET_HOLD) {
    d->state = c;
    d->cand_n = 0;
  }
}

/* The cutoff the stream should extend from now (0: none). */
static int want_cutoff(const pl_extend *e) {
  if (e->mode == PL_EXTEND_OFF)
    return 0;
  int spec = e->det.state; /* -1, 0, 4000, 8000 */
  int hint = e->hint >= PL_EXT_CUTOFF_NB && e->hint <= PL_EXT_CUTOFF_WB ? e->hint : 0;
  int fc = 0;
  if (e->mode == PL_EXTEND_ON && e->forced)
    return e->forced;
  /* The packets' band until the spectrum has spoken; then the spectrum
   * lowers it (audio band-limited before encoding) or vetoes it: a decoder
   * that restores the band itself (libopus 1.6's OSCE BWE) must not get a
   * second one added. */
  if (hint)
    fc = spec == 0 && e->det.full_run >= DET_VETO ? 0 : spec > 0 && spec < hint ? spec : hint;
  else if (spec > 0)
    fc = spec;
  if (e->mode == PL_EXTEND_ON && !fc)
    fc = PL_EXT_CUTOFF_WB;
  return fc;
}

/* ---- model -------------------------------------------------------------- */

static void predict(pl_extend *e, int fc, float ref) {
  int nu = pl_ext_usable_bands(fc);
  for (int b = 0; b < N_STD; b++) {
    float v = (e->x[b] - e->feat_mean[b]) / e->feat_std[b];
    e->z[b] = b < PL_EXT_IN_BANDS && b >= nu ? 0.0f : v;
  }
  e->z[PL_EXT_IN_BANDS + 1] = e->x[PL_EXT_IN_BANDS + 1];
  pl_nn_dense_forward(&e->fc_in, e->z, e->h);
  pl_nn_rnn_forward(&e->st, e->h, 1, NULL);
  pl_nn_dense_forward(&e->fc_out, e->st.h, e->y);
  int top = e->top_band - PL_EXT_OUT_LO;
  for (int j = 0; j < PL_EXT_OUT_BANDS; j++)
    e->pred[j] = e->out_mean[j] + e->out_std[j] * e->y[j];
  for (int j = top + 1; j < PL_EXT_OUT_BANDS; j++)
    e->pred[j] = e->pred[top] + e->slope * (float)(j - top);
  for (int j = 0; j < PL_EXT_OUT_BANDS; j++)
    e->pred[j] = ref + fminf(e->pred[j], PL_EXT_REL_MAX);
  e->stats.model_steps++;
}

void pl_extend_debug_predict(pl_extend *e, const float *logE, int fc, float *pred) {
  float ref;
  pl_ext_features(logE, fc, e->x, &ref);
  predict(e, fc, ref);
  memcpy(pred, e->pred, sizeof e->pred);
}

/* ---- one frame ------------------------------------------------------------ */

static void keep_frame(pl_extend *e, const float *pcm, int channels) {
  memcpy(e->dly, pcm, sizeof(float) * PL_EXT_HOP * (size_t)channels);
  e->dly_ch = channels;
}

/* The previous input frame in `channels` channels (a mono frame is
 * duplicated, a stereo one mixed, when the layout changed). */
static void prev_frame(const pl_extend *e, float *out, int channels) {
  if (e->dly_ch == channels) {
    memcpy(out, e->dly, sizeof(float) * PL_EXT_HOP * (size_t)channels);
    return;
  }
  for (int i = 0; i < PL_EXT_HOP; i++) {
    if (channels == 2)
      out[2 * i] = out[2 * i + 1] = e->dly[i];
    else
      out[i] = 0.5f * (e->dly[2 * i] + e->dly[2 * i + 1]);
  }
}

int pl_extend_process(pl_extend *e, float *pcm, int samples, int channels) {
  if (!e || !pcm || samples != PL_EXTEND_FRAME || channels < 1 || channels > 2)
    return PL_EINVAL;
  memmove(e->buf, e->buf + PL_EXT_HOP, PL_EXT_HOP * sizeof *e->buf);
  float *nb = e->buf + PL_EXT_HOP;
  for (int i = 0; i < PL_EXT_HOP; i++) {
    float s = 0.0f;
    for (int c = 0; c < channels; c++)
      s += pcm[i * channels + c];
    s /= (float)channels;
    nb[i] = isfinite(s) ? fmaxf(-2.0f, fminf(2.0f, s)) : 0.0f;
  }
  /* Settled pass-through (full band found, nothing to fade, no delay):
   * the detector looks at every 4th frame only. It averages over 0.5 s
   * anyway, and a call with full-band audio then pays a quarter of the
   * analysis; packets that turn narrower still act at once (the hint). */
  bool settled = !e->delayed && !e->fc && e->gain <= 0.0f && e->det.state == 0 &&
                 e->mode == PL_EXTEND_AUTO && want_cutoff(e) == 0;
  if (!settled || e->stats.frames % 4 == 0) {
    for (int i = 0; i < PL_EXT_WIN; i++)
      e->tmp[i] = e->buf[i] * e->win[i];
    pl_dn_fft_forward(e->fft, e->tmp, e->X);
    pl_ext_log_energy(e->X, e->logE);
    detect(&e->det, e->logE);
  }
  e->stats.frames++;
  e->stats.detected_hz = e->det.state;

  /* Frame loudness (mono mean square) for the delay switch. */
  double ms = 0.0;
  for (int i = 0; i < PL_EXT_HOP; i++)
    ms += (double)nb[i] * nb[i];
  float fms = (float)(ms / PL_EXT_HOP);
  e->loud = fmaxf(e->loud * 0.995f, fms);
  bool quiet = fms < 1e-7f || fms < e->loud * 1e-4f; /* -70 dBFS, or 40 dB under the talker */

  int want = want_cutoff(e);
  bool need_delay = e->fixed_delay || want != 0 || e->fc != 0 || e->gain > 0.0f ||
                    (e->det.state < 0 && e->mode != PL_EXTEND_OFF);
  int sw = 0; /* +1: start delaying this frame, -1: stop */
  if (need_delay != e->delayed) {
    if (quiet || ++e->wait >= 100) {
      sw = need_delay ? 1 : -1;
      e->delayed = need_delay;
      e->stats.delay_switches++;
    }
  } else {
    e->wait = 0;
  }
  if (sw == 0 && !e->delayed)
    want = 0; /* extend only once the input is delayed to meet its band */

  /* Fade: towards 1 while the wanted cutoff is the one in use, towards 0
   * otherwise; a new cutoff starts (fresh network state, empty overlap)
   * only once the old one has faded out. */
  if (want != e->fc && e->gain <= 0.0f && (e->delayed || want == 0)) {
    e->fc = want;
    e->stats.switches++;
    pl_nn_rnn_state_reset(&e->st);
    memset(e->ola, 0, sizeof e->ola);
  }
  float g0 = e->gain;
  float target = want == e->fc && e->fc ? 1.0f : 0.0f;
  float step = 1.0f / (PL_EXTEND_FADE_FRAMES);
  float g1 = target > g0 ? fminf(1.0f, g0 + step) : target < g0 ? fmaxf(0.0f, g0 - step) : g0;
  if (sw == 1)
    g1 = 0.0f; /* the switch frame plays the input alone */
  e->gain = g1;
  e->stats.gain = g1;
  e->stats.cutoff_hz = e->fc;
  e->stats.delay = e->delayed ? PL_EXTEND_DELAY : 0;

  if (e->fc) {
    float ref;
    pl_ext_features(e->logE, e->fc, e->x, &ref);
    predict(e, e->fc, ref);
    pl_ext_excitation(e->X, e->fc, e->E);
    pl_ext_shape(e->E, e->pred, e->fc);
    pl_dn_fft_inverse(e->fft, e->E, e->tmp);
    for (int i = 0; i < PL_EXT_WIN; i++)
      e->ola[i] += e->tmp[i] * e->win[i];
    memcpy(e->hb, e->ola, sizeof e->hb);
    memmove(e->ola, e->ola + PL_EXT_HOP, PL_EXT_HOP * sizeof *e->ola);
    memset(e->ola + PL_EXT_HOP, 0, PL_EXT_HOP * sizeof *e->ola);
  }
  if (!e->delayed && sw == 0) {
    keep_frame(e, pcm, channels);
    return 0; /* bit-exact pass-through */
  }
  /* cur = this input frame; prev = the one before, in this frame's layout. */
  float cur[PL_EXT_HOP * 2], prev[PL_EXT_HOP * 2];
  int n = PL_EXT_HOP * channels;
  memcpy(cur, pcm, sizeof(float) * (size_t)n);
  prev_frame(e, prev, channels);
  keep_frame(e, cur, channels);
  for (int i = 0; i < PL_EXT_HOP; i++) {
    float g = g0 + (g1 - g0) * (float)(i + 1) / PL_EXT_HOP;
    float a = e->fc && (g0 > 0.0f || g1 > 0.0f) ? g * e->hb[i] : 0.0f;
    float r = (float)(i + 1) / PL_EXT_HOP; /* cross-fade of a loud switch */
    for (int c = 0; c < channels; c++) {
      int k = i * channels + c;
      float v;
      if (sw == 1)
        v = quiet ? prev[k] : (1.0f - r) * cur[k] + r * prev[k];
      else if (sw == -1)
        v = quiet ? cur[k] : (1.0f - r) * prev[k] + r * cur[k];
      else
        v = prev[k];
      /* a broken input sample stays what it was */
      pcm[k] = isfinite(v) && a != 0.0f ? fmaxf(-1.0f, fminf(1.0f, v + a)) : v;
    }
  }
  return 0;
}

void pl_extend_debug_last(const pl_extend *e, float *pred, float *spec) {
  memcpy(pred, e->pred, sizeof e->pred);
  if (spec)
    memcpy(spec, e->E, sizeof e->E);
}

void pl_extend_get_stats(const pl_extend *e, pl_extend_stats *st) { *st = e->stats; }
