/* First audio jitter buffer. See docs/audio.md for the algorithm; in short:
 *  - packets sit in preallocated slots, ordered by (unwrapped) RTP time;
 *  - the target delay is the 95th percentile of each packet's relative
 *    transit (arrival - RTP time, minus the fastest transit of the last 2 s),
 *    kept in a histogram that forgets geometrically;
 *  - playout keeps a decoded-sample buffer and refills it from the packet
 *    covering the next sample, else from the next packet's LBRR, else from
 *    PLC (or the concealer hook), 10 ms at a time;
 *  - it drops a 10 ms frame when the playout delay is 20 ms over target and
 *    holds (plays a concealed frame in place) when it is under target. */
#include "audio/jitter/jitter.h"

#include <stdlib.h>
#include <string.h>

#include "audio/opus/opus.h"
#include "parley.h"

#define FRAME PL_AUDIO_FRAME_SAMPLES
#define BIN_US 2000                 /* histogram resolution */
#define FORGET 0.995                /* per packet: ~4 s memory at 20 ms */
#define QUANTILE 0.95
#define TRANSIT_WINDOW_US PL_SEC(2) /* window of the fastest-path minimum */
#define DQ_CAP 512
#define WILD_US PL_SEC(1)           /* a transit this far off is a stream jump */
#define RESYNC_AFTER 3              /* consecutive wild packets before a restart */
/* Packets of 20 ms swing the buffered delay by a whole packet at every
 * arrival; only a surplus beyond that swing plus a margin is worth a
 * (audible) dropped frame. Measured on the clean loopback: 20 ms here
 * dropped a frame per call and cost 4 dB SI-SDR; 40 ms drops none. */
#define DROP_OVER_US PL_MS(40)
#define DROP_SPACING 5              /* pulls between two dropped frames */
#define LOSS_MEMORY_US PL_SEC(10)

typedef struct slot {
  int64_t ts, seq;
  pl_time_us arrival;
  int len, samples, frame_samples;
  bool lbrr, lbrr_used;
  uint8_t *data;
} slot;

enum { ST_IDLE, ST_BUFFERING, ST_PLAYING };

struct pl_jitter {
  pl_jitter_config c;
  pl_opus_dec *dec;
  const pl_concealer_ops *cops;
  void *cself;

  slot *slots;
  uint8_t *mem;
  int *order; /* used slots by ascending ts */
  int count;
  int *freel;
  int nfree;

  /* sequence numbers (RFC 3550 A.1 style extension) */
  bool have_seq;
  int64_t highest_seq, base_seq;
  uint64_t seen[2]; /* bit i: highest_seq - i arrived */
  bool have_ts;
  int64_t ts_ref;

  /* delay estimation */
  pl_time_us dq_t[DQ_CAP];
  int64_t dq_v[DQ_CAP];
  int dq_head, dq_size;
  int64_t dmin;
  float *hist;
  int nbins;
  uint64_t nhist;
  int64_t jitter_us;
  pl_time_us last_now; /* latest time handed in, for the getters */
  int wild;
  pl_time_us loss_until;
  int64_t lbrr_frame_us;
  pl_time_us lbrr_until; /* LBRR seen in the last LOSS_MEMORY_US */

  /* playout */
  int state;
  int64_t next_ts; /* RTP time of the next sample to put into dec */
  bool have_last_seq, last_was_dtx;
  int64_t last_seq;
  float *dbuf;
  int dec_pos, dec_len;
  uint32_t dec_flags;
  bool dec_from_packet;
  pl_time_us dec_arrival;
  int conceal_run;
  bool prev_concealed;
  uint64_t run_unclassified;
  int since_drop;
  float *scratch;
  pl_audio_frame drop;

  pl_jitter_stats st;
};

void pl_jitter_config_default(pl_jitter_config *c) {
  memset(c, 0, sizeof *c);
  c->channels = 1;
  c->capacity = 128;
  c->max_payload = PL_OPUS_MAX_PACKET;
  c->min_delay_ms = 0;
  c->max_delay_ms = 1000;
  c->initial_delay_ms = 40;
  c->use_fec = true;
}

