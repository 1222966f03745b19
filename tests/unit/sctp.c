/* Two SCTP associations wired back to back in one process on a simulated
 * clock (a 5 ms link, optional loss), and DCEP messages. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "net/sctp/dcep.h"
#include "net/sctp/sctp.h"
#include "net/sctp/sendq.h"
#include "parley.h"

#define MAXQ 4096
#define MAXMSG 64

typedef struct pkt {
  pl_time_us at;
  int to;
  size_t len;
  uint8_t data[PL_SCTP_MAX_PACKET];
} pkt;

typedef struct rxmsg {
  int channel;
  bool binary;
  size_t len;
  uint8_t *data;
} rxmsg;

typedef struct side {
  pl_sctp *s;
  bool up, down;
  int opened[8], n_opened;   /* OPEN events */
  int peer_ch[8], n_peer_ch; /* CHANNEL events */
  int closed[8], n_closed;
  int low_events;
  rxmsg rx[MAXMSG];
  int n_rx;
} side;

typedef struct lab {
  pl_time_us now;
  side e[2];
  pkt *q;
  int nq;
  int loss_pct;
  uint32_t rng;
  int sent, lost;
} lab;

static uint32_t lcg(uint32_t *s) {
  *s = *s * 1103515245u + 12345u;
  return *s >> 8;
}

static void drain(lab *L, int i) {
  pl_sctp_output o;
  side *e = &L->e[i];
  while (pl_sctp_poll(e->s, &o)) {
    switch (o.kind) {
    case PL_SCTP_OUT_TRANSMIT:
      L->sent++;
      if (L->loss_pct && (int)(lcg(&L->rng) % 100) < L->loss_pct) {
        L->lost++;
        break;
      }
      cr_assert_lt(L->nq, MAXQ);
      L->q[L->nq].at = L->now + PL_MS(5);
      L->q[L->nq].to = 1 - i;
      L->q[L->nq].len = o.len;
      memcpy(L->q[L->nq].data, o.data, o.len);
      L->nq++;
      break;
    case PL_SCTP_OUT_UP: e->up = true; break;
    case PL_SCTP_OUT_DOWN: e->down = true; break;
    case PL_SCTP_OUT_CHANNEL: e->peer_ch[e->n_peer_ch++] = o.channel; break;
    case PL_SCTP_OUT_OPEN: e->opened[e->n_opened++] = o.channel; break;
    case PL_SCTP_OUT_CLOSE: e->closed[e->n_closed++] = o.channel; break;
    case PL_SCTP_OUT_BUFFERED_LOW: e->low_events++; break;
    case PL_SCTP_OUT_MESSAGE: {
      cr_assert_lt(e->n_rx, MAXMSG);
      rxmsg *m = &e->rx[e->n_rx++];
      m->channel = o.channel;
      m->binary = o.binary;
      m->len = o.len;
      m->data = malloc(o.len ? o.len : 1);
      memcpy(m->data, o.data, o.len);
      break;
    }
    }
  }
}

/* Runs the link until `until`, jumping from event to event. */
static void run(lab *L, pl_time_us until) {
  for (;;) {
    drain(L, 0);
    drain(L, 1);
    pl_time_us next = until;
    for (int i = 0; i < 2; i++)
      next = pl_time_min(next, pl_sctp_deadline(L->e[i].s));
    for (int k = 0; k < L->nq; k++)
      next = pl_time_min(next, L->q[k].at);
    if (next > until)
      break;
    if (next > L->now)
      L->now = next;
    int k = 0;
    for (int j = 0; j < L->nq; j++) {
      if (L->q[j].at <= L->now)
        pl_sctp_input(L->e[L->q[j].to].s, L->now, L->q[j].data, L->q[j].len);
      else
        L->q[k++] = L->q[j];
    }
    L->nq = k;
    for (int i = 0; i < 2; i++)
      if (pl_sctp_deadline(L->e[i].s) <= L->now)
        pl_sctp_timeout(L->e[i].s, L->now);
    if (L->now >= until)
      break;
  }
  drain(L, 0);
  drain(L, 1);
}

