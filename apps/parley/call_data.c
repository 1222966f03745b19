/* `parley call`'s data channels: see call_data.h. */
#include "apps/parley/call_data.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define CHUNK (64 * 1024)
#define LOW_WATER (1024 * 1024) /* refill when this little is left queued */

bool pl_call_data_enabled(const pl_call_data *d) {
  return d->echo || d->send_path || d->record_dir;
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s ? s + 1 : p;
}

int pl_call_data_setup(pl_call_data *d, pl_call *call) {
  d->send_ch = -1;
  d->hello_ch = -1;
  for (int i = 0; i < PL_CALL_DATA_MAX; i++)
    d->rec[i].ch = -1;
  if (d->echo) {
    /* The echo side opens a channel of its own too, and greets on it. */
    d->hello_ch = pl_call_create_data_channel(call, &(pl_dc_init){.label = "parley"});
    if (d->hello_ch < 0)
      return d->hello_ch;
  }
  if (!d->send_path)
    return 0;
  FILE *f = fopen(d->send_path, "rb");
  if (!f) {
    fprintf(stderr, "parley call: cannot read %s\n", d->send_path);
    return PL_ENOENT;
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  d->file = malloc(n > 0 ? (size_t)n : 1);
  d->file_len = n > 0 && d->file ? fread(d->file, 1, (size_t)n, f) : 0;
  fclose(f);
  if (!d->file)
    return PL_ENOMEM;
  pl_dc_init in = {.label = base_name(d->send_path), .protocol = "parley-file"};
  d->send_ch = pl_call_create_data_channel(call, &in);
  return d->send_ch < 0 ? d->send_ch : 0;
}

static double mbps(uint64_t bytes, uint64_t t0, uint64_t t1) {
  return t1 > t0 ? (double)bytes * 8 / ((double)(t1 - t0) / 1e9) / 1e6 : 0;
}

/* Fills SCTP's buffer; the rest waits for BUFFERED_LOW. */
static void pump_file(pl_call_data *d, pl_call *call) {
  while (d->sent < d->file_len) {
    size_t n = d->file_len - d->sent < CHUNK ? d->file_len - d->sent : CHUNK;
    int rc = pl_call_dc_send(call, d->send_ch, d->file + d->sent, n, true);
    if (rc == PL_EFULL)
      return;
    if (rc) {
      fprintf(stderr, "parley call: data send failed: %s\n", pl_strerror(rc));
      d->sent = d->file_len;
      break;
    }
    d->sent += n;
  }
  if (!d->send_done) {
    d->send_done = true;
    /* Done when everything is acknowledged: a low event at zero. */
    pl_call_dc_set_buffered_low(call, d->send_ch, 0);
    pl_dc_stats st;
    if (pl_call_dc_stats(call, d->send_ch, &st) == 0 && st.buffered_amount == 0) {
      d->drained = true;
      d->t_drained_ns = uv_hrtime();
    }
  }
}

static void finish_send(pl_call_data *d, pl_call *call) {
  /* Throughput lines go out even with --quiet: they are the result. */
  printf("data: sent %s: %zu bytes in %.3f s, %.1f Mbit/s\n",
            base_name(d->send_path), d->file_len,
            (double)(d->t_drained_ns - d->t_open_ns) / 1e9,
            mbps(d->file_len, d->t_open_ns, d->t_drained_ns));
  pl_call_dc_close(call, d->send_ch);
  if (d->finished)
    d->finished(d->user);
}

static int rec_slot(pl_call_data *d, int ch) {
  for (int i = 0; i < PL_CALL_DATA_MAX; i++)
    if (d->rec[i].ch == ch)
      return i;
  return -1;
}

static void rec_open(pl_call_data *d, int ch, const char *label) {
  int i = rec_slot(d, -1);
  if (i < 0)
    return;
  /* The label names the file, but never a path outside DIR. */
  char safe[256];
  size_t k = 0;
  for (const char *p = label ? label : ""; *p && k < sizeof safe - 1; p++)
    safe[k++] = (*p == '/' || *p == '\\' || (unsigned char)*p < 32) ? '_' : *p;
  safe[k] = 0;
  if (!k || !strcmp(safe, ".") || !strcmp(safe, ".."))
    snprintf(safe, sizeof safe, "channel-%d", ch);
  snprintf(d->rec[i].name, sizeof d->rec[i].name, "%s/%s", d->record_dir, safe);
  d->rec[i].f = fopen(d->rec[i].name, "wb");
  if (!d->rec[i].f) {
    fprintf(stderr, "parley call: cannot write %s\n", d->rec[i].name);
    return;
  }
  d->rec[i].ch = ch;
  d->rec[i].bytes = d->rec[i].msgs = 0;
  d->rec[i].t_first_ns = d->rec[i].t_last_ns = 0;
}

static void rec_close(pl_call_data *d, int i) {
  if (!d->rec[i].f)
    return;
  fclose(d->rec[i].f);
  d->rec[i].f = NULL;
  d->rec[i].ch = -1;
  printf("data: received %s: %llu bytes in %llu messages, %.1f Mbit/s\n",
            d->rec[i].name, (unsigned long long)d->rec[i].bytes,
            (unsigned long long)d->rec[i].msgs,
            mbps(d->rec[i].bytes, d->rec[i].t_first_ns, d->rec[i].t_last_ns));
}

void pl_call_data_event(pl_call_data *d, pl_call *call, const pl_event *ev) {
  switch (ev->type) {
  case PL_EVENT_DATA_CHANNEL:
    if (!d->quiet)
      fprintf(stderr, "parley call: the peer opened data channel '%s'\n",
              ev->detail ? ev->detail : "");
    if (d->record_dir)
      rec_open(d, ev->channel, ev->detail);
    break;
  case PL_EVENT_DATA_OPEN:
    if (ev->channel == d->hello_ch) {
      static const char hello[] = "hello from parley";
      pl_call_dc_send(call, d->hello_ch, hello, sizeof hello - 1, false);
    }
    if (ev->channel == d->send_ch && !d->t_open_ns) {
      d->t_open_ns = uv_hrtime();
      pl_call_dc_set_buffered_low(call, d->send_ch, LOW_WATER);
      pump_file(d, call);
      if (d->drained)
        finish_send(d, call);
    }
    break;
  case PL_EVENT_DATA_BUFFERED_LOW:
    if (ev->channel != d->send_ch || d->drained)
      break;
    if (!d->send_done) {
      pump_file(d, call);
      if (!d->drained)
        break;
    } else {
      d->drained = true;
      d->t_drained_ns = uv_hrtime();
    }
    finish_send(d, call);
    break;
  case PL_EVENT_DATA_MESSAGE: {
    d->msgs_rx++;
    d->bytes_rx += ev->len;
    int i = rec_slot(d, ev->channel);
    if (i >= 0 && d->rec[i].f) {
      uint64_t t = uv_hrtime();
      if (!d->rec[i].msgs)
        d->rec[i].t_first_ns = t;
      d->rec[i].t_last_ns = t;
      d->rec[i].msgs++;
      d->rec[i].bytes += ev->len;
      fwrite(ev->data, 1, ev->len, d->rec[i].f);
    }
    if (d->echo) {
      if (pl_call_dc_send(call, ev->channel, ev->data, ev->len, ev->binary) == 0)
        d->echoed++;
      else
        d->echo_failed++;
    }
    break;
  }
  case PL_EVENT_DATA_CLOSE: {
    int i = rec_slot(d, ev->channel);
    if (i >= 0)
      rec_close(d, i);
    break;
  }
  default:
    break;
  }
}

void pl_call_data_summary(pl_call_data *d, FILE *out) {
  for (int i = 0; i < PL_CALL_DATA_MAX; i++)
    rec_close(d, i);
  if (d->msgs_rx || d->echo)
    fprintf(out, "data: %llu messages / %llu bytes received, %llu echoed, %llu not echoed\n",
            (unsigned long long)d->msgs_rx, (unsigned long long)d->bytes_rx,
            (unsigned long long)d->echoed, (unsigned long long)d->echo_failed);
}

void pl_call_data_free(pl_call_data *d) {
  for (int i = 0; i < PL_CALL_DATA_MAX; i++)
    rec_close(d, i);
  free(d->file);
  d->file = NULL;
}
