/* libFuzzer target for RTCP: compound validation and iteration, every typed
 * parser on every packet, and for each packet that parses, a rewrite through
 * the writer and a reparse that must give the same values. Any disagreement
 * aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/rtcp/rtcp.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c))                                                                  \
      abort();                                                                 \
  } while (0)

static uint8_t wire[1 << 19];
static pl_twcc_status st_a[65536], st_b[65536];
static uint16_t seq_a[1 << 18], seq_b[1 << 18];
static uint8_t bits_a[8192], bits_b[8192];

/* Rewrites into `wire` and returns the single packet found there. */
static pl_rtcp_packet reparse(pl_rtcp_writer *w) {
  int n = pl_rtcp_writer_finish(w);
  CHECK(n > 0);
  CHECK(pl_rtcp_validate(wire, (size_t)n, true) == 1);
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_iter_init(&it, wire, (size_t)n);
  CHECK(pl_rtcp_iter_next(&it, &pkt) == 1);
  return pkt;
}

static bool same_block(const pl_rtcp_report_block *a,
                       const pl_rtcp_report_block *b) {
  return a->ssrc == b->ssrc && a->fraction_lost == b->fraction_lost &&
         a->cumulative_lost == b->cumulative_lost &&
         a->ext_highest_seq == b->ext_highest_seq && a->jitter == b->jitter &&
         a->lsr == b->lsr && a->dlsr == b->dlsr;
}

static void check_sr_rr(const pl_rtcp_packet *pkt) {
  pl_rtcp_writer w;
  pl_rtcp_sr sr, sr2;
  pl_rtcp_rr rr, rr2;
  if (pl_rtcp_sr_parse(&sr, pkt) == 0) {
    pl_rtcp_writer_init(&w, wire, sizeof wire, true);
    CHECK(pl_rtcp_write_sr(&w, &sr) == 0);
    pl_rtcp_packet p2 = reparse(&w);
    CHECK(pl_rtcp_sr_parse(&sr2, &p2) == 0);
    CHECK(sr.ssrc == sr2.ssrc && sr.ntp == sr2.ntp && sr.rtp_ts == sr2.rtp_ts &&
          sr.packet_count == sr2.packet_count &&
          sr.octet_count == sr2.octet_count &&
          sr.report_count == sr2.report_count);
    for (unsigned i = 0; i < sr.report_count; i++)
      CHECK(same_block(&sr.reports[i], &sr2.reports[i]));
  }
  if (pl_rtcp_rr_parse(&rr, pkt) == 0) {
    pl_rtcp_writer_init(&w, wire, sizeof wire, true);
    CHECK(pl_rtcp_write_rr(&w, &rr) == 0);
    pl_rtcp_packet p2 = reparse(&w);
    CHECK(pl_rtcp_rr_parse(&rr2, &p2) == 0);
    CHECK(rr.ssrc == rr2.ssrc && rr.report_count == rr2.report_count);
    for (unsigned i = 0; i < rr.report_count; i++)
      CHECK(same_block(&rr.reports[i], &rr2.reports[i]));
  }
}