static lab *lab_new(void) {
  lab *L = calloc(1, sizeof *L);
  L->q = calloc(MAXQ, sizeof(pkt));
  L->now = PL_SEC(1);
  L->rng = 7;
  for (int i = 0; i < 2; i++)
    cr_assert_eq(pl_sctp_new(&L->e[i].s, NULL), 0);
  return L;
}

static void lab_start(lab *L) {
  cr_assert_eq(pl_sctp_start(L->e[0].s, L->now, true, 0x40000), 0);
  cr_assert_eq(pl_sctp_start(L->e[1].s, L->now, false, 0x40000), 0);
  run(L, L->now + PL_SEC(2));
  cr_assert(L->e[0].up && L->e[1].up, "association up on both sides");
}

static void lab_free(lab *L) {
  for (int i = 0; i < 2; i++) {
    for (int k = 0; k < L->e[i].n_rx; k++)
      free(L->e[i].rx[k].data);
    pl_sctp_free(L->e[i].s);
  }
  free(L->q);
  free(L);
}

static void fill(uint8_t *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(i * 31u + seed);
}

Test(sctp, back_to_back_messages_1B_to_256KiB_arrive_whole_and_in_order) {
  lab *L = lab_new();
  pl_dc_init in = {.label = "chat", .protocol = "x"};
  int a = pl_sctp_open(L->e[0].s, L->now, &in);
  cr_assert_geq(a, 0);
  lab_start(L);
  cr_assert_eq(L->e[0].n_opened, 1);
  cr_assert_eq(L->e[1].n_peer_ch, 1, "the peer sees the DCEP OPEN");
  int b = L->e[1].peer_ch[0];
  pl_dc_stats st;
  pl_sctp_channel_stats(L->e[1].s, b, &st);
  cr_assert_str_eq(st.label, "chat");
  cr_assert_str_eq(st.protocol, "x");
  cr_assert_eq(st.id, 0, "DTLS client picks even ids");
  static const size_t sizes[] = {0, 1, 1024, 65536, 100000, 262144};
  const int n = sizeof sizes / sizeof sizes[0];
  uint8_t *buf = malloc(262144);
  for (int k = 0; k < n; k++) {
    fill(buf, sizes[k], (unsigned)k);
    cr_assert_eq(pl_sctp_send(L->e[0].s, L->now, a, k & 1, buf, sizes[k]), 0,
                 "send %zu", sizes[k]);
  }
  run(L, L->now + PL_SEC(5));
  cr_assert_eq(L->e[1].n_rx, n);
  for (int k = 0; k < n; k++) {
    rxmsg *m = &L->e[1].rx[k];
    fill(buf, sizes[k], (unsigned)k);
    cr_assert_eq(m->len, sizes[k]);
    cr_assert_eq(m->binary, (k & 1) != 0);
    cr_assert_eq(memcmp(m->data, buf, sizes[k]), 0, "message %d intact", k);
  }
  pl_sctp_channel_stats(L->e[1].s, b, &st);
  cr_assert_eq(st.messages_received, (uint64_t)n);
  size_t total = 0;
  for (int k = 0; k < n; k++)
    total += sizes[k];
  cr_assert_eq(st.bytes_received, total);
  pl_sctp_channel_stats(L->e[0].s, a, &st);
  cr_assert_eq(st.messages_sent, (uint64_t)n);
  cr_assert_eq(st.bytes_sent, total);
  cr_assert_eq(st.buffered_amount, 0, "all acknowledged");
  free(buf);
  lab_free(L);
}

