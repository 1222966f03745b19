/* RED (RFC 2198) on a call, and the choice of loss protection. Media half:
 * wrap each Opus frame with the one or two before it, unwrap what arrives
 * into the jitter buffer (primary, then copies). Network half: the loss and
 * its burstiness the peer reports (RTCP report blocks, TWCC statuses),
 * handed over in two atomics. The rule that turns them into none / Opus
 * FEC / RED 1 / RED 2, and the table it comes from: docs/audio.md,
 * "Adaptive protection". */
#include <string.h>

#include "engine/call/call.h"

/* Protection levels, cheapest first. */
enum { PROT_NONE, PROT_FEC, PROT_RED1, PROT_RED2 };

/* Below this Opus rate per copy redundancy steps down: at 8 kbit/s (SILK
 * narrowband) two copies still beat one at 12 in bursts, but cost 0.02
 * STOI in every packet (docs/audio.md, "Adaptive protection"). */
#define RED_MIN_OPUS_BPS 8000

static int prot_distance(int p) { return p >= PROT_RED1 ? p - PROT_RED1 + 1 : 0; }

/* The rule (docs/audio.md, "Adaptive protection", from the development
 * table there): loss below 2 % needs nothing but PLC; to 10 % Opus FEC (as
 * good as a copy at the same rate there, and no wait for copies); above, a
 * full copy of the previous frame; two copies when losses come in bursts
 * (mean run >= 1.5 packets) or loss passes 30 %, where one copy is often
 * lost with its original. Moving up takes one report, moving down waits
 * for the loss to fall 1 point below the threshold, so a loss rate on a
 * threshold does not flap. */
static int choose(int cur, double loss, double burst) {
  int want = loss < 0.02 ? PROT_NONE : loss < 0.10 ? PROT_FEC : PROT_RED1;
  if (want == PROT_RED1 && (burst >= 1.5 || loss >= 0.30))
    want = PROT_RED2;
  if (want < cur) {
    int hold = loss + 0.01 < 0.02 ? PROT_NONE : loss + 0.01 < 0.10 ? PROT_FEC : PROT_RED1;
    if (hold == PROT_RED1 && (burst >= 1.4 || loss + 0.01 >= 0.30))
      hold = PROT_RED2;
    want = hold > want ? hold : want;
  }
  return want;
}

void pl_call_red_start(pl_call *c, pl_opus_enc_config *ec) {
  int d = c->cfg.red > 0 ? c->cfg.red : 0;
  pl_red_sender_init(&c->red, (uint8_t)c->pt, c->red_pt >= 0 ? d : 0);
  c->red_protection = d ? PROT_RED1 + d - 1 : ec->fec ? PROT_FEC : PROT_NONE;
  if (c->cfg.red == PL_RED_AUTO) {
    c->red_protection = ec->fec ? PROT_FEC : PROT_NONE; /* until the peer reports */
  }
  atomic_store(&c->red_loss_q8, 0);
  atomic_store(&c->red_burst_q8, 256);
}

/* What the media half applies at each packet: the protection level, and the
 * Opus rate once copies are paid out of the audio share the congestion
 * controller gives (redundancy must not push the call over the path). */
static int adapt(pl_call *c, int share_bps) {
  if (c->red_pt < 0 && c->cfg.red != PL_RED_AUTO)
    return share_bps;
  if (c->cfg.red == PL_RED_AUTO) {
    double loss = atomic_load(&c->red_loss_q8) / 256.0;
    double burst = atomic_load(&c->red_burst_q8) / 256.0;
    int p = choose(c->red_protection, loss, burst);
    if (c->red_pt < 0 && p >= PROT_RED1)
      p = PROT_FEC; /* the peer cannot take RED: the next best */
    while (p >= PROT_RED1 && share_bps / (1 + prot_distance(p)) < RED_MIN_OPUS_BPS)
      p--;
    if (p != c->red_protection) {
      bool fec = p == PROT_FEC;
      int pct = (int)(loss * 100 + 0.5);
      pl_opus_enc_set_fec(c->enc, fec, fec ? (pct < 1 ? 1 : pct) : 0);
      c->red_protection = p;
    }
    pl_red_sender_set_distance(&c->red, prot_distance(p));
  }
  int d = c->red.distance;
  int r = share_bps / (1 + d);
  return r < 6000 ? 6000 : r;
}

int pl_call_red_wrap(pl_call *c, pl_tx_item *it, uint32_t ts, const uint8_t *opus, int len) {
  it->red = false;
  if (c->red_pt >= 0 && c->red.distance > 0) {
    int n = pl_red_sender_wrap(&c->red, ts, opus, (size_t)len, it->payload, sizeof it->payload);
    if (n > 0) {
      it->red = true;
      c->red_packets_sent++;
      return n;
    }
  }
  pl_red_sender_note(&c->red, ts, opus, (size_t)len);
  memcpy(it->payload, opus, (size_t)len);
  return len;
}

int pl_call_red_opus_bps(pl_call *c, int share_bps) { return adapt(c, share_bps); }

void pl_call_red_push(pl_call *c, const pl_rx_item *it) {
  /* Empty payloads (padding-only packets: libwebrtc pads for bandwidth
   * probes on the audio stream, with RED's PT when RED is on) take the
   * plain path and its counts, as they would without RED. */
  if (!it->red || it->len == 0) {
    pl_jitter_push(c->jb, it->arrival, it->seq, it->ts, it->payload, it->len);
    return;
  }
  pl_red_packet p;
  if (pl_red_parse(&p, it->payload, it->len) != 0 || p.blocks[p.n - 1].pt != c->pt) {
    c->red_rx_bad++; /* counted, never played */
    return;
  }
  const pl_red_block *prim = &p.blocks[p.n - 1];
  pl_jitter_push(c->jb, it->arrival, it->seq, it->ts, prim->data, prim->len);
  /* Newest copy first: the frame most likely still missing and due. The
   * copies of a WebRTC sender are its previous packets, in order. */
  for (int i = p.n - 2; i >= 0; i--) {
    const pl_red_block *b = &p.blocks[i];
    if (b->pt != c->pt || b->ts_offset == 0) {
      c->red_rx_bad++;
      continue;
    }
    pl_jitter_push_redundant(c->jb, it->arrival, (uint16_t)(it->seq - (p.n - 1 - i)),
                             it->ts - b->ts_offset, b->data, b->len);
  }
}

/* ---- network half ---- */

void pl_call_red_on_report(pl_call *c, double fraction_lost) {
  /* Smoothed over a few reports (one per ~1 s): one unlucky interval does
   * not buy redundancy for the next ten seconds. */
  double old = atomic_load(&c->red_loss_q8) / 256.0;
  double v = old + 0.5 * (fraction_lost - old);
  atomic_store(&c->red_loss_q8, (uint32_t)(v * 256.0 + 0.5));
}

void pl_call_red_on_twcc(pl_call *c, const pl_twcc_status *st, int n) {
  /* Mean length of a loss run among these statuses (transport-wide, so
   * video counts too: it is the same path). */
  int losses = 0, runs = 0;
  for (int i = 0; i < n; i++) {
    if (st[i].received)
      continue;
    losses++;
    if (i == 0 || st[i - 1].received)
      runs++;
  }
  if (!runs)
    return;
  double mean = (double)losses / runs;
  double old = atomic_load(&c->red_burst_q8) / 256.0;
  double v = old + 0.25 * (mean - old);
  atomic_store(&c->red_burst_q8, (uint32_t)(v * 256.0 + 0.5));
}
