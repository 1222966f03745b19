/* The radix-2 FFT against a direct DFT, and its inverse round trip. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "audio/metrics/fft.h"
#include "base/rng.h"

static void dft(const double *in_re, const double *in_im, size_t n,
                double *re, double *im, int sign) {
  for (size_t k = 0; k < n; k++) {
    long double sr = 0, si = 0;
    for (size_t t = 0; t < n; t++) {
      long double a = sign * 2.0L * M_PI * (long double)((k * t) % n) / n;
      sr += in_re[t] * cosl(a) - (in_im ? in_im[t] : 0) * sinl(a);
      si += in_re[t] * sinl(a) + (in_im ? in_im[t] : 0) * cosl(a);
    }
    re[k] = (double)sr;
    im[k] = (double)si;
  }
}

Test(fft, real_forward_matches_direct_dft_for_every_size_to_1024) {
  pl_rng rng;
  pl_rng_seed(&rng, 7);
  for (size_t n = 2; n <= 1024; n *= 2) {
    double *x = malloc(n * sizeof *x), *out = malloc((n + 2) * sizeof *out);
    double *re = malloc(n * sizeof *re), *im = malloc(n * sizeof *im);
    for (size_t i = 0; i < n; i++)
      x[i] = pl_rng_normal(&rng);
    pl_fft *f = pl_fft_new(n);
    cr_assert_not_null(f);
    pl_fft_real_forward(f, x, out);
    dft(x, NULL, n, re, im, -1);
    double worst = 0;
    for (size_t k = 0; k <= n / 2; k++) {
      worst = fmax(worst, fabs(out[2 * k] - re[k]));
      worst = fmax(worst, fabs(out[2 * k + 1] - im[k]));
    }
    cr_assert_lt(worst, 1e-10 * sqrt((double)n), "n=%zu err=%g", n, worst);
    cr_assert_eq(out[1], 0.0);
    cr_assert_eq(out[n + 1], 0.0);
    pl_fft_free(f);
    free(x);
    free(out);
    free(re);
    free(im);
  }
}

Test(fft, complex_forward_and_inverse_match_direct_dft) {
  pl_rng rng;
  pl_rng_seed(&rng, 8);
  size_t n = 64;
  double d[128], xr[64], xi[64], re[64], im[64];
  for (size_t i = 0; i < n; i++) {
    xr[i] = d[2 * i] = pl_rng_normal(&rng);
    xi[i] = d[2 * i + 1] = pl_rng_normal(&rng);
  }
  pl_fft *f = pl_fft_new(n);
  pl_fft_complex(f, d, 0);
  dft(xr, xi, n, re, im, -1);
  for (size_t k = 0; k < n; k++) {
    cr_assert_float_eq(d[2 * k], re[k], 1e-11);
    cr_assert_float_eq(d[2 * k + 1], im[k], 1e-11);
  }
  pl_fft_complex(f, d, 1);
  for (size_t i = 0; i < n; i++) {
    cr_assert_float_eq(d[2 * i], xr[i], 1e-13);
    cr_assert_float_eq(d[2 * i + 1], xi[i], 1e-13);
  }
  pl_fft_free(f);
}

Test(fft, real_inverse_restores_the_signal) {
  pl_rng rng;
  pl_rng_seed(&rng, 9);
  size_t n = 1 << 14;
  double *x = malloc(n * sizeof *x), *s = malloc((n + 2) * sizeof *s),
         *y = malloc(n * sizeof *y);
  for (size_t i = 0; i < n; i++)
    x[i] = pl_rng_uniform(&rng) - 0.5;
  pl_fft *f = pl_fft_new(n);
  pl_fft_real_forward(f, x, s);
  pl_fft_real_inverse(f, s, y);
  double worst = 0;
  for (size_t i = 0; i < n; i++)
    worst = fmax(worst, fabs(x[i] - y[i]));
  cr_assert_lt(worst, 1e-14);
  pl_fft_free(f);
  free(x);
  free(s);
  free(y);
}

Test(fft, cosine_lands_in_its_bin_with_amplitude_n_over_2) {
  size_t n = 256;
  double x[256], s[258];
  for (size_t i = 0; i < n; i++)
    x[i] = cos(2 * M_PI * 10 * (double)i / (double)n);
  pl_fft *f = pl_fft_new(n);
  pl_fft_real_forward(f, x, s);
  for (size_t k = 0; k <= n / 2; k++) {
    double mag = hypot(s[2 * k], s[2 * k + 1]);
    cr_assert_float_eq(mag, k == 10 ? 128.0 : 0.0, 1e-10, "bin %zu", k);
  }
  pl_fft_free(f);
}

Test(fft, rejects_sizes_that_are_not_powers_of_two) {
  cr_assert_null(pl_fft_new(0));
  cr_assert_null(pl_fft_new(1));
  cr_assert_null(pl_fft_new(96));
  cr_assert_eq(pl_fft_next_pow2(1000), 1024);
  cr_assert_eq(pl_fft_next_pow2(1024), 1024);
}