Test(sctp, negotiated_channel_needs_no_dcep_and_echoes_both_ways) {
  lab *L = lab_new();
  pl_dc_init in = {.negotiated = true, .id = 7, .unordered = true};
  int a = pl_sctp_open(L->e[0].s, L->now, &in);
  int b = pl_sctp_open(L->e[1].s, L->now, &in);
  cr_assert_geq(a, 0);
  cr_assert_geq(b, 0);
  cr_assert_eq(pl_sctp_open(L->e[1].s, L->now, &in), PL_EINVAL,
               "id 7 already in use");
  lab_start(L);
  cr_assert_eq(L->e[1].n_peer_ch, 0);
  cr_assert_eq(L->e[0].n_opened, 1);
  cr_assert_eq(L->e[1].n_opened, 1);
  const char *hi = "hello";
  cr_assert_eq(pl_sctp_send(L->e[0].s, L->now, a, false, (const uint8_t *)hi, 5), 0);
  cr_assert_eq(pl_sctp_send(L->e[1].s, L->now, b, true, (const uint8_t *)hi, 3), 0);
  run(L, L->now + PL_SEC(1));
  cr_assert_eq(L->e[1].n_rx, 1);
  cr_assert_eq(L->e[1].rx[0].len, 5);
  cr_assert_eq(L->e[0].n_rx, 1);
  cr_assert_eq(L->e[0].rx[0].len, 3);
  cr_assert(L->e[0].rx[0].binary);
  pl_sctp_stats s = pl_sctp_get_stats(L->e[1].s);
  cr_assert_eq(s.dcep_errors, 0);
  lab_free(L);
}

Test(sctp, close_resets_the_stream_and_both_sides_see_closed) {
  lab *L = lab_new();
  int a = pl_sctp_open(L->e[0].s, L->now, NULL);
  lab_start(L);
  int b = L->e[1].peer_ch[0];
  cr_assert_eq(pl_sctp_close(L->e[0].s, L->now, a), 0);
  run(L, L->now + PL_SEC(2));
  cr_assert_eq(L->e[0].n_closed, 1);
  cr_assert_eq(L->e[0].closed[0], a);
  cr_assert_eq(L->e[1].n_closed, 1);
  cr_assert_eq(L->e[1].closed[0], b);
  cr_assert_eq(pl_sctp_send(L->e[0].s, L->now, a, false, (const uint8_t *)"x", 1),
               PL_ESTATE);
  cr_assert_geq(pl_sctp_get_stats(L->e[0].s).streams_reset, 1);
  /* The id is free again: a new channel gets stream 0 back. */
  int c = pl_sctp_open(L->e[0].s, L->now, NULL);
  pl_dc_stats st;
  pl_sctp_channel_stats(L->e[0].s, c, &st);
  cr_assert_eq(st.id, 0);
  lab_free(L);
}

Test(sctp, reliable_channel_delivers_everything_in_order_at_10pct_loss) {
  lab *L = lab_new();
  int a = pl_sctp_open(L->e[0].s, L->now, NULL);
  lab_start(L);
  L->loss_pct = 10;
  uint8_t buf[3000];
  for (int k = 0; k < 40; k++) {
    fill(buf, sizeof buf, (unsigned)k);
    cr_assert_eq(pl_sctp_send(L->e[0].s, L->now, a, true, buf, sizeof buf), 0);
  }
  run(L, L->now + PL_SEC(30));
  cr_assert_gt(L->lost, 0, "the link did drop packets");
  cr_assert_eq(L->e[1].n_rx, 40);
  for (int k = 0; k < 40; k++) {
    fill(buf, sizeof buf, (unsigned)k);
    cr_assert_eq(memcmp(L->e[1].rx[k].data, buf, sizeof buf), 0, "msg %d", k);
  }
  lab_free(L);
}

Test(sctp, max_retransmits_0_loses_messages_but_never_stalls) {
  lab *L = lab_new();
  pl_dc_init in = {.unordered = true, .has_max_retransmits = true,
                   .max_retransmits = 0};
  int a = pl_sctp_open(L->e[0].s, L->now, &in);
  lab_start(L);
  run(L, L->now + PL_MS(100)); /* the ACK arrives: unordered from now on */
  L->loss_pct = 30;
  uint8_t buf[500];
  for (int k = 0; k < 60; k++) {
    fill(buf, sizeof buf, (unsigned)k);
    cr_assert_eq(pl_sctp_send(L->e[0].s, L->now, a, true, buf, sizeof buf), 0);
    run(L, L->now + PL_MS(20));
  }
  L->loss_pct = 0;
  run(L, L->now + PL_SEC(5));
  int got = L->e[1].n_rx;
  cr_assert_lt(got, 60, "some were abandoned, not retransmitted");
  cr_assert_gt(got, 20);
  /* After the lossy stretch, new messages still arrive at once. */
  cr_assert_eq(pl_sctp_send(L->e[0].s, L->now, a, true, buf, 10), 0);
  run(L, L->now + PL_MS(50));
  cr_assert_eq(L->e[1].n_rx, got + 1);
  lab_free(L);
}

