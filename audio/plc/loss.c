/* Loss traces and drawn loss patterns (see loss.h). */
#include "audio/plc/loss.h"

#include <stdbool.h>
#include <stdlib.h>

#include "net/emu/emu.h"
#include "parley.h"

static bool blank(uint8_t c) { return c == ' ' || c == '\t' || c == '\r'; }

int pl_loss_trace_parse(const uint8_t *p, size_t n, uint8_t **out, size_t *count,
                        size_t *bad_line) {
  *out = NULL;
  *count = 0;
  *bad_line = 0;
  size_t cap = 0, len = 0, line = 0;
  uint8_t *v = NULL;
  size_t i = 0;
  while (i < n) {
    line++;
    size_t e = i;
    while (e < n && p[e] != '\n')
      e++;
    size_t k = i;
    while (k < e && blank(p[k]))
      k++;
    int val = -1;
    if (k < e && (p[k] == '0' || p[k] == '1')) {
      val = p[k] - '0';
      k++;
      while (k < e && blank(p[k]))
        k++;
    }
    bool rest_ok = k == e || p[k] == '#';
    bool empty = val < 0 && rest_ok;
    if (!rest_ok || (val < 0 && !empty)) {
      free(v);
      *bad_line = line;
      return PL_EPARSE;
    }
    if (val >= 0) {
      if (len == cap) {
        size_t nc = cap ? cap * 2 : 256;
        uint8_t *nv = realloc(v, nc);
        if (!nv) {
          free(v);
          return PL_ENOMEM;
        }
        v = nv;
        cap = nc;
      }
      v[len++] = (uint8_t)val;
    }
    i = e + 1;
  }
  if (len == 0) {
    free(v);
    return PL_EPARSE;
  }
  *out = v;
  *count = len;
  return 0;
}

int pl_loss_draw(pl_rng *rng, double rate, double mean_burst, uint8_t *out, size_t n) {
  if (!(rate >= 0 && rate < 1) || mean_burst < 0)
    return PL_EINVAL;
  if (mean_burst == 0) {
    for (size_t i = 0; i < n; i++)
      out[i] = pl_rng_uniform(rng) < rate;
    return 0;
  }
  double p, r;
  int err = pl_emu_ge_from_rate(rate, mean_burst, &p, &r);
  if (err)
    return err;
  /* Start in the stationary distribution, so short runs are not biased to
   * the good state. */
  bool bad = pl_rng_uniform(rng) < (p + r > 0 ? p / (p + r) : 0);
  for (size_t i = 0; i < n; i++) {
    out[i] = bad;
    if (bad ? pl_rng_uniform(rng) < r : pl_rng_uniform(rng) < p)
      bad = !bad;
  }
  return 0;
}
