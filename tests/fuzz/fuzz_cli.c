/* libFuzzer target for the command line's value parsers (apps/parley/cli.c,
 * built into this target from source: the app is not in libparley) and the
 * address parser every --bind/--connect/--listen/--stun value goes
 * through. The first byte picks the parser; the rest is the argument, a C
 * string as argv gives it. Each accepted value is checked against what the
 * parser promises:
 *   pl_cli_parse_double  finite and inside [lo, hi] (the CLI's own bounds)
 *   pl_cli_parse_stage   a non-empty name without '=' that fits, NUL-ended
 *   pl_cli_parse_size    inside the bounds, and "%dx%d" of it parses back
 *   pl_addr_parse        formats and parses back to the same address
 *   pl_cli_bind_for      one of its four binds, each a valid address
 * (--net specs and trace files are fuzz_emu_trace's.) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The parsers print why they refuse a value; ten million of those lines
 * would fill the campaign's log, so the included cli.c writes them to
 * /dev/null (stdio.h is already in, so cli.c's own include changes
 * nothing; sanitizer reports go to fd 2 as always). */
static FILE *fuzz_quiet;
#undef stderr
#define stderr fuzz_quiet
#ifndef PL_SOURCE_DIR
#define PL_SOURCE_DIR "."
#endif
#include "apps/parley/cli.c"
#undef stderr

#include "base/addr.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c))                                                                  \
      abort();                                                                 \
  } while (0)

/* The [lo, hi] ranges the subcommands pass (cmd_*.c). */
static const double bounds[][2] = {
    {-20, 60},      {30000, 20000000}, {0.5, 3599}, {6000, 510000}, {0, 1e15},
    {20, 20000},    {0.01, 1e6},       {1, 1000},   {0, 9007199254740992.0},
};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  fuzz_quiet = fopen("/dev/null", "w");
  return 0;
}

static void check_double(const char *s, uint8_t sel) {
  const double *b = bounds[sel % (sizeof bounds / sizeof bounds[0])];
  double v = NAN;
  if (pl_cli_parse_double(s, b[0], b[1], &v) == 0) {
    CHECK(isfinite(v));
    CHECK(v >= b[0] && v <= b[1]);
    CHECK(strtod(s, NULL) == v);
  }
}

static void check_stage(const char *s) {
  pl_cli_stage st;
  memset(&st, 0x55, sizeof st);
  if (pl_cli_parse_stage(s, &st) == 0) {
    size_t n = strnlen(st.name, sizeof st.name);
    CHECK(n > 0 && n < sizeof st.name);
    CHECK(!strchr(st.name, '='));
    CHECK(!strncmp(s, st.name, n));
    CHECK(s[n] == 0 || s[n] == '=');
    if (!s[n])
      CHECK(st.on);
  }
}

static void check_size(const char *s) {
  int w = -1, h = -1;
  if (pl_cli_parse_size(s, 16, 16, 3840, 2160, &w, &h) == 0) {
    CHECK(w >= 16 && w <= 3840 && h >= 16 && h <= 2160);
    char again[32];
    snprintf(again, sizeof again, "%dx%d", w, h);
    int w2, h2;
    CHECK(pl_cli_parse_size(again, 16, 16, 3840, 2160, &w2, &h2) == 0);
    CHECK(w2 == w && h2 == h);
  }
}

static void check_addr(const char *s) {
  pl_addr a, b;
  if (pl_addr_parse(&a, s) != 0)
    return;
  CHECK(pl_addr_family(&a) == AF_INET || pl_addr_family(&a) == AF_INET6);
  char text[PL_ADDR_STRLEN], ip[PL_ADDR_STRLEN];
  pl_addr_format(&a, text, sizeof text);
  CHECK(memchr(text, 0, sizeof text));
  CHECK(pl_addr_parse(&b, text) == 0);
  CHECK(pl_addr_equal(&a, &b));
  CHECK(pl_addr_port(&a) <= 65535);
  pl_addr_ip(&a, ip, sizeof ip);
  CHECK(pl_addr_from_ip_port(&b, ip, pl_addr_port(&a)) == 0);
  CHECK(pl_addr_equal(&a, &b));
  /* A caller's short buffer truncates, never overruns. */
  char tiny[8];
  pl_addr_format(&a, tiny, sizeof tiny);
  CHECK(memchr(tiny, 0, sizeof tiny));
}

static void check_bind(const char *s) {
  char out[32];
  pl_cli_bind_for(s, out, sizeof out);
  CHECK(!strcmp(out, "127.0.0.1:0") || !strcmp(out, "0.0.0.0:0") || !strcmp(out, "[::1]:0") ||
        !strcmp(out, "[::]:0"));
  pl_addr a;
  CHECK(pl_addr_parse(&a, out) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  char *s = malloc(size);
  if (!s)
    return 0;
  memcpy(s, data + 1, size - 1);
  s[size - 1] = 0; /* argv strings end at the first NUL */
  uint8_t sel = data[0];
  switch (sel % 5) {
  case 0: check_double(s, sel / 5); break;
  case 1: check_stage(s); break;
  case 2: check_size(s); break;
  case 3: check_addr(s); break;
  default: check_bind(s); break;
  }
  free(s);
  return 0;
}
