/* Test pattern (determinism, motion, bar colours, readable counter at any
 * size) and the libyuv helpers (scaling, ARGB conversion, PSNR). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "parley.h"
#include "video/pattern/pattern.h"
#include "video/scale/scale.h"

static size_t differing(const pl_video_buffer *a, const pl_video_buffer *b) {
  size_t n = 0;
  for (size_t i = 0; i < a->size; i++)
    n += a->mem[i] != b->mem[i];
  return n;
}

Test(pattern, same_index_same_picture_and_the_box_moves) {
  pl_video_buffer a, b;
  cr_assert_eq(pl_video_buffer_alloc(&a, 640, 360), 0);
  cr_assert_eq(pl_video_buffer_alloc(&b, 640, 360), 0);
  pl_pattern_draw(&a.f, 42);
  memset(b.mem, 0x77, b.size);
  pl_pattern_draw(&b.f, 42);
  cr_assert_eq(differing(&a, &b), 0);
  cr_assert_eq(a.f.index, 42);
  pl_pattern_draw(&b.f, 43);
  /* Counter digit, box and scrolling band all change: a real share of the
   * picture, not a pixel or two. */
  size_t d = differing(&a, &b);
  cr_assert(d > a.size / 20 && d < a.size / 2, "%zu of %zu differ", d, a.size);
  pl_video_buffer_free(&a);
  pl_video_buffer_free(&b);
}

Test(pattern, colour_bars_are_bt601_75_percent) {
  pl_video_buffer a;
  cr_assert_eq(pl_video_buffer_alloc(&a, 700, 400), 0);
  pl_pattern_draw(&a.f, 0);
  /* Middle of each bar, at 80% of the bar band (clear of the counter and,
   * at index 0, of the box in the top-left corner). */
  static const uint8_t yuv[7][3] = {{180, 128, 128}, {162, 44, 142},
                                    {131, 156, 44},  {112, 72, 58},
                                    {84, 184, 198},  {65, 100, 212},
                                    {35, 212, 114}};
  int y = 400 * 3 / 5 * 8 / 10;
  for (int b = 0; b < 7; b++) {
    int x = b * 100 + 50;
    cr_assert_eq(a.f.y[y * a.f.stride_y + x], yuv[b][0], "bar %d Y", b);
    cr_assert_eq(a.f.u[y / 2 * a.f.stride_u + x / 2], yuv[b][1], "bar %d U", b);
    cr_assert_eq(a.f.v[y / 2 * a.f.stride_v + x / 2], yuv[b][2], "bar %d V", b);
  }
  pl_video_buffer_free(&a);
}

Test(pattern, counter_reads_back_at_many_sizes) {
  static const int sizes[][2] = {{160, 120}, {176, 144}, {321, 241}, {640, 360},
                                 {1280, 720}, {1920, 1080}, {45, 33}};
  static const int64_t idx[] = {0, 7, 12345, 999999, 1000001};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    pl_video_buffer a;
    cr_assert_eq(pl_video_buffer_alloc(&a, sizes[s][0], sizes[s][1]), 0);
    for (size_t i = 0; i < sizeof idx / sizeof *idx; i++) {
      pl_pattern_draw(&a.f, idx[i]);
      cr_assert_eq(pl_pattern_read_index(&a.f), idx[i] % 1000000, "%dx%d #%lld",
                   sizes[s][0], sizes[s][1], (long long)idx[i]);
    }
    pl_video_buffer_free(&a);
  }
}

Test(pattern, tiny_pictures_draw_but_do_not_read) {
  static const int sizes[][2] = {{16, 16}, {17, 13}, {2, 2}, {1, 1}};
  for (size_t s = 0; s < 4; s++) {
    pl_video_buffer a;
    cr_assert_eq(pl_video_buffer_alloc(&a, sizes[s][0], sizes[s][1]), 0);
    for (int64_t i = 0; i < 50; i++)
      pl_pattern_draw(&a.f, i);
    cr_assert_eq(pl_pattern_read_index(&a.f), -1);
    pl_video_buffer_free(&a);
  }
}

Test(pattern, damaged_counter_is_unreadable_not_misread) {
  pl_video_buffer a;
  cr_assert_eq(pl_video_buffer_alloc(&a, 640, 360), 0);
  pl_pattern_draw(&a.f, 123456);
  memset(a.f.y, 128, (size_t)a.f.stride_y * 40); /* grey over the counter */
  cr_assert_eq(pl_pattern_read_index(&a.f), -1);
  pl_video_buffer_free(&a);
}

Test(scale, down_and_up_keeps_the_picture) {
  pl_video_buffer a, half, back;
  cr_assert_eq(pl_video_buffer_alloc(&a, 640, 360), 0);
  cr_assert_eq(pl_video_buffer_alloc(&half, 320, 180), 0);
  cr_assert_eq(pl_video_buffer_alloc(&back, 640, 360), 0);
  pl_pattern_draw(&a.f, 3);
  cr_assert_eq(pl_video_scale(&a.f, &half.f, PL_SCALE_BOX), 0);
  cr_assert_eq(pl_video_scale(&half.f, &back.f, PL_SCALE_BILINEAR), 0);
  double p = pl_video_psnr(&a.f, &back.f);
  cr_assert(p > 24 && p < 60, "%.2f dB", p);
  cr_assert_eq(pl_video_scale(&a.f, &back.f, PL_SCALE_POINT), 0);
  cr_assert_eq(pl_video_psnr(&a.f, &back.f), 128.0, "same size is a copy");
  cr_assert_eq(pl_video_psnr_y(&a.f, &back.f), 128.0);
  cr_assert_lt(pl_video_psnr(&a.f, &half.f), 0, "sizes differ");
  cr_assert_eq(pl_video_scale(&a.f, &half.f, 9), PL_EINVAL);
  pl_video_buffer_free(&a);
  pl_video_buffer_free(&half);
  pl_video_buffer_free(&back);
}

Test(scale, argb_round_trip_and_known_colours) {
  pl_video_buffer a, b;
  cr_assert_eq(pl_video_buffer_alloc(&a, 350, 200), 0);
  cr_assert_eq(pl_video_buffer_alloc(&b, 350, 200), 0);
  pl_pattern_draw(&a.f, 0);
  uint8_t *argb = malloc(350 * 4 * 200);
  cr_assert_eq(pl_video_to_argb(&a.f, argb, 350 * 4), 0);
  /* 75% yellow bar (bar 1, x = 75) at y = 90: R = G = 191, B = 0 in
   * BT.601 (bytes B, G, R, A). */
  const uint8_t *px = argb + (90 * 350 + 75) * 4;
  cr_assert(abs(px[0] - 0) <= 3 && abs(px[1] - 191) <= 3 && abs(px[2] - 191) <= 3,
            "B %d G %d R %d", px[0], px[1], px[2]);
  cr_assert_eq(px[3], 255);
  cr_assert_eq(pl_video_from_argb(argb, 350 * 4, &b.f), 0);
  double p = pl_video_psnr(&a.f, &b.f);
  cr_assert_gt(p, 38, "%.2f dB", p);
  cr_assert_eq(pl_video_to_argb(&a.f, argb, 100), PL_EINVAL);
  free(argb);
  pl_video_buffer_free(&a);
  pl_video_buffer_free(&b);
}
