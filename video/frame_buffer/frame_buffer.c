/* Decode order is picture ID order (unwrapped), or first sequence number
 * for payloads without picture IDs. A frame is decodable when it is a
 * keyframe, or when everything it may reference has been released:
 *   - VP9 flexible mode: each P_DIFF reference was released;
 *   - temporal layers: a TL0 frame whose TL0PICIDX follows the last
 *     released TL0 frame's; a layer-sync (VP8 Y) frame whose TL0 base was
 *     released;
 *   - otherwise the frame must directly follow the last released one, with
 *     nothing passed over since the last base-layer frame.
 * Playout: transit = arrival - media time; the window's minimum transit is
 * the path's base delay, and each frame plays at media time + base delay +
 * the 95th percentile of (transit - base) over the window (+ RTT while
 * retransmissions are frequent). */
#include "video/frame_buffer/frame_buffer.h"

#include <stdlib.h>
#include <string.h>

#include "net/rtp/unwrap.h"
#include "parley.h"

typedef struct fslot {
  bool used;
  pl_encoded_frame f;
  uint8_t *buf;
  int64_t id;
  int64_t ts_us;
  pl_time_us inserted;
} fslot;

#define RELEASED_RING 256

struct pl_frame_buffer {
  pl_frame_buffer_config cfg;
  fslot *slots;
  uint8_t *mem;
  bool mode_set, use_pid;
  int64_t pid_hi;
  bool have_pid;
  bool have_last;
  int64_t last_id, last_seq_end;
  bool have_tl0;
  uint8_t last_tl0;
  bool skipped; /* a frame was passed over since the last TL0 release */
  int64_t released[RELEASED_RING];
  bool need_key;
  uint64_t frames_seen;
  pl_ts_unwrapper tsu;
  pl_time_us *transit, *scratch;
  size_t jn, jpos;
  uint8_t *retx; /* per recent frame: needed a retransmission */
  size_t rn, rpos, retx_count;
  pl_time_us rtt;
  pl_time_us min_transit, p95, delay;
  pl_time_us missing_wait;
  pl_frame_buffer_stats st;
};

int pl_frame_buffer_new(pl_frame_buffer **out, const pl_frame_buffer_config *cfg) {
  *out = NULL;
  pl_frame_buffer_config c = cfg ? *cfg : (pl_frame_buffer_config){0};
  if (!c.frames)
    c.frames = 32;
  if (!c.max_frame_bytes)
    c.max_frame_bytes = 1 << 20;
  if (!c.jitter_window)
    c.jitter_window = 300;
  if (c.jitter_percentile <= 0)
    c.jitter_percentile = 0.95;
  if (!c.max_delay)
    c.max_delay = PL_SEC(1);
  if (!c.missing_wait)
    c.missing_wait = PL_MS(500);
  if (c.frames > 1024 || c.max_frame_bytes > (64u << 20) ||
      c.jitter_window > 10000 || c.jitter_percentile > 1 || c.min_delay < 0 ||
      c.max_delay < c.min_delay || c.missing_wait < 0)
    return PL_EINVAL;
  pl_frame_buffer *fb = calloc(1, sizeof *fb);
  if (!fb)
    return PL_ENOMEM;
  fb->cfg = c;
  fb->slots = calloc(c.frames, sizeof *fb->slots);
  fb->mem = malloc(c.frames * c.max_frame_bytes);
  fb->transit = calloc(c.jitter_window, sizeof *fb->transit);
  fb->scratch = calloc(c.jitter_window, sizeof *fb->scratch);
  fb->retx = calloc(c.jitter_window, 1);
  if (!fb->slots || !fb->mem || !fb->transit || !fb->scratch || !fb->retx) {
    pl_frame_buffer_free(fb);
    return PL_ENOMEM;
  }
  for (size_t i = 0; i < c.frames; i++)
    fb->slots[i].buf = fb->mem + i * c.max_frame_bytes;
  for (size_t i = 0; i < RELEASED_RING; i++)
    fb->released[i] = INT64_MIN;
  pl_ts_unwrapper_init(&fb->tsu);
  fb->need_key = true;
  fb->delay = c.min_delay;
  fb->missing_wait = c.missing_wait;
  fb->rtt = PL_MS(100);
  *out = fb;
  return 0;
}