static int64_t ts_us(int64_t ts) { return ts * 125 / 6; } /* 1e6/48000 */

static void hist_reset(pl_jitter *jb) {
  for (int i = 0; i < jb->nbins; i++)
    jb->hist[i] = 0.0f;
  int b = jb->c.initial_delay_ms * 1000 / BIN_US;
  if (b >= jb->nbins)
    b = jb->nbins - 1;
  if (b > 0)
    b--; /* the bin's upper edge is the target */
  jb->hist[b] = 1.0f; /* a prior worth one packet */
  jb->nhist = 1;
  jb->jitter_us = (int64_t)(b + 1) * BIN_US;
}

pl_jitter *pl_jitter_new(const pl_jitter_config *c) {
  if (!c || (c->channels != 1 && c->channels != 2) || c->capacity < 4 ||
      c->capacity > 1024 || c->max_payload < 64 || c->max_payload > 4000 ||
      c->min_delay_ms < 0 || c->max_delay_ms > 5000 ||
      c->min_delay_ms > c->max_delay_ms || c->initial_delay_ms < 0 ||
      c->initial_delay_ms > c->max_delay_ms)
    return NULL;
  pl_jitter *jb = calloc(1, sizeof *jb);
  if (!jb)
    return NULL;
  jb->c = *c;
  jb->nbins = c->max_delay_ms * 1000 / BIN_US + 1;
  jb->slots = calloc((size_t)c->capacity, sizeof *jb->slots);
  jb->mem = malloc((size_t)c->capacity * (size_t)c->max_payload);
  jb->order = calloc((size_t)c->capacity, sizeof *jb->order);
  jb->freel = calloc((size_t)c->capacity, sizeof *jb->freel);
  jb->hist = calloc((size_t)jb->nbins, sizeof *jb->hist);
  jb->dbuf = calloc(PL_OPUS_MAX_SAMPLES * 2, sizeof *jb->dbuf);
  jb->scratch = calloc(PL_OPUS_MAX_SAMPLES * 2, sizeof *jb->scratch);
  jb->dec = pl_opus_dec_new(c->channels);
  if (!jb->slots || !jb->mem || !jb->order || !jb->freel || !jb->hist ||
      !jb->dbuf || !jb->scratch || !jb->dec) {
    pl_jitter_free(jb);
    return NULL;
  }
  for (int i = 0; i < c->capacity; i++) {
    jb->slots[i].data = jb->mem + (size_t)i * (size_t)c->max_payload;
    jb->freel[i] = c->capacity - 1 - i;
  }
  jb->nfree = c->capacity;
  hist_reset(jb);
  jb->state = ST_IDLE;
  return jb;
}

void pl_jitter_free(pl_jitter *jb) {
  if (!jb)
    return;
  pl_opus_dec_free(jb->dec);
  free(jb->slots);
  free(jb->mem);
  free(jb->order);
  free(jb->freel);
  free(jb->hist);
  free(jb->dbuf);
  free(jb->scratch);
  free(jb);
}

void pl_jitter_set_concealer(pl_jitter *jb, const pl_concealer_ops *ops, void *self) {
  jb->cops = ops;
  jb->cself = self;
}

/* ---- packet store ---- */

static void remove_at(pl_jitter *jb, int pos, bool discarded) {
  int si = jb->order[pos];
  slot *s = &jb->slots[si];
  if (s->lbrr && !s->lbrr_used)
    jb->st.fec_packets_discarded++;
  if (discarded)
    jb->st.packets_discarded++;
  memmove(jb->order + pos, jb->order + pos + 1,
          sizeof(int) * (size_t)(jb->count - pos - 1));
  jb->count--;
  jb->freel[jb->nfree++] = si;
}

static slot *first(pl_jitter *jb) {
  return jb->count ? &jb->slots[jb->order[0]] : NULL;
}

