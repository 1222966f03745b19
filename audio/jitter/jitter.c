/* NetEq-class jitter buffer, packet side: the store, push, the delay target
 * and the counters. The playout side (sync buffer, decisions, stretching,
 * concealment, merges) is playout.c; the delay histogram is delay.c. See
 * docs/audio.md for the design. */
#include <stdlib.h>
#include <string.h>

#include "audio/jitter/jitter_int.h"
#include "parley.h"

#define WILD_US PL_SEC(1) /* a transit this far off is a stream jump */
#define RESYNC_AFTER 3    /* consecutive wild packets before a restart */
#define LOSS_MEMORY_US PL_SEC(10)

void pl_jitter_config_default(pl_jitter_config *c) {
  memset(c, 0, sizeof *c);
  c->channels = 1;
  c->capacity = 128;
  c->max_payload = PL_OPUS_MAX_PACKET;
  c->min_delay_ms = 0;
  c->max_delay_ms = 1000;
  c->initial_delay_ms = 20;
  c->use_fec = true;
  c->seed = 1;
  c->comfort_noise = true;
}

pl_jitter *pl_jitter_new(const pl_jitter_config *c) {
  if (!c || (c->channels != 1 && c->channels != 2) || c->capacity < 4 ||
      c->capacity > 1024 || c->max_payload < 64 || c->max_payload > 4000 ||
      c->min_delay_ms < 0 || c->max_delay_ms > 5000 ||
      c->min_delay_ms > c->max_delay_ms || c->initial_delay_ms < 0 ||
      c->initial_delay_ms > c->max_delay_ms || c->decoder_complexity < 0 ||
      c->decoder_complexity > 10)
    return NULL;
  pl_jitter *jb = calloc(1, sizeof *jb);
  if (!jb)
    return NULL;
  jb->c = *c;
  int ch = c->channels;
  jb->slots = calloc((size_t)c->capacity, sizeof *jb->slots);
  jb->mem = malloc((size_t)c->capacity * (size_t)c->max_payload);
  jb->order = calloc((size_t)c->capacity, sizeof *jb->order);
  jb->freel = calloc((size_t)c->capacity, sizeof *jb->freel);
  jb->sb = calloc((size_t)PL_JB_SB_CAP * (size_t)ch, sizeof *jb->sb);
  jb->dbuf = calloc((size_t)PL_OPUS_MAX_SAMPLES * (size_t)ch, sizeof *jb->dbuf);
  jb->scratch = calloc((size_t)PL_OPUS_MAX_SAMPLES * (size_t)ch, sizeof *jb->scratch);
  jb->scratch2 = calloc((size_t)PL_OPUS_MAX_SAMPLES * (size_t)ch, sizeof *jb->scratch2);
  jb->dec = pl_opus_dec_new(ch);
  /* Without libopus 1.5 both neural tools are simply absent (classic PLC). */
  if (jb->dec && pl_opus_neural())
    pl_opus_dec_set_complexity(jb->dec, c->decoder_complexity);
  if (jb->dec && c->decoder_bwe && pl_opus_bwe_available())
    pl_opus_dec_set_bwe(jb->dec, true);
  if (c->use_dred && pl_opus_neural() && !(jb->dred = pl_opus_dred_new())) {
    pl_jitter_free(jb);
    return NULL;
  }
  int dm = pl_jdelay_init(&jb->dm, c->max_delay_ms, c->initial_delay_ms);
  if (!jb->slots || !jb->mem || !jb->order || !jb->freel || !jb->sb || !jb->dbuf ||
      !jb->scratch || !jb->scratch2 || !jb->dec || dm) {
    pl_jitter_free(jb);
    return NULL;
  }
  for (int i = 0; i < c->capacity; i++) {
    jb->slots[i].data = jb->mem + (size_t)i * (size_t)c->max_payload;
    jb->freel[i] = c->capacity - 1 - i;
  }
  jb->nfree = c->capacity;
  pl_cng_init(&jb->cng, c->seed);
  jb->state = PL_JB_IDLE;
  pl_jb_playout_reset(jb);
  return jb;
}

void pl_jitter_free(pl_jitter *jb) {
  if (!jb)
    return;
  pl_opus_dec_free(jb->dec);
  pl_opus_dred_free(jb->dred);
  pl_jdelay_free(&jb->dm);
  free(jb->slots);
  free(jb->mem);
  free(jb->order);
  free(jb->freel);
  free(jb->sb);
  free(jb->dbuf);
  free(jb->scratch);
  free(jb->scratch2);
  free(jb);
}

void pl_jitter_set_concealer(pl_jitter *jb, const pl_concealer_ops *ops, void *self) {
  jb->cops = ops;
  jb->cself = self;
}

/* ---- packet store ---- */

