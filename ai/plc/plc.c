/* The neural concealer (see plc.h). Timeline: `pos` counts 48 kHz samples
 * played (observed or concealed) per channel; both are kept in a history
 * ring. A concealment run starts at 48 kHz sample s = pos: the model warms
 * up on the K frames before s, a 16 kHz synthesis continues the history
 * (local 16 kHz sample J sits at 48 kHz offset 3J - 70 from s, so J = -1
 * is the last one the zero-phase decimator can see) and is upsampled; the
 * first 4 ms cross-fade from a pitch-periodic copy of each channel's own
 * history, which makes the join continuous. */
#include "ai/plc/plc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ai/plc/dsp.h"
#include "ai/plc/net.h"
#include "audio/jitter/stretch.h"
#include "parley.h"

#define RING 16384 /* per channel, a power of two: 341 ms */
#define K_MAX 32
#define NH 640            /* 16 kHz history samples decimated at onset */
#define OFF16 70          /* 48 kHz offset of J = 0 is -OFF16 ... */
#define S16_CAP 2048      /* synthesis buffer, J = s16_j0 .. */
#define LOOKBACK16 512    /* 16 kHz samples kept when compacting (>= what the upsampler still reads) */
#define FADE_IN 192       /* 4 ms from the periodic extension */
#define SPLICE_TAU 24.0   /* samples: decay of the splice offset */
#define SINCE_MAX 11      /* the trainer's last lost step (M = 12) */
/* The first 20 ms of a loss take half the model's predicted change of the
 * envelope, and the first 40 ms its voicing decision rounded to voiced or
 * not: the model's regression towards the mean costs the metrics more than
 * holding the history does that early (measured on the trainer's
 * validation speech, docs/plc.md). */
#define EARLY_FRAMES 2
#define EARLY_SCALE 0.5f
#define SNAP_FRAMES 4
/* A jitter buffer without its own fade (audio/jitter's first version)
 * would otherwise play predicted speech for a whole outage: past 200 ms
 * the output fades out, silent from 500 ms. */
#define LONG_FADE_START (20 * PL_PLC_HOP)
#define LONG_FADE_END (50 * PL_PLC_HOP)
/* Bridging (the packet after the gap is here): the next packet's pitch
 * period counts from a normalised correlation of 0.6; the last 5 ms of the
 * gap cross-fade into it. */
#define BRIDGE_VOICED 0.6f
#define BRIDGE_XF 240
/* The model is trained on K = 16 frames of history from zero state, but
 * warming it up on the last 8 gives the same STOI/LSD at bursty loss (within
 * 0.0004 on two seeds; 4 frames lose 0.0003) at half the onset's cost; a gap
 * bridged from its start, where it gives only the voicing, needs 4 (4, 8 and
 * 16 equal to the 4th decimal at 20 % random loss). docs/plc.md. */
#define WARMUP 8
#define BRIDGE_WARMUP 4

extern const unsigned char pl_model_plc[];
extern const size_t pl_model_plc_len;