/* Packets whose audio lies wholly before next_ts can never play. */
static void purge_stale(pl_jitter *jb) {
  while (jb->count) {
    slot *s = first(jb);
    if (s->ts + s->samples > jb->next_ts)
      break;
    remove_at(jb, 0, true);
  }
}

/* ---- delay estimation ---- */

static void recompute_jitter(pl_jitter *jb) {
  double total = 0;
  for (int i = 0; i < jb->nbins; i++)
    total += jb->hist[i];
  double tail = (1.0 - QUANTILE) * total, acc = 0;
  int b = jb->nbins - 1;
  for (; b > 0; b--) {
    acc += jb->hist[b];
    if (acc > tail)
      break;
  }
  jb->jitter_us = (int64_t)(b + 1) * BIN_US;
}

static void hist_add(pl_jitter *jb, int64_t dev_us) {
  int b = (int)(dev_us / BIN_US);
  if (b >= jb->nbins)
    b = jb->nbins - 1;
  /* Plain average until the geometric memory is the shorter one, so early
   * packets are not drowned by the prior. */
  double lam = 1.0 - 1.0 / (double)(jb->nhist + 1);
  if (lam > FORGET)
    lam = FORGET;
  for (int i = 0; i < jb->nbins; i++)
    jb->hist[i] *= (float)lam;
  jb->hist[b] += (float)(1.0 - lam);
  jb->nhist++;
  recompute_jitter(jb);
}

static void dq_reset(pl_jitter *jb) { jb->dq_head = jb->dq_size = 0; }

/* Monotone deque: the window minimum of transit in O(1) amortised. */
static void dq_push(pl_jitter *jb, pl_time_us t, int64_t v) {
  while (jb->dq_size > 0) {
    int back = (jb->dq_head + jb->dq_size - 1) % DQ_CAP;
    if (jb->dq_v[back] < v)
      break;
    jb->dq_size--;
  }
  if (jb->dq_size == DQ_CAP) {
    jb->dq_head = (jb->dq_head + 1) % DQ_CAP;
    jb->dq_size--;
  }
  int at = (jb->dq_head + jb->dq_size) % DQ_CAP;
  jb->dq_t[at] = t;
  jb->dq_v[at] = v;
  jb->dq_size++;
  while (jb->dq_size > 1 && jb->dq_t[jb->dq_head] < t - TRANSIT_WINDOW_US) {
    jb->dq_head = (jb->dq_head + 1) % DQ_CAP;
    jb->dq_size--;
  }
  jb->dmin = jb->dq_v[jb->dq_head];
}

static int64_t fec_extra_us(const pl_jitter *jb, pl_time_us now) {
  /* LBRR in packet n+1 only helps if n+1 is here when n is due: while the
   * stream carries LBRR and losses were seen lately, wait one packet more. */
  if (jb->c.use_fec && now < jb->lbrr_until && now < jb->loss_until)
    return jb->lbrr_frame_us;
  return 0;
}

static int64_t minimum_us(const pl_jitter *jb, pl_time_us now) {
  int64_t v = jb->jitter_us + fec_extra_us(jb, now);
  int64_t hi = (int64_t)jb->c.max_delay_ms * 1000;
  return v > hi ? hi : v;
}

static int64_t target_us(const pl_jitter *jb, pl_time_us now) {
  int64_t v = minimum_us(jb, now);
  int64_t lo = (int64_t)jb->c.min_delay_ms * 1000;
  return v < lo ? lo : v;
}

static int64_t play_ts(const pl_jitter *jb) {
  return jb->next_ts - (jb->dec_len - jb->dec_pos);
}

static int64_t cur_delay_us(const pl_jitter *jb, pl_time_us now) {
  return now - (ts_us(play_ts(jb)) + jb->dmin);
}

int pl_jitter_target_ms(const pl_jitter *jb) {
  return (int)(target_us(jb, jb->last_now) / 1000);
}

int pl_jitter_delay_ms(const pl_jitter *jb, pl_time_us now) {
  if (jb->state != ST_PLAYING)
    return 0;
  return (int)(cur_delay_us(jb, now) / 1000);
}

int pl_jitter_packets(const pl_jitter *jb) { return jb->count; }

