/* scenario.h - named network conditions for a two-party call, one emulator
 * config per direction, and the "key=value,..." flags that build one by
 * hand. `parley loopback --net X` and `parley relay --net X` take either. */
#ifndef PL_NET_EMU_SCENARIO_H
#define PL_NET_EMU_SCENARIO_H

#include "net/emu/emu.h"

/* fwd carries A -> B (the caller's sending direction, the "forward path" of
 * RFC 8867), rev carries B -> A. Capacity arrays point at static tables or
 * at the traces below; a scenario may be copied, but only one copy is
 * passed to pl_emu_scenario_free. */
typedef struct pl_emu_scenario {
  char name[32];
  const char *summary;  /* one line, with where its numbers come from */
  pl_emu_config fwd, rev;
  pl_time_us duration;  /* the published test duration; 0: open-ended */
  uint64_t seed;        /* fwd link's seed; rev uses seed + 1 */
  pl_emu_trace *trace[2]; /* owned, from trace=FILE (fwd, rev) */
} pl_emu_scenario;

/* The built-in presets, in a stable order; *count gets how many. */
const pl_emu_scenario *pl_emu_scenario_list(size_t *count);

/* Copies the preset `name` into *out (seed 1). PL_ENOENT for an unknown
 * name, with err->msg listing the valid ones. */
int pl_emu_scenario_find(const char *name, pl_emu_scenario *out, pl_emu_err *err);

/* "NAME", "NAME,key=value,...", or "key=value,..." (a clean start). Keys,
 * each optionally prefixed "fwd." or "rev." to touch one direction only:
 *   loss=F        random loss, fraction 0..1 or percent "5%"
 *   burst=N       with loss: Gilbert-Elliott, mean burst N packets
 *   ge=P/R[/LG/LB]  Gilbert-Elliott by hand: transition and per-state loss
 *                 probabilities (LG 0, LB 1 when left out)
 *   delay=MS  jitter=MS  jitter_dist=normal|uniform  reorder=0|1
 *   dup=F  capacity=KBPS  queue_ms=MS  queue_bytes=N  pool=N
 *   outage=START-END (ms, repeatable)  trace=FILE  seed=N  duration=S
 * Returns 0, PL_EINVAL/PL_EPARSE/PL_ENOENT (unknown name or key) or a trace
 * loading error, always with err->msg saying what and where. */
int pl_emu_scenario_parse(pl_emu_scenario *out, const char *spec, pl_emu_err *err);

/* Frees traces a parse loaded; the configs' capacity goes with them. */
void pl_emu_scenario_free(pl_emu_scenario *s);

/* "name1, name2, ..." of the presets into buf. */
void pl_emu_scenario_names(char *buf, size_t size);

#endif