struct pl_plc {
  pl_model *own; /* the built-in model, when we loaded it */
  pl_plc_net net;
  pl_plc_net_state ns;
  pl_plc_dsp dsp;
  int K;
  uint64_t pos;
  float ring[2][RING];
  uint8_t conc[RING];
  bool active;
  /* run state */
  uint64_t s;                   /* 48 kHz sample where the run began */
  float held[PL_PLC_NET_IN];    /* model input during the loss */
  float hist_bands[PL_PLC_NB];  /* band log-energies of the last window */
  int k;                        /* synthesis frames made */
  int T, P48;                   /* pitch at 16 kHz, refined at 48 kHz */
  float cycle[PL_PLC_PMAX16];   /* last pitch cycle of the residual, unit power */
  double ah[PL_PLC_LPC + 1], gh, gref;
  double r_prev[PL_PLC_LPC + 1], g_prev, v_prev;
  float delta[2];               /* splice offset per channel */
  float s16[S16_CAP];           /* 16 kHz samples J = s16_j0 .. s16_j0 + s16_n - 1 */
  int s16_j0, s16_n;
  float pend[2][PL_PLC_HOP];    /* 48 kHz output not yet handed out */
  int pend_n, pend_pos;
  uint64_t out48;               /* offset from s of the next block */
  uint32_t noise;
  /* onset scratch */
  float an[(K_MAX + 1) * PL_PLC_HOP];
  float h16[NH + 1];
  float x[PL_PLC_NET_IN];
  double ph;                     /* excitation phase: position in the residual cycle */
  /* Bridging: while br_on, frames from br_k0 (br_nf of them) take their
   * envelope towards br_bands and their period towards br_T (16 kHz, 0 for
   * none). */
  bool br_on;
  float br_T;
  int br_k0, br_nf;
  float br_bands[PL_PLC_NB];
  float br_from[PL_PLC_NB_LOW];  /* the envelope change it starts from */
  float dlog_last[PL_PLC_NB_LOW]; /* the change the last frame used */
  pl_plc_stats st;
};

static float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* Uniform noise with unit variance (xorshift32). */
static float noise(pl_plc *p) {
  uint32_t v = p->noise;
  v ^= v << 13;
  v ^= v >> 17;
  v ^= v << 5;
  p->noise = v;
  return ((float)v * (1.0f / 2147483648.0f) - 1.0f) * 1.7320508f;
}

static void put(pl_plc *p, const float *pcm, int samples, int channels,
                uint8_t concealed) {
  for (int i = 0; i < samples; i++) {
    size_t at = (size_t)(p->pos & (RING - 1));
    for (int c = 0; c < 2; c++) {
      float v = pcm[(size_t)i * (size_t)channels + (size_t)(c < channels ? c : 0)];
      if (!isfinite(v))
        v = 0.0f;
      p->ring[c][at] = v > 2.0f ? 2.0f : v < -2.0f ? -2.0f : v;
    }
    p->conc[at] = concealed;
    p->pos++;
  }
}

/* History sample at absolute 48 kHz index i (0 before the stream began). */
static float hist(const pl_plc *p, int c, int64_t i) {
  if (i < 0 || (uint64_t)i >= p->pos || p->pos - (uint64_t)i > RING)
    return 0.0f;
  return p->ring[c][(size_t)i & (RING - 1)];
}

void pl_plc_observe(pl_plc *p, const float *pcm, int samples, int channels) {
  if (!p || !pcm || samples <= 0 || (channels != 1 && channels != 2))
    return;
  p->active = false;
  put(p, pcm, samples, channels, 0);
  p->st.observed_samples += (uint64_t)samples;
}

/* Runs when a loss begins: warm the model up on the last K frames, analyse
 * the history at 16 kHz (LPC, residual cycle, pitch) and set the splice. */
