/* Per-tick features for the learned estimator (bwe.h). Every input is
 * checked where it arrives: a result with absurd times or sizes is skipped
 * (GCC counts those; here they just do not count), and every feature is
 * clamped, NaN-free, to [-8, 8] so hostile feedback cannot drive the network
 * outside what it was trained on by more than that.
 *
 * Rates are log-scaled (ln of Mbit/s, floored at 10 kbit/s): a GRU sees a
 * 100 kbit/s link and a 3 Mbit/s one as the same shape shifted, which is
 * how congestion looks at any rate. Delays are in units of 100 ms. */
#include <math.h>
#include <string.h>

#include "ai/bwe/bwe.h"

#define BASE_BUCKET PL_SEC(5) /* the base delay forgets after 5-10 s */
#define TIME_LIMIT ((pl_time_us)1 << 52)
#define RATE_FLOOR 10000.0
#define MAX_SIZE 65535u

void pl_bwe_feat_init(pl_bwe_feat *f, pl_time_us now) {
  memset(f, 0, sizeof *f);
  f->bucket_start = now;
  f->last_feedback = now;
  f->recv_first = f->recv_last = PL_TIME_NEVER;
}

static bool sane_time(pl_time_us t) { return t > -TIME_LIMIT && t < TIME_LIMIT; }

void pl_bwe_feat_on_feedback(pl_bwe_feat *f, const pl_cc_feedback *fb) {
  if (!fb || !sane_time(fb->feedback_time))
    return;
  f->last_feedback = fb->feedback_time;
  pl_time_us rtt = PL_TIME_NEVER;
  for (size_t i = 0; fb->packets && i < fb->n; i++) {
    const pl_cc_packet *p = &fb->packets[i];
    if (!sane_time(p->send_time) || p->size == 0 || p->size > MAX_SIZE)
      continue;
    if (p->recv_time == PL_TIME_NEVER) {
      f->lost_n++;
      continue;
    }
    if (!sane_time(p->recv_time))
      continue;
    f->recv_n++;
    f->recv_bytes += p->size;
    if (f->recv_first == PL_TIME_NEVER || p->recv_time < f->recv_first)
      f->recv_first = p->recv_time;
    if (f->recv_last == PL_TIME_NEVER || p->recv_time > f->recv_last)
      f->recv_last = p->recv_time;
    pl_time_us owd = p->recv_time - p->send_time;
    if (!f->have_owd || owd < f->owd_min)
      f->owd_min = owd;
    if (!f->have_owd || owd > f->owd_max)
      f->owd_max = owd;
    f->have_owd = true;
    pl_time_us r = fb->feedback_time - p->send_time;
    if (r >= 0 && r < rtt)
      rtt = r;
  }
  if (rtt != PL_TIME_NEVER && rtt < PL_SEC(60))
    f->rtt_fb = rtt;
}

void pl_bwe_feat_on_sent(pl_bwe_feat *f, uint32_t size) {
  if (size <= MAX_SIZE)
    f->sent_bytes += size;
}

void pl_bwe_feat_on_rtt(pl_bwe_feat *f, pl_time_us rtt) {
  if (rtt > 0 && rtt < PL_SEC(60))
    f->rtt_ext = rtt;
}

static float clampf(double v) {
  if (!(v == v))
    return 0;
  return (float)(v < -8 ? -8 : v > 8 ? 8 : v);
}

static double lrate(double bps) { return log((bps > RATE_FLOOR ? bps : RATE_FLOOR) / 1e6); }

