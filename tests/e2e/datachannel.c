/* Data channels between two engines on the simulated clock over the WebRTC
 * transport (ICE, DTLS, SCTP): the m=application section, DCEP, messages
 * of 1 B .. 256 KiB echoed back byte for byte, reliability under loss on
 * the emulated link, and audio beside a saturating transfer. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/call/call.h"
#include "engine/sim.h"
#include "net/sctp/sctp.h"
#include "parley.h"

#define SDP_CAP 16384
#define MAXMSG 256

typedef struct side {
  pl_call **call;
  bool echo; /* send every message back on its channel */
  int opens, closes, peer_channels, lows, connected;
  int last_channel;
  char label[64];
  int n_rx;
  size_t rx_len[MAXMSG];
  bool rx_bin[MAXMSG];
  int rx_ch[MAXMSG];
  uint32_t rx_sum[MAXMSG];
  uint8_t *first_big; /* a copy of the first message over 64 KiB */
} side;

static uint32_t sum(const uint8_t *p, size_t n) {
  uint32_t h = 2166136261u; /* FNV-1a: catches a swapped or lost byte */
  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}

static void on_event(pl_call *call, const pl_event *ev, void *user) {
  side *s = user;
  switch (ev->type) {
  case PL_EVENT_CONNECTED: s->connected++; break;
  case PL_EVENT_DATA_CHANNEL:
    s->peer_channels++;
    s->last_channel = ev->channel;
    snprintf(s->label, sizeof s->label, "%s", ev->detail ? ev->detail : "");
    break;
  case PL_EVENT_DATA_OPEN: s->opens++; break;
  case PL_EVENT_DATA_CLOSE: s->closes++; break;
  case PL_EVENT_DATA_BUFFERED_LOW: s->lows++; break;
  case PL_EVENT_DATA_MESSAGE:
    if (s->n_rx < MAXMSG) {
      s->rx_len[s->n_rx] = ev->len;
      s->rx_bin[s->n_rx] = ev->binary;
      s->rx_ch[s->n_rx] = ev->channel;
      s->rx_sum[s->n_rx] = sum(ev->data, ev->len);
      s->n_rx++;
    }
    if (ev->len > 65536 && !s->first_big) {
      s->first_big = malloc(ev->len);
      memcpy(s->first_big, ev->data, ev->len);
    }
    if (s->echo)
      cr_assert_eq(pl_call_dc_send(call, ev->channel, ev->data, ev->len, ev->binary), 0);
    break;
  default: break;
  }
}

typedef struct rig {
  pl_sim *s;
  side a, b;
} rig;

static void rig_new(rig *r, double loss, bool data_b) {
  memset(r, 0, sizeof *r);
  pl_call_config a, b;
  pl_call_config_init(&a);
  pl_call_config_init(&b);
  a.transport = b.transport = PL_TRANSPORT_WEBRTC;
  a.on_event = b.on_event = on_event;
  a.user = &r->a;
  b.user = &r->b;
  b.data_channels = data_b;
  pl_emu_config net;
  memset(&net, 0, sizeof net);
  net.delay = PL_MS(10);
  net.loss = loss;
  net.loss_model = loss > 0 ? PL_EMU_LOSS_RANDOM : PL_EMU_LOSS_NONE;
  cr_assert_eq(pl_sim_new(&r->s, &a, &b, &net, &net, 5), 0);
  r->a.call = &r->s->a;
  r->b.call = &r->s->b;
}

static void rig_free(rig *r) {
  free(r->a.first_big);
  free(r->b.first_big);
  pl_sim_free(r->s);
}

static uint64_t lost_on_links(rig *r) {
  pl_emu_stats ab, ba;
  pl_emu_link_stats(r->s->ab, r->s->now, &ab);
  pl_emu_link_stats(r->s->ba, r->s->now, &ba);
  return ab.lost_random + ba.lost_random;
}

static void fill(uint8_t *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)((i * 131u + seed * 7u) >> 3);
}

