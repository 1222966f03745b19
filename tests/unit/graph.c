/* Media graph: stage order, run-time switching with reset, cost accounting,
 * error isolation; and the SPSC ring between threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#include "engine/graph/graph.h"
#include "engine/ring.h"
#include "parley.h"

typedef struct {
  float gain;
  int resets, frees;
  int fail;
} gain_stage;

static int gain_process(void *self, void *frame, pl_time_us now) {
  (void)now;
  gain_stage *g = self;
  pl_audio_frame *f = frame;
  if (g->fail)
    return PL_ECODEC;
  for (int i = 0; i < f->samples * f->channels; i++)
    f->pcm[i] *= g->gain;
  return 0;
}
static void gain_reset(void *self) { ((gain_stage *)self)->resets++; }
static void gain_free(void *self) { ((gain_stage *)self)->frees++; }

static const pl_stage_ops gain_a = {"a", PL_MEDIA_AUDIO, gain_process, gain_reset, gain_free};
static const pl_stage_ops gain_b = {"b", PL_MEDIA_AUDIO, gain_process, gain_reset, gain_free};

Test(graph, stages_run_in_order_and_switch_at_frame_boundary) {
  pl_graph g;
  pl_graph_init(&g, PL_MEDIA_AUDIO);
  gain_stage a = {.gain = 2}, b = {.gain = 3};
  cr_assert_eq(pl_graph_add(&g, &gain_a, &a, true), 0);
  cr_assert_eq(pl_graph_add(&g, &gain_b, &b, false), 0);
  cr_assert_eq(pl_graph_add(&g, &gain_b, &b, false), PL_EINVAL, "duplicate name");
  pl_audio_frame f;
  pl_audio_frame_init(&f, 1);
  f.pcm[0] = 1;
  pl_graph_run(&g, &f, 0);
  cr_assert_float_eq(f.pcm[0], 2.0f, 1e-6);
  cr_assert_eq(pl_graph_request(&g, "b", true), 0);
  cr_assert_eq(pl_graph_request(&g, "nope", true), PL_ENOENT);
  pl_graph_run(&g, &f, 0);
  cr_assert_float_eq(f.pcm[0], 12.0f, 1e-6);
  cr_assert_eq(b.resets, 1, "a stage switched on starts from fresh state");
  cr_assert_eq(pl_graph_find(&g, "a")->stats.frames, 2);
  cr_assert_eq(pl_graph_find(&g, "b")->stats.frames, 1);
  pl_graph_destroy(&g);
  cr_assert_eq(a.frees + b.frees, 2);
}

Test(graph, failing_stage_is_counted_and_frame_passes_on) {
  pl_graph g;
  pl_graph_init(&g, PL_MEDIA_AUDIO);
  gain_stage a = {.gain = 2, .fail = 1}, b = {.gain = 3};
  pl_graph_add(&g, &gain_a, &a, true);
  pl_graph_add(&g, &gain_b, &b, true);
  pl_audio_frame f;
  pl_audio_frame_init(&f, 1);
  f.pcm[0] = 1;
  pl_graph_run(&g, &f, 0);
  cr_assert_float_eq(f.pcm[0], 3.0f, 1e-6);
  cr_assert_eq(pl_graph_find(&g, "a")->stats.errors, 1);
  pl_graph_destroy(&g);
}

Test(graph, wrong_media_kind_refused) {
  pl_graph g;
  pl_graph_init(&g, PL_MEDIA_VIDEO);
  gain_stage a = {.gain = 1};
  cr_assert_eq(pl_graph_add(&g, &gain_a, &a, true), PL_EINVAL);
}

#define N_ITEMS 200000
static void *producer(void *arg) {
  pl_ring *r = arg;
  for (uint32_t i = 0; i < N_ITEMS;) {
    uint32_t *slot = pl_ring_reserve(r);
    if (!slot)
      continue; /* full: spin (test only) */
    *slot = i++;
    pl_ring_commit(r);
  }
  return NULL;
}

Test(ring, spsc_delivers_every_item_in_order_across_threads) {
  pl_ring r;
  cr_assert_eq(pl_ring_init(&r, sizeof(uint32_t), 64), 0);
  pthread_t t;
  pthread_create(&t, NULL, producer, &r);
  uint32_t expect = 0;
  while (expect < N_ITEMS) {
    uint32_t *slot = pl_ring_peek(&r);
    if (!slot)
      continue;
    cr_assert_eq(*slot, expect);
    expect++;
    pl_ring_release(&r);
  }
  pthread_join(t, NULL);
  cr_assert_eq(pl_ring_size(&r), 0);
  pl_ring_destroy(&r);
}

Test(ring, full_ring_refuses_and_counts) {
  pl_ring r;
  cr_assert_eq(pl_ring_init(&r, 8, 4), 0);
  for (int i = 0; i < 4; i++) {
    cr_assert_not_null(pl_ring_reserve(&r));
    pl_ring_commit(&r);
  }
  cr_assert_null(pl_ring_reserve(&r));
  cr_assert_eq(atomic_load(&r.dropped), 1);
  pl_ring_destroy(&r);
  cr_assert_eq(pl_ring_init(&r, 8, 3), PL_EINVAL, "count must be a power of two");
}