void pl_frame_buffer_free(pl_frame_buffer *fb) {
  if (!fb)
    return;
  free(fb->slots);
  free(fb->mem);
  free(fb->transit);
  free(fb->scratch);
  free(fb->retx);
  free(fb);
}

void pl_frame_buffer_set_rtt(pl_frame_buffer *fb, pl_time_us rtt) {
  if (rtt <= 0)
    return;
  fb->rtt = rtt;
  pl_time_us w = 4 * rtt + PL_MS(100);
  fb->missing_wait = w > fb->cfg.missing_wait ? w : fb->cfg.missing_wait;
}

/* Picture IDs are 7 or 15 bits: place each within half the space of the
 * highest seen. */
static int64_t pid_unwrap(pl_frame_buffer *fb, int32_t pid, int bits) {
  int64_t mod = (int64_t)1 << bits;
  if (!fb->have_pid) {
    fb->have_pid = true;
    fb->pid_hi = pid;
    return pid;
  }
  int64_t d = ((pid - fb->pid_hi) % mod + mod) % mod;
  if (d >= mod / 2)
    d -= mod;
  int64_t id = fb->pid_hi + d;
  if (id > fb->pid_hi)
    fb->pid_hi = id;
  return id;
}

static bool released(const pl_frame_buffer *fb, int64_t id) {
  return fb->released[(uint64_t)id % RELEASED_RING] == id;
}

static bool decodable(const pl_frame_buffer *fb, const fslot *s) {
  const pl_encoded_frame *f = &s->f;
  if (f->key)
    return true;
  if (fb->need_key || !fb->have_last)
    return false;
  if (!fb->use_pid)
    return f->first_seq == fb->last_seq_end + 1;
  if (f->flexible && f->nrefs > 0) {
    for (int i = 0; i < f->nrefs; i++)
      if (!released(fb, s->id - f->pdiff[i]))
        return false;
    return true;
  }
  if (f->tid >= 0 && f->tl0picidx >= 0 && fb->have_tl0) {
    uint8_t tl0 = (uint8_t)f->tl0picidx;
    if (f->tid == 0)
      return (uint8_t)(tl0 - fb->last_tl0) == 1;
    if (f->layer_sync)
      return tl0 == fb->last_tl0;
  }
  /* Directly after the last release, and nothing skipped that this frame
   * could reference (a frame between its base and it). */
  return s->id == fb->last_id + 1 && !fb->skipped;
}

/* A keyframe waiting to go out before `id`: frames after it are fine even
 * while a keyframe is needed. */
static bool key_stored_before(const pl_frame_buffer *fb, int64_t id) {
  for (size_t i = 0; i < fb->cfg.frames; i++)
    if (fb->slots[i].used && fb->slots[i].f.key && fb->slots[i].id < id)
      return true;
  return false;
}

static void drop_slot(pl_frame_buffer *fb, fslot *s, uint64_t *counter) {
  s->used = false;
  fb->st.stored--;
  (*counter)++;
}

static int cmp_time(const void *a, const void *b) {
  pl_time_us x = *(const pl_time_us *)a, y = *(const pl_time_us *)b;
  return (x > y) - (x < y);
}

/* Retransmitted frames measure a round trip, not jitter, and one outage
 * would otherwise fill the window with them: they are kept out of the
 * percentile, and counted, so that when they are common the delay gets an
 * RTT on top instead. */