void pl_jb_remove_at(pl_jitter *jb, int pos, bool discarded) {
  int si = jb->order[pos];
  pl_jb_slot *s = &jb->slots[si];
  if (s->lbrr && !s->lbrr_used)
    jb->st.fec_packets_discarded++;
  if (s->red)
    pl_jb_red_removed(jb, s, discarded);
  if (discarded)
    jb->st.packets_discarded++;
  memmove(jb->order + pos, jb->order + pos + 1, sizeof(int) * (size_t)(jb->count - pos - 1));
  jb->count--;
  jb->freel[jb->nfree++] = si;
}

/* Takes a free slot (the caller checked there is one) for a frame at
 * extended timestamp ts and keeps the order sorted by timestamp. An
 * original packet and a RED copy (redundant.c) arrive here alike. */
void pl_jb_insert(pl_jitter *jb, pl_time_us now, int64_t ts, int64_t seq, const uint8_t *payload,
                  size_t len, int samples, bool lbrr, bool red) {
  int si = jb->freel[--jb->nfree];
  pl_jb_slot *s = &jb->slots[si];
  s->ts = ts;
  s->seq = seq;
  s->arrival = now;
  s->len = (int)len;
  s->samples = samples;
  s->frame_samples = pl_opus_packet_frame_samples(payload, len);
  s->lbrr = lbrr;
  s->lbrr_used = false;
  s->red = red;
  memcpy(s->data, payload, len);
  int pos = jb->count;
  while (pos > 0 && jb->slots[jb->order[pos - 1]].ts > ts)
    pos--;
  memmove(jb->order + pos + 1, jb->order + pos, sizeof(int) * (size_t)(jb->count - pos));
  jb->order[pos] = si;
  jb->count++;
}

pl_jb_slot *pl_jb_first(pl_jitter *jb) {
  return jb->count ? &jb->slots[jb->order[0]] : NULL;
}

/* ---- delay target ---- */

static int64_t fec_extra_us(const pl_jitter *jb, pl_time_us now) {
  /* LBRR in packet n+1 only helps if n+1 is here when n is due: while the
   * stream carries LBRR and losses were seen lately, wait one packet more.
   * RED copies likewise, as far back as they reach. */
  int64_t red = pl_jb_red_wait_us(jb, now);
  if (jb->c.use_fec && now < jb->lbrr_until && now < jb->loss_until)
    return jb->lbrr_frame_us > red ? jb->lbrr_frame_us : red;
  return red;
}

int64_t pl_jb_minimum_us(const pl_jitter *jb, pl_time_us now) {
  int64_t v = jb->dm.jitter_us + fec_extra_us(jb, now);
  int64_t hi = (int64_t)jb->c.max_delay_ms * 1000;
  return v > hi ? hi : v;
}

int64_t pl_jb_target_us(const pl_jitter *jb, pl_time_us now) {
  int64_t v = pl_jb_minimum_us(jb, now);
  int64_t lo = (int64_t)jb->c.min_delay_ms * 1000;
  return v < lo ? lo : v;
}

int pl_jitter_target_ms(const pl_jitter *jb) {
  return (int)(pl_jb_target_us(jb, jb->last_now) / 1000);
}

int pl_jitter_delay_ms(const pl_jitter *jb, pl_time_us now) {
  if (jb->state != PL_JB_PLAYING)
    return 0;
  return (int)(pl_jb_cur_delay_us(jb, now) / 1000);
}

int pl_jitter_packets(const pl_jitter *jb) { return jb->count; }

static void resync(pl_jitter *jb) {
  while (jb->count)
    pl_jb_remove_at(jb, 0, true);
  jb->have_ts = false;
  jb->wild = 0;
  pl_jdelay_restart(&jb->dm);
  jb->state = PL_JB_IDLE;
  jb->have_last_seq = false;
  jb->last_was_dtx = false;
  pl_jb_playout_reset(jb);
  pl_opus_dec_reset(jb->dec);
  jb->st.resyncs++;
}

/* ---- push ---- */

static int64_t extend_seq(pl_jitter *jb, uint16_t seq) {
  if (!jb->have_seq)
    return seq;
  return jb->highest_seq + (int16_t)(uint16_t)(seq - (uint16_t)jb->highest_seq);
}

/* Returns true when seq_ext was already seen; marks it seen otherwise. */
static bool seen_before(pl_jitter *jb, int64_t s) {
  if (!jb->have_seq) {
    jb->have_seq = true;
    jb->highest_seq = jb->base_seq = s;
    jb->seen[0] = 1;
    jb->seen[1] = 0;
    return false;
  }
  if (s > jb->highest_seq) {
    int64_t d = s - jb->highest_seq;
    if (d >= 128) {
      jb->seen[0] = jb->seen[1] = 0;
    } else if (d >= 64) {
      jb->seen[1] = jb->seen[0] << (d - 64);
      jb->seen[0] = 0;
    } else {
      jb->seen[1] = (jb->seen[1] << d) | (jb->seen[0] >> (64 - d));
      jb->seen[0] <<= d;
    }
    jb->seen[0] |= 1;
    jb->highest_seq = s;
    return false;
  }
  int64_t back = jb->highest_seq - s;
  if (s < jb->base_seq)
    jb->base_seq = s;
  if (back >= 128)
    return false; /* too old to tell; it is late anyway */
  uint64_t *w = &jb->seen[back >= 64];
  uint64_t bit = 1ull << (back & 63);
  if (*w & bit)
    return true;
  *w |= bit;
  return false;
}

