/* The room mixer (audio/mix): feeds add up, loud sums bend below full
 * scale instead of clipping, a stalled feed does not hold the others, and
 * blocks arrive in any chunking. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "audio/mix/mix.h"
#include "parley.h"

static pl_mix m;
static float blk[PL_MIX_BLOCK], out[PL_MIX_BLOCK];

static void fill(float v) {
  for (int i = 0; i < PL_MIX_BLOCK; i++)
    blk[i] = v;
}

Test(mix, two_feeds_add_up_block_by_block) {
  cr_assert_eq(pl_mix_init(&m, 1), 0);
  int a = pl_mix_add(&m), b = pl_mix_add(&m);
  cr_assert_neq(a, b);
  fill(0.25f);
  pl_mix_write(&m, a, blk, PL_MIX_BLOCK);
  cr_assert_eq(pl_mix_read(&m, out), 0, "waits for the other feed");
  fill(-0.5f);
  pl_mix_write(&m, b, blk, PL_MIX_BLOCK);
  cr_assert_eq(pl_mix_read(&m, out), 1);
  cr_assert_float_eq(out[0], -0.25f, 1e-6);
  cr_assert_float_eq(out[PL_MIX_BLOCK - 1], -0.25f, 1e-6);
  cr_assert_eq(pl_mix_read(&m, out), 0);
}

Test(mix, loud_sums_saturate_below_full_scale) {
  cr_assert_float_eq(pl_mix_saturate(0.5f), 0.5f, 0);
  cr_assert_float_eq(pl_mix_saturate(PL_MIX_KNEE), PL_MIX_KNEE, 1e-6);
  float prev = PL_MIX_KNEE;
  for (float x = PL_MIX_KNEE + 0.05f; x < 4.0f; x += 0.05f) {
    float y = pl_mix_saturate(x);
    if (x < 2.0f) { /* beyond, tanh rounds to 1 in float */
      cr_assert_gt(y, prev, "monotonic at %f", x);
      cr_assert_lt(y, 1.0f);
    }
    cr_assert_geq(y, prev);
    cr_assert_leq(y, 1.0f);
    cr_assert_float_eq(pl_mix_saturate(-x), -y, 1e-6);
    prev = y;
  }
  pl_mix_init(&m, 1);
  int in[3];
  for (int k = 0; k < 3; k++)
    in[k] = pl_mix_add(&m);
  fill(0.5f); /* three talkers at -6 dBFS: 1.5 summed */
  for (int k = 0; k < 3; k++)
    pl_mix_write(&m, in[k], blk, PL_MIX_BLOCK);
  cr_assert_eq(pl_mix_read(&m, out), 1);
  cr_assert_gt(out[0], 0.99f);
  cr_assert_lt(out[0], 1.0f);
  cr_assert_eq(m.samples_saturated, PL_MIX_BLOCK);
}

Test(mix, stalled_feed_counts_as_silence_after_the_lag) {
  pl_mix_init(&m, 1);
  int a = pl_mix_add(&m);
  pl_mix_add(&m); /* never writes */
  fill(0.1f);
  for (int k = 0; k < PL_MIX_MAX_LAG - 1; k++) {
    pl_mix_write(&m, a, blk, PL_MIX_BLOCK);
    cr_assert_eq(pl_mix_read(&m, out), 0);
  }
  pl_mix_write(&m, a, blk, PL_MIX_BLOCK);
  cr_assert_eq(pl_mix_read(&m, out), 1);
  cr_assert_float_eq(out[10], 0.1f, 1e-6);
}

Test(mix, removed_feed_is_not_waited_for_and_its_slot_is_reused) {
  pl_mix_init(&m, 1);
  int a = pl_mix_add(&m), b = pl_mix_add(&m);
  pl_mix_remove(&m, b);
  cr_assert_eq(pl_mix_write(&m, b, blk, PL_MIX_BLOCK), PL_ESTATE);
  fill(0.3f);
  pl_mix_write(&m, a, blk, PL_MIX_BLOCK);
  cr_assert_eq(pl_mix_read(&m, out), 1);
  cr_assert_eq(pl_mix_add(&m), b);
}

Test(mix, odd_chunks_assemble_whole_blocks) {
  pl_mix_init(&m, 1);
  int a = pl_mix_add(&m);
  float ramp[1000];
  for (int i = 0; i < 1000; i++)
    ramp[i] = (float)i / 2000.0f;
  pl_mix_write(&m, a, ramp, 160);
  cr_assert_eq(pl_mix_read(&m, out), 0);
  pl_mix_write(&m, a, ramp + 160, 840);
  cr_assert_eq(pl_mix_read(&m, out), 1);
  cr_assert_float_eq(out[479], 479 / 2000.0f, 1e-6);
  cr_assert_eq(pl_mix_read(&m, out), 1);
  cr_assert_float_eq(out[0], 480 / 2000.0f, 1e-6);
  cr_assert_eq(pl_mix_read(&m, out), 0, "40 samples wait for the rest");
}

Test(mix, full_queue_drops_the_oldest_block) {
  pl_mix_init(&m, 1);
  int a = pl_mix_add(&m);
  for (int k = 0; k < PL_MIX_QUEUE + 2; k++) {
    fill((float)k / 100.0f);
    pl_mix_write(&m, a, blk, PL_MIX_BLOCK);
  }
  cr_assert_eq(m.in[a].blocks_dropped, 2);
  cr_assert_eq(pl_mix_read(&m, out), 1);
  cr_assert_float_eq(out[0], 0.02f, 1e-6);
}

Test(mix, reused_slot_starts_empty) {
  pl_mix_init(&m, 1);
  int a = pl_mix_add(&m);
  fill(0.7f);
  pl_mix_write(&m, a, blk, PL_MIX_BLOCK);
  pl_mix_write(&m, a, blk, 100); /* and part of a block */
  pl_mix_remove(&m, a);
  cr_assert_eq(pl_mix_add(&m), a);
  fill(0.1f);
  pl_mix_write(&m, a, blk, PL_MIX_BLOCK);
  cr_assert_eq(pl_mix_read(&m, out), 1);
  cr_assert_float_eq(out[0], 0.1f, 1e-6, "the old feed's queued block is gone");
  cr_assert_float_eq(out[479], 0.1f, 1e-6, "and its partial block");
  cr_assert_eq(pl_mix_read(&m, out), 0);
}
