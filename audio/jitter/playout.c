/* NetEq-class playout. Decoded audio goes into a sync buffer ahead of the
 * play point; each 10 ms pull
 *  1. fills it to a frame: decode the packet at next_ts; else rebuild it from
 *     the next packet's LBRR; else synthesise (the concealer hook or Opus
 *     PLC, Opus always run for its state) - faded into comfort noise from
 *     50 to 100 ms of a burst - while *not* advancing next_ts, so a late
 *     packet still plays when it comes (the stream is delayed, not cut);
 *     a known gap (a later packet is here) is skipped once it has been
 *     concealed for as long as it lasts, or once that packet is due;
 *  2. adapts: above target + 20 ms it removes a pitch period (accelerate),
 *     below target it inserts one (preemptive expand), WSOLA on periodic or
 *     quiet audio only;
 *  3. plays 480 samples, counting each by what made it.
 * Decoded audio after synthesis is merged: a 5 ms cross-fade from a periodic
 * extension of what was synthesised. */
#include <math.h>
#include <string.h>

#include "audio/jitter/jitter_int.h"
#include "audio/jitter/stretch.h"
#include "parley.h"

#define FRAME PL_JB_FRAME
#define MERGE_XF 240          /* 5 ms */
#define FADE_START 2400       /* 50 ms of a burst at full level */
#define FADE_END 4800         /* comfort noise only from 100 ms */
#define ACC_QUIET_US PL_MS(20) /* > the longest period: no accelerate/expand ping-pong */
#define ACC_VOICED_US PL_MS(40)
#define LOOKAHEAD (FRAME + 2 * PL_STRETCH_MAX_LAG)
#define CORR_MIN 0.9f         /* NetEq's bar for a voiced splice */
#define QUIET_MS 3.2e-6       /* -55 dBFS mean square */

static int chans(const pl_jitter *jb) { return jb->c.channels; }

/* ---- segments: what each stretch of the future is ---- */

static pl_jb_seg *seg_at(pl_jitter *jb, int i) {
  return &jb->segs[(jb->seg_head + i) % PL_JB_SEGS];
}

static void seg_push(pl_jitter *jb, int len, int kind, uint32_t flags, pl_time_us arrival) {
  if (jb->nseg > 0) {
    pl_jb_seg *last = seg_at(jb, jb->nseg - 1);
    if ((last->kind == kind && last->flags == flags && last->arrival == arrival) ||
        jb->nseg == PL_JB_SEGS) {
      last->len += len;
      return;
    }
  }
  *seg_at(jb, jb->nseg++) = (pl_jb_seg){len, kind, flags, arrival};
}

static int front_decoded(pl_jitter *jb) {
  int n = 0;
  for (int i = 0; i < jb->nseg && seg_at(jb, i)->kind == PL_JB_DECODED; i++)
    n += seg_at(jb, i)->len;
  return n;
}

/* Takes len samples off the front segments (all decoded: accelerate). */
static void seg_take_front(pl_jitter *jb, int len) {
  while (len > 0 && jb->nseg > 0) {
    pl_jb_seg *s = seg_at(jb, 0);
    int n = s->len < len ? s->len : len;
    s->len -= n;
    len -= n;
    if (s->len == 0) {
      jb->seg_head = (jb->seg_head + 1) % PL_JB_SEGS;
      jb->nseg--;
    }
  }
}

/* Splits the segment holding `offset` to put an inserted run there. */
static void seg_insert(pl_jitter *jb, int offset, int len) {
  int i = 0, start = 0;
  while (i < jb->nseg - 1 && start + seg_at(jb, i)->len <= offset)
    start += seg_at(jb, i++)->len;
  pl_jb_seg cur = *seg_at(jb, i);
  int head = offset - start;
  for (int j = jb->nseg - 1; j > i; j--)
    *seg_at(jb, j + 2) = *seg_at(jb, j);
  *seg_at(jb, i) = (pl_jb_seg){head, cur.kind, cur.flags, cur.arrival};
  *seg_at(jb, i + 1) = (pl_jb_seg){len, PL_JB_INSERTED, cur.flags, cur.arrival};
  *seg_at(jb, i + 2) = (pl_jb_seg){cur.len - head, cur.kind, cur.flags, cur.arrival};
  jb->nseg += 2;
}

