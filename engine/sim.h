/* The simulated-clock driver: two calls in one process joined by two
 * emulated links (one per direction), run as fast as the CPU allows by
 * jumping straight to the next deadline. Same seed, same run. Used by the
 * end-to-end tests and by `parley loopback`. */
#ifndef PL_ENGINE_SIM_H
#define PL_ENGINE_SIM_H

#include "base/time.h"
#include "net/emu/emu.h"
#include "parley.h"

/* Sees every datagram a call sends before the link does (dir 0: a -> b,
 * 1: b -> a); may rewrite it in place; false drops it. For tests. */
typedef bool (*pl_sim_tap)(void *user, int dir, pl_time_us now, uint8_t *buf,
                           size_t *len);

typedef struct pl_sim {
  pl_engine *engine;
  pl_call *a, *b; /* a offers, b answers */
  pl_emu_link *ab, *ba;
  pl_clock clock; /* simulated: moves only to the next deadline */
  pl_time_us now; /* == pl_clock_now(&clock), kept for readers */
  uint64_t datagrams_ab, datagrams_ba;
  pl_sim_tap tap;
  void *tap_user;
} pl_sim;

/* Creates both calls with the given configs (bind/advertise addresses are
 * set here: a = 10.0.0.1:5000, b = 10.0.0.2:5000 — only labels, nothing is
 * sent on a real network) and both links. Sources and sinks are set by the
 * caller on sim->a / sim->b before pl_sim_connect. */
int pl_sim_new(pl_sim **out, const pl_call_config *a, const pl_call_config *b,
               const pl_emu_config *ab, const pl_emu_config *ba, uint64_t seed);
/* Offer/answer between the two calls (SDES, or WebRTC with every
 * candidate in the SDP when the configs ask for it). */
int pl_sim_connect(pl_sim *s);
/* The simulated time of `until`'s origin: what pl_sim_run_until adds. */
#define PL_SIM_START_US PL_SEC(1)
/* Runs until simulated time `until` (microseconds since start). */
int pl_sim_run_until(pl_sim *s, pl_time_us until);
void pl_sim_free(pl_sim *s);

#endif