static int64_t extend_ts(pl_jitter *jb, uint32_t ts) {
  if (!jb->have_ts) {
    jb->have_ts = true;
    jb->ts_ref = ts;
    return ts;
  }
  int64_t e = jb->ts_ref + (int32_t)(ts - (uint32_t)jb->ts_ref);
  if (e > jb->ts_ref)
    jb->ts_ref = e;
  return e;
}

static int refuse(pl_jitter *jb, bool lbrr, int err) {
  jb->st.packets_discarded++;
  if (lbrr)
    jb->st.fec_packets_discarded++;
  return err;
}

int pl_jitter_push(pl_jitter *jb, pl_time_us now, uint16_t seq, uint32_t rtp_ts,
                   const uint8_t *payload, size_t len) {
  if (!jb || (!payload && len))
    return PL_EINVAL;
  jb->st.packets_received++;
  jb->last_now = now;
  int64_t sx = extend_seq(jb, seq);
  if (seen_before(jb, sx)) {
    jb->st.packets_duplicated++;
    return PL_EAGAIN;
  }
  int samples = len ? pl_opus_packet_samples(payload, len) : PL_ECODEC;
  if (samples <= 0)
    return refuse(jb, false, PL_ECODEC);
  bool lbrr = pl_opus_packet_has_lbrr(payload, len);
  if (lbrr)
    jb->st.fec_packets_received++;
  if (len > (size_t)jb->c.max_payload)
    return refuse(jb, lbrr, PL_ERANGE);

  int64_t tx = extend_ts(jb, rtp_ts);
  int64_t transit = now - pl_jb_ts_us(tx);
  if (pl_jdelay_started(&jb->dm)) {
    int64_t hi = jb->dm.fastest + (int64_t)jb->c.max_delay_ms * 1000 + WILD_US;
    if (transit < jb->dm.fastest - WILD_US || transit > hi) {
      if (++jb->wild < RESYNC_AFTER)
        return refuse(jb, lbrr, PL_ERANGE);
      /* The sender's clock or timestamps jumped: start over from this
       * packet (sequence numbers carry on, so loss counting does too). */
      resync(jb);
      tx = extend_ts(jb, rtp_ts);
      transit = now - pl_jb_ts_us(tx);
    }
  }
  jb->wild = 0;
  /* Late packets still measure the network: feed the estimator first. */
  pl_jdelay_update(&jb->dm, now, transit, pl_jb_ts_us(samples));
  if (lbrr) {
    jb->lbrr_frame_us = pl_jb_ts_us(pl_opus_packet_frame_samples(payload, len));
    jb->lbrr_until = now + LOSS_MEMORY_US;
  }

  if (jb->state == PL_JB_PLAYING && tx + samples <= jb->next_ts)
    return refuse(jb, lbrr, PL_ERANGE);
  if (pl_jb_red_have(jb, tx, samples)) {
    jb->st.packets_duplicated++; /* its RED copy came first */
    return PL_EAGAIN;
  }
  if (jb->nfree == 0)
    return refuse(jb, lbrr, PL_EFULL);

  pl_jb_insert(jb, now, tx, sx, payload, len, samples, lbrr, false);

  if (jb->state == PL_JB_IDLE) {
    jb->state = PL_JB_BUFFERING;
    jb->next_ts = tx;
  } else if (jb->state == PL_JB_BUFFERING && tx < jb->next_ts) {
    jb->next_ts = tx;
  }
  return 0;
}

/* A loss was concealed or rebuilt: wait for LBRR for a while. */
void pl_jb_note_loss(pl_jitter *jb, pl_time_us now) { jb->loss_until = now + LOSS_MEMORY_US; }

int pl_jitter_pull(pl_jitter *jb, pl_time_us now, pl_audio_frame *out) {
  if (!jb || !out)
    return PL_EINVAL;
  out->channels = jb->c.channels;
  out->samples = PL_JB_FRAME;
  out->capture_us = 0;
  out->voice_prob = -1.0f;
  out->music_prob = -1.0f;
  jb->last_now = now;
  if (jb->state == PL_JB_BUFFERING &&
      pl_jb_cur_delay_us(jb, now) >= pl_jb_target_us(jb, now))
    jb->state = PL_JB_PLAYING;
  if (jb->state != PL_JB_PLAYING) {
    memset(out->pcm, 0, sizeof out->pcm);
    out->flags = PL_AF_SILENT | PL_AF_CONCEALED;
    return PL_EAGAIN;
  }
  pl_jb_play(jb, now, out);
  return 0;
}

void pl_jitter_get_stats(const pl_jitter *jb, pl_jitter_stats *out) {
  *out = jb->st;
  int64_t expected = jb->have_seq ? jb->highest_seq - jb->base_seq + 1 : 0;
  out->packets_lost = expected - (int64_t)jb->st.packets_received;
}