/* ---- sync buffer ---- */

void pl_jb_playout_reset(pl_jitter *jb) {
  memset(jb->sb, 0, sizeof(float) * (size_t)(PL_JB_HIST * chans(jb)));
  jb->play = jb->end = PL_JB_HIST;
  jb->seg_head = jb->nseg = 0;
  jb->fut_media = 0;
  jb->tail_concealed = false;
  jb->run_pos = jb->run_calls = 0;
  jb->run_media = 0;
  jb->run_settled = false;
  jb->prev_concealed = false;
  jb->run_unclassified = 0;
  jb->dred_seq = -1;
}

static int future(const pl_jitter *jb) { return jb->end - jb->play; }

/* Room for n more samples at the end, dropping history older than HIST. */
static float *sb_room(pl_jitter *jb, int n) {
  int ch = chans(jb);
  if (jb->end + n > PL_JB_SB_CAP) {
    int from = jb->play - PL_JB_HIST;
    memmove(jb->sb, jb->sb + from * ch, sizeof(float) * (size_t)((jb->end - from) * ch));
    jb->play -= from;
    jb->end -= from;
  }
  return jb->end + n <= PL_JB_SB_CAP ? jb->sb + jb->end * ch : NULL;
}

int64_t pl_jb_cur_delay_us(const pl_jitter *jb, pl_time_us now) {
  return now - (pl_jb_ts_us(jb->next_ts - jb->fut_media) + jb->dm.fastest);
}

/* ---- sources of audio ---- */

static void observe(pl_jitter *jb, const float *pcm, int n) {
  if (jb->cops && jb->cops->observe && n > 0)
    jb->cops->observe(jb->cself, pcm, n, chans(jb));
  pl_cng_observe(&jb->cng, pcm, n, chans(jb));
}

/* Decoded audio (observed already) into the sync buffer; merged with a
 * cross-fade when synthesis came before it. */
static void append_decoded(pl_jitter *jb, float *pcm, int n, uint32_t flags,
                           pl_time_us arrival) {
  int ch = chans(jb);
  float *dst = sb_room(jb, n);
  if (!dst)
    return; /* cannot happen: the buffer holds a frame plus a packet */
  if (jb->tail_concealed) {
    int xf = n < MERGE_XF ? n : MERGE_XF;
    pl_stretch_extend(jb->sb + (jb->end - PL_JB_HIST) * ch, PL_JB_HIST, ch, jb->scratch,
                      jb->scratch2, xf);
    pl_stretch_crossfade(pcm, jb->scratch2, xf, ch);
  }
  memcpy(dst, pcm, sizeof(float) * (size_t)(n * ch));
  jb->end += n;
  seg_push(jb, n, PL_JB_DECODED, flags, arrival);
  jb->fut_media += n;
  jb->tail_concealed = false;
  jb->run_pos = jb->run_calls = 0;
  jb->run_media = 0;
  jb->run_settled = false;
}

/* p (the first slot) decoded to n samples in dbuf: play them from next_ts. */
static void accept_decoded(pl_jitter *jb, pl_jb_slot *p, int n) {
  int ch = chans(jb);
  int skip = (int)(jb->next_ts - p->ts);
  if (n <= skip) {
    if (n < 0)
      jb->st.decode_errors++;
    pl_jb_remove_at(jb, 0, true);
    return;
  }
  jb->last_seq = p->seq;
  jb->have_last_seq = true;
  jb->last_was_dtx = p->len <= 2;
  jb->next_ts = p->ts + n;
  observe(jb, jb->dbuf + skip * ch, n - skip);
  append_decoded(jb, jb->dbuf + skip * ch, n - skip, jb->last_was_dtx ? PL_AF_SILENT : 0,
                 p->arrival);
  pl_jb_remove_at(jb, 0, false);
}