static void check_sdes_bye(const pl_rtcp_packet *pkt) {
  pl_rtcp_writer w;
  pl_rtcp_sdes s, s2;
  if (pl_rtcp_sdes_parse(&s, pkt) == 0) {
    pl_rtcp_writer_init(&w, wire, sizeof wire, true);
    CHECK(pl_rtcp_write_sdes(&w, s.chunks, s.count) == 0);
    pl_rtcp_packet p2 = reparse(&w);
    CHECK(pl_rtcp_sdes_parse(&s2, &p2) == 0);
    CHECK(s2.count == s.count);
    for (unsigned i = 0; i < s.count; i++) {
      CHECK(s.chunks[i].ssrc == s2.chunks[i].ssrc);
      CHECK((s.chunks[i].cname == NULL) == (s2.chunks[i].cname == NULL));
      CHECK(s.chunks[i].cname_len == s2.chunks[i].cname_len);
      if (s.chunks[i].cname)
        CHECK(memcmp(s.chunks[i].cname, s2.chunks[i].cname,
                     s.chunks[i].cname_len) == 0);
    }
  }
  pl_rtcp_bye b, b2;
  if (pl_rtcp_bye_parse(&b, pkt) == 0) {
    char reason[256] = {0};
    if (b.reason)
      memcpy(reason, b.reason, b.reason_len);
    bool text = strlen(reason) == b.reason_len; /* no NUL inside */
    pl_rtcp_writer_init(&w, wire, sizeof wire, true);
    CHECK(pl_rtcp_write_bye(&w, b.ssrcs, b.count, reason) == 0);
    pl_rtcp_packet p2 = reparse(&w);
    CHECK(pl_rtcp_bye_parse(&b2, &p2) == 0);
    CHECK(b2.count == b.count &&
          memcmp(b2.ssrcs, b.ssrcs, b.count * sizeof b.ssrcs[0]) == 0);
    if (text && b.reason_len)
      CHECK(b2.reason_len == b.reason_len &&
            memcmp(b2.reason, b.reason, b.reason_len) == 0);
  }
}

static void check_app(const pl_rtcp_packet *pkt) {
  pl_rtcp_app a, a2;
  if (pl_rtcp_app_parse(&a, pkt) != 0)
    return;
  CHECK(a.len % 4 == 0 && a.data + a.len <= pkt->body + pkt->body_len);
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, wire, sizeof wire, true);
  CHECK(pl_rtcp_write_app(&w, a.subtype, a.ssrc, a.name, a.data, a.len) == 0);
  pl_rtcp_packet p2 = reparse(&w);
  CHECK(pl_rtcp_app_parse(&a2, &p2) == 0);
  CHECK(a2.subtype == a.subtype && a2.ssrc == a.ssrc && !memcmp(a2.name, a.name, 4) &&
        a2.len == a.len && (a.len == 0 || !memcmp(a2.data, a.data, a.len)));
}

static void check_nack(const pl_rtcp_packet *pkt) {
  pl_rtcp_nack n, n2;
  if (pl_rtcp_nack_parse(&n, pkt) != 0)
    return;
  size_t k = pl_rtcp_nack_seqs(&n, seq_a, sizeof seq_a / sizeof seq_a[0]);
  CHECK(k >= n.count && k <= n.count * 17);
  if (k > sizeof seq_a / sizeof seq_a[0])
    return;
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, wire, sizeof wire, true);
  CHECK(pl_rtcp_write_nack(&w, n.fb.sender_ssrc, n.fb.media_ssrc, seq_a, k) ==
        0);
  pl_rtcp_packet p2 = reparse(&w);
  CHECK(pl_rtcp_nack_parse(&n2, &p2) == 0);
  CHECK(n2.count <= n.count);
  size_t k2 = pl_rtcp_nack_seqs(&n2, seq_b, sizeof seq_b / sizeof seq_b[0]);
  /* The same set of sequence numbers (repeats may be merged). */
  memset(bits_a, 0, sizeof bits_a);
  memset(bits_b, 0, sizeof bits_b);
  for (size_t i = 0; i < k; i++)
    bits_a[seq_a[i] >> 3] |= (uint8_t)(1u << (seq_a[i] & 7));
  for (size_t i = 0; i < k2; i++)
    bits_b[seq_b[i] >> 3] |= (uint8_t)(1u << (seq_b[i] & 7));
  CHECK(memcmp(bits_a, bits_b, sizeof bits_a) == 0);
}