static void onset(pl_plc *p, int K) {
  const int ana = (K + 1) * PL_PLC_HOP;
  const int64_t s = (int64_t)p->pos;
  p->s = p->pos;
  for (int i = 0; i < ana; i++) {
    int64_t at = s - ana + i;
    p->an[i] = 0.5f * (hist(p, 0, at) + hist(p, 1, at));
  }
  /* Model warm-up from zero state, as in training. */
  pl_plc_net_state_reset(&p->ns);
  const float *mean = p->net.mean, *sd = p->net.std;
  float bands[PL_PLC_NB], out[PL_PLC_NB], vl;
  for (int r = 0; r < K; r++) {
    int end = ana - (K - 1 - r) * PL_PLC_HOP; /* window an[end - WIN, end) */
    pl_plc_bands(&p->dsp, p->an + end - PL_PLC_WIN, bands);
    int nc = 0;
    for (int i = 0; i < PL_PLC_HOP; i++)
      nc += p->conc[(size_t)(s - ana + end - PL_PLC_HOP + i) & (RING - 1)] &&
            s - ana + end - PL_PLC_HOP + i >= 0;
    for (int b = 0; b < PL_PLC_NB; b++)
      p->x[b] = (bands[b] - mean[b]) / sd[b];
    p->x[PL_PLC_NB] = 0.0f;
    p->x[PL_PLC_NB + 1] = 0.0f;
    p->x[PL_PLC_NB + 2] = 2 * nc > PL_PLC_HOP ? 1.0f : 0.0f;
    pl_plc_net_step(&p->ns, p->x, out, &vl);
  }
  memcpy(p->hist_bands, bands, sizeof bands);
  memcpy(p->held, p->x, sizeof p->held);
  p->held[PL_PLC_NB] = 1.0f;
  p->held[PL_PLC_NB + 2] = 0.0f;
  p->st.model_steps += (uint64_t)K;

  /* 16 kHz history J = -NH .. -1: decimator centre at an index
   * ana + 3J - OFF16, which reads up to ana - 1. */
  pl_plc_decimate(&p->dsp, p->an + ana - OFF16 - 3 * NH, p->h16, NH);
  const float *x16 = p->h16 + NH; /* x16[-1] is J = -1 */
  float corr;
  p->T = pl_plc_pitch(x16, 2 * PL_PLC_FRAME16, PL_PLC_PMIN16, PL_PLC_PMAX16, &corr);
  double r[PL_PLC_LPC + 1], rc[PL_PLC_LPC + 1];
  pl_plc_autocorr(x16 - 2 * PL_PLC_FRAME16, 2 * PL_PLC_FRAME16, r);
  double r0 = r[0] > 1e-30 ? r[0] : 1e-30;
  for (int l = 0; l <= PL_PLC_LPC; l++)
    p->r_prev[l] = rc[l] = r[l] / r0;
  pl_plc_condition(&p->dsp, rc);
  pl_plc_levinson(rc, p->ah, PL_PLC_LPC);
  /* Residual of the last pitch cycle. */
  double pw = 0.0;
  for (int i = 0; i < p->T; i++) {
    const float *q = x16 - p->T + i;
    double e = q[0];
    for (int k = 1; k <= PL_PLC_LPC; k++)
      e += p->ah[k] * q[-k];
    p->cycle[i] = (float)e;
    pw += e * e;
  }
  pw = pw / p->T + 1e-12;
  float inv = (float)(1.0 / sqrt(pw));
  for (int i = 0; i < p->T; i++)
    p->cycle[i] *= inv;
  p->gh = p->g_prev = sqrt(pw);
  p->v_prev = 1.0;
  /* The excitation gain the envelope model gives the unchanged history:
   * gains are taken relative to it, so that holding the envelope keeps the
   * history's level exactly (the residual cycle is not white, so the
   * model's absolute power is off by a few dB for voiced speech). */
  float zero[PL_PLC_NB_LOW] = {0};
  double re[PL_PLC_LPC + 1], ae[PL_PLC_LPC + 1];
  pl_plc_envelope_autocorr(&p->dsp, p->ah, pw, zero, re);
  double pe = re[0] > 1e-30 ? re[0] : 1e-30;
  for (int l = 0; l <= PL_PLC_LPC; l++)
    re[l] /= pe;
  pl_plc_condition(&p->dsp, re);
  p->gref = sqrt(fmax(pl_plc_levinson(re, ae, PL_PLC_LPC), 0.0) * pe) + 1e-30;
  /* Synthesis buffer starts with the filter memory (J = -LPC .. -1). */
  memcpy(p->s16, x16 - PL_PLC_LPC, sizeof(float) * PL_PLC_LPC);
  p->s16_j0 = -PL_PLC_LPC;
  p->s16_n = PL_PLC_LPC;
  /* Splice: the lag near 3T whose last 2 ms best match the last 2 ms. */
  const int L = 96;
  const float *a = p->an + ana - L;
  double ea = 0.0, best = -2.0;
  for (int i = 0; i < L; i++)
    ea += (double)a[i] * a[i];
  int lo = 3 * p->T - 4 < L / 2 ? L / 2 : 3 * p->T - 4;
  p->P48 = 3 * p->T;
  for (int q = lo; q <= 3 * p->T + 4; q++) {
    const float *b = a - q;
    double xc = 0.0, eb = 0.0;
    for (int i = 0; i < L; i++) {
      xc += (double)a[i] * b[i];
      eb += (double)b[i] * b[i];
    }
    double c = xc / sqrt(ea * eb + 1e-18);
    if (c > best) {
      best = c;
      p->P48 = q;
    }
  }
  for (int c = 0; c < 2; c++)
    p->delta[c] = hist(p, c, s - p->P48 - 1) - hist(p, c, s - 1);
  p->k = 0;
  p->ph = 0.0;
  p->out48 = 0;
  p->pend_n = p->pend_pos = 0;
  p->active = true;
  p->st.events++;
}

