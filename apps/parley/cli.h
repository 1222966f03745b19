/* Helpers shared by the parley subcommands: option parsing, the bundled
 * sample, and printing statistics. App-side code on the public header. */
#ifndef PL_APPS_CLI_H
#define PL_APPS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "parley.h"

typedef struct pl_cli_stage {
  char name[24];
  bool on;
  pl_stage_mode mode; /* OFF, ON, or AUTO ("extend=auto", "upscale=auto") */
} pl_cli_stage;

/* In a command's option loop (with `i` and the option `o`; `val` is the
 * next argument, NULL past the end): takes the value, or says "parley CMD:
 * --x needs a value" and returns 2 (a usage error) from the command. */
#define PL_CLI_NEED_ARG(cmd, val)                                              \
  do {                                                                         \
    if (!(val)) {                                                              \
      fprintf(stderr, "parley " cmd ": %s needs a value\n", o);              \
      return 2;                                                                \
    }                                                                          \
    i++;                                                                       \
  } while (0)

/* "denoise=on", "plc=off", "extend=auto", or "denoise" (on). Prints an
 * error, returns -1. */
int pl_cli_parse_stage(const char *text, pl_cli_stage *out);
/* Strict number in [lo, hi]; prints an error and returns -1 otherwise. */
int pl_cli_parse_double(const char *text, double lo, double hi, double *out);
/* --red 0|1|2|auto: RED distance, or PL_RED_AUTO. 0 or 2 (with a message). */
int pl_cli_parse_red(const char *text, int *out);
/* "WxH" with both in [min, max], digits only; prints an error, returns -1. */
int pl_cli_parse_size(const char *text, int min_w, int min_h, int max_w, int max_h, int *w,
                      int *h);
/* The bundled speech sample ($PARLEY_SAMPLE overrides). */
const char *pl_cli_sample_path(void);
/* Local bind address in the same family as a peer address ("127.0.0.1:0"). */
void pl_cli_bind_for(const char *peer, char *out, size_t cap);
/* What a call sends, as `parley call` and `parley room` take it: a sine of
 * tone_hz (> 0), else the WAV at wav (NULL: the bundled sample), looped or
 * not; and video from a Y4M file, or "pattern" (w x h), or none (NULL).
 * What cannot be opened is printed as "parley CMD: cannot read ...". */
int pl_cli_set_sources(pl_call *call, const char *cmd, double tone_hz, const char *wav,
                       bool loop, const char *video, int w, int h);
/* Switches each stage on the call; an unknown one is printed ("parley CMD:
 * no stage 'x' in this build") and its error returned. */
int pl_cli_set_stages(pl_call *call, const char *cmd, const pl_cli_stage *stages, int n);
/* One stage, with its mode: pl_call_set_stage_mode. */
int pl_cli_set_stage(pl_call *call, const pl_cli_stage *st);
void pl_cli_print_summary(FILE *f, const pl_call_stats *st);
int pl_cli_write_stats_json(const char *path, const pl_call_stats *st);
/* Writes the stats object (no trailing newline) to an open stream. */
void pl_cli_stats_json(FILE *f, const pl_call_stats *st);

#endif
