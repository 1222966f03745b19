/* `parley loopback --data`: a data channel beside the call's audio (and
 * video) through the emulator. A -> B carries a saturating reliable bulk
 * transfer ("bulk", 16 KiB messages, offered at up to --data kbit/s, so
 * it saturates a narrower path) and a 100-byte timestamped message
 * every 100 ms on its own channel ("ping"), whose one-way latency is
 * measured; the report gives the bulk's goodput and the ping latency. The
 * call runs over the WebRTC transport (DTLS), so the run depends on
 * OpenSSL's and usrsctp's randomness and does not replay exactly. */
#ifndef PL_APPS_PARLEY_LAB_DATA_H
#define PL_APPS_PARLEY_LAB_DATA_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/sim.h"
#include "parley.h"

#define PL_LAB_DATA_MAX_PINGS 20000

typedef struct pl_lab_data {
  pl_sim *sim;
  int bulk, ping;
  bool bulk_open, ping_open;
  double bulk_bps, credit; /* offered load, and what may be sent now */
  uint64_t bulk_bytes, ping_sent;
  pl_time_us t_first, t_last;
  int n_lat;
  double lat_ms[PL_LAB_DATA_MAX_PINGS];
} pl_lab_data;

/* Before pl_sim_new: WebRTC transport, data channels, events to `d`. */
void pl_lab_data_config(pl_lab_data *d, pl_call_config *a, pl_call_config *b,
                        double bulk_bps);
/* After pl_sim_new, before pl_sim_connect: the two channels on A. */
int pl_lab_data_setup(pl_lab_data *d, pl_sim *sim);
/* pl_sim_run_until in 100 ms steps, a ping at each. */
void pl_lab_data_run_until(pl_lab_data *d, pl_time_us until);
/* One line for the summary, and DIR/data.json. */
void pl_lab_data_report(const pl_lab_data *d, FILE *out, const char *dir);

#endif
