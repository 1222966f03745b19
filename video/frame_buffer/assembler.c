/* Packets sit in a ring indexed by unwrapped sequence number. After each
 * insert the assembler walks back from the new packet to a begin bit and
 * forward to an end, through slots of the same timestamp with consecutive
 * numbers: only the frame the packet belongs to can have become complete. */
#include "video/frame_buffer/assembler.h"

#include <stdlib.h>
#include <string.h>

#include "net/rtp/unwrap.h"
#include "parley.h"

enum { EMPTY, HELD, PENDING, DONE };

typedef struct slot {
  int64_t seq;
  uint8_t state;
  bool end, retx;
  uint32_t ts;
  pl_time_us arrival;
  pl_video_rtp_info info; /* payload points at this slot's bytes */
} slot;

#define MAX_PENDING 32
#define DROPPED_TS 16

struct pl_frame_assembler {
  pl_frame_assembler_config cfg;
  size_t mask;
  slot *slots;
  uint8_t *slab; /* cfg.packets x cfg.max_payload */
  uint8_t *out;  /* the frame being handed out */
  pl_seq_unwrapper unwrap;
  struct {
    int64_t start, end;
  } pending[MAX_PENDING];
  size_t npending;
  uint32_t dropped_ts[DROPPED_TS];
  size_t ndropped, dropped_pos;
  pl_time_us deadline;
  pl_frame_assembler_stats st;
};

static slot *at(pl_frame_assembler *a, int64_t seq) {
  return &a->slots[(uint64_t)seq & a->mask];
}

void pl_frame_assembler_reset(pl_frame_assembler *a) {
  for (size_t i = 0; i <= a->mask; i++)
    a->slots[i].state = EMPTY;
  pl_seq_unwrapper_init(&a->unwrap);
  a->npending = a->ndropped = a->dropped_pos = 0;
  a->deadline = PL_TIME_NEVER;
}

int pl_frame_assembler_new(pl_frame_assembler **out,
                           const pl_frame_assembler_config *cfg) {
  *out = NULL;
  pl_frame_assembler_config c = cfg ? *cfg : (pl_frame_assembler_config){0};
  if (!c.packets)
    c.packets = 2048;
  if (!c.max_payload)
    c.max_payload = 1500;
  if (!c.max_frame_bytes)
    c.max_frame_bytes = 1 << 20;
  if (!c.timeout)
    c.timeout = PL_SEC(1);
  if (c.packets > (1u << 15) || c.max_payload > 65535 || c.timeout < 0 ||
      c.max_frame_bytes > (256u << 20))
    return PL_EINVAL;
  size_t n = 1;
  while (n < c.packets)
    n <<= 1;
  c.packets = n;
  pl_frame_assembler *a = calloc(1, sizeof *a);
  if (!a)
    return PL_ENOMEM;
  a->cfg = c;
  a->mask = n - 1;
  a->slots = calloc(n, sizeof *a->slots);
  a->slab = malloc(n * c.max_payload);
  a->out = malloc(c.max_frame_bytes);
  if (!a->slots || !a->slab || !a->out) {
    pl_frame_assembler_free(a);
    return PL_ENOMEM;
  }
  for (size_t i = 0; i < n; i++)
    a->slots[i].info.payload = a->slab + i * c.max_payload;
  pl_frame_assembler_reset(a);
  *out = a;
  return 0;
}

void pl_frame_assembler_free(pl_frame_assembler *a) {
  if (!a)
    return;
  free(a->slots);
  free(a->slab);
  free(a->out);
  free(a);
}

static void remember_dropped(pl_frame_assembler *a, uint32_t ts) {
  a->dropped_ts[a->dropped_pos] = ts;
  a->dropped_pos = (a->dropped_pos + 1) % DROPPED_TS;
  if (a->ndropped < DROPPED_TS)
    a->ndropped++;
}

static bool was_dropped(const pl_frame_assembler *a, uint32_t ts) {
  for (size_t i = 0; i < a->ndropped; i++)
    if (a->dropped_ts[i] == ts)
      return true;
  return false;
}

/* Drops every held packet of the frame with this timestamp. */
static void drop_frame(pl_frame_assembler *a, uint32_t ts, uint64_t *counter) {
  for (size_t i = 0; i <= a->mask; i++)
    if (a->slots[i].state == HELD && a->slots[i].ts == ts)
      a->slots[i].state = EMPTY;
  remember_dropped(a, ts);
  (*counter)++;
}

static bool same_frame(pl_frame_assembler *a, int64_t seq, uint32_t ts) {
  slot *s = at(a, seq);
  return s->state == HELD && s->seq == seq && s->ts == ts;
}

/* Finds the frame around seq; true with [*start, *end] when complete. */
static bool complete(pl_frame_assembler *a, int64_t seq, uint32_t ts,
                     int64_t *start, int64_t *end) {
  int64_t j = seq, lim = (int64_t)a->mask;
  for (;; j--) {
    if (seq - j > lim || !same_frame(a, j, ts))
      return false;
    if (at(a, j)->info.frame_begin)
      break;
  }
  int64_t k = seq;
  for (;; k++) {
    if (k - j > lim || !same_frame(a, k, ts))
      return false;
    if (at(a, k)->end)
      break;
  }
  *start = j;
  *end = k;
  return true;
}

