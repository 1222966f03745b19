/* Packet-loss patterns for concealment experiments (`parley conceal`, the
 * quality tables): a trace of one 0/1 per line (1 = lost) parsed from text,
 * or a pattern drawn from a seeded Bernoulli or Gilbert process. Off the
 * media path: these allocate. */
#ifndef PL_AUDIO_PLC_LOSS_H
#define PL_AUDIO_PLC_LOSS_H

#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"

/* Parses p[0..n): per line optional blanks, then 0 or 1, then optional
 * blanks and a '#' comment; blank and comment-only lines are skipped; CRLF
 * is fine. *out (malloc'd, one byte per packet, 1 = lost) and *count on
 * success. PL_EPARSE with *bad_line (1-based) on anything else, or with
 * *bad_line 0 when there is no entry at all; PL_ENOMEM. */
int pl_loss_trace_parse(const uint8_t *p, size_t n, uint8_t **out, size_t *count,
                        size_t *bad_line);

/* Fills out[0..n) with 1 for lost packets at long-run rate `rate` in
 * [0, 1): independent losses when mean_burst is 0, else a Gilbert chain
 * with that mean burst length in packets (pl_emu_ge_from_rate). PL_EINVAL
 * for a rate or burst the model cannot make. */
int pl_loss_draw(pl_rng *rng, double rate, double mean_burst, uint8_t *out, size_t n);

#endif
