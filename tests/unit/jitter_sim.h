/* Shared by the jitter-buffer tests: a real Opus stream from the speech-like
 * generator (or a tone), arrival schedules, and a simulated clock that
 * pushes what has arrived and pulls every 10 ms, keeping every frame. */
#ifndef PL_TESTS_JITTER_SIM_H
#define PL_TESTS_JITTER_SIM_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/jitter/jitter.h"
#include "audio/opus/opus.h"
#include "audio/siggen/siggen.h"
#include "base/rng.h"
#include "parley.h"

#define T0 PL_SEC(1)   /* first packet's send time */
#define BASE PL_MS(30) /* network base delay */
#define PHASE PL_MS(3) /* playout ticks at T0 + PHASE + k*10 ms */

typedef struct stream {
  int np, spp, frame_ms;
  uint8_t (*pkt)[PL_OPUS_MAX_PACKET];
  int *len;
  bool *lbrr;
  float *pcm; /* what was encoded */
} stream;

typedef struct stream_opts {
  int seconds, frame_ms;
  bool fec, dtx;
  uint64_t seed;
  pl_sig_kind kind;      /* PL_SIG_SPEECH unless set */
  double tone_hz;        /* for PL_SIG_SINE */
  double noise_rms;      /* white background added to the signal */
  int bitrate;           /* 0: the encoder default */
  double talk_s, pause_s; /* > 0: the signal only in talk_s of every talk_s + pause_s */
} stream_opts;

static inline stream *make_stream_opts(const stream_opts *o) {
  stream *s = calloc(1, sizeof *s);
  s->frame_ms = o->frame_ms;
  s->spp = o->frame_ms * 48;
  s->np = o->seconds * 1000 / o->frame_ms;
  s->pkt = malloc(sizeof *s->pkt * (size_t)s->np);
  s->len = malloc(sizeof(int) * (size_t)s->np);
  s->lbrr = malloc(sizeof(bool) * (size_t)s->np);
  s->pcm = malloc(sizeof(float) * (size_t)s->np * (size_t)s->spp);
  pl_siggen_config sc;
  pl_siggen_config_default(&sc, o->kind);
  sc.seed = o->seed;
  if (o->kind == PL_SIG_SINE && o->tone_hz > 0)
    sc.f1 = o->tone_hz;
  pl_siggen g;
  pl_siggen_init(&g, &sc);
  pl_siggen_fill(&g, s->pcm, s->np * s->spp);
  if (o->talk_s > 0) {
    int on = (int)(o->talk_s * 48000), all = (int)((o->talk_s + o->pause_s) * 48000);
    for (int i = 0; i < s->np * s->spp; i++)
      if (i % all >= on)
        s->pcm[i] = 0.0f;
  }
  if (o->noise_rms > 0) {
    pl_rng r;
    pl_rng_seed(&r, o->seed + 77);
    for (int i = 0; i < s->np * s->spp; i++)
      s->pcm[i] += (float)(o->noise_rms * 1.7320508 * (2 * pl_rng_uniform(&r) - 1));
  }
  pl_opus_enc_config ec;
  pl_opus_enc_config_default(&ec, 1);
  ec.frame_ms = o->frame_ms;
  ec.fec = o->fec;
  ec.packet_loss_pct = 20;
  ec.dtx = o->dtx;
  if (o->bitrate)
    ec.bitrate = o->bitrate;
  pl_opus_enc *e = pl_opus_enc_new(&ec);
  cr_assert_not_null(e);
  for (int i = 0; i < s->np; i++) {
    s->len[i] = pl_opus_enc_encode(e, s->pcm + i * s->spp, s->pkt[i], PL_OPUS_MAX_PACKET);
    cr_assert_gt(s->len[i], 0);
    s->lbrr[i] = pl_opus_packet_has_lbrr(s->pkt[i], (size_t)s->len[i]);
  }
  pl_opus_enc_free(e);
  return s;
}

static inline stream *make_stream(int seconds, int frame_ms, bool fec, bool dtx, uint64_t seed) {
  stream_opts o = {seconds, frame_ms, fec, dtx, seed, PL_SIG_SPEECH, 0, 0, 0, 0, 0};
  return make_stream_opts(&o);
}

static inline void free_stream(stream *s) {
  free(s->pkt);
  free(s->len);
  free(s->lbrr);
  free(s->pcm);
  free(s);
}

typedef struct arrival {
  pl_time_us at;
  int idx;
  uint16_t seq; /* what goes on the wire */
} arrival;

static inline int sim_by_time(const void *a, const void *b) {
  const arrival *x = a, *y = b;
  if (x->at != y->at)
    return x->at < y->at ? -1 : 1;
  return x->idx - y->idx;
}