/* One 10 ms synthesis frame at 16 kHz (J = 160k .. 160k + 159). */
static void synth_frame(pl_plc *p) {
  float bands[PL_PLC_NB], vl, dlog[PL_PLC_NB_LOW];
  int since = p->k < SINCE_MAX ? p->k : SINCE_MAX;
  p->held[PL_PLC_NB + 1] = (float)since / 10.0f;
  pl_plc_net_step(&p->ns, p->held, bands, &vl);
  p->st.model_steps++;
  for (int b = 0; b < PL_PLC_NB_LOW; b++)
    dlog[b] = bands[b] * p->net.std[b] + p->net.mean[b] - p->hist_bands[b];
  double v = sigmoidf(vl);
  if (p->br_on && p->k >= p->br_k0) {
    /* The next packet is here: the envelope goes from where the run is to
     * the next packet's, each frame at its place between the windows
     * (centred 10 ms before the gap and 10 ms after it). The model's
     * prediction, a conditional mean from one side only, is worse than
     * this on every measured loss pattern (docs/plc.md). */
    float al = (float)(10 * (p->k - p->br_k0) + 15) / (float)(10 * p->br_nf + 20);
    if (al > 1.0f)
      al = 1.0f;
    for (int b = 0; b < PL_PLC_NB_LOW; b++)
      dlog[b] = (1.0f - al) * p->br_from[b] + al * (p->br_bands[b] - p->hist_bands[b]);
  } else if (p->k < EARLY_FRAMES)
    for (int b = 0; b < PL_PLC_NB_LOW; b++)
      dlog[b] *= EARLY_SCALE;
  if (p->k < SNAP_FRAMES)
    v = v > 0.5 ? 1.0 : 0.0;
  memcpy(p->dlog_last, dlog, sizeof dlog);
  double r[PL_PLC_LPC + 1], rc[PL_PLC_LPC + 1], a[PL_PLC_LPC + 1];
  pl_plc_envelope_autocorr(&p->dsp, p->ah, p->gh * p->gh, dlog, r);
  double pw = r[0] > 1e-30 ? r[0] : 1e-30;
  for (int l = 0; l <= PL_PLC_LPC; l++)
    rc[l] = r[l] = r[l] / pw;
  pl_plc_condition(&p->dsp, rc);
  double g = p->gh * sqrt(fmax(pl_plc_levinson(rc, a, PL_PLC_LPC), 0.0) * pw) / p->gref;
  /* Make room: keep LOOKBACK16 samples behind the frame. */
  if (p->s16_n + PL_PLC_FRAME16 > S16_CAP) {
    int drop = p->s16_n - LOOKBACK16;
    memmove(p->s16, p->s16 + drop, sizeof(float) * LOOKBACK16);
    p->s16_j0 += drop;
    p->s16_n = LOOKBACK16;
  }
  float *y = p->s16 + p->s16_n;
  for (int sb = 0; sb < 4; sb++) {
    double al = (sb + 1) / 4.0, rs[PL_PLC_LPC + 1], as[PL_PLC_LPC + 1];
    for (int l = 0; l <= PL_PLC_LPC; l++)
      rs[l] = (1.0 - al) * p->r_prev[l] + al * r[l];
    pl_plc_condition(&p->dsp, rs);
    pl_plc_levinson(rs, as, PL_PLC_LPC);
    double gs = (1.0 - al) * p->g_prev + al * g;
    double vs = (1.0 - al) * p->v_prev + al * v;
    vs = vs < 0.0 ? 0.0 : vs > 1.0 ? 1.0 : vs;
    float wp = (float)(gs * sqrt(vs)), wn = (float)(gs * sqrt(1.0 - vs));
    for (int i = 0; i < 40; i++, y++) {
      /* The cycle is read one sample a step, or, in a bridge, at the pace
       * that glides its period to the next packet's across the gap (the
       * phase is then fractional and the cycle interpolated). */
      double step = 1.0;
      if (p->br_on && p->br_T > 0.0f && p->k >= p->br_k0) {
        float u = ((float)((p->k - p->br_k0) * 160 + sb * 40 + i) + 0.5f) /
                  (float)(p->br_nf * 160);
        float tc = (float)p->T + ((float)p->br_T - (float)p->T) * (u < 1.0f ? u : 1.0f);
        step = (double)p->T / tc;
      }
      int i0 = (int)p->ph;
      float fr = (float)(p->ph - i0);
      int i1 = i0 + 1 < p->T ? i0 + 1 : 0;
      float e = wp * ((1.0f - fr) * p->cycle[i0] + fr * p->cycle[i1]) + wn * noise(p);
      p->ph += step;
      while (p->ph >= p->T)
        p->ph -= p->T;
      double acc = e;
      for (int k = 1; k <= PL_PLC_LPC; k++)
        acc -= as[k] * y[-k];
      *y = (float)acc;
    }
  }
  p->s16_n += PL_PLC_FRAME16;
  memcpy(p->r_prev, r, sizeof r);
  p->g_prev = g;
  p->v_prev = v;
  p->k++;
}

