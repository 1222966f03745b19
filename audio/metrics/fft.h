/* A small radix-2 FFT in double precision, for offline analysis (metrics,
 * alignment) where accuracy matters more than speed. Plans are created once
 * per size; the transforms themselves do not allocate. */
#ifndef PL_AUDIO_METRICS_FFT_H
#define PL_AUDIO_METRICS_FFT_H

#include <stddef.h>

typedef struct pl_fft pl_fft;

/* n must be a power of two, 2..2^26. NULL on bad n or out of memory. */
pl_fft *pl_fft_new(size_t n);
void pl_fft_free(pl_fft *f);
size_t pl_fft_size(const pl_fft *f);

/* In-place complex transform of n points, data = re0,im0,re1,im1,...
 * Forward is X[k] = sum x[t] e^{-2 pi i k t / n}; the inverse uses +i and
 * scales by 1/n, so inverse(forward(x)) == x. */
void pl_fft_complex(const pl_fft *f, double *data, int inverse);

/* Real transform of n real samples into n/2+1 complex bins (n+2 doubles,
 * re,im interleaved; bins 0 and n/2 have zero imaginary part). in and out
 * may not overlap. */
void pl_fft_real_forward(const pl_fft *f, const double *in, double *out);
/* Inverse of the above: n/2+1 bins (n+2 doubles) -> n real samples, scaled
 * by 1/n. in is used as scratch and is clobbered. */
void pl_fft_real_inverse(const pl_fft *f, double *in, double *out);

/* Smallest power of two >= n (n >= 1). */
size_t pl_fft_next_pow2(size_t n);

#endif
