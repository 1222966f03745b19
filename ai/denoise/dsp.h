/* The signal processing around the noise-suppression network: 20 ms
 * sine-windowed frames every 10 ms at 48 kHz, band energies on 27
 * triangular bands, pitch (ai/denoise/pitch.h), the network's input
 * features, and the inverse: per-band gains and pitch comb-filter strengths
 * applied to the spectrum, then overlap-add. Also the training targets
 * (ai/train/denoise), so Python trains on exactly what C computes. */
#ifndef PL_AI_DENOISE_DSP_H
#define PL_AI_DENOISE_DSP_H

#include "ai/denoise/fft.h"
#include "ai/denoise/pitch.h"

#define PL_DN_FRAME 480 /* hop: 10 ms */
#define PL_DN_WIN 960   /* window: 20 ms */
#define PL_DN_BINS 481
#define PL_DN_BANDS 27
#define PL_DN_CEPS 8 /* cepstral coefficients whose deltas are features */
#define PL_DN_HIST (PL_DN_WIN + PL_DN_PITCH_MAX)

/* Feature vector layout (PL_DN_NFEAT floats per frame). */
#define PL_DN_F_LOGE 0                                /* [27] log10 band PSD */
#define PL_DN_F_D1 (PL_DN_F_LOGE + PL_DN_BANDS)       /* [8] cepstrum delta */
#define PL_DN_F_D2 (PL_DN_F_D1 + PL_DN_CEPS)          /* [8] second delta */
#define PL_DN_F_PCORR (PL_DN_F_D2 + PL_DN_CEPS)       /* [27] pitch corr */
#define PL_DN_F_PERIOD (PL_DN_F_PCORR + PL_DN_BANDS)  /* period / 100 */
#define PL_DN_F_PGAIN (PL_DN_F_PERIOD + 1)            /* pitch correlation */
#define PL_DN_NFEAT (PL_DN_F_PGAIN + 1)

/* Network output layout: band gains, band comb strengths, voice activity. */
#define PL_DN_O_GAIN 0
#define PL_DN_O_COMB PL_DN_BANDS
#define PL_DN_O_VAD (2 * PL_DN_BANDS)
#define PL_DN_NOUT (2 * PL_DN_BANDS + 1)

/* Training record per frame (ai/train/denoise reads these as float32):
 * features, target gains, target comb strengths, their loss weights, then
 * the clean and the noisy window energy in dB. */
#define PL_DN_T_GAIN PL_DN_NFEAT
#define PL_DN_T_COMB (PL_DN_T_GAIN + PL_DN_BANDS)
#define PL_DN_T_WGAIN (PL_DN_T_COMB + PL_DN_BANDS)
#define PL_DN_T_WCOMB (PL_DN_T_WGAIN + PL_DN_BANDS)
#define PL_DN_T_CLEAN_DB (PL_DN_T_WCOMB + PL_DN_BANDS)
#define PL_DN_T_NOISY_DB (PL_DN_T_CLEAN_DB + 1)
#define PL_DN_TRAIN_REC (PL_DN_T_NOISY_DB + 1)

/* Band centres in FFT bins (50 Hz each); band b spans the bins between
 * centres b-1 and b+1 with a triangular weight. */
extern const int pl_dn_band_centre[PL_DN_BANDS];

typedef struct pl_dn_dsp {
  pl_dn_fft *fft;
  float window[PL_DN_WIN];
  float hist[PL_DN_HIST]; /* input, newest last */
  float overlap[PL_DN_FRAME];
  float ceps[2][PL_DN_CEPS];
  float dct[PL_DN_CEPS][PL_DN_BANDS];
  float inv_width[PL_DN_BANDS];
  pl_dn_pitch pitch;
  /* The last analysed frame. */
  pl_dn_cpx X[PL_DN_BINS], P[PL_DN_BINS];
  float ex[PL_DN_BANDS], ep[PL_DN_BANDS], exp_[PL_DN_BANDS];
  int period;
  float pitch_gain;
  float psd_floor; /* added to every bin's power before the features */
  /* Scratch. */
  pl_dn_cpx Y[PL_DN_BINS];
  float buf[PL_DN_WIN];
} pl_dn_dsp;

/* PL_ENOMEM; the struct may be caller-owned (it is ~40 kB). */
int pl_dn_dsp_init(pl_dn_dsp *d);
void pl_dn_dsp_free(pl_dn_dsp *d);
void pl_dn_dsp_reset(pl_dn_dsp *d);

/* The power per bin (white noise of variance s^2 has s^2) that the
 * features treat as the floor of the input, as if that much white noise
 * were always present; it also resets the stream. Default 1e-10 (-100 dB,
 * below any real input; what training records use). */
void pl_dn_dsp_set_floor(pl_dn_dsp *d, float psd);
/* Takes the next PL_DN_FRAME samples, analyses the window ending with them
 * and writes PL_DN_NFEAT features. */
void pl_dn_dsp_analyze(pl_dn_dsp *d, const float *in, float *feat);
/* Output for the last analysed frame: spectrum X mixed with the pitch-
 * delayed spectrum P as g (1 - c) X + g c P, g and c interpolated per bin
 * from the band values, then overlap-added. PL_DN_FRAME samples come out,
 * delayed by PL_DN_FRAME (10 ms) relative to the input. */
void pl_dn_dsp_synthesize(pl_dn_dsp *d, const float *gain, const float *comb,
                          float *out);

/* Windowed transform of the PL_DN_WIN samples at x (clean reference for
 * targets, tests). */
void pl_dn_dsp_spectrum(pl_dn_dsp *d, const float *x, pl_dn_cpx *S);
/* Training targets of the last analysed frame given the clean spectrum S of
 * the same window: per band the least-squares a, c >= 0 of S ~ a X + c P,
 * as gain a + c (at most 1) and comb strength c / (a + c); loss weights;
 * dB energies. Writes rec[PL_DN_T_GAIN .. PL_DN_TRAIN_REC). */
void pl_dn_dsp_targets(const pl_dn_dsp *d, const pl_dn_cpx *S, float *rec);

#endif
