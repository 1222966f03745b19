/* The transport-wide feedback loop fed hostile input on both ends.
 *
 * Receiver side: the input is a stream of arrivals (16-bit transport-wide
 * numbers, with time steps, duplicates, jumps and wraps as the bytes say);
 * the recorder writes feedback when due, and every message it writes must
 * parse back into statuses whose received packets are ones that arrived, in
 * a contiguous run of numbers.
 *
 * Sender side: the same bytes, read as feedback statuses (numbers,
 * received flags, receive times), go to a send history that has sent a
 * stream of packets: whatever they claim, the history's counters stay
 * consistent (reported + unknown + duplicate accounts for every status) and
 * its bytes in flight never exceed what was sent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/cc/cc.h"
#include "net/cc/twcc_recv.h"
#include "net/rtcp/rtcp.h"

#define CHECK(x)                                                               \
  do {                                                                         \
    if (!(x))                                                                  \
      __builtin_trap();                                                        \
  } while (0)

static pl_twcc_recv rx;
static pl_twcc_status parsed[PL_TWCC_RECV_MAX_STATUS + 8];
static pl_twcc_status claims[256];
static uint8_t arrived[65536]; /* by 16-bit number: arrived at least once */

static void receiver(const uint8_t *d, size_t n) {
  pl_twcc_recv_init(&rx);
  memset(arrived, 0, sizeof arrived);
  pl_time_us now = PL_SEC(10);
  uint16_t seq = (uint16_t)(n ? d[0] << 8 : 0);
  for (size_t i = 0; i + 1 < n; i += 2) {
    uint8_t op = d[i], arg = d[i + 1];
    switch (op & 7) {
    case 0: seq = (uint16_t)(seq + 1); break;
    case 1: seq = (uint16_t)(seq + arg); break;          /* a gap of losses */
    case 2: seq = (uint16_t)(seq - (arg & 15)); break;   /* late or duplicate */
    case 3: seq = (uint16_t)(seq + arg * 256); break;    /* a jump */
    default: seq = (uint16_t)(seq + 1); break;
    }
    now += (pl_time_us)(op >> 3) * PL_MS(op & 0x80 ? 700 : 3); /* seconds-long gaps too */
    pl_twcc_recv_packet(&rx, now, seq, 200 + arg);
    arrived[seq] = 1;
    uint8_t buf[1500];
    pl_rtcp_writer w;
    pl_rtcp_writer_init(&w, buf, sizeof buf, true);
    int rc = pl_twcc_recv_write(&rx, now, (op & 0x40) != 0, &w, 1, 2);
    if (rc != 1)
      continue;
    int len = pl_rtcp_writer_finish(&w);
    CHECK(len > 0);
    pl_rtcp_iter it;
    pl_rtcp_iter_init(&it, buf, (size_t)len);
    pl_rtcp_packet pkt;
    CHECK(pl_rtcp_iter_next(&it, &pkt) == 1);
    pl_rtcp_twcc t;
    int k = pl_rtcp_twcc_parse(&t, &pkt, parsed, sizeof parsed / sizeof parsed[0]);
    CHECK(k > 0 && k <= PL_TWCC_RECV_MAX_STATUS);
    CHECK(parsed[0].received || k > 1);
    CHECK(parsed[k - 1].received); /* trailing losses wait */
    for (int j = 0; j < k; j++) {
      CHECK(parsed[j].seq == (uint16_t)(t.base_seq + j));
      if (parsed[j].received)
        CHECK(arrived[parsed[j].seq]);
    }
  }
}

static void sender(const uint8_t *d, size_t n) {
  pl_cc_history *h = pl_cc_history_new();
  if (!h)
    return;
  uint64_t sent_bytes = 0;
  size_t sends = n ? d[0] * 40u : 0;
  for (size_t i = 0; i < sends; i++) {
    pl_cc_history_sent(h, PL_MS(i), 1000 + (uint32_t)(i % 300), i % 9 == 0 ? 1 : -1, i % 3 == 0);
    sent_bytes += 1000 + i % 300;
  }
  size_t k = 0;
  uint64_t statuses = 0;
  for (size_t i = 1; i + 3 < n; i += 4) {
    claims[k].seq = (uint16_t)(d[i] << 8 | d[i + 1]);
    claims[k].received = d[i + 2] & 1;
    claims[k].recv_us = (int64_t)d[i + 3] * (d[i + 2] & 0x80 ? PL_SEC(1) : PL_MS(1));
    if (++k == sizeof claims / sizeof claims[0] || i + 7 >= n) {
      pl_cc_feedback fb;
      int r = pl_cc_history_feedback(h, PL_SEC(20), claims, k, &fb);
      CHECK(r >= 0 && (size_t)r == fb.n && fb.n <= k);
      for (size_t j = 0; j < fb.n; j++)
        CHECK(fb.packets[j].size >= 1000 && fb.packets[j].size < 1300);
      CHECK(fb.data_in_flight <= sent_bytes);
      statuses += k;
      k = 0;
    }
  }
  pl_cc_history_stats s = pl_cc_history_get_stats(h);
  /* A message refused whole (absurd times) accounts for none of its own. */
  CHECK(s.reported + s.unknown + s.duplicate <= statuses);
  CHECK(s.lost <= s.reported);
  CHECK(pl_cc_history_in_flight(h) <= sent_bytes);
  pl_cc_history_free(h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  receiver(data, size);
  sender(data, size);
  return 0;
}