/* The next 10 ms at 48 kHz into pend. */
static void produce(pl_plc *p) {
  /* Output offset o needs J up to (o + OFF16 + 72) / 3. */
  int o = (int)p->out48;
  if (o >= LONG_FADE_END) { /* silent: no model or synthesis work */
    memset(p->pend, 0, sizeof p->pend);
    p->pend_n = PL_PLC_HOP;
    p->pend_pos = 0;
    return; /* out48 stays put: no overflow however long the outage */
  }
  int need = (o + PL_PLC_HOP - 1 + OFF16 + PL_PLC_DEC_DELAY) / 3;
  while (p->s16_j0 + p->s16_n <= need)
    synth_frame(p);
  float *y = p->pend[0];
  const float *x0 = p->s16 - p->s16_j0; /* x0[J] */
  pl_plc_upsample(&p->dsp, x0, o + OFF16, y, PL_PLC_HOP);
  for (int i = 0; i < PL_PLC_HOP; i++) {
    float v = y[i];
    p->pend[0][i] = v;
    p->pend[1][i] = v;
  }
  for (int c = 0; c < 2; c++) {
    for (int i = 0; i < PL_PLC_HOP && o + i < FADE_IN; i++) {
      int n = o + i;
      float ext = hist(p, c, (int64_t)p->s - p->P48 + n % p->P48) -
                  p->delta[c] * expf(-(float)n / (float)SPLICE_TAU);
      float w = 0.5f - 0.5f * cosf((float)M_PI * ((float)n + 0.5f) / FADE_IN);
      p->pend[c][i] = (1.0f - w) * ext + w * p->pend[c][i];
    }
    for (int i = 0; i < PL_PLC_HOP; i++) {
      float v = p->pend[c][i];
      int n = o + i;
      if (n >= LONG_FADE_END)
        v = 0.0f;
      else if (n > LONG_FADE_START)
        v *= 0.5f + 0.5f * cosf((float)M_PI * (float)(n - LONG_FADE_START) /
                                (float)(LONG_FADE_END - LONG_FADE_START));
      p->pend[c][i] = !(v == v) ? 0.0f : v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v;
    }
  }
  p->pend_n = PL_PLC_HOP;
  p->pend_pos = 0;
  p->out48 += PL_PLC_HOP;
}