Test(sctp, buffered_amount_falls_to_the_low_water_mark_with_one_event) {
  lab *L = lab_new();
  int a = pl_sctp_open(L->e[0].s, L->now, NULL);
  lab_start(L);
  pl_sctp_set_buffered_low(L->e[0].s, a, 1000);
  uint8_t *buf = calloc(1, 200000);
  cr_assert_eq(pl_sctp_send(L->e[0].s, L->now, a, true, buf, 200000), 0);
  pl_dc_stats st;
  pl_sctp_channel_stats(L->e[0].s, a, &st);
  cr_assert_eq(st.buffered_amount, 200000);
  run(L, L->now + PL_SEC(3));
  pl_sctp_channel_stats(L->e[0].s, a, &st);
  cr_assert_leq(st.buffered_amount, 1000);
  cr_assert_eq(L->e[0].low_events, 1);
  cr_assert_eq(pl_sctp_send(L->e[0].s, L->now, a, true, buf, 0x40001), PL_ERANGE,
               "over the peer's max-message-size");
  free(buf);
  lab_free(L);
}

Test(sctp, bad_dcep_and_garbage_packets_are_counted_not_fatal) {
  lab *L = lab_new();
  pl_dc_init in = {.negotiated = true, .id = 2};
  int a = pl_sctp_open(L->e[0].s, L->now, &in);
  lab_start(L);
  uint8_t junk[64];
  fill(junk, sizeof junk, 3);
  pl_sctp_input(L->e[1].s, L->now, junk, sizeof junk); /* bad CRC: dropped */
  run(L, L->now + PL_MS(100));
  /* Data on stream 2, which side 1 never opened. */
  cr_assert_eq(pl_sctp_send(L->e[0].s, L->now, a, false, junk, 4), 0);
  run(L, L->now + PL_MS(100));
  cr_assert_eq(pl_sctp_get_stats(L->e[1].s).no_channel, 1);
  cr_assert(L->e[1].up && !L->e[1].down);
  lab_free(L);
}

Test(dcep, open_round_trips_and_truncation_is_refused) {
  pl_dcep_open o = {.channel_type = PL_DCEP_PARTIAL_RELIABLE_REXMIT |
                                    PL_DCEP_UNORDERED,
                    .priority = 256, .reliability = 3,
                    .label = (const uint8_t *)"chat", .label_len = 4,
                    .protocol = (const uint8_t *)"json", .protocol_len = 4};
  uint8_t buf[64];
  int n = pl_dcep_build_open(buf, sizeof buf, &o);
  cr_assert_eq(n, 20);
  /* RFC 8832 5.1 layout. */
  static const uint8_t want[20] = {3, 0x81, 1, 0, 0, 0, 0, 3, 0, 4, 0, 4,
                                   'c', 'h', 'a', 't', 'j', 's', 'o', 'n'};
  cr_assert_eq(memcmp(buf, want, 20), 0);
  pl_dcep_open p;
  cr_assert_eq(pl_dcep_parse_open(&p, buf, (size_t)n), 20);
  cr_assert_eq(p.channel_type, 0x81);
  cr_assert_eq(p.reliability, 3);
  cr_assert_eq(p.priority, 256);
  cr_assert_eq(memcmp(p.label, "chat", 4), 0);
  cr_assert_eq(memcmp(p.protocol, "json", 4), 0);
  for (int k = 0; k < n; k++)
    cr_assert_eq(pl_dcep_parse_open(&p, buf, (size_t)k), k ? PL_ETRUNC : PL_ETRUNC);
  buf[1] = 0x03; /* no such channel type */
  cr_assert_eq(pl_dcep_parse_open(&p, buf, (size_t)n), PL_EPARSE);
  cr_assert_eq(pl_dcep_build_open(buf, 10, &o), PL_EFULL);
  cr_assert_eq(pl_dcep_build_ack(buf, sizeof buf), 1);
  cr_assert_eq(buf[0], 2);
  cr_assert_eq(pl_dcep_parse_open(&p, buf, 1), PL_EPARSE, "an ACK is no OPEN");
}

