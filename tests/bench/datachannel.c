/* Data channel throughput (issue 16): reliable, ordered, 64 KiB messages.
 *   1. the SCTP core alone: two associations back to back in memory, no
 *      DTLS, no sockets (what usrsctp and our glue cost);
 *   2. two engines in this process over loopback UDP (libuv, ICE, DTLS,
 *      SCTP), with an Opus call beside the transfer: Mbit/s, and what the
 *      audio saw while the channel was saturated.
 *   build/bench/bench_datachannel [seconds]   (default 5 each) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "engine/call/call.h"
#include "net/sctp/sctp.h"
#include "parley.h"

#define MSG (64 * 1024)

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- 1. the core alone ---- */

static uint64_t core_rx;

static void drain(pl_sctp *from, pl_sctp *to, pl_time_us now) {
  pl_sctp_output o;
  while (pl_sctp_poll(from, &o)) {
    if (o.kind == PL_SCTP_OUT_TRANSMIT)
      pl_sctp_input(to, now, o.data, o.len);
    else if (o.kind == PL_SCTP_OUT_MESSAGE)
      core_rx += o.len;
  }
}

static double bench_core(double seconds) {
  pl_sctp *a, *b;
  pl_sctp_new(&a, NULL);
  pl_sctp_new(&b, NULL);
  pl_time_us t = PL_SEC(1);
  int ch = pl_sctp_open(a, t, NULL);
  pl_sctp_start(a, t, true, 1 << 20);
  pl_sctp_start(b, t, false, 1 << 20);
  static uint8_t msg[MSG];
  for (int i = 0; i < 100; i++) {
    drain(a, b, t);
    drain(b, a, t);
  }
  double t0 = now_s();
  uint64_t rx0 = core_rx;
  while (now_s() - t0 < seconds) {
    while (pl_sctp_send(a, t, ch, true, msg, sizeof msg) == 0) {
    }
    /* The clock follows the real one, so SCTP's timers see real time. */
    t = PL_SEC(1) + (pl_time_us)((now_s() - t0) * 1e6);
    pl_sctp_timeout(a, t);
    pl_sctp_timeout(b, t);
    drain(a, b, t);
    drain(b, a, t);
  }
  double mbps = (double)(core_rx - rx0) * 8 / (now_s() - t0) / 1e6;
  pl_sctp_free(a);
  pl_sctp_free(b);
  return mbps;
}

/* ---- 2. two engines over loopback UDP ---- */

typedef struct bench {
  uv_loop_t *loop;
  pl_call *a, *b;
  int ch;
  bool open;
  double t_open, t_end, seconds;
  uint64_t rx_bytes, rx_msgs, full;
  uint8_t msg[MSG];
  pl_call_stats audio0; /* b's audio stats when the transfer starts */
  uv_timer_t stop;
} bench;

static void fill(bench *s) {
  while (now_s() < s->t_end) {
    int rc = pl_call_dc_send(s->a, s->ch, s->msg, sizeof s->msg, true);
    if (rc == PL_EFULL) {
      s->full++;
      return;
    }
    if (rc)
      return;
  }
}

static void on_event(pl_call *call, const pl_event *ev, void *user) {
  bench *s = user;
  if (call == s->a && ev->type == PL_EVENT_DATA_OPEN && ev->channel == s->ch) {
    s->open = true;
    s->t_open = now_s();
    s->t_end = s->t_open + s->seconds;
    pl_call_get_stats(s->b, &s->audio0);
    pl_call_dc_set_buffered_low(s->a, s->ch, 1 << 20);
    fill(s);
  } else if (call == s->a && ev->type == PL_EVENT_DATA_BUFFERED_LOW) {
    fill(s);
  } else if (call == s->b && ev->type == PL_EVENT_DATA_MESSAGE) {
    if (now_s() <= s->t_end) {
      s->rx_bytes += ev->len;
      s->rx_msgs++;
    } else {
      uv_stop(s->loop); /* the transfer window is over */
    }
  }
}