/* The next `samples` of the run into out (not yet in the history). */
static void generate(pl_plc *p, float *out, int samples, int channels) {
  if (!p->active)
    onset(p, p->K < WARMUP ? p->K : WARMUP);
  int done = 0;
  while (done < samples) {
    if (p->pend_pos >= p->pend_n)
      produce(p);
    int n = p->pend_n - p->pend_pos;
    if (n > samples - done)
      n = samples - done;
    for (int i = 0; i < n; i++)
      for (int c = 0; c < channels; c++)
        out[(size_t)(done + i) * (size_t)channels + (size_t)c] = p->pend[c][p->pend_pos + i];
    p->pend_pos += n;
    done += n;
  }
}

int pl_plc_conceal(pl_plc *p, float *out, int samples, int channels,
                   int nth_consecutive) {
  (void)nth_consecutive;
  if (!p || !out || samples <= 0 || (channels != 1 && channels != 2))
    return PL_EINVAL;
  generate(p, out, samples, channels);
  put(p, out, samples, channels, 1);
  p->st.concealed_samples += (uint64_t)samples;
  return 0;
}

/* The pitch period at the start of the next packet (both channels
 * mixed): the jitter buffer's own period finder, 0 when it is not periodic
 * enough to repeat. */
static int next_pitch(const float *next, int n, int channels) {
  pl_stretch_match m;
  if (pl_stretch_find(next, n, channels, PL_STRETCH_MAX_LAG, &m) || !(m.corr >= BRIDGE_VOICED))
    return 0;
  return m.lag;
}

int pl_plc_bridge(pl_plc *p, float *out, int samples, const float *next, int next_samples,
                  int channels) {
  if (!p || !out || !next || samples <= 0 || samples > PL_PLC_BRIDGE_MAX ||
      next_samples < PL_PLC_WIN || (channels != 1 && channels != 2))
    return PL_EINVAL;
  if (!p->active)
    onset(p, BRIDGE_WARMUP);
  /* The envelope's end point: the next packet's first analysis window. */
  float *mono = p->an; /* onset scratch, free again */
  for (int i = 0; i < PL_PLC_WIN; i++) {
    float v = channels == 2 ? 0.5f * (next[2 * i] + next[2 * i + 1]) : next[i];
    mono[i] = isfinite(v) ? v : 0.0f;
  }
  pl_plc_bands(&p->dsp, mono, p->br_bands);
  /* Synthesis runs a few samples ahead of the output: the gap's first
   * frame is the one that makes its first sample. */
  p->br_k0 = (int)((p->out48 + OFF16 + PL_PLC_DEC_DELAY) / 3 / PL_PLC_FRAME16);
  if (p->br_k0 < p->k) /* made already, on the model's envelope */
    p->br_k0 = p->k;
  p->br_nf = (samples + PL_PLC_HOP - 1) / PL_PLC_HOP;
  if (p->k > 0)
    memcpy(p->br_from, p->dlog_last, sizeof p->br_from);
  else
    memset(p->br_from, 0, sizeof p->br_from);
  const int nl = next_pitch(next, next_samples, channels);
  p->br_T = 0.0f;
  if (nl > 0) { /* not an octave away: a pitch error, not a glide */
    float t16 = (float)nl / 3.0f;
    if (t16 > 0.7f * (float)p->T && t16 < 1.43f * (float)p->T)
      p->br_T = t16;
  }
  p->br_on = true;
  generate(p, out, samples, channels);
  p->br_on = false;
  /* The last BRIDGE_XF cross-fade into the next packet's start extended
   * back in time: by its first pitch period when that is periodic, else
   * mirrored (the same spectrum, no buzz from a repeated noise cycle). */
  const int X = samples < BRIDGE_XF ? samples : BRIDGE_XF;
  for (int c = 0; c < channels; c++) {
    const float *nx = next + c;
    for (int t = samples - X; t < samples; t++) {
      int k = samples - t; /* samples before next[0], 1.. */
      int i = nl ? (nl - k % nl) % nl : k;
      float b = nx[(size_t)i * (size_t)channels];
      float w = 0.5f - 0.5f * cosf((float)M_PI * ((float)(t - samples + X) + 0.5f) / (float)X);
      float *o = &out[(size_t)t * (size_t)channels + (size_t)c];
      float v = (1.0f - w) * *o + w * (isfinite(b) ? b : 0.0f);
      *o = v > 1.0f ? 1.0f : v < -1.0f ? -1.0f : v;
    }
  }
  put(p, out, samples, channels, 1);
  p->st.concealed_samples += (uint64_t)samples;
  p->st.bridges++;
  return 0;
}