static void resync(pl_jitter *jb) {
  while (jb->count)
    remove_at(jb, 0, true);
  jb->have_ts = false;
  jb->wild = 0;
  dq_reset(jb);
  jb->state = ST_IDLE;
  jb->dec_pos = jb->dec_len = 0;
  jb->have_last_seq = false;
  jb->last_was_dtx = false;
  jb->conceal_run = 0;
  jb->run_unclassified = 0;
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
  int64_t transit = now - ts_us(tx);
  if (jb->dq_size > 0) {
    int64_t hi = jb->dmin + (int64_t)jb->c.max_delay_ms * 1000 + WILD_US;
    if (transit < jb->dmin - WILD_US || transit > hi) {
      if (++jb->wild < RESYNC_AFTER)
        return refuse(jb, lbrr, PL_ERANGE);
      /* The sender's clock or timestamps jumped: start over from this
       * packet (sequence numbers carry on, so loss counting does too). */
      resync(jb);
      tx = extend_ts(jb, rtp_ts);
      transit = now - ts_us(tx);
    }
  }
  jb->wild = 0;
  /* Late packets still measure the network: feed the estimator first. */
  dq_push(jb, now, transit);
  hist_add(jb, transit - jb->dmin);
  if (lbrr) {
    jb->lbrr_frame_us = ts_us(pl_opus_packet_frame_samples(payload, len));
    jb->lbrr_until = now + LOSS_MEMORY_US;
  }

  if (jb->state != ST_IDLE && jb->state != ST_BUFFERING &&
      tx + samples <= jb->next_ts)
    return refuse(jb, lbrr, PL_ERANGE);
  if (jb->nfree == 0)
    return refuse(jb, lbrr, PL_EFULL);

  int si = jb->freel[--jb->nfree];
  slot *s = &jb->slots[si];
  s->ts = tx;
  s->seq = sx;
  s->arrival = now;
  s->len = (int)len;
  s->samples = samples;
  s->frame_samples = pl_opus_packet_frame_samples(payload, len);
  s->lbrr = lbrr;
  s->lbrr_used = false;
  memcpy(s->data, payload, len);
  int pos = jb->count;
  while (pos > 0 && jb->slots[jb->order[pos - 1]].ts > tx)
    pos--;
  memmove(jb->order + pos + 1, jb->order + pos, sizeof(int) * (size_t)(jb->count - pos));
  jb->order[pos] = si;
  jb->count++;

  if (jb->state == ST_IDLE) {
    jb->state = ST_BUFFERING;
    jb->next_ts = tx;
  } else if (jb->state == ST_BUFFERING && tx < jb->next_ts) {
    jb->next_ts = tx;
  }
  return 0;
}

/* ---- pull ---- */

static void observe(pl_jitter *jb, const float *pcm, int n) {
  if (jb->cops && jb->cops->observe && n > 0)
    jb->cops->observe(jb->cself, pcm, n, jb->c.channels);
}

/* Synthesises n samples into dst: the hook for losses when set, Opus PLC
 * (comfort noise after DTX) otherwise. The Opus decoder runs its PLC even
 * when the hook is used, so that its state stays continuous for the next
 * packet. */
static void synthesise(pl_jitter *jb, float *dst, int n, bool silent) {
  int ch = jb->c.channels;
  if (jb->cops && jb->cops->conceal && !silent) {
    pl_opus_dec_plc(jb->dec, jb->scratch, n);
    if (jb->cops->conceal(jb->cself, dst, n, ch, jb->conceal_run) == 0)
      return;
    memcpy(dst, jb->scratch, sizeof(float) * (size_t)(n * ch));
    return;
  }
  if (pl_opus_dec_plc(jb->dec, dst, n) != n)
    memset(dst, 0, sizeof(float) * (size_t)(n * ch));
}

/* Below -55 dBFS RMS: silence or comfort noise. */
static bool is_quiet(const float *x, int n) {
  double e = 0;
  for (int i = 0; i < n; i++)
    e += (double)x[i] * x[i];
  return e < 3.2e-6 * n;
}

