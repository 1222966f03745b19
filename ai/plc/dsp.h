/* Signal processing of the neural concealer (ai/plc/plc.c), the C twin of
 * ai/train/plc/dsp.py: band log-energies of 20 ms windows of 48 kHz audio
 * (what the model reads and predicts), 48 <-> 16 kHz resampling, pitch, LPC
 * and the band-ratio envelope used by the 16 kHz synthesis. Tables live in
 * a caller-owned pl_plc_dsp; nothing allocates after pl_plc_dsp_init. */
#ifndef PL_AI_PLC_DSP_H
#define PL_AI_PLC_DSP_H

#include <stddef.h>

#include "audio/metrics/fft.h"

#define PL_PLC_RATE 48000
#define PL_PLC_HOP 480   /* 10 ms at 48 kHz */
#define PL_PLC_WIN 960   /* 20 ms analysis window */
#define PL_PLC_NFFT 1024
#define PL_PLC_NBINS (PL_PLC_NFFT / 2 + 1)
#define PL_PLC_NB 22     /* bands 0..24 kHz */
#define PL_PLC_NB_LOW 18 /* bands up to 8 kHz (the 16 kHz synthesis) */
#define PL_PLC_LOG_FLOOR 1e-5

#define PL_PLC_SR16 16000
#define PL_PLC_FRAME16 160
#define PL_PLC_LPC 16
#define PL_PLC_PMIN16 32
#define PL_PLC_PMAX16 256
#define PL_PLC_DEC_TAPS 145
#define PL_PLC_DEC_DELAY 72 /* (taps - 1) / 2, at 48 kHz */
#define PL_PLC_NFFT16 256   /* envelope grid at 16 kHz (62.5 Hz) */
#define PL_PLC_POLY 49      /* taps per polyphase branch */
#define PL_PLC_NBINS16 (PL_PLC_NFFT16 / 2 + 1)

typedef struct pl_plc_dsp {
  pl_fft *fft;
  float window[PL_PLC_WIN];
  /* Triangular bands: bin k gives (1 - frac) of its power to band lo[k]
   * and frac to band lo[k] + 1. */
  unsigned char band_lo[PL_PLC_NBINS];
  float band_frac[PL_PLC_NBINS];
  float lowpass[PL_PLC_DEC_TAPS]; /* unity DC gain */
  /* Upsampling branches, reversed: up[r][k] = 3 lowpass[3 (48 - k) + r]
   * weighs 16 kHz sample q - 24 + k for 48 kHz time 3q + r. */
  float up[3][PL_PLC_POLY];
  float lag_win[PL_PLC_LPC + 1];
  /* The same bands on the 16 kHz envelope grid (bands 0..NB_LOW-1). */
  unsigned char band16_lo[PL_PLC_NBINS16];
  float band16_frac[PL_PLC_NBINS16];
  /* cos(2 pi k l / NFFT16) for the autocorrelation of an envelope. */
  float cos16[PL_PLC_LPC + 1][PL_PLC_NBINS16];
  float sin16[PL_PLC_LPC + 1][PL_PLC_NBINS16];
  double buf[PL_PLC_NFFT + 2], spec[PL_PLC_NFFT + 2];
} pl_plc_dsp;

int pl_plc_dsp_init(pl_plc_dsp *d);
void pl_plc_dsp_free(pl_plc_dsp *d);

/* Band log10-energies (log10(E + PL_PLC_LOG_FLOOR)) of the Hann-windowed
 * PL_PLC_WIN samples at x. */
void pl_plc_bands(pl_plc_dsp *d, const float *x, float out[PL_PLC_NB]);

/* 16 kHz samples y[j] = lowpass(x)[3 j] for j = 0..n16-1, reading x[-72 .. 3 (n16 - 1) + 72] (the caller
 * guarantees those exist). */
void pl_plc_decimate(pl_plc_dsp *d, const float *x, float *y, int n16);
/* 48 kHz sample n = 3 j + r from 16 kHz samples around j: the caller passes
 * x pointing at 16 kHz sample j0 and n48 outputs starting at 48 kHz time
 * 3 j0 + off, reading x[-24 .. (off + n48 + 72) / 3]. */
void pl_plc_upsample(pl_plc_dsp *d, const float *x, int off, float *y, int n48);

/* Lag in [pmin, pmax] maximising the normalised correlation of
 * x[-win .. -1] with x[-win - lag .. -1 - lag] (x points one past the
 * end); the correlation goes to *corr. Searched on a 2:1 decimated copy,
 * then refined at full rate around the best coarse lag; win and pmin even,
 * win <= 640. */
int pl_plc_pitch(const float *x, int win, int pmin, int pmax, float *corr);

/* Levinson-Durbin on r[0..order]: a[0] = 1, A(z) = sum a_k z^-k; returns
 * the prediction error power (stops early, keeping a stable filter, when
 * the error would not stay positive). */
double pl_plc_levinson(const double *r, double *a, int order);
/* Hann-windowed autocorrelation r[0..PL_PLC_LPC] of n samples. */
void pl_plc_autocorr(const float *x, int n, double *r);
/* Lag window and white-noise correction, in place. */
void pl_plc_condition(const pl_plc_dsp *d, double *r);
/* Autocorrelation of the all-pole envelope g^2 / |A|^2 reshaped by band
 * gains: r = IDFT(g^2 / |A(f)|^2 * 10^(sum_b w_b(f) dlog_b)), dlog in
 * log10 energy units for bands 0..NB_LOW-1. */
void pl_plc_envelope_autocorr(pl_plc_dsp *d, const double *a, double g2,
                              const float *dlog, double *r);

#endif