static void on_stop(uv_timer_t *t) { uv_stop(t->loop); }

static int bench_engines(double seconds) {
  bench *s = calloc(1, sizeof *s);
  s->seconds = seconds;
  s->loop = uv_default_loop();
  pl_engine *e;
  if (pl_engine_new(&e, s->loop) != 0)
    return 1;
  pl_call_config c;
  pl_call_config_init(&c);
  c.transport = PL_TRANSPORT_WEBRTC;
  c.data_channels = true;
  c.on_event = on_event;
  c.user = s;
  c.bind = "127.0.0.1:0";
  if (pl_call_new(&s->a, e, &c) || pl_call_new(&s->b, e, &c))
    return 1;
  pl_audio_io ta, tb;
  pl_audio_io_tone_source(&ta, 440, 0.3);
  pl_audio_io_tone_source(&tb, 1000, 0.3);
  pl_call_set_audio_source(s->a, &ta);
  pl_call_set_audio_source(s->b, &tb);
  s->ch = pl_call_create_data_channel(s->a, &(pl_dc_init){.label = "bench"});
  static char offer[16384], answer[16384];
  if (pl_call_create_offer(s->a, offer, sizeof offer) ||
      pl_call_accept_offer(s->b, offer, answer, sizeof answer) ||
      pl_call_accept_answer(s->a, answer)) {
    fprintf(stderr, "offer/answer failed\n");
    return 1;
  }
  uv_timer_init(s->loop, &s->stop);
  uv_timer_start(&s->stop, on_stop, (uint64_t)(seconds * 1000) + 10000, 0);
  uv_run(s->loop, UV_RUN_DEFAULT);
  double dt = now_s() - s->t_open;
  if (dt > seconds)
    dt = seconds;
  pl_call_stats a1;
  pl_call_get_stats(s->b, &a1);
  if (!s->open) {
    fprintf(stderr, "the channel never opened\n");
    return 1;
  }
  uint64_t pk = a1.packets_received - s->audio0.packets_received;
  int64_t lost = a1.packets_lost - s->audio0.packets_lost;
  uint64_t cs = a1.concealed_samples - s->audio0.concealed_samples;
  uint64_t ts = a1.total_samples_received - s->audio0.total_samples_received;
  printf("two engines, loopback UDP, ICE+DTLS+SCTP: %.1f Mbit/s (%llu x 64 KiB in %.2f s,"
         " buffer full %llu times)\n",
         (double)s->rx_bytes * 8 / dt / 1e6, (unsigned long long)s->rx_msgs, dt,
         (unsigned long long)s->full);
  printf("audio beside it (b received): %llu packets, %lld lost, concealed %.2f%% of %llu samples,"
         " jitter %.1f ms, jitter buffer %.0f ms\n",
         (unsigned long long)pk, (long long)lost, ts ? 100.0 * (double)cs / (double)ts : 0,
         (unsigned long long)ts, a1.jitter_s * 1000, a1.jitter_buffer_delay_s * 1000);
  pl_sctp_stats ss = pl_sctp_get_stats(s->a->wrtc->sctp);
  printf("sender's SCTP: send window %llu B, queue delay %u ms, out dropped %llu\n",
         (unsigned long long)ss.send_window, ss.queue_delay_ms,
         (unsigned long long)ss.out_dropped);
  uv_timer_stop(&s->stop);
  uv_close((uv_handle_t *)&s->stop, NULL);
  pl_call_hangup(s->a);
  pl_call_free(s->a);
  pl_call_free(s->b);
  pl_engine_free(e);
  uv_run(s->loop, UV_RUN_DEFAULT);
  free(s);
  return 0;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 5;
  if (seconds <= 0)
    seconds = 5;
  printf("SCTP core alone (usrsctp, in memory, one thread): %.1f Mbit/s\n", bench_core(seconds));
  return bench_engines(seconds);
}