int pl_frame_assembler_insert(pl_frame_assembler *a, pl_time_us now,
                              uint16_t seq, uint32_t ts, bool marker,
                              const pl_video_rtp_info *info,
                              bool retransmitted) {
  if (!info || (!info->payload && info->payload_len))
    return PL_EINVAL;
  a->st.packets++;
  if (info->payload_len > a->cfg.max_payload) {
    a->st.too_big++;
    return 0;
  }
  if (was_dropped(a, ts)) {
    a->st.late++;
    return 0;
  }
  int64_t s = pl_seq_unwrap_peek(&a->unwrap, seq);
  slot *sl = at(a, s);
  if (sl->state != EMPTY) {
    if (sl->seq == s) {
      a->st.duplicates++;
      return 0;
    }
    if (sl->seq > s) {
      a->st.too_old++;
      return 0;
    }
    if (sl->state == HELD)
      drop_frame(a, sl->ts, &a->st.dropped_evicted);
  }
  pl_seq_unwrap(&a->unwrap, seq);
  uint8_t *buf = (uint8_t *)sl->info.payload;
  sl->info = *info;
  sl->info.payload = buf;
  if (info->payload_len)
    memcpy(buf, info->payload, info->payload_len);
  sl->seq = s;
  sl->state = HELD;
  sl->ts = ts;
  sl->end = marker || info->frame_end;
  sl->retx = retransmitted;
  sl->arrival = now;
  int64_t start, end;
  if (!complete(a, s, ts, &start, &end)) {
    a->deadline = pl_time_min(a->deadline, now + a->cfg.timeout);
    return 0;
  }
  if (a->npending == MAX_PENDING) {
    /* The caller stopped draining; the oldest completed frame goes. */
    memmove(a->pending, a->pending + 1, sizeof a->pending[0] * (MAX_PENDING - 1));
    a->npending--;
    a->st.dropped_evicted++;
  }
  for (int64_t q = start; q <= end; q++)
    at(a, q)->state = PENDING;
  a->pending[a->npending].start = start;
  a->pending[a->npending].end = end;
  a->npending++;
  return 1;
}

static void supersede(pl_frame_assembler *a, int64_t key_start) {
  for (size_t i = 0; i <= a->mask; i++) {
    slot *s = &a->slots[i];
    if (s->state == HELD && s->seq < key_start)
      drop_frame(a, s->ts, &a->st.dropped_superseded);
  }
}

bool pl_frame_assembler_poll(pl_frame_assembler *a, pl_encoded_frame *f) {
  while (a->npending) {
    int64_t start = a->pending[0].start, end = a->pending[0].end;
    memmove(a->pending, a->pending + 1, sizeof a->pending[0] * (a->npending - 1));
    a->npending--;
    bool intact = true;
    size_t len = 0;
    for (int64_t q = start; q <= end && intact; q++) {
      slot *s = at(a, q);
      intact = s->state == PENDING && s->seq == q;
      if (intact)
        len += s->info.payload_len;
    }
    if (!intact) {
      a->st.dropped_evicted++;
      continue;
    }
    const slot *b = at(a, start);
    memset(f, 0, sizeof *f);
    f->codec = b->info.codec;
    f->rtp_ts = b->ts;
    f->first_seq = start;
    f->last_seq = end;
    f->key = b->info.key;
    f->width = b->info.width;
    f->height = b->info.height;
    f->picture_id = b->info.picture_id;
    f->picture_id_bits = b->info.picture_id_bits;
    f->tl0picidx = b->info.tl0picidx;
    f->tid = b->info.tid;
    f->layer_sync = b->info.layer_sync;
    f->flexible = b->info.flexible;
    f->nrefs = b->info.nrefs;
    memcpy(f->pdiff, b->info.pdiff, sizeof f->pdiff);
    f->first_arrival = PL_TIME_NEVER;
    f->complete_at = INT64_MIN;
    bool fits = len <= a->cfg.max_frame_bytes;
    size_t off = 0;
    for (int64_t q = start; q <= end; q++) {
      slot *s = at(a, q);
      if (fits && s->info.payload_len) {
        memcpy(a->out + off, s->info.payload, s->info.payload_len);
        off += s->info.payload_len;
      }
      f->first_arrival = pl_time_min(f->first_arrival, s->arrival);
      if (s->arrival > f->complete_at)
        f->complete_at = s->arrival;
      f->retransmitted |= s->retx;
      s->state = DONE;
    }
    if (!fits) {
      a->st.dropped_too_big++;
      continue;
    }
    f->data = a->out;
    f->len = len;
    f->packets = (uint32_t)(end - start + 1);
    a->st.frames++;
    if (f->key)
      supersede(a, start);
    return true;
  }
  return false;
}

pl_time_us pl_frame_assembler_deadline(const pl_frame_assembler *a) {
  return a->deadline;
}

void pl_frame_assembler_timeout(pl_frame_assembler *a, pl_time_us now) {
  if (now < a->deadline)
    return;
  pl_time_us next = PL_TIME_NEVER;
  for (size_t i = 0; i <= a->mask; i++) {
    slot *s = &a->slots[i];
    if (s->state != HELD)
      continue;
    if (s->arrival + a->cfg.timeout <= now)
      drop_frame(a, s->ts, &a->st.dropped_timeout);
    else
      next = pl_time_min(next, s->arrival + a->cfg.timeout);
  }
  a->deadline = next;
}

void pl_frame_assembler_get_stats(const pl_frame_assembler *a,
                              pl_frame_assembler_stats *out) {
  *out = a->st;
}
