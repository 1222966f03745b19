/* The device queue: see devq.h. */
#include "audio/devq/devq.h"

#include <math.h>
#include <string.h>

#define RATE 48000

void pl_devq_init(pl_devq *q, bool capture, int target_ms) {
  memset(q, 0, sizeof *q);
  q->capture = capture;
  q->target = RATE / 1000 * target_ms;
  q->slack = RATE / 100;   /* start correcting 10 ms off ... */
  q->settle = RATE / 500;  /* ... until within 2 ms */
  q->jump = q->target;     /* twice the target: back to it at once */
}

static size_t ring_fill(pl_devq *q) {
  return atomic_load_explicit(&q->head, memory_order_acquire) -
         atomic_load_explicit(&q->tail, memory_order_acquire);
}

size_t pl_devq_push(pl_devq *q, const float *x, size_t n) {
  size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
  size_t room = PL_DEVQ_RING - (h - atomic_load_explicit(&q->tail, memory_order_acquire));
  if (n > room) {
    atomic_fetch_add(&q->overruns, 1);
    n = room;
  }
  for (size_t i = 0; i < n; i++)
    q->ring[(h + i) & (PL_DEVQ_RING - 1)] = x[i];
  atomic_store_explicit(&q->head, h + n, memory_order_release);
  return n;
}

size_t pl_devq_pop(pl_devq *q, float *x, size_t n) {
  size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
  size_t have = atomic_load_explicit(&q->head, memory_order_acquire) - t;
  if (n > have)
    n = have;
  for (size_t i = 0; i < n; i++)
    x[i] = q->ring[(t + i) & (PL_DEVQ_RING - 1)];
  atomic_store_explicit(&q->tail, t + n, memory_order_release);
  return n;
}

void pl_devq_set_device_queued(pl_devq *q, size_t samples) {
  atomic_store_explicit(&q->device_queued, samples, memory_order_relaxed);
}

size_t pl_devq_level(pl_devq *q) {
  return ring_fill(q) + atomic_load_explicit(&q->device_queued, memory_order_relaxed);
}

/* in_n samples onto out_n (they differ by at most one), linearly, first
 * and last samples kept: the correction leaves no step between blocks. */
static void stretch(const float *in, int in_n, float *out, int out_n) {
  if (in_n == out_n || out_n < 2) {
    memmove(out, in, sizeof *out * (size_t)out_n);
    return;
  }
  double step = (double)(in_n - 1) / (out_n - 1);
  for (int k = 0; k < out_n; k++) {
    double x = k * step;
    int i = (int)x;
    double f = x - i;
    out[k] = i + 1 < in_n ? (float)((1 - f) * in[i] + f * in[i + 1]) : in[in_n - 1];
  }
}

/* How many samples this block takes from (capture) or gives to (playback)
 * the queue for the n the call sees. */
static int corrected(pl_devq *q, size_t level, int n) {
  q->level += 0.02 * ((double)level - q->level); /* ~0.5 s time constant at 10 ms */
  double off = q->level - q->target;
  if (q->adjust == 0 && fabs(off) > q->slack) {
    q->adjust = off > 0 ? 1 : -1;
    q->corrections++;
  } else if (q->adjust != 0 && fabs(off) < q->settle) {
    q->adjust = 0;
  }
  if (q->adjust)
    q->stretched++;
  /* A source drains a full queue faster; a sink feeds a full one less. */
  return q->capture ? n + q->adjust : n - q->adjust;
}

void pl_devq_read(pl_devq *q, float *out, int n) {
  if (n > PL_DEVQ_MAX_BLOCK)
    n = PL_DEVQ_MAX_BLOCK;
  size_t level = ring_fill(q);
  if (!q->started && level >= (size_t)q->target) {
    q->started = true;
    q->level = (double)level;
  }
  if (!q->started) {
    memset(out, 0, sizeof *out * (size_t)n);
    return;
  }
  if (level > (size_t)(q->target + q->jump)) {
    /* Far more than 2000 ppm would take back soon (the media thread
     * stalled, or the device started early): skip to the target. */
    for (size_t drop = level - (size_t)q->target; drop > 0;) {
      size_t got = pl_devq_pop(q, q->block, drop < PL_DEVQ_MAX_BLOCK ? drop : PL_DEVQ_MAX_BLOCK);
      if (!got)
        break;
      drop -= got;
    }
    q->jumps++;
    level = ring_fill(q);
    q->level = (double)level;
    q->adjust = 0;
  }
  int want = corrected(q, level, n);
  int got = (int)pl_devq_pop(q, q->block, (size_t)want);
  if (got < want) { /* the device fell behind: wait for the target again */
    atomic_fetch_add(&q->underruns, 1);
    q->started = false;
    q->adjust = 0;
    int keep = got < n ? got : n;
    memcpy(out, q->block, sizeof *out * (size_t)keep);
    memset(out + keep, 0, sizeof *out * (size_t)(n - keep));
    return;
  }
  stretch(q->block, want, out, n);
}

void pl_devq_write(pl_devq *q, const float *in, int n) {
  if (n > PL_DEVQ_MAX_BLOCK)
    n = PL_DEVQ_MAX_BLOCK;
  size_t level = pl_devq_level(q);
  if (!q->started) {
    /* Start on the target: silence now, rather than 10 ms of stretching
     * per 5 s until the level gets there. */
    static const float zeros[480];
    while (level < (size_t)q->target) {
      size_t n0 = (size_t)q->target - level;
      size_t got = pl_devq_push(q, zeros, n0 < 480 ? n0 : 480);
      if (!got)
        break;
      level += got;
    }
    q->started = true;
    q->level = (double)level;
  }
  if (level > (size_t)(q->target + q->jump) && !q->draining) {
    q->draining = true;
    q->jumps++;
  }
  if (q->draining) {
    /* The device stalled (a PulseAudio null sink sleeps out its previous
     * latency, up to 2 s, before its first wake-up), or the call wrote
     * ahead: drop blocks down to the target rather than play late while
     * the controller catches up, stretching everything on the way. */
    if (level > (size_t)(q->target + n / 2)) { /* ends within half a block */
      q->level = (double)level - n;
      return;
    }
    q->draining = false;
    q->level = (double)level;
    q->adjust = 0;
  }
  int out = corrected(q, level, n);
  stretch(in, n, q->block, out);
  pl_devq_push(q, q->block, (size_t)out);
}

void pl_devq_get_stats(pl_devq *q, pl_devq_stats *out) {
  out->overruns = atomic_load(&q->overruns);
  out->underruns = atomic_load(&q->underruns);
  out->corrections = q->corrections;
  out->stretched = q->stretched;
  out->jumps = q->jumps;
}