static void decode_packet(pl_jitter *jb, pl_jb_slot *p) {
  accept_decoded(jb, p,
                 pl_opus_dec_decode(jb->dec, p->data, (size_t)p->len, jb->dbuf,
                                    PL_OPUS_MAX_SAMPLES));
}

/* The packet before p is missing and p carries its LBRR: rebuild its last
 * `remaining` samples (the start may have been concealed already). */
static bool decode_fec(pl_jitter *jb, pl_time_us now, pl_jb_slot *p, int remaining) {
  int ch = chans(jb), frame = p->frame_samples;
  p->lbrr_used = true;
  int n = pl_opus_dec_decode_fec(jb->dec, p->data, (size_t)p->len, jb->dbuf, frame);
  if (n != frame)
    return false;
  int skip = frame - remaining;
  jb->st.fec_recovered++;
  pl_jb_note_loss(jb, now);
  jb->last_seq = p->seq - 1;
  jb->have_last_seq = true;
  jb->last_was_dtx = false;
  jb->run_media += jb->run_pos; /* what was concealed stood in for lost audio */
  jb->next_ts = p->ts;
  observe(jb, jb->dbuf + skip * ch, remaining);
  append_decoded(jb, jb->dbuf + skip * ch, remaining, PL_AF_FEC, p->arrival);
  return true;
}

/* How far back before p the DRED in p reaches, in samples (0: none, or no
 * DRED decoder); parsed once per packet, and only for a gap before it. */
static int dred_cover(pl_jitter *jb, const pl_jb_slot *p) {
  if (!jb->dred)
    return 0;
  if (jb->dred_seq != p->seq) {
    jb->dred_seq = p->seq;
    int r = pl_opus_dred_parse(jb->dred, p->data, (size_t)p->len);
    jb->dred_cover = r > 0 ? r / 120 * 120 : 0;
  }
  return jb->dred_cover;
}

/* Audio is missing before p and p's DRED reaches back over the next
 * `remaining` samples of the gap: decodes up to `want` of them (stopping
 * `lbrr` short of p, where p's LBRR rebuilds its last frame better) from the
 * DRED, as decoded audio: observed by the concealer, merged after any
 * synthesis before it, counted in dred_recovered_samples. The decoder runs
 * on from its state, as it would over a packet. */
static bool decode_dred(pl_jitter *jb, pl_time_us now, pl_jb_slot *p, int64_t remaining,
                        int64_t lbrr, int want) {
  int64_t left = remaining - lbrr;
  if (left <= 0 || remaining % 120 || left % 120 || remaining > dred_cover(jb, p))
    return false;
  int n = want < left ? want : (int)left;
  if (pl_opus_dec_dred(jb->dec, jb->dred, (int)remaining, jb->dbuf, n) != n)
    return false;
  pl_jb_note_loss(jb, now);
  jb->run_media += jb->run_pos; /* what was concealed stood in for lost audio */
  jb->next_ts += jb->run_pos + n;
  jb->last_was_dtx = false;
  jb->st.dred_recovered_samples += (uint64_t)n;
  observe(jb, jb->dbuf, n);
  append_decoded(jb, jb->dbuf, n, PL_AF_FEC, p->arrival);
  return true;
}

static bool is_quiet(const float *x, int n) {
  double e = 0;
  for (int i = 0; i < n; i++)
    e += (double)x[i] * x[i];
  return e < QUIET_MS * n;
}

static float fade_gain(int t, int start, int end) {
  if (t < start)
    return 1.0f;
  if (t >= end)
    return 0.0f;
  return 0.5f + 0.5f * cosf((float)M_PI * (float)(t - start) / (float)(end - start));
}

static void push_concealed(pl_jitter *jb, pl_time_us now, float *out, int n, bool dtx,
                           bool fade, int fs, int fe, bool rise);

/* Where a burst fades into comfort noise, in samples into it: the hook's
 * own fade_start/end_ms when it gives a valid pair, else 50-100 ms. */
