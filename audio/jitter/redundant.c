/* RED (RFC 2198) copies in the jitter buffer. A copy of frame n rides in
 * packet n+1 (and n+2 at distance 2); when n never came, the copy takes
 * its place in the store exactly as a late original would, so the playout
 * side needs nothing new: if concealment for n has begun, next_ts is still
 * at n and the copy plays when it arrives. Copies of what is here, or of
 * what was played or skipped, are counted discards (W3C fecPacketsDiscarded,
 * as libwebrtc's NetEq counts secondary payloads). */
#include <string.h>

#include "audio/jitter/jitter_int.h"
#include "parley.h"

#define RED_MEMORY_US PL_SEC(10)

static int red_discard(pl_jitter *jb, int err) {
  jb->st.fec_packets_discarded++;
  return err;
}

bool pl_jb_red_have(const pl_jitter *jb, int64_t ts, int samples) {
  if (!jb->red_until)
    return false; /* no RED on this stream: nothing to look for */
  for (int i = 0; i < jb->count; i++) {
    const pl_jb_slot *s = &jb->slots[jb->order[i]];
    if (s->ts < ts + samples && ts < s->ts + s->samples)
      return true;
  }
  return false;
}

void pl_jb_red_removed(pl_jitter *jb, const pl_jb_slot *s, bool discarded) {
  (void)s;
  /* Either way the original was lost: wait for copies from now on (and a
   * recovered loss keeps the wait, else it would lapse because it works). */
  pl_jb_note_loss(jb, jb->last_now);
  if (discarded)
    jb->st.fec_packets_discarded++; /* stored, but too late to play */
  else
    jb->st.red_recovered++;
}

int64_t pl_jb_red_wait_us(const pl_jitter *jb, pl_time_us now) {
  if (now < jb->red_until && now < jb->loss_until)
    return jb->red_wait_us;
  return 0;
}

int pl_jitter_push_redundant(pl_jitter *jb, pl_time_us now, uint16_t seq, uint32_t rtp_ts,
                             const uint8_t *payload, size_t len) {
  if (!jb || (!payload && len))
    return PL_EINVAL;
  jb->st.fec_packets_received++;
  jb->last_now = now;
  if (!jb->have_ts || jb->state == PL_JB_IDLE)
    return red_discard(jb, PL_ERANGE); /* no stream yet to place it in */
  int samples = len ? pl_opus_packet_samples(payload, len) : PL_ECODEC;
  if (samples <= 0)
    return red_discard(jb, PL_ECODEC);
  if (len > (size_t)jb->c.max_payload)
    return red_discard(jb, PL_ERANGE);
  /* Placed against the newest timestamp without moving it: a copy is
   * always older than the packet that carried it. */
  int64_t tx = jb->ts_ref + (int32_t)(rtp_ts - (uint32_t)jb->ts_ref);
  if (tx >= jb->ts_ref)
    return red_discard(jb, PL_ERANGE);
  /* How long the copies trail their originals: the extra wait that lets
   * the carrier arrive before the lost frame is due. */
  int64_t trail = pl_jb_ts_us(jb->ts_ref - tx);
  if (now >= jb->red_until || trail > jb->red_wait_us)
    jb->red_wait_us = trail > PL_MS(100) ? PL_MS(100) : trail;
  jb->red_until = now + RED_MEMORY_US;
  if (tx < jb->next_ts && jb->state == PL_JB_BUFFERING)
    return red_discard(jb, PL_ERANGE); /* before the stream's start */
  /* Known by timestamp, not by sequence number: a sender's padding-only
   * packets take sequence numbers too, so the carrier's minus the distance
   * is only a guess at the original's (good enough for the playout's DTX
   * test, never for deciding what is here). */
  if (pl_jb_red_have(jb, tx, samples))
    return red_discard(jb, PL_EAGAIN); /* the original, or another copy */
  if (jb->state == PL_JB_PLAYING && tx + samples <= jb->next_ts)
    return red_discard(jb, PL_EAGAIN); /* played, concealed or skipped */
  if (jb->nfree == 0)
    return red_discard(jb, PL_EFULL);
  /* Its LBRR (if any) is not offered to the FEC path: the copy itself is
   * the better rebuild, and counting it twice would skew the W3C counts. */
  pl_jb_insert(jb, now, tx, jb->highest_seq + (int16_t)(uint16_t)(seq - (uint16_t)jb->highest_seq),
               payload, len, samples, false, true);
  return 0;
}