/* A run: arrivals sorted by time, pulls every 10 ms. */
typedef struct sim {
  pl_jitter *jb;
  stream *s;
  arrival *arr;
  int narr, next;
  int64_t pulls;
  float *out;      /* every played frame, mono */
  uint32_t *flags; /* and its flags */
  int nout, cap;
  int fec_frames, concealed_frames, silent_frames, eagain;
  int push_rc[32]; /* count of push results by -rc (0 = ok) */
} sim;

static inline sim *sim_new(pl_jitter *jb, stream *s, int extra) {
  sim *m = calloc(1, sizeof *m);
  m->jb = jb;
  m->s = s;
  m->arr = calloc((size_t)(s->np + extra), sizeof *m->arr);
  m->cap = s->np * s->spp / 480 * 2 + 2000;
  m->out = malloc(sizeof(float) * 480 * (size_t)m->cap);
  m->flags = malloc(sizeof(uint32_t) * (size_t)m->cap);
  return m;
}

static inline void sim_free(sim *m) {
  free(m->arr);
  free(m->out);
  free(m->flags);
  free(m);
}

static inline void sim_add(sim *m, int idx, pl_time_us at) {
  m->arr[m->narr].idx = idx;
  m->arr[m->narr].at = at;
  m->arr[m->narr].seq = (uint16_t)(1000 + idx);
  m->narr++;
}

static inline pl_time_us send_time(const stream *s, int i) {
  return T0 + (pl_time_us)i * s->frame_ms * 1000;
}

static inline void sim_sort(sim *m) {
  qsort(m->arr, (size_t)m->narr, sizeof *m->arr, sim_by_time);
}

static inline int push_one(sim *m, const arrival *a) {
  const stream *s = m->s;
  int r = pl_jitter_push(m->jb, a->at, a->seq,
                         (uint32_t)(12345u + (uint32_t)a->idx * (uint32_t)s->spp),
                         s->pkt[a->idx], (size_t)s->len[a->idx]);
  if (r <= 0 && r > -32)
    m->push_rc[-r]++;
  return r;
}

static inline pl_time_us sim_now(const sim *m) { return T0 + PHASE + m->pulls * PL_MS(10); }

static inline void sim_pull(sim *m) {
  pl_time_us now = sim_now(m);
  while (m->next < m->narr && m->arr[m->next].at <= now)
    push_one(m, &m->arr[m->next++]);
  pl_audio_frame f;
  int r = pl_jitter_pull(m->jb, now, &f);
  cr_assert(r == 0 || r == PL_EAGAIN);
  cr_assert_eq(f.samples, 480);
  m->pulls++;
  if (r == PL_EAGAIN) {
    m->eagain++;
    return;
  }
  if (m->nout < m->cap) {
    memcpy(m->out + 480 * m->nout, f.pcm, sizeof(float) * 480);
    m->flags[m->nout++] = f.flags;
  }
  m->fec_frames += !!(f.flags & PL_AF_FEC);
  m->concealed_frames += !!(f.flags & PL_AF_CONCEALED);
  m->silent_frames += !!(f.flags & PL_AF_SILENT);
}

/* Pulls until every packet that can play has played: the decoded samples
 * (played or removed by acceleration) reach those of the packets not lost,
 * plus what FEC rebuilt; or max pulls. */
static inline void sim_drain(sim *m, int lost, int64_t max_pulls) {
  pl_jitter_stats st;
  for (int64_t k = 0; k < max_pulls; k++) {
    pl_jitter_get_stats(m->jb, &st);
    int64_t want = (int64_t)(m->s->np - lost + (int)st.fec_recovered) * m->s->spp;
    if ((int64_t)(st.jitter_buffer_emitted_count + st.removed_samples_for_acceleration) >= want)
      return;
    sim_pull(m);
  }
}

static inline pl_jitter *new_jb(int min_ms, int initial_ms, int max_ms, bool fec) {
  pl_jitter_config c;
  pl_jitter_config_default(&c);
  c.min_delay_ms = min_ms;
  c.initial_delay_ms = initial_ms;
  c.max_delay_ms = max_ms;
  c.use_fec = fec;
  pl_jitter *jb = pl_jitter_new(&c);
  cr_assert_not_null(jb);
  return jb;
}

/* The reference: the same packets decoded in order by a fresh decoder. */
static inline float *direct_decode(const stream *s) {
  pl_opus_dec *d = pl_opus_dec_new(1);
  float *pcm = malloc(sizeof(float) * (size_t)s->np * (size_t)s->spp);
  for (int i = 0; i < s->np; i++)
    cr_assert_eq(pl_opus_dec_decode(d, s->pkt[i], (size_t)s->len[i], pcm + i * s->spp, s->spp),
                 s->spp);
  pl_opus_dec_free(d);
  return pcm;
}

#endif