static void hook_fade(const pl_concealer_ops *ops, int *fs, int *fe) {
  *fs = FADE_START;
  *fe = FADE_END;
  if (ops && ops->fade_end_ms > 0 && ops->fade_start_ms < ops->fade_end_ms) {
    *fs = (ops->fade_start_ms > 0 ? ops->fade_start_ms : 0) * (PL_AUDIO_RATE / 1000);
    *fe = ops->fade_end_ms * (PL_AUDIO_RATE / 1000);
  }
}

/* Appends n synthesised samples. `dtx`: the sender is silent (comfort noise
 * from Opus, never the hook). Past the first 50 ms of a burst after real
 * audio (or what the concealer asks for), the output fades into the
 * background's comfort noise, whoever concealed: so every burst ends the
 * same bounded way. */
static void conceal(pl_jitter *jb, pl_time_us now, int n, bool dtx) {
  int ch = chans(jb), len = n * ch;
  float *out = jb->scratch, *aux = jb->scratch2;
  bool fade = !jb->last_was_dtx;
  int fs = FADE_START, fe = FADE_END, hook_fs, hook_fe;
  const pl_concealer_ops *ops = jb->cops;
  hook_fade(ops, &hook_fs, &hook_fe);
  bool beyond = fade && jb->run_pos >= hook_fe; /* all comfort noise */
  jb->run_calls++;
  if (!dtx && !beyond && ops && ops->conceal) {
    /* Opus conceals too, so that its state runs on into the next packet. */
    if (pl_opus_dec_plc(jb->dec, aux, n) != n)
      memset(aux, 0, sizeof(float) * (size_t)len);
    if (ops->conceal(jb->cself, out, n, ch, jb->run_calls) != 0) {
      memcpy(out, aux, sizeof(float) * (size_t)len);
    } else {
      fs = hook_fs; /* the hook's own output: its own fade */
      fe = hook_fe;
    }
  } else if (pl_opus_dec_plc(jb->dec, out, n) != n) {
    memset(out, 0, sizeof(float) * (size_t)len);
  }
  push_concealed(jb, now, out, n, dtx, fade, fs, fe, false);
}

/* Puts n synthesised samples (in `out`, jb->scratch or scratch2) into the
 * sync buffer, faded into comfort noise from fs to fe into the burst;
 * `rise`: from that fade back up to the samples themselves by the last one
 * (a bridge into the next packet, which plays unfaded). */
static void push_concealed(pl_jitter *jb, pl_time_us now, float *out, int n, bool dtx,
                           bool fade, int fs, int fe, bool rise) {
  int ch = chans(jb), len = n * ch;
  float *aux = out == jb->scratch ? jb->scratch2 : jb->scratch;
  if (fade && jb->run_pos + n > fs) {
    if (jb->c.comfort_noise)
      pl_cng_generate(&jb->cng, aux, n, ch);
    else
      memset(aux, 0, sizeof(float) * (size_t)len);
    for (int i = 0; i < n; i++) {
      float g = fade_gain(jb->run_pos + i, fs, fe);
      if (rise)
        g += (1.0f - g) * (0.5f - 0.5f * cosf((float)M_PI * ((float)i + 0.5f) / (float)n));
      for (int c = 0; c < ch; c++)
        out[i * ch + c] = g * out[i * ch + c] + (1.0f - g) * aux[i * ch + c];
    }
  }
  /* W3C: silent when playing it gives silence or comfort noise. */
  bool silent = dtx || jb->run_pos >= fe || is_quiet(out, len);
  jb->run_pos += n;
  float *dst = sb_room(jb, n);
  if (!dst)
    return;
  memcpy(dst, out, sizeof(float) * (size_t)len);
  jb->end += n;
  seg_push(jb, n, PL_JB_CONCEALED, PL_AF_CONCEALED | (silent ? PL_AF_SILENT : 0), 0);
  jb->tail_concealed = true;
  if (!silent && jb->have_last_seq)
    pl_jb_note_loss(jb, now);
}

/* The next packet follows the last one in sequence across a timestamp gap:
 * the sender was in DTX, so what was concealed meanwhile was silence. */