static void delay_update(pl_frame_buffer *fb, pl_time_us transit, bool retx) {
  size_t w = fb->cfg.jitter_window;
  fb->retx_count += retx;
  if (fb->rn == w)
    fb->retx_count -= fb->retx[fb->rpos];
  else
    fb->rn++;
  fb->retx[fb->rpos] = retx;
  fb->rpos = (fb->rpos + 1) % w;
  if (!retx || fb->jn == 0) {
    fb->transit[fb->jpos] = transit;
    fb->jpos = (fb->jpos + 1) % w;
    if (fb->jn < w)
      fb->jn++;
    pl_time_us mn = INT64_MAX;
    for (size_t i = 0; i < fb->jn; i++)
      mn = fb->transit[i] < mn ? fb->transit[i] : mn;
    fb->min_transit = mn;
    for (size_t i = 0; i < fb->jn; i++)
      fb->scratch[i] = fb->transit[i] - mn;
    qsort(fb->scratch, fb->jn, sizeof *fb->scratch, cmp_time);
    size_t k = (size_t)(fb->cfg.jitter_percentile * (double)(fb->jn - 1) + 0.5);
    fb->p95 = fb->scratch[k];
  }
  pl_time_us target = fb->p95;
  if ((double)fb->retx_count > (1 - fb->cfg.jitter_percentile) * (double)fb->rn)
    target += fb->rtt;
  if (target < fb->cfg.min_delay)
    target = fb->cfg.min_delay;
  if (target > fb->cfg.max_delay)
    target = fb->cfg.max_delay;
  /* Up at once (late frames are worse than latency), down slowly (1 ms a
   * frame) so one quiet second does not undo the margin. */
  if (target >= fb->delay)
    fb->delay = target;
  else
    fb->delay -= fb->delay - target < PL_MS(1) ? fb->delay - target : PL_MS(1);
}

int pl_frame_buffer_insert(pl_frame_buffer *fb, pl_time_us now,
                           const pl_encoded_frame *f) {
  fb->frames_seen++;
  if (f->len > fb->cfg.max_frame_bytes) {
    fb->st.dropped_too_big++;
    return PL_ERANGE;
  }
  if (!fb->mode_set) {
    fb->mode_set = true;
    fb->use_pid = f->picture_id >= 0;
  }
  int64_t id;
  if (fb->use_pid) {
    if (f->picture_id < 0)
      return PL_EINVAL;
    id = pid_unwrap(fb, f->picture_id, f->picture_id_bits == 7 ? 7 : 15);
  } else {
    id = f->first_seq;
  }
  int64_t ts_us = pl_ts_unwrap(&fb->tsu, f->rtp_ts) * 1000000 / 90000;
  delay_update(fb, f->complete_at - ts_us, f->retransmitted);
  if (fb->have_last && id <= fb->last_id) {
    fb->st.dropped_old++;
    return PL_ESTATE;
  }
  if (fb->need_key && !f->key && !key_stored_before(fb, id)) {
    fb->st.dropped_undecodable++;
    return PL_ESTATE;
  }
  fslot *free_slot = NULL;
  for (size_t i = 0; i < fb->cfg.frames; i++) {
    fslot *s = &fb->slots[i];
    if (s->used && s->id == id) {
      fb->st.duplicates++;
      return PL_EAGAIN;
    }
    if (!s->used && !free_slot)
      free_slot = s;
  }
  if (!free_slot && f->key) {
    /* A keyframe makes everything stored before it useless. */
    for (size_t i = 0; i < fb->cfg.frames; i++)
      if (fb->slots[i].used && fb->slots[i].id < id)
        drop_slot(fb, &fb->slots[i], &fb->st.dropped_full);
    for (size_t i = 0; i < fb->cfg.frames && !free_slot; i++)
      if (!fb->slots[i].used)
        free_slot = &fb->slots[i];
  }
  if (!free_slot) {
    fb->st.dropped_full++;
    return PL_EFULL;
  }
  free_slot->used = true;
  free_slot->f = *f;
  memcpy(free_slot->buf, f->data, f->len);
  free_slot->f.data = free_slot->buf;
  free_slot->id = id;
  free_slot->ts_us = ts_us;
  free_slot->inserted = now;
  fb->st.inserted++;
  fb->st.stored++;
  return 0;
}

static fslot *next_decodable(const pl_frame_buffer *fb) {
  fslot *best = NULL;
  for (size_t i = 0; i < fb->cfg.frames; i++) {
    fslot *s = &fb->slots[i];
    if (s->used && (!best || s->id < best->id) && decodable(fb, s))
      best = s;
  }
  return best;
}

static pl_time_us playout(const pl_frame_buffer *fb, const fslot *s) {
  return s->ts_us + fb->min_transit + fb->delay;
}

