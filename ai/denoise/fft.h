/* A small single-precision mixed-radix FFT (factors 2, 3, 4, 5) for the
 * noise suppressor's 960-point frames, which the radix-2 analysis FFT of
 * audio/metrics cannot do. Plans are built once; transforms do not
 * allocate. */
#ifndef PL_AI_DENOISE_FFT_H
#define PL_AI_DENOISE_FFT_H

#include <stddef.h>

typedef struct pl_dn_cpx {
  float r, i;
} pl_dn_cpx;

#define PL_DN_FFT_MAX_FACTORS 16

typedef struct pl_dn_fft pl_dn_fft;

/* A plan for real transforms of n points: n even, n/2 a product of 2, 3
 * and 5, 4 <= n <= 1 << 16. NULL on an unsupported n or out of memory. */
pl_dn_fft *pl_dn_fft_new(int n);
void pl_dn_fft_free(pl_dn_fft *f);
int pl_dn_fft_size(const pl_dn_fft *f);

/* X[k] = sum_t x[t] e^{-2 pi i k t / n} for k = 0..n/2 (n/2+1 bins; the
 * imaginary parts of bins 0 and n/2 are 0). x and X may not overlap. */
void pl_dn_fft_forward(pl_dn_fft *f, const float *x, pl_dn_cpx *X);
/* The inverse, scaled by 1/n, so inverse(forward(x)) == x. Reads n/2+1
 * bins (imaginary parts of bins 0 and n/2 are ignored). */
void pl_dn_fft_inverse(pl_dn_fft *f, const pl_dn_cpx *X, float *x);

/* The complex transform of the plan's n/2 points (tests, and the real
 * transforms above): out[k] = sum in[t] e^{-+2 pi i k t / (n/2)}, sign -
 * when inverse is 0; unscaled. in and out may not overlap. */
void pl_dn_fft_complex(const pl_dn_fft *f, const pl_dn_cpx *in, pl_dn_cpx *out,
                       int inverse);

#endif