static void dtx_gap(pl_jitter *jb) {
  jb->st.silent_concealed_samples += jb->run_unclassified;
  jb->run_unclassified = 0;
  for (int i = 0; i < jb->nseg; i++)
    if (seg_at(jb, i)->kind == PL_JB_CONCEALED)
      seg_at(jb, i)->flags |= PL_AF_SILENT;
}

/* Audio is missing before p, p is here, and what is left of the gap is
 * short: a concealer that can bridge fills it in one go, ending where p's
 * audio begins (it sees both sides), and p plays right after without a
 * merge. Inside the burst's fade, the bridge rises from the faded level back
 * to full by p. Opus conceals the gap too, for its state, exactly as it would have
 * piece by piece; when the concealer declines, that is what plays (merged
 * into p as usual). False, with nothing done, when bridging does not apply. */
static bool bridge(pl_jitter *jb, pl_time_us now, pl_jb_slot *p, int64_t gap) {
  const pl_concealer_ops *ops = jb->cops;
  int64_t left = gap - jb->run_pos;
  if (!ops || !ops->bridge || jb->last_was_dtx || left <= 0 || left > PL_JB_BRIDGE_MAX ||
      left % 120)
    return false;
  int fs, fe;
  hook_fade(ops, &fs, &fe);
  if (jb->run_pos + left > fe)
    return false; /* past the fade the concealer is not trusted any more */
  int n = (int)left, ch = chans(jb);
  float *out = jb->scratch, *aux = jb->scratch2;
  if (pl_opus_dec_plc(jb->dec, aux, n) != n)
    memset(aux, 0, sizeof(float) * (size_t)(n * ch));
  int got = pl_opus_dec_decode(jb->dec, p->data, (size_t)p->len, jb->dbuf, PL_OPUS_MAX_SAMPLES);
  jb->run_calls++;
  bool ok = got > 0 && ops->bridge(jb->cself, out, n, jb->dbuf, got, ch) == 0;
  if (ok)
    push_concealed(jb, now, out, n, false, true, fs, fe, true);
  else
    push_concealed(jb, now, aux, n, false, true, FADE_START, FADE_END, false);
  jb->next_ts = p->ts;
  jb->run_media += gap;
  if (ok) {
    jb->tail_concealed = false; /* the concealer ran into p itself */
    jb->st.bridged_gaps++;
  }
  accept_decoded(jb, p, got);
  return true;
}

/* Packets whose audio lies wholly before next_ts can never play. */
static void purge_stale(pl_jitter *jb) {
  while (jb->count) {
    pl_jb_slot *s = pl_jb_first(jb);
    if (s->ts + s->samples > jb->next_ts)
      break;
    pl_jb_remove_at(jb, 0, true);
  }
}

/* The delay at which audio starting at media time ts, decoded after what is
 * buffered, would be played: measured at the pull that has to emit its
 * first sample (a pull emits 10 ms at once, so a packet that starts inside
 * a frame is needed that much earlier than its own sample time). */
static int64_t start_delay_us(const pl_jitter *jb, pl_time_us now, int64_t ts) {
  int ahead = future(jb) / FRAME * FRAME;
  return now + pl_jb_ts_us(ahead) - (pl_jb_ts_us(ts) + jb->dm.fastest);
}

static bool due(const pl_jitter *jb, pl_time_us now, const pl_jb_slot *p, int64_t tgt) {
  return start_delay_us(jb, now, p->ts) >= tgt;
}

static int round_up_120(int64_t n) {
  int64_t r = (n + 119) / 120 * 120;
  return r < 120 ? 120 : r > FRAME ? FRAME : (int)r;
}