bool pl_frame_buffer_poll(pl_frame_buffer *fb, pl_time_us now,
                          pl_encoded_frame *out, pl_time_us *render_at) {
  fslot *s = next_decodable(fb);
  if (!s)
    return false;
  pl_time_us t = playout(fb, s);
  if (now < t)
    return false;
  *out = s->f;
  if (render_at)
    *render_at = t;
  s->used = false;
  fb->st.stored--;
  fb->st.released++;
  bool skip = fb->have_last && s->id != fb->last_id + 1;
  if (s->f.key || s->f.tid == 0)
    fb->skipped = false;
  else if (skip)
    fb->skipped = true;
  fb->have_last = true;
  fb->last_id = s->id;
  fb->last_seq_end = s->f.last_seq;
  fb->released[(uint64_t)s->id % RELEASED_RING] = s->id;
  if (s->f.key) {
    fb->need_key = false;
    fb->have_tl0 = false;
    fb->st.keyframes_released++;
  }
  if (s->f.tid == 0 && s->f.tl0picidx >= 0) {
    fb->have_tl0 = true;
    fb->last_tl0 = (uint8_t)s->f.tl0picidx;
  }
  for (size_t i = 0; i < fb->cfg.frames; i++) {
    fslot *o = &fb->slots[i];
    if (o->used && o->id < s->id)
      drop_slot(fb, o, &fb->st.dropped_skipped);
  }
  return true;
}

static fslot *oldest_waiting(const pl_frame_buffer *fb) {
  fslot *old = NULL;
  for (size_t i = 0; i < fb->cfg.frames; i++) {
    fslot *s = &fb->slots[i];
    if (s->used && (!old || s->inserted < old->inserted))
      old = s;
  }
  return old;
}

pl_time_us pl_frame_buffer_deadline(const pl_frame_buffer *fb) {
  fslot *s = next_decodable(fb);
  if (s)
    return playout(fb, s);
  s = oldest_waiting(fb);
  return s ? s->inserted + fb->missing_wait : PL_TIME_NEVER;
}

void pl_frame_buffer_need_keyframe(pl_frame_buffer *fb) {
  if (!fb->need_key)
    fb->st.keyframe_needed++;
  fb->need_key = true;
  for (size_t i = 0; i < fb->cfg.frames; i++) {
    fslot *s = &fb->slots[i];
    if (s->used && !s->f.key && !key_stored_before(fb, s->id))
      drop_slot(fb, s, &fb->st.dropped_undecodable);
  }
}

void pl_frame_buffer_timeout(pl_frame_buffer *fb, pl_time_us now) {
  if (next_decodable(fb))
    return;
  fslot *s = oldest_waiting(fb);
  if (s && s->inserted + fb->missing_wait <= now)
    pl_frame_buffer_need_keyframe(fb);
}

bool pl_frame_buffer_keyframe_needed(const pl_frame_buffer *fb) {
  if (!fb->need_key || fb->frames_seen == 0)
    return false;
  for (size_t i = 0; i < fb->cfg.frames; i++)
    if (fb->slots[i].used && fb->slots[i].f.key)
      return false;
  return true;
}

void pl_frame_buffer_get_stats(const pl_frame_buffer *fb, pl_frame_buffer_stats *out) {
  *out = fb->st;
  out->jitter_p95 = fb->p95;
  out->render_delay = fb->delay;
}

void pl_freeze_detector_init(pl_freeze_detector *fd) {
  memset(fd, 0, sizeof *fd);
}

bool pl_freeze_detector_frame(pl_freeze_detector *fd, pl_time_us t) {
  fd->frames++;
  if (!fd->started) {
    fd->started = true;
    fd->last = t;
    return false;
  }
  pl_time_us iv = t - fd->last;
  fd->last = t;
  if (iv > fd->longest_interval)
    fd->longest_interval = iv;
  bool freeze = false;
  if (fd->n >= 5) {
    pl_time_us avg = fd->sum / (pl_time_us)fd->n;
    pl_time_us thr = 3 * avg > avg + PL_MS(150) ? 3 * avg : avg + PL_MS(150);
    if (iv >= thr) {
      freeze = true;
      fd->freeze_count++;
      fd->total_freeze += iv;
    }
  }
  if (fd->n == PL_FREEZE_WINDOW)
    fd->sum -= fd->iv[fd->pos];
  else
    fd->n++;
  fd->iv[fd->pos] = iv;
  fd->sum += iv;
  fd->pos = (fd->pos + 1) % PL_FREEZE_WINDOW;
  return freeze;
}