/* Puts the next stretch of audio into dbuf; always makes progress. */
static void refill(pl_jitter *jb, pl_time_us now) {
  int ch = jb->c.channels;
  for (;;) {
    purge_stale(jb);
    slot *p = first(jb);
    if (p && p->ts <= jb->next_ts) {
      int n = pl_opus_dec_decode(jb->dec, p->data, (size_t)p->len, jb->dbuf,
                                 PL_OPUS_MAX_SAMPLES);
      int skip = (int)(jb->next_ts - p->ts);
      if (n <= skip) {
        if (n < 0)
          jb->st.decode_errors++;
        remove_at(jb, 0, true);
        continue;
      }
      if (jb->have_last_seq && p->seq == jb->last_seq + 1)
        jb->st.silent_concealed_samples += jb->run_unclassified;
      jb->run_unclassified = 0;
      jb->dec_pos = skip;
      jb->dec_len = n;
      jb->next_ts = p->ts + n;
      jb->last_was_dtx = p->len <= 2;
      jb->dec_flags = jb->last_was_dtx ? PL_AF_SILENT : 0;
      jb->dec_from_packet = true;
      jb->dec_arrival = p->arrival;
      jb->last_seq = p->seq;
      jb->have_last_seq = true;
      jb->conceal_run = 0;
      observe(jb, jb->dbuf + skip * ch, n - skip);
      remove_at(jb, 0, false);
      return;
    }
    int64_t gap = p ? p->ts - jb->next_ts : -1;
    bool contiguous = p && jb->have_last_seq && p->seq == jb->last_seq + 1;
    if (p && !contiguous && jb->c.use_fec && p->lbrr && !p->lbrr_used &&
        gap == p->frame_samples && gap % 120 == 0) {
      int n = pl_opus_dec_decode_fec(jb->dec, p->data, (size_t)p->len, jb->dbuf,
                                     (int)gap);
      if (n == gap) {
        p->lbrr_used = true;
        jb->st.fec_recovered++;
        jb->run_unclassified = 0;
        jb->dec_pos = 0;
        jb->dec_len = n;
        jb->next_ts += n;
        jb->dec_flags = PL_AF_FEC;
        jb->dec_from_packet = true;
        jb->dec_arrival = p->arrival;
        jb->last_seq = p->seq - 1;
        jb->have_last_seq = true;
        jb->conceal_run = 0;
        jb->loss_until = now + LOSS_MEMORY_US;
        observe(jb, jb->dbuf, n);
        return;
      }
    }
    int n = FRAME;
    if (gap > 0 && gap < FRAME)
      n = (int)((gap + 119) / 120 * 120);
    /* Known DTX: the next packet follows the last one in sequence. While
     * the sender is in DTX (last packet a TOC-only frame) assume it too. */
    bool silent = contiguous || (!p && jb->last_was_dtx);
    jb->conceal_run++;
    synthesise(jb, jb->dbuf, n, silent);
    /* W3C: concealed samples are "silent" when playing them gives silence
     * or comfort noise, which is what PLC makes in a pause. */
    if (!silent)
      silent = is_quiet(jb->dbuf, n * ch);
    jb->dec_pos = 0;
    jb->dec_len = n;
    jb->next_ts += n;
    jb->dec_flags = PL_AF_CONCEALED | (silent ? PL_AF_SILENT : 0);
    jb->dec_from_packet = false;
    if (!silent && jb->have_last_seq)
      jb->loss_until = now + LOSS_MEMORY_US;
    return;
  }
}

/* Fills out with FRAME samples from dbuf, refilling as needed. With
 * account false (a frame dropped to catch up) nothing is counted. */