/* Makes at least `need` samples of future; always makes progress. */
static void ensure(pl_jitter *jb, pl_time_us now, int need) {
  int64_t tgt = pl_jb_target_us(jb, now);
  for (int guard = 0; future(jb) < need && guard < jb->c.capacity + 64; guard++) {
    purge_stale(jb);
    pl_jb_slot *p = pl_jb_first(jb);
    if (p && p->ts <= jb->next_ts) {
      if (jb->tail_concealed && !jb->run_settled) {
        /* The audio at next_ts is here after synthesis that stood in for
         * nothing (a late packet, or longer than a gap): that much extra
         * delay is kept only as far as the target wants it; the rest of
         * the packet's start is cut, as if lost. */
        jb->run_settled = true;
        int64_t extra = jb->run_pos - jb->run_media;
        int64_t excess = (start_delay_us(jb, now, jb->next_ts) - tgt) * 6 / 125;
        int64_t cut = extra < excess ? extra : excess;
        if (cut > 0) {
          jb->next_ts += cut;
          continue;
        }
      }
      decode_packet(jb, p);
      continue;
    }
    int64_t gap = p ? p->ts - jb->next_ts : 0;
    int want = round_up_120(need - future(jb));
    bool contiguous = p && jb->have_last_seq && p->seq == jb->last_seq + 1;
    /* LBRR in p rebuilds the frame just before it; earlier missing audio is
     * concealed first, up to exactly where that frame starts. */
    int64_t remaining = gap - jb->run_pos;
    bool fec = p && !contiguous && jb->c.use_fec && p->lbrr && !p->lbrr_used &&
               p->frame_samples % 120 == 0 && remaining > 0;
    if (fec && remaining <= p->frame_samples && decode_fec(jb, now, p, (int)remaining))
      continue;
    if (p && contiguous) {
      dtx_gap(jb);
      /* No audio is missing: play the next talk spurt at the target delay,
       * however long the pause was (free adaptation in silence). */
      if (due(jb, now, p, tgt)) {
        jb->next_ts = p->ts;
        jb->run_settled = true; /* re-anchored at the target already */
      } else
        conceal(jb, now, want, true);
      continue;
    }
    if (p) {
      /* Audio is missing before p: conceal for as long as it lasts, and
       * wait no longer than p's own play time. */
      if (jb->run_pos >= gap || due(jb, now, p, tgt)) {
        jb->next_ts = p->ts;
        jb->run_media += gap;
        continue;
      }
      int64_t lbrr = fec ? p->frame_samples : 0;
      if (decode_dred(jb, now, p, remaining, lbrr, want))
        continue;
      /* Where p's DRED reaches into the gap, the concealer fills only the
       * part before it, without bridging (it would not know that audio). */
      int cover = dred_cover(jb, p);
      if (!fec && !cover && bridge(jb, now, p, gap))
        continue;
      int64_t left = remaining - lbrr;
      if (cover > 0 && remaining > cover && remaining - cover < left)
        left = remaining - cover;
      if (want > left)
        want = round_up_120(left);
      conceal(jb, now, want, false);
      continue;
    }
    conceal(jb, now, want, jb->last_was_dtx);
  }
}

/* Decodes packets that are already here, to have audio to stretch. */
static void lookahead(pl_jitter *jb, int want) {
  while (!jb->tail_concealed && future(jb) < want && front_decoded(jb) == future(jb)) {
    purge_stale(jb);
    pl_jb_slot *p = pl_jb_first(jb);
    if (!p || p->ts > jb->next_ts)
      return;
    decode_packet(jb, p);
  }
}

static double mean_square(const float *x, int n) {
  double e = 0;
  for (int i = 0; i < n; i++)
    e += (double)x[i] * x[i];
  return n > 0 ? e / n : 0;
}

/* Accelerate or preemptive expand by one period when the delay is out of
 * band and the audio ahead is periodic (corr >= 0.9) or quiet. */