Test(sctp, dcep_open_on_an_id_in_use_and_oversize_messages_are_refused_and_counted) {
  lab *L = lab_new();
  /* b already uses stream 0 (negotiated); a's in-band channel gets id 0. */
  pl_dc_init neg = {.negotiated = true, .id = 0};
  cr_assert_geq(pl_sctp_open(L->e[1].s, L->now, &neg), 0);
  int a = pl_sctp_open(L->e[0].s, L->now, &(pl_dc_init){.label = "clash"});
  /* a believes b takes 1 MiB messages; b takes 256 KiB. */
  cr_assert_eq(pl_sctp_start(L->e[0].s, L->now, true, 1 << 20), 0);
  cr_assert_eq(pl_sctp_start(L->e[1].s, L->now, false, 1 << 20), 0);
  run(L, L->now + PL_SEC(2));
  pl_sctp_stats st = pl_sctp_get_stats(L->e[1].s);
  cr_assert_eq(st.id_in_use, 1);
  cr_assert_eq(L->e[1].n_peer_ch, 0, "no second channel on stream 0");
  uint8_t *big = calloc(1, 300000);
  cr_assert_eq(pl_sctp_send(L->e[0].s, L->now, a, true, big, 300000), 0);
  cr_assert_eq(pl_sctp_send(L->e[0].s, L->now, a, true, big, 10), 0);
  run(L, L->now + PL_SEC(3));
  st = pl_sctp_get_stats(L->e[1].s);
  cr_assert_eq(st.oversize_dropped, 1);
  /* The small one after it still arrives, on b's negotiated channel. */
  cr_assert_eq(L->e[1].n_rx, 1);
  cr_assert_eq(L->e[1].rx[0].len, 10);
  free(big);
  lab_free(L);
}

Test(sctp, a_second_pair_after_the_first_is_freed_works_on_a_restarted_clock) {
  /* The first pair frees the last association (usrsctp may finish); the
   * second starts its simulated clock at 1 s again: a new clock domain. */
  for (int round = 0; round < 2; round++) {
    lab *L = lab_new();
    int a = pl_sctp_open(L->e[0].s, L->now, NULL);
    lab_start(L);
    uint8_t msg[100];
    fill(msg, sizeof msg, (unsigned)round);
    cr_assert_eq(pl_sctp_send(L->e[0].s, L->now, a, true, msg, sizeof msg), 0);
    run(L, L->now + PL_MS(200));
    cr_assert_eq(L->e[1].n_rx, 1, "round %d", round);
    cr_assert_eq(memcmp(L->e[1].rx[0].data, msg, sizeof msg), 0);
    lab_free(L);
  }
}

Test(sendq, messages_come_out_whole_and_in_order_across_the_wrap) {
  pl_sendq q = {0};
  uint8_t msg[700], *out;
  const uint8_t *p;
  size_t n;
  bool bin;
  int pushed = 0, popped = 0;
  /* A 4 KiB ring, messages of 1..700 bytes: it wraps many times. */
  for (int round = 0; round < 200; round++) {
    size_t len = (size_t)(round * 37 % 700) + 1;
    fill(msg, len, (unsigned)round);
    while (!pl_sendq_push(&q, 4096, msg, len, round & 1)) {
      cr_assert(pl_sendq_front(&q, &p, &n, &bin), "full means not empty");
      size_t want = (size_t)(popped * 37 % 700) + 1;
      out = malloc(want);
      fill(out, want, (unsigned)popped);
      cr_assert_eq(n, want);
      cr_assert_eq(bin, (popped & 1) != 0);
      cr_assert_eq(memcmp(p, out, n), 0, "message %d intact", popped);
      free(out);
      pl_sendq_pop(&q);
      popped++;
    }
    pushed++;
  }
  while (pl_sendq_front(&q, &p, &n, &bin)) {
    cr_assert_eq(n, (size_t)(popped * 37 % 700) + 1);
    pl_sendq_pop(&q);
    popped++;
  }
  cr_assert_eq(popped, pushed);
  cr_assert_eq(q.bytes, 0);
  cr_assert_not(pl_sendq_push(&q, 4096, msg, 5000, false), "bigger than the ring");
  pl_sendq_free(&q);
}