void pl_bwe_feat_tick(pl_bwe_feat *f, pl_time_us now, const pl_cc_target *g, double last_bps,
                      float *x) {
  /* Close the tick into the rings. The receive span runs from the last
   * packet of the previous tick, so back-to-back ticks tile receive time. */
  double span = 0;
  if (f->recv_n) {
    pl_time_us from = f->last_recv_time && f->last_recv_time < f->recv_last &&
                              f->recv_last - f->last_recv_time < PL_SEC(1)
                          ? f->last_recv_time
                          : f->recv_first;
    span = (double)(f->recv_last - from);
    f->last_recv_time = f->recv_last;
  }
  f->r_recv_bytes[f->head] = f->recv_bytes;
  f->r_span[f->head] = span;
  f->r_recv_n[f->head] = f->recv_n;
  f->r_lost_n[f->head] = f->lost_n;
  f->head = (f->head + 1) % PL_BWE_RING;
  f->r_sent[f->long_head] = f->sent_bytes;
  f->long_head = (f->long_head + 1) % PL_BWE_LONG;
  f->ticks++;

  /* Base delay: the minimum over the current and the previous 5 s bucket,
   * so a path change (or a receiver clock step) is forgotten in 5-10 s. */
  if (now - f->bucket_start >= BASE_BUCKET) {
    f->base_prev = f->have_owd || f->have_base ? f->base_cur : 0;
    f->base_cur = f->have_owd ? f->owd_min : f->base_prev;
    f->bucket_start = now;
  }
  if (f->have_owd) {
    if (!f->have_base) {
      f->base_cur = f->base_prev = f->owd_min;
      f->have_base = true;
    }
    if (f->owd_min < f->base_cur)
      f->base_cur = f->owd_min;
    pl_time_us base = f->base_cur < f->base_prev ? f->base_cur : f->base_prev;
    f->q_prev_ms = f->q_min_ms;
    f->q_min_ms = (double)(f->owd_min - base) / 1000;
    f->q_max_ms = (double)(f->owd_max - base) / 1000;
  } else {
    f->q_prev_ms = f->q_min_ms; /* nothing new: the queue as last seen */
  }

  double rb = 0, rs = 0;
  uint32_t rn = 0, ln = 0;
  for (int i = 0; i < PL_BWE_RING; i++) {
    rb += f->r_recv_bytes[i];
    rs += f->r_span[i];
    rn += f->r_recv_n[i];
    ln += f->r_lost_n[i];
  }
  double recv_bps = rb * 8e6 / (rs > PL_MS(50) ? rs : (double)PL_MS(50));
  int nt = f->ticks < PL_BWE_RING ? f->ticks : PL_BWE_RING;
  double s200 = 0, s1 = 0;
  for (int i = 0; i < PL_BWE_LONG; i++) {
    int k = (f->long_head - 1 - i + 2 * PL_BWE_LONG) % PL_BWE_LONG;
    if (i < nt)
      s200 += f->r_sent[k];
    s1 += f->r_sent[k];
  }
  int nl = f->ticks < PL_BWE_LONG ? f->ticks : PL_BWE_LONG;
  double send200 = s200 * 8 / (nt * 0.05), send1 = s1 * 8 / (nl * 0.05);
  pl_time_us rtt = f->rtt_ext ? f->rtt_ext : f->rtt_fb;
  double age = (double)(now - f->last_feedback) / 1e6;

  x[0] = clampf(lrate(recv_bps));
  x[1] = clampf(lrate(send200));
  x[2] = clampf(lrate(send1));
  x[3] = clampf(lrate((double)g->target_bps));
  x[4] = clampf(lrate((double)g->delay_based_bps));
  x[5] = clampf(lrate((double)g->acked_bps));
  x[6] = clampf(lrate(last_bps));
  x[7] = clampf(f->q_min_ms / 100);
  x[8] = clampf(f->q_max_ms / 100);
  x[9] = clampf((f->q_min_ms - f->q_prev_ms) / 10);
  x[10] = clampf(rn + ln ? 5.0 * ln / (rn + ln) : 0);
  x[11] = clampf((double)rtt / 1e5);
  x[12] = g->delay_state == 1;
  x[13] = g->delay_state == 2;
  x[14] = g->in_alr;
  x[15] = clampf(age < 0 ? 0 : age > 2 ? 2 : age);

  f->recv_bytes = f->sent_bytes = 0;
  f->recv_n = f->lost_n = 0;
  f->recv_first = f->recv_last = PL_TIME_NEVER;
  f->have_owd = false;
}