static void adapt(pl_jitter *jb, pl_time_us now) {
  int ch = chans(jb);
  /* The slack of the next packet to come, not of the play point. */
  int64_t tgt = pl_jb_target_us(jb, now), cur = start_delay_us(jb, now, jb->next_ts);
  bool acc = cur >= tgt + ACC_QUIET_US;
  /* A little over target: shorten pauses only (inaudible); further over:
   * voiced periods too. */
  bool voiced_ok = !acc || cur >= tgt + ACC_VOICED_US;
  if (!acc && cur >= tgt)
    return;
  lookahead(jb, LOOKAHEAD);
  int n = front_decoded(jb);
  pl_stretch_match m;
  if (n < pl_stretch_need(PL_STRETCH_MIN_LAG) ||
      pl_stretch_find(jb->sb + jb->play * ch, n, ch, PL_STRETCH_MAX_LAG, &m))
    return;
  double quiet = QUIET_MS;
  double floor_ms = pow(10.0, pl_cng_level_db(&jb->cng) / 10.0);
  if (2 * floor_ms > quiet)
    quiet = 2 * floor_ms;
  int lag = m.lag;
  if (m.corr < CORR_MIN || !voiced_ok) {
    if (m.power > quiet)
      return;
    /* A pause: take the longest period the audio ahead allows. */
    int big = n / 2 < PL_STRETCH_MAX_LAG ? n / 2 : PL_STRETCH_MAX_LAG;
    if (big > lag && mean_square(jb->sb + jb->play * ch, 2 * big * ch) <= quiet)
      lag = big;
  }
  if (acc) {
    if (n - lag < FRAME)
      return;
    pl_stretch_remove(jb->sb + jb->play * ch, future(jb), ch, lag);
    jb->end -= lag;
    seg_take_front(jb, lag);
    jb->fut_media -= lag;
    jb->st.removed_samples_for_acceleration += (uint64_t)lag;
  } else {
    if (jb->nseg + 2 > PL_JB_SEGS || !sb_room(jb, lag))
      return;
    pl_stretch_insert(jb->sb + jb->play * ch, future(jb), ch, lag);
    jb->end += lag;
    seg_insert(jb, lag, lag);
  }
}

/* Plays a frame, counting every sample by what made it. */
static void emit(pl_jitter *jb, pl_time_us now, pl_audio_frame *out) {
  int ch = chans(jb);
  /* Graph frames are in [-1, 1]; Opus's float output is not clipped, and a
   * crafted packet decodes to thousands. */
  const float *src = jb->sb + jb->play * ch;
  for (int i = 0; i < FRAME * ch; i++)
    out->pcm[i] = src[i] > 1.0f ? 1.0f : src[i] < -1.0f ? -1.0f : src[i];
  out->flags = 0;
  double tgt = (double)pl_jb_target_us(jb, now) / 1e6;
  double mn = (double)pl_jb_minimum_us(jb, now) / 1e6;
  pl_jitter_stats *st = &jb->st;
  int left = FRAME;
  while (left > 0 && jb->nseg > 0) {
    pl_jb_seg *s = seg_at(jb, 0);
    int n = s->len < left ? s->len : left;
    out->flags |= s->flags;
    st->total_samples_received += (uint64_t)n;
    if (s->kind == PL_JB_DECODED) {
      st->jitter_buffer_emitted_count += (uint64_t)n;
      st->jitter_buffer_delay += n * ((double)(now - s->arrival) / 1e6);
      st->jitter_buffer_target_delay += n * tgt;
      st->jitter_buffer_minimum_delay += n * mn;
      jb->fut_media -= n;
      jb->prev_concealed = false;
      jb->run_unclassified = 0;
    } else if (s->kind == PL_JB_CONCEALED) {
      st->concealed_samples += (uint64_t)n;
      if (s->flags & PL_AF_SILENT)
        st->silent_concealed_samples += (uint64_t)n;
      else
        jb->run_unclassified += (uint64_t)n;
      if (!jb->prev_concealed)
        st->concealment_events++;
      jb->prev_concealed = true;
    } else {
      st->inserted_samples_for_deceleration += (uint64_t)n;
    }
    s->len -= n;
    left -= n;
    if (s->len == 0) {
      jb->seg_head = (jb->seg_head + 1) % PL_JB_SEGS;
      jb->nseg--;
    }
  }
  jb->play += FRAME;
}

void pl_jb_play(pl_jitter *jb, pl_time_us now, pl_audio_frame *out) {
  ensure(jb, now, FRAME);
  adapt(jb, now);
  ensure(jb, now, FRAME);
  emit(jb, now, out);
}
