/* relay.h - a real-clock UDP relay that puts the network emulator between
 * two real peers: what A sends to `listen` reaches B through the scenario's
 * fwd link, what B sends back reaches A through its rev link. The driver is
 * libuv: two uv_udp_t and one uv_timer_t re-armed at the earliest deadline. */
#ifndef PL_ENGINE_RELAY_RELAY_H
#define PL_ENGINE_RELAY_RELAY_H

#include <stdint.h>
#include <uv.h>

#include "base/addr.h"
#include "net/emu/scenario.h"

typedef struct pl_relay pl_relay;

typedef struct pl_relay_config {
  pl_addr listen;  /* A sends here; port 0 picks one (see pl_relay_addrs) */
  pl_addr forward; /* B; the relay talks to it from a second, ephemeral port */
  const pl_emu_scenario *net; /* copied; NULL is a clean path */
  /* Schedules and traces count from A's first datagram instead of from
   * pl_relay_new, so a peer that takes seconds to start (a browser) meets
   * the trace from its beginning. */
  bool start_on_first;
} pl_relay_config;

typedef struct pl_relay_stats {
  pl_emu_stats fwd, rev;  /* A -> B, B -> A */
  uint64_t from_unknown;  /* datagrams on B's side not from B: dropped */
  uint64_t too_big;       /* over PL_PKT_CAPACITY or truncated: dropped */
  uint64_t no_peer;       /* B -> A packets due before A was ever heard */
  uint64_t send_errors;   /* the kernel refused a send (buffer full, ...) */
  uint64_t recv_errors;
  pl_time_us started;     /* the links' time zero (uv_hrtime us); 0: not yet */
  pl_time_us now;         /* when these stats were taken, same clock */
} pl_relay_stats;

/* Binds both sockets and starts receiving. A is whoever last sent to
 * `listen`. Returns 0, PL_EADDRINUSE when `listen` is taken, PL_EINVAL,
 * PL_ENOMEM or PL_EIO. On failure, handles already opened are being closed:
 * run the loop (UV_RUN_NOWAIT is enough) to let them finish. */
int pl_relay_new(pl_relay **out, uv_loop_t *loop, const pl_relay_config *cfg);

/* The bound addresses: where A should send, and the port B sees. */
void pl_relay_addrs(const pl_relay *r, pl_addr *listen, pl_addr *toward_b);

void pl_relay_get_stats(const pl_relay *r, pl_relay_stats *out);

/* Bottleneck queue delay percentiles of one direction (0 fwd, 1 rev) since
 * the links started or the last reset, to 1 ms; -1 when nothing queued.
 * Reset both to leave a warm-up out. */
pl_time_us pl_relay_qdelay_quantile(const pl_relay *r, int dir, double q);
void pl_relay_qdelay_reset(pl_relay *r);

/* Stops and closes the handles; the relay is freed by their close
 * callbacks, so the loop must run on once. */
void pl_relay_close(pl_relay *r);

#endif