static int ops_conceal(void *self, float *out, int samples, int channels, int nth) {
  return pl_plc_conceal(self, out, samples, channels, nth);
}

static int ops_bridge(void *self, float *out, int samples, const float *next,
                      int next_samples, int channels) {
  return pl_plc_bridge(self, out, samples, next, next_samples, channels);
}

static void ops_observe(void *self, const float *pcm, int samples, int channels) {
  pl_plc_observe(self, pcm, samples, channels);
}

/* The model predicts speech well past the 50 ms that Opus PLC's decaying
 * repetition holds up: docs/plc.md measured that a jitter buffer fading at
 * 50-100 ms throws away half its gain on bursts, and 100-200 ms keeps it. */
const pl_concealer_ops pl_plc_ops = {ops_conceal, ops_observe, PL_PLC_FADE_START_MS,
                                     PL_PLC_FADE_END_MS, ops_bridge};

pl_plc *pl_plc_new(const pl_model *m) {
  pl_plc *p = calloc(1, sizeof *p);
  if (!p)
    return NULL;
  if (!m) {
    char why[PL_MODEL_WHY_LEN];
    if (pl_model_load_static(&p->own, pl_model_plc, pl_model_plc_len, why, sizeof why))
      goto fail;
    m = p->own;
  }
  char val[32];
  p->K = 16;
  if (pl_model_meta_get(m, "plc.context", val, sizeof val) == 0)
    p->K = atoi(val);
  if (p->K < 4 || p->K > K_MAX) /* the 16 kHz analysis reads 4 frames back */
    goto fail;
  if (pl_plc_net_init(&p->net, m) || pl_plc_dsp_init(&p->dsp))
    goto fail;
  if (pl_plc_net_state_init(&p->ns, &p->net))
    goto fail;
  p->noise = 0x9E3779B9u;
  return p;
fail:
  pl_plc_free(p);
  return NULL;
}

void pl_plc_free(pl_plc *p) {
  if (!p)
    return;
  pl_plc_net_state_free(&p->ns);
  pl_plc_dsp_free(&p->dsp);
  pl_model_free(p->own);
  free(p);
}

void pl_plc_reset(pl_plc *p) {
  if (!p)
    return;
  p->pos = 0;
  p->active = false;
  memset(p->conc, 0, sizeof p->conc);
  p->noise = 0x9E3779B9u;
  memset(&p->st, 0, sizeof p->st);
}

void pl_plc_get_stats(const pl_plc *p, pl_plc_stats *out) { *out = p->st; }