static void produce(pl_jitter *jb, pl_time_us now, pl_audio_frame *out, bool account) {
  int ch = jb->c.channels, fill = 0;
  double tgt = (double)target_us(jb, now) / 1e6;
  double mn = (double)minimum_us(jb, now) / 1e6;
  out->flags = 0;
  while (fill < FRAME) {
    if (jb->dec_pos >= jb->dec_len) {
      refill(jb, now);
      continue;
    }
    int n = jb->dec_len - jb->dec_pos;
    if (n > FRAME - fill)
      n = FRAME - fill;
    memcpy(out->pcm + fill * ch, jb->dbuf + jb->dec_pos * ch,
           sizeof(float) * (size_t)(n * ch));
    out->flags |= jb->dec_flags;
    if (account) {
      pl_jitter_stats *st = &jb->st;
      st->total_samples_received += (uint64_t)n;
      if (jb->dec_from_packet) {
        st->jitter_buffer_emitted_count += (uint64_t)n;
        st->jitter_buffer_delay += n * ((double)(now - jb->dec_arrival) / 1e6);
        st->jitter_buffer_target_delay += n * tgt;
        st->jitter_buffer_minimum_delay += n * mn;
        jb->prev_concealed = false;
      } else {
        st->concealed_samples += (uint64_t)n;
        if (jb->dec_flags & PL_AF_SILENT)
          st->silent_concealed_samples += (uint64_t)n;
        else
          jb->run_unclassified += (uint64_t)n;
        if (!jb->prev_concealed)
          st->concealment_events++;
        jb->prev_concealed = true;
      }
    }
    jb->dec_pos += n;
    fill += n;
  }
}

/* Decoded audio ready without concealing, up to `need` samples. */
static int64_t spare(pl_jitter *jb, int64_t need) {
  int64_t have = 0;
  if (jb->dec_pos < jb->dec_len) {
    if (!jb->dec_from_packet)
      return 0;
    have = jb->dec_len - jb->dec_pos;
  }
  int64_t t = jb->next_ts;
  for (int i = 0; i < jb->count && have < need; i++) {
    slot *s = &jb->slots[jb->order[i]];
    if (s->ts + s->samples <= t)
      continue;
    if (s->ts > t)
      break;
    have += s->ts + s->samples - t;
    t = s->ts + s->samples;
  }
  return have;
}

int pl_jitter_pull(pl_jitter *jb, pl_time_us now, pl_audio_frame *out) {
  if (!jb || !out)
    return PL_EINVAL;
  out->channels = jb->c.channels;
  out->samples = FRAME;
  out->capture_us = 0;
  out->voice_prob = -1.0f;
  jb->last_now = now;
  if (jb->state == ST_BUFFERING && cur_delay_us(jb, now) >= target_us(jb, now)) {
    jb->state = ST_PLAYING;
    jb->since_drop = DROP_SPACING;
  }
  if (jb->state != ST_PLAYING) {
    memset(out->pcm, 0, sizeof out->pcm);
    out->flags = PL_AF_SILENT | PL_AF_CONCEALED;
    return PL_EAGAIN;
  }
  jb->since_drop++;
  int64_t cur = cur_delay_us(jb, now), tgt = target_us(jb, now);
  if (jb->dec_pos >= jb->dec_len && cur < tgt) {
    /* Below target: play a concealed frame and leave the stream in place. */
    int save = jb->conceal_run;
    jb->conceal_run = 1;
    synthesise(jb, out->pcm, FRAME, jb->last_was_dtx);
    jb->conceal_run = save;
    out->flags = PL_AF_CONCEALED;
    jb->st.inserted_samples_for_deceleration += FRAME;
    jb->st.total_samples_received += FRAME;
    return 0;
  }
  if (cur >= tgt + DROP_OVER_US && jb->since_drop >= DROP_SPACING &&
      spare(jb, 2 * FRAME) >= 2 * FRAME) {
    produce(jb, now, &jb->drop, false);
    jb->st.removed_samples_for_acceleration += FRAME;
    jb->since_drop = 0;
  }
  produce(jb, now, out, true);
  return 0;
}

void pl_jitter_get_stats(const pl_jitter *jb, pl_jitter_stats *out) {
  *out = jb->st;
  int64_t expected = jb->have_seq ? jb->highest_seq - jb->base_seq + 1 : 0;
  out->packets_lost = expected - (int64_t)jb->st.packets_received;
}
