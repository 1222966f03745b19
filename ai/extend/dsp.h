/* Signal processing of the bandwidth extender (docs/bwe.md), the C twin
 * of ai/train/extend/dsp.py: 20 ms Vorbis windows every 10 ms at 48 kHz,
 * 960-point FFT (50 Hz bins), triangular bands every 500 Hz, the excitation
 * copied up from the existing band, its shaping to band energies, and the
 * spectral-folding baseline. */
#ifndef PL_AI_EXTEND_DSP_H
#define PL_AI_EXTEND_DSP_H

#include "ai/denoise/fft.h"

#define PL_EXT_HOP 480
#define PL_EXT_WIN 960
#define PL_EXT_NBIN 481
#define PL_EXT_BIN_HZ 50
#define PL_EXT_BAND_BINS 10
#define PL_EXT_NB 49        /* band centres 0, 500, ..., 24000 Hz */
#define PL_EXT_IN_BANDS 16  /* model input: 0 .. 7500 Hz */
#define PL_EXT_OUT_LO 8     /* model output: bands 8 .. 40 (4 .. 20 kHz) */
#define PL_EXT_OUT_HI 40
#define PL_EXT_OUT_BANDS (PL_EXT_OUT_HI - PL_EXT_OUT_LO + 1)
#define PL_EXT_N_IN (PL_EXT_IN_BANDS + 2)
#define PL_EXT_TOP_BIN 400  /* nothing generated above 20 kHz */
#define PL_EXT_TOP_RAMP 20
#define PL_EXT_XOVER_RAMP 10
#define PL_EXT_EXC_MARGIN 10
#define PL_EXT_E_FLOOR 1e-12f
#define PL_EXT_REL_MAX 1.0f /* log10: predicted band <= low band mean + 10 dB */

/* Cutoffs the model knows (Hz): narrowband, mediumband, wideband. */
#define PL_EXT_CUTOFF_NB 4000
#define PL_EXT_CUTOFF_MB 6000
#define PL_EXT_CUTOFF_WB 8000

/* Tables shared by every stream (built once, thread-safe). */
const float *pl_ext_window(void);

/* Input bands whose whole triangle lies >= 500 Hz under fc. */
int pl_ext_usable_bands(int fc);

/* log10 of the mean bin power of every band (NB values) of spectrum X. */
void pl_ext_log_energy(const pl_dn_cpx *X, float *logE);

/* Model input from the band log-energies: usable bands relative to their
 * mean level, the level, fc / 8000; *ref gets the level (log10). */
void pl_ext_features(const float *logE, int fc, float *x, float *ref);

/* E[k] = X[k - m] for kc <= k <= TOP_BIN (see dsp.py); 0 elsewhere. */
void pl_ext_excitation(const pl_dn_cpx *X, int fc, pl_dn_cpx *E);

/* Scales E in place to the predicted band log-energies pred [OUT_BANDS]
 * (absolute log10, already limited), crossover and top ramps applied. */
void pl_ext_shape(pl_dn_cpx *E, const float *pred, int fc);

/* Spectral folding, the baseline (dsp.py fold): y[i] = x[i] + g * sum_j
 * a_j cos(2 pi 2 j fc n / 48000) x[i], n = n0 + i, for a block of n
 * samples; returns the next n0. No state besides the sample index. */
long pl_ext_fold(const float *x, float *y, int n, int fc, float gain_db,
                 long n0);

#endif
