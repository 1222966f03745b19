/* Objective audio quality metrics for offline comparison of a reference
 * (sent) and a degraded (received) recording: delay alignment by FFT
 * cross-correlation, SNR, segmental SNR, SI-SDR, STOI and log-spectral
 * distance. Definitions and validation are in docs/metrics.md. */
#ifndef PL_AUDIO_METRICS_H
#define PL_AUDIO_METRICS_H

#include <stddef.h>

typedef struct pl_audio_align {
  long lag;         /* deg[n + lag] lines up with ref[n]; > 0: deg is late */
  double peak;      /* correlation at lag / sqrt(E_ref * E_deg), in [-1, 1] */
} pl_audio_align;

/* Finds the lag in [-max_lag, max_lag] maximising sum ref[n] deg[n+lag],
 * computed exactly over the whole signals in FFT blocks (memory grows with
 * max_lag, not with the signal). PL_EINVAL for empty input, PL_ERANGE when
 * either signal is all zero (no peak to find). */
int pl_audio_align_find(const float *ref, size_t n_ref, const float *deg,
                        size_t n_deg, long max_lag, pl_audio_align *out);

/* Metrics on two already-aligned signals of n samples. */
/* 10 log10(sum ref^2 / sum (ref - deg)^2); +INFINITY when identical. */
double pl_snr_db(const float *ref, const float *deg, size_t n);
/* Mean over 20 ms frames (no overlap) of the frame SNR clamped to
 * [-10, 35] dB, over frames whose reference energy is within 40 dB of the
 * loudest reference frame. NAN when there is no such frame. */
double pl_segsnr_db(const float *ref, const float *deg, size_t n, int rate);
/* Scale-invariant SDR (Le Roux et al. 2019) after removing the means.
 * +INFINITY for an exact scaled copy, -INFINITY when deg is orthogonal. */
double pl_si_sdr_db(const float *ref, const float *deg, size_t n);
/* STOI (Taal et al. 2011), see stoi.c. Writes d in about [0, 1].
 * PL_ERANGE when under 30 frames (384 ms) of active speech remain. */
int pl_stoi(const float *ref, const float *deg, size_t n, int rate,
            double *out);
/* Log-spectral distance in dB: mean over active 20 ms Hann frames (10 ms
 * hop) of sqrt(mean over bins (10 log10(max(P_ref,e)/max(P_deg,e)))^2),
 * with the power floor e 80 dB below the loudest reference bin and active
 * = reference frame energy within 40 dB of the loudest. NAN when no frame
 * is active. */
double pl_lsd_db(const float *ref, const float *deg, size_t n, int rate);
/* The same over the bins in [f_lo, f_hi) Hz only, with frame_ms Hann frames
 * (hop frame_ms / 2), zero-padded to a power of two: a bandwidth
 * extension's added band on its own (lsd_band.c). NAN as above, or for an
 * empty band. */
double pl_lsd_band_db(const float *ref, const float *deg, size_t n, int rate, int frame_ms,
                      double f_lo, double f_hi);

/* Resamples mono float audio (speexdsp, quality 10) with the filter delay
 * removed, so out[k] lines up with in[k * rate_out / rate_in]. *out is
 * malloc'd; *n_out = ceil(n * rate_out / rate_in). */
int pl_audio_resample_offline(const float *in, size_t n, int rate_in,
                              int rate_out, float **out, size_t *n_out);

typedef struct pl_audio_compare_opts {
  double max_lag_s; /* alignment search range, default 1.0 s */
} pl_audio_compare_opts;

typedef struct pl_audio_metrics {
  int rate;             /* rate the metrics ran at (the reference's) */
  long delay_samples;   /* lag of deg relative to ref */
  double delay_ms;      /* mouth-to-ear delay estimate */
  double align_peak;    /* normalised correlation at the lag */
  size_t overlap;       /* aligned samples compared */
  double snr_db, segsnr_db, si_sdr_db, lsd_db;
  double stoi;          /* NAN when too short (stoi_err says why) */
  int stoi_err;
} pl_audio_metrics;

/* Aligns deg to ref, then computes every metric on the overlap. Mono,
 * same rate. */
int pl_audio_compare(const float *ref, size_t n_ref, const float *deg,
                     size_t n_deg, int rate, pl_audio_metrics *out);
/* As above, with deg resampled from deg_rate to ref_rate first. opts may
 * be NULL for the defaults. */
int pl_audio_compare_ex(const float *ref, size_t n_ref, int ref_rate,
                        const float *deg, size_t n_deg, int deg_rate,
                        const pl_audio_compare_opts *opts,
                        pl_audio_metrics *out);

#endif