static void check_twcc(const pl_rtcp_packet *pkt) {
  pl_rtcp_twcc t, t2;
  int n = pl_rtcp_twcc_parse(&t, pkt, st_a, 65536);
  if (n < 0)
    return;
  CHECK(n == t.status_count);
  pl_rtcp_writer w;
  pl_rtcp_writer_init(&w, wire, sizeof wire, true);
  CHECK(pl_rtcp_write_twcc(&w, &t, st_a, (size_t)n) == 0);
  pl_rtcp_packet p2 = reparse(&w);
  CHECK(pl_rtcp_twcc_parse(&t2, &p2, st_b, 65536) == n);
  CHECK(t2.base_seq == t.base_seq && t2.ref_time == t.ref_time &&
        t2.fb_count == t.fb_count &&
        t2.fb.sender_ssrc == t.fb.sender_ssrc &&
        t2.fb.media_ssrc == t.fb.media_ssrc);
  for (int i = 0; i < n; i++)
    CHECK(st_a[i].seq == st_b[i].seq && st_a[i].received == st_b[i].received &&
          st_a[i].delta_us == st_b[i].delta_us &&
          st_a[i].recv_us == st_b[i].recv_us);
}

static void check_psfb(const pl_rtcp_packet *pkt) {
  pl_rtcp_fb fb;
  pl_rtcp_writer w;
  if (pl_rtcp_pli_parse(&fb, pkt) == 0) {
    pl_rtcp_writer_init(&w, wire, sizeof wire, true);
    CHECK(pl_rtcp_write_pli(&w, fb.sender_ssrc, fb.media_ssrc) == 0);
    pl_rtcp_packet p2 = reparse(&w);
    CHECK(p2.len == 12 && p2.pt == pkt->pt && p2.count == pkt->count &&
          memcmp(p2.body, pkt->body, 8) == 0);
  }
  pl_rtcp_fir f, f2;
  if (pl_rtcp_fir_parse(&f, pkt) == 0 && f.count <= 4096) {
    static uint32_t ssrcs[4096];
    static uint8_t seqs[4096];
    for (size_t i = 0; i < f.count; i++)
      pl_rtcp_fir_entry(&f, i, &ssrcs[i], &seqs[i]);
    pl_rtcp_writer_init(&w, wire, sizeof wire, true);
    CHECK(pl_rtcp_write_fir(&w, f.fb.sender_ssrc, ssrcs, seqs, f.count) == 0);
    pl_rtcp_packet p2 = reparse(&w);
    CHECK(pl_rtcp_fir_parse(&f2, &p2) == 0 && f2.count == f.count);
    for (size_t i = 0; i < f.count; i++) {
      uint32_t s;
      uint8_t q;
      pl_rtcp_fir_entry(&f2, i, &s, &q);
      CHECK(s == ssrcs[i] && q == seqs[i]);
    }
  }
  pl_rtcp_remb r, r2;
  if (pl_rtcp_remb_parse(&r, pkt) == 0) {
    uint32_t ssrcs[255];
    for (unsigned i = 0; i < r.ssrc_count; i++)
      ssrcs[i] = pl_rtcp_remb_ssrc(&r, i);
    pl_rtcp_writer_init(&w, wire, sizeof wire, true);
    CHECK(pl_rtcp_write_remb(&w, r.fb.sender_ssrc, r.bitrate_bps, ssrcs,
                             r.ssrc_count) == 0);
    pl_rtcp_packet p2 = reparse(&w);
    CHECK(pl_rtcp_remb_parse(&r2, &p2) == 0);
    CHECK(r2.bitrate_bps == r.bitrate_bps && r2.ssrc_count == r.ssrc_count);
    for (unsigned i = 0; i < r.ssrc_count; i++)
      CHECK(pl_rtcp_remb_ssrc(&r2, i) == ssrcs[i]);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  (void)pl_rtcp_validate(data, size, false);
  (void)pl_rtcp_validate(data, size, true);
  pl_rtcp_iter it;
  pl_rtcp_packet pkt;
  pl_rtcp_iter_init(&it, data, size);
  while (pl_rtcp_iter_next(&it, &pkt) > 0) {
    CHECK(pkt.data >= data && pkt.data + pkt.len <= data + size);
    CHECK(pkt.body == pkt.data + 4 && pkt.body_len + 4 == pkt.len);
    check_sr_rr(&pkt);
    check_sdes_bye(&pkt);
    check_app(&pkt);
    check_nack(&pkt);
    check_twcc(&pkt);
    check_psfb(&pkt);
  }
  return 0;
}
