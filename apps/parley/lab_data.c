/* `parley loopback --data`: see lab_data.h. */
#include "apps/parley/lab_data.h"

#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"

#define BULK_MSG 16384
#define PING_MSG 100

/* The bulk sender offers up to its budget (a link without a bottleneck
 * would otherwise take unbounded bytes in bounded simulated time). */
static void bulk_fill(pl_lab_data *d) {
  static uint8_t buf[BULK_MSG];
  while (d->credit >= BULK_MSG &&
         pl_call_dc_send(d->sim->a, d->bulk, buf, sizeof buf, true) == 0)
    d->credit -= BULK_MSG;
}

static void on_event(pl_call *call, const pl_event *ev, void *user) {
  pl_lab_data *d = user;
  if (!d->sim)
    return;
  if (call == d->sim->a) {
    if (ev->type == PL_EVENT_DATA_OPEN && ev->channel == d->ping)
      d->ping_open = true;
    if (ev->type == PL_EVENT_DATA_OPEN && ev->channel == d->bulk) {
      d->bulk_open = true;
      pl_call_dc_set_buffered_low(call, d->bulk, 4 * BULK_MSG);
    }
    if (ev->type == PL_EVENT_DATA_BUFFERED_LOW && ev->channel == d->bulk)
      bulk_fill(d);
    return;
  }
  if (ev->type != PL_EVENT_DATA_MESSAGE)
    return;
  pl_time_us now = d->sim->now;
  if (ev->len == PING_MSG) {
    pl_time_us sent = (pl_time_us)pl_be64(ev->data);
    if (d->n_lat < PL_LAB_DATA_MAX_PINGS)
      d->lat_ms[d->n_lat++] = (double)(now - sent) / 1000.0;
  } else {
    if (!d->bulk_bytes)
      d->t_first = now;
    d->t_last = now;
    d->bulk_bytes += ev->len;
  }
}

void pl_lab_data_config(pl_lab_data *d, pl_call_config *a, pl_call_config *b,
                        double bulk_bps) {
  memset(d, 0, sizeof *d);
  d->bulk_bps = bulk_bps;
  a->transport = b->transport = PL_TRANSPORT_WEBRTC;
  a->data_channels = b->data_channels = true;
  a->on_event = b->on_event = on_event;
  a->user = b->user = d;
}

int pl_lab_data_setup(pl_lab_data *d, pl_sim *sim) {
  d->sim = sim;
  d->bulk = pl_call_create_data_channel(sim->a, &(pl_dc_init){.label = "bulk"});
  d->ping = pl_call_create_data_channel(sim->a, &(pl_dc_init){.label = "ping"});
  return d->bulk < 0 ? d->bulk : d->ping < 0 ? d->ping : 0;
}

void pl_lab_data_run_until(pl_lab_data *d, pl_time_us until) {
  pl_time_us t = d->sim->now - PL_SIM_START_US;
  while (t < until) {
    t = t + PL_MS(100) < until ? t + PL_MS(100) : until;
    pl_sim_run_until(d->sim, t);
    if (d->bulk_open) {
      d->credit += d->bulk_bps / 8 / 10;
      if (d->credit > 4 * d->bulk_bps / 8) /* unused budget does not pile up */
        d->credit = 4 * d->bulk_bps / 8;
      bulk_fill(d);
    }
    if (d->ping_open) {
      uint8_t msg[PING_MSG] = {0};
      pl_put_be64(msg, (uint64_t)d->sim->now);
      if (pl_call_dc_send(d->sim->a, d->ping, msg, sizeof msg, true) == 0)
        d->ping_sent++;
    }
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

void pl_lab_data_report(const pl_lab_data *d, FILE *out, const char *dir) {
  double *s = malloc(sizeof(double) * (d->n_lat ? (size_t)d->n_lat : 1));
  if (!s)
    return;
  memcpy(s, d->lat_ms, sizeof(double) * (size_t)d->n_lat);
  qsort(s, (size_t)d->n_lat, sizeof *s, cmp_double);
  double p50 = d->n_lat ? s[d->n_lat / 2] : 0, p95 = d->n_lat ? s[d->n_lat * 95 / 100] : 0;
  double mx = d->n_lat ? s[d->n_lat - 1] : 0;
  double secs = (double)(d->t_last - d->t_first) / 1e6;
  double mbps = secs > 0 ? (double)d->bulk_bytes * 8 / secs / 1e6 : 0;
  fprintf(out, "  data A->B  bulk %.3f Mbit/s of %.3f offered (%.1f MB)  ping %d of %llu  latency p50 %.1f ms"
          "  p95 %.1f ms  max %.1f ms\n",
          mbps, d->bulk_bps / 1e6, (double)d->bulk_bytes / 1e6, d->n_lat, (unsigned long long)d->ping_sent, p50,
          p95, mx);
  char path[600];
  snprintf(path, sizeof path, "%s/data.json", dir);
  FILE *f = fopen(path, "w");
  if (f) {
    fprintf(f, "{\"bulkMbps\": %.4f, \"bulkBytes\": %llu, \"pingsSent\": %llu, "
            "\"pingsReceived\": %d, \"latencyP50Ms\": %.2f, \"latencyP95Ms\": %.2f, "
            "\"latencyMaxMs\": %.2f}\n",
            mbps, (unsigned long long)d->bulk_bytes, (unsigned long long)d->ping_sent,
            d->n_lat, p50, p95, mx);
    fclose(f);
  }
  free(s);
}
