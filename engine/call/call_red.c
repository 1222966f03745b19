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
 * lost with its original. Going down needs the figures well under the
 * thresholds (loss under 0.7 of it, runs under 1.3): a one-second loss
 * figure over 50 packets wanders by +-4 points at 10 %, and each switch
 * changes the Opus rate and the receiver's wait. */
static int level(double loss, double burst, double k, double b) {
  int p = loss < 0.02 * k ? PROT_NONE : loss < 0.10 * k ? PROT_FEC : PROT_RED1;
  if (p == PROT_RED1 && (burst >= b || loss >= 0.30 * k))
    p = PROT_RED2;
  return p;
}

static int choose(int cur, double loss, double burst) {
  int up = level(loss, burst, 1.0, 1.5);
  if (up >= cur)
    return up;
  int down = level(loss, burst, 0.7, 1.3);
  return down < cur ? down : cur;
}

/* Packets between two changes of the choice (8 s of 20 ms packets): a
 * loss rate on a threshold moves the choice at most that often. */
#define RED_DWELL 400
#define NO_REPORT UINT32_MAX

void pl_call_red_start(pl_call *c, pl_opus_enc_config *ec) {
  int d = c->cfg.red > 0 ? c->cfg.red : 0;
  pl_red_sender_init(&c->red, (uint8_t)c->pt, c->red_pt >= 0 ? d : 0);
  c->red_protection = d ? PROT_RED1 + d - 1 : ec->fec ? PROT_FEC : PROT_NONE;
  if (c->cfg.red == PL_RED_AUTO) {
    c->red_protection = ec->fec ? PROT_FEC : PROT_NONE; /* until the peer reports */
  }
  atomic_store(&c->red_loss_q8, NO_REPORT); /* keep the start until the peer reports */
  atomic_store(&c->red_burst_q8, 256);
}

/* What the media half applies at each packet: the protection level, and the
 * Opus rate once copies are paid out of the audio share the congestion
 * controller gives (redundancy must not push the call over the path). */
static int adapt(pl_call *c, int share_bps) {
  if (c->red_pt < 0 && c->cfg.red != PL_RED_AUTO)
    return share_bps;
  if (c->cfg.red == PL_RED_AUTO && atomic_load(&c->red_loss_q8) != NO_REPORT) {
    double loss = atomic_load(&c->red_loss_q8) / 256.0;
    double burst = atomic_load(&c->red_burst_q8) / 256.0;
    int p = c->red_dwell > 0 ? c->red_protection : choose(c->red_protection, loss, burst);
    if (c->red_dwell > 0)
      c->red_dwell--;
    if (c->red_pt < 0 && p >= PROT_RED1)
      p = PROT_FEC; /* the peer cannot take RED: the next best */
    while (p >= PROT_RED1 && share_bps / (1 + prot_distance(p)) < RED_MIN_OPUS_BPS)
      p--;
    if (p != c->red_protection) {
      bool fec = p == PROT_FEC;
      int pct = (int)(loss * 100 + 0.5);
      pl_opus_enc_set_fec(c->enc, fec, fec ? (pct < 1 ? 1 : pct) : 0);
      /* DRED's loss-following (call_media.c) keeps FEC as chosen here. */
      c->enc_fec = fec;
      c->enc_loss_q8 = -1;
      c->red_protection = p;
      c->red_dwell = RED_DWELL;
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
  uint32_t q = atomic_load(&c->red_loss_q8);
  double old = q == NO_REPORT ? fraction_lost : q / 256.0;
  double v = old + 0.3 * (fraction_lost - old);
  atomic_store(&c->red_loss_q8, (uint32_t)(v * 256.0 + 0.5));
}

void pl_call_red_on_twcc(pl_call *c, const pl_twcc_status *st, int n) {
  /* Mean length of a loss run: losses over runs, both counted across
   * feedbacks (a run may span two) and decayed per packet (time constant
   * ~500 packets), so that the ratio rests on dozens of runs rather than
   * one feedback's. Transport-wide, so video counts too: the same path. */
  for (int i = 0; i < n; i++) {
    c->red_tw_losses *= 0.998;
    c->red_tw_runs *= 0.998;
    if (!st[i].received) {
      c->red_tw_losses += 1;
      if (!c->red_tw_last_lost)
        c->red_tw_runs += 1;
    }
    c->red_tw_last_lost = !st[i].received;
  }
  if (c->red_tw_runs < 5)
    return; /* too few runs to tell */
  double mean = c->red_tw_losses / c->red_tw_runs;
  atomic_store(&c->red_burst_q8, (uint32_t)(mean * 256.0 + 0.5));
}