Test(datachannel, offer_has_a_bundled_application_section_when_a_channel_exists) {
  rig r;
  rig_new(&r, 0, true);
  cr_assert_geq(pl_call_create_data_channel(r.s->a, &(pl_dc_init){.label = "chat"}), 0);
  char *offer = malloc(SDP_CAP);
  cr_assert_eq(pl_call_create_offer(r.s->a, offer, SDP_CAP), 0);
  cr_assert_not_null(strstr(offer, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
  cr_assert_not_null(strstr(offer, "a=sctp-port:5000\r\n"));
  cr_assert_not_null(strstr(offer, "a=max-message-size:262144\r\n"));
  cr_assert_not_null(strstr(offer, "a=group:BUNDLE 0 1\r\n"));
  free(offer);
  rig_free(&r);
}

Test(datachannel, echo_of_1B_to_256KiB_ordered_and_unordered_is_byte_exact) {
  rig r;
  rig_new(&r, 0, true);
  r.b.echo = true;
  int ord = pl_call_create_data_channel(r.s->a, &(pl_dc_init){.label = "ordered"});
  int uno = pl_call_create_data_channel(
      r.s->a, &(pl_dc_init){.label = "unordered", .unordered = true});
  cr_assert_geq(ord, 0);
  cr_assert_geq(uno, 0);
  cr_assert_eq(pl_sim_connect(r.s), 0);
  pl_sim_run_until(r.s, PL_SEC(1));
  cr_assert_eq(r.a.opens, 2);
  cr_assert_eq(r.b.peer_channels, 2, "DCEP OPEN seen by the answerer");
  cr_assert_eq(r.b.opens, 2);
  static const size_t sizes[] = {1, 1024, 65536, 262144};
  uint8_t *buf = malloc(262144);
  int n = 0;
  uint32_t want[16];
  size_t want_len[16];
  for (int ch = 0; ch < 2; ch++)
    for (int k = 0; k < 4; k++) {
      fill(buf, sizes[k], (unsigned)n);
      want[n] = sum(buf, sizes[k]);
      want_len[n] = sizes[k];
      cr_assert_eq(pl_call_dc_send(r.s->a, ch ? uno : ord, buf, sizes[k], k & 1), 0);
      n++;
    }
  pl_sim_run_until(r.s, PL_SEC(4));
  cr_assert_eq(r.a.n_rx, n, "every message came back");
  /* Ordered ones in order; unordered may overtake, so match by content. */
  for (int j = 0, k = 0; j < n; j++) {
    if (r.a.rx_ch[j] != ord)
      continue;
    cr_assert_eq(r.a.rx_len[j], want_len[k]);
    cr_assert_eq(r.a.rx_sum[j], want[k], "ordered message %d intact", k);
    cr_assert_eq(r.a.rx_bin[j], (k & 1) != 0);
    k++;
  }
  for (int k = 4; k < 8; k++) {
    bool found = false;
    for (int j = 0; j < n; j++)
      found |= r.a.rx_sum[j] == want[k] && r.a.rx_len[j] == want_len[k];
    cr_assert(found, "unordered message %d came back intact", k);
  }
  pl_dc_stats st;
  cr_assert_eq(pl_call_dc_stats(r.s->a, ord, &st), 0);
  cr_assert_eq(st.messages_sent, 4);
  cr_assert_eq(st.messages_received, 4);
  cr_assert_eq(st.bytes_sent, 1 + 1024 + 65536 + 262144);
  cr_assert_eq(st.bytes_received, st.bytes_sent);
  cr_assert_eq(st.state, PL_DC_OPEN);
  cr_assert_str_eq(st.label, "ordered");
  cr_assert_eq(st.id % 2, 1, "the offerer is the DTLS server: odd ids");
  /* A message over the peer's a=max-message-size is refused. */
  uint8_t *big = calloc(1, 262145);
  cr_assert_eq(pl_call_dc_send(r.s->a, ord, big, 262145, true), PL_ERANGE);
  free(big);
  free(buf);
  rig_free(&r);
}

Test(datachannel, answerer_without_data_channels_rejects_the_section) {
  rig r;
  rig_new(&r, 0, false);
  int ch = pl_call_create_data_channel(r.s->a, NULL);
  cr_assert_eq(pl_sim_connect(r.s), 0);
  pl_sim_run_until(r.s, PL_SEC(2));
  cr_assert_eq(r.a.opens, 0);
  cr_assert_gt(r.a.connected + r.b.connected, 0, "audio still connects");
  pl_dc_stats st;
  pl_call_dc_stats(r.s->a, ch, &st);
  cr_assert_eq(st.state, PL_DC_CONNECTING);
  rig_free(&r);
}

Test(datachannel, reliable_transfer_over_10pct_loss_arrives_complete_and_in_order) {
  rig r;
  rig_new(&r, 0.10, true);
  int ch = pl_call_create_data_channel(r.s->a, NULL);
  cr_assert_eq(pl_sim_connect(r.s), 0);
  pl_sim_run_until(r.s, PL_SEC(2));
  cr_assert_eq(r.a.opens, 1, "opened despite loss");
  uint8_t buf[16384];
  uint32_t want[40];
  for (int k = 0; k < 40; k++) {
    fill(buf, sizeof buf, (unsigned)k);
    want[k] = sum(buf, sizeof buf);
    cr_assert_eq(pl_call_dc_send(r.s->a, ch, buf, sizeof buf, true), 0);
  }
  pl_sim_run_until(r.s, PL_SEC(20));
  cr_assert_gt(lost_on_links(&r), 50, "the links did drop packets");
  cr_assert_eq(r.b.n_rx, 40);
  for (int k = 0; k < 40; k++)
    cr_assert_eq(r.b.rx_sum[k], want[k], "message %d", k);
  rig_free(&r);
}

Test(datachannel, close_from_one_side_closes_both) {
  rig r;
  rig_new(&r, 0, true);
  int ch = pl_call_create_data_channel(r.s->a, &(pl_dc_init){.label = "x"});
  cr_assert_eq(pl_sim_connect(r.s), 0);
  pl_sim_run_until(r.s, PL_SEC(1));
  cr_assert_str_eq(r.b.label, "x");
  cr_assert_eq(pl_call_dc_close(r.s->a, ch), 0);
  pl_sim_run_until(r.s, PL_SEC(2));
  cr_assert_eq(r.a.closes, 1);
  cr_assert_eq(r.b.closes, 1);
  rig_free(&r);
}

/* ---- a transfer through a 1 Mbit/s bottleneck beside the audio ---- */

typedef struct flood {
  side s;
  int ch;
  uint64_t sent;
} flood;

static void flood_fill(pl_call *call, flood *f) {
  static uint8_t buf[16384];
  while (pl_call_dc_send(call, f->ch, buf, sizeof buf, true) == 0)
    f->sent += sizeof buf;
}

static void on_flood_event(pl_call *call, const pl_event *ev, void *user) {
  flood *f = user;
  if ((ev->type == PL_EVENT_DATA_OPEN && ev->channel == f->ch) ||
      ev->type == PL_EVENT_DATA_BUFFERED_LOW)
    flood_fill(call, f);
  on_event(call, ev, &f->s);
}

Test(datachannel, transfer_through_1mbit_bottleneck_leaves_the_audio_flowing) {
  pl_call_config a, b;
  pl_call_config_init(&a);
  pl_call_config_init(&b);
  a.transport = b.transport = PL_TRANSPORT_WEBRTC;
  a.data_channels = b.data_channels = true;
  flood fa = {0}, fb = {0};
  a.on_event = on_flood_event;
  b.on_event = on_event;
  a.user = &fa;
  b.user = &fb.s;
  pl_emu_config net;
  memset(&net, 0, sizeof net);
  net.delay = PL_MS(20);
  net.capacity.kind = PL_EMU_CAP_CONSTANT;
  net.capacity.bps = 1000000;
  net.queue_delay = PL_MS(300);
  pl_sim *s;
  cr_assert_eq(pl_sim_new(&s, &a, &b, &net, &net, 9), 0);
  pl_audio_io ta, tb;
  pl_audio_io_tone_source(&ta, 440, 0.3);
  pl_audio_io_tone_source(&tb, 1000, 0.3);
  pl_call_set_audio_source(s->a, &ta);
  pl_call_set_audio_source(s->b, &tb);
  fa.ch = pl_call_create_data_channel(s->a, NULL);
  pl_call_dc_set_buffered_low(s->a, fa.ch, 65536);
  cr_assert_eq(pl_sim_connect(s), 0);
  pl_sim_run_until(s, PL_SEC(3));
  pl_call_stats b0, b1;
  pl_call_get_stats(s->b, &b0);
  pl_dc_stats d0, d1;
  pl_call_dc_stats(s->a, fa.ch, &d0);
  pl_sim_run_until(s, PL_SEC(13));
  pl_call_get_stats(s->b, &b1);
  pl_call_dc_stats(s->a, fa.ch, &d1);
  double data_kbps = (double)(d1.bytes_sent - d0.bytes_sent -
                               (d1.buffered_amount - d0.buffered_amount)) * 8 / 10 / 1000;
  int64_t lost = b1.packets_lost - b0.packets_lost;
  uint64_t got = b1.packets_received - b0.packets_received;
  double conceal = 100.0 * (double)(b1.concealed_samples - b0.concealed_samples) /
                   (double)(b1.total_samples_received - b0.total_samples_received + 1);
  pl_sctp_stats ss = pl_sctp_get_stats(s->a->wrtc->sctp);
  if (getenv("PL_TEST_VERBOSE"))
    fprintf(stderr, "bottleneck: data %.0f kbit/s, audio %llu packets, lost %lld, concealed "
            "%.2f%%, jitter buffer %.0f ms; window %llu B, queue %u ms, waits %llu\n",
            data_kbps, (unsigned long long)got, (long long)lost, conceal,
            b1.jitter_buffer_delay_s * 1000, (unsigned long long)ss.send_window,
            ss.queue_delay_ms, (unsigned long long)ss.window_full);
  /* The data takes most of the link... */
  cr_assert_gt(data_kbps, 600);
  /* ... and the audio is not starved: the send window keeps SCTP's queue
   * near 25 ms, so no audio packet is lost to the full queue (without the
   * window: 4-14 of 500 lost, 0.8-2.4 % concealed). */
  cr_assert_gt(got, 490);
  cr_assert_lt(lost, 3);
  cr_assert_lt(conceal, 1.0);
  cr_assert_lt(ss.queue_delay_ms, 100, "SCTP's own view of the queue");
  pl_sim_free(s);
}

Test(datachannel, max_retransmits_0_over_10pct_loss_loses_some_and_never_stalls) {
  rig r;
  rig_new(&r, 0.10, true);
  int ch = pl_call_create_data_channel(
      r.s->a, &(pl_dc_init){.unordered = true, .has_max_retransmits = true});
  cr_assert_eq(pl_sim_connect(r.s), 0);
  pl_sim_run_until(r.s, PL_SEC(2));
  cr_assert_eq(r.a.opens, 1);
  uint8_t buf[1000] = {0};
  for (int k = 0; k < 100; k++) {
    cr_assert_eq(pl_call_dc_send(r.s->a, ch, buf, sizeof buf, true), 0);
    pl_sim_run_until(r.s, PL_SEC(2) + PL_MS(20) * (k + 1));
  }
  pl_sim_run_until(r.s, PL_SEC(6));
  int got = r.b.n_rx;
  cr_assert_lt(got, 100, "lost messages are not retransmitted");
  cr_assert_gt(got, 75);
  /* No head-of-line wait: of 5 new messages (each lost with 10 %), some
   * arrive within 100 ms (the one-way trip is 10 ms). */
  pl_time_us t = r.s->now - PL_SIM_START_US;
  for (int k = 0; k < 5; k++)
    cr_assert_eq(pl_call_dc_send(r.s->a, ch, buf, 10, true), 0);
  pl_sim_run_until(r.s, t + PL_MS(100));
  cr_assert_gt(r.b.n_rx, got);
  cr_assert_gt(lost_on_links(&r), 10);
  rig_free(&r);
}

Test(datachannel, hanging_up_closes_every_channel_on_both_sides) {
  rig r;
  rig_new(&r, 0, true);
  pl_call_create_data_channel(r.s->a, &(pl_dc_init){.label = "one"});
  pl_call_create_data_channel(r.s->a, &(pl_dc_init){.label = "two"});
  cr_assert_eq(pl_sim_connect(r.s), 0);
  pl_sim_run_until(r.s, PL_SEC(1));
  cr_assert_eq(r.b.opens, 2);
  cr_assert_eq(pl_call_hangup(r.s->a), 0);
  pl_sim_run_until(r.s, PL_SEC(2));
  cr_assert_eq(r.a.closes, 2, "our channels close with our connection");
  cr_assert_eq(r.b.closes, 2, "the peer's close when DTLS close_notify arrives");
  rig_free(&r);
}
