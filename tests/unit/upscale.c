/* ai/upscale: tiling against a whole-frame reference (frame edges, odd
 * sizes, every tile size the same bytes), the bicubic fallback when hurried,
 * sizes, and the stage: pass-through, order, worker fallback counted, auto's
 * back-off. Uses the shipped model (ai/models/upscale.plmd). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ai/upscale/stage.h"
#include "ai/upscale/upscale.h"
#include "parley.h"

static uint8_t *picture(int w, int h, unsigned seed) {
  uint8_t *p = malloc((size_t)w * h);
  srand(seed);
  /* Smooth shapes plus noise: edges inside and at the border. */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      double v = 128 + 60 * sin(x * 0.31 + y * 0.07) + 40 * ((x / 5 + y / 3) % 2 ? 1 : -1);
      v += rand() % 21 - 10;
      p[(size_t)y * w + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
  return p;
}

/* The network as PyTorch runs it: whole frame, padded convs (the same
 * weights with padding set), PReLU, depth-to-space, + bicubic. */
static void reference(const pl_upscale_net *n, const uint8_t *src, int w, int h, uint8_t *dst,
                      int ow, int oh, const uint8_t *bic) {
  int ew = n->s2 == PL_UPSCALE_X15 ? (w + 1) & ~1 : w;
  int eh = n->s2 == PL_UPSCALE_X15 ? (h + 1) & ~1 : h;
  int C = n->channels;
  size_t plane = (size_t)ew * eh;
  float *a = calloc((size_t)(C > 9 ? C : 9) * plane + 64, sizeof(float));
  float *b = calloc((size_t)(C > 9 ? C : 9) * plane + 64, sizeof(float));
  pl_nn_conv2d l = n->conv_in;
  l.c.ph = l.c.pw = 2;
  size_t sc = pl_nn_conv2d_scratch_floats(&l, eh, ew);
  for (int d = 0; d < n->depth; d++) {
    pl_nn_conv2d t = n->body[d];
    t.c.ph = t.c.pw = 1;
    size_t k = pl_nn_conv2d_scratch_floats(&t, eh, ew);
    sc = k > sc ? k : sc;
  }
  pl_nn_conv2d t = n->conv_out;
  t.c.ph = t.c.pw = 1;
  size_t k = pl_nn_conv2d_scratch_floats(&t, eh, ew);
  sc = k > sc ? k : sc;
  float *scr = malloc(sc * sizeof(float));
  for (int y = 0; y < eh; y++)
    for (int x = 0; x < ew; x++)
      a[(size_t)y * ew + x] = src[(size_t)(y < h ? y : h - 1) * w + (x < w ? x : w - 1)] / 255.0f - 0.5f;
  cr_assert_eq(pl_nn_conv2d_forward(&l, a, eh, ew, b, scr), 0);
  for (int c = 0; c < C; c++)
    for (size_t i = 0; i < plane; i++) {
      float *v = &b[c * plane + i];
      *v = *v >= 0 ? *v : n->slope[0][c] * *v;
    }
  for (int d = 0; d < n->depth; d++) {
    l = n->body[d];
    l.c.ph = l.c.pw = 1;
    cr_assert_eq(pl_nn_conv2d_forward(&l, b, eh, ew, a, scr), 0);
    for (int c = 0; c < C; c++)
      for (size_t i = 0; i < plane; i++) {
        float *v = &a[c * plane + i];
        *v = *v >= 0 ? *v : n->slope[d + 1][c] * *v;
      }
    float *t = a;
    a = b;
    b = t;
  }
  l = n->conv_out;
  l.c.ph = l.c.pw = 1;
  int rh, rw;
  cr_assert_eq(pl_nn_conv2d_out_size(&l, eh, ew, &rh, &rw), 0);
  cr_assert_eq(pl_nn_conv2d_forward(&l, b, eh, ew, a, scr), 0);
  int r = n->s2 == PL_UPSCALE_X2 ? 2 : 3;
  float *hr = malloc(sizeof(float) * (size_t)rh * r * rw * r);
  pl_nn_pixel_shuffle(a, 1, rh, rw, r, hr);
  for (int y = 0; y < oh; y++)
    for (int x = 0; x < ow; x++) {
      float v = nearbyintf(bic[(size_t)y * ow + x] + 255.0f * hr[(size_t)y * rw * r + x]);
      dst[(size_t)y * ow + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
  free(a);
  free(b);
  free(scr);
  free(hr);
}

/* The bicubic base as a float image (before rounding), via the library at
 * 8 bits would round twice; recompute from the 8-bit base is not exact,
 * so the reference takes the unrounded base from a hurried run's formula:
 * here simply pl_upscale_plane with use_model = false gives rounded values,
 * and the comparison allows 1 level where rounding can differ. */
static int max_diff(const uint8_t *a, const uint8_t *b, size_t n, size_t *ndiff) {
  int m = 0;
  *ndiff = 0;
  for (size_t i = 0; i < n; i++) {
    int d = abs(a[i] - b[i]);
    m = d > m ? d : m;
    *ndiff += d != 0;
  }
  return m;
}

static const pl_upscale_model *model(void) {
  const pl_upscale_model *m = pl_upscale_model_default();
  cr_assert_not_null(m, "the shipped model must load");
  cr_assert(m->has[0] && m->has[1], "x2 and x1.5 nets");
  return m;
}

static void check_tiling(int s2, int w, int h) {
  const pl_upscale_model *m = model();
  int ow = pl_upscale_out_size(w, s2), oh = pl_upscale_out_size(h, s2);
  uint8_t *src = picture(w, h, (unsigned)(w * 31 + h));
  uint8_t *ref = malloc((size_t)ow * oh), *bic = malloc((size_t)ow * oh);
  uint8_t *out = malloc((size_t)ow * oh), *out2 = malloc((size_t)ow * oh);
  pl_upscaler *u, *u2;
  cr_assert_eq(pl_upscaler_new(&u, m, 16, 8), 0);
  cr_assert_eq(pl_upscaler_new(&u2, m, 256, 256), 0); /* one tile: the whole frame */
  pl_upscale_result res;
  cr_assert_eq(pl_upscale_plane(u, s2, false, src, w, w, h, bic, ow, NULL, &res), 0);
  cr_assert_eq(pl_upscale_plane(u, s2, true, src, w, w, h, out, ow, NULL, &res), 0);
  cr_assert_eq(res.fallback_tiles, 0);
  cr_assert_eq(res.tiles, ((w + 15) / 16) * ((h + 7) / 8) + 0 * s2,
               "tiles %d for %dx%d", res.tiles, w, h);
  cr_assert_eq(pl_upscale_plane(u2, s2, true, src, w, w, h, out2, ow, NULL, &res), 0);
  cr_assert_eq(res.tiles, 1);
  cr_assert_eq(memcmp(out, out2, (size_t)ow * oh), 0,
               "%dx%d x%s: 16x8 tiles and one tile differ", w, h, s2 == 4 ? "2" : "1.5");
  reference(&m->net[s2 == PL_UPSCALE_X2 ? 0 : 1], src, w, h, ref, ow, oh, bic);
  size_t nd;
  int md = max_diff(out, ref, (size_t)ow * oh, &nd);
  /* The base is rounded to 8 bits in the reference: 1 level apart at most. */
  cr_assert_leq(md, 1, "%dx%d: %d levels from the whole-frame reference", w, h, md);
  size_t nb;
  max_diff(out, bic, (size_t)ow * oh, &nb);
  cr_assert_gt(nb, (size_t)ow * oh / 4, "the network changed only %zu of %d pixels", nb,
               ow * oh);
  pl_upscaler_free(u);
  pl_upscaler_free(u2);
  free(src);
  free(ref);
  free(bic);
  free(out);
  free(out2);
}

Test(upscale, x2_tiles_match_whole_frame_even) { check_tiling(PL_UPSCALE_X2, 64, 40); }
Test(upscale, x2_tiles_match_whole_frame_odd) { check_tiling(PL_UPSCALE_X2, 37, 23); }
Test(upscale, x15_tiles_match_whole_frame_even) { check_tiling(PL_UPSCALE_X15, 64, 40); }
Test(upscale, x15_tiles_match_whole_frame_odd) { check_tiling(PL_UPSCALE_X15, 37, 23); }
Test(upscale, tiny_frames_smaller_than_the_margin) {
  check_tiling(PL_UPSCALE_X2, 3, 2);
  check_tiling(PL_UPSCALE_X15, 3, 3);
}

Test(upscale, sizes) {
  cr_assert_eq(pl_upscale_out_size(640, PL_UPSCALE_X2), 1280);
  cr_assert_eq(pl_upscale_out_size(640, PL_UPSCALE_X15), 960);
  cr_assert_eq(pl_upscale_out_size(37, PL_UPSCALE_X15), 55);
  pl_upscaler *u;
  cr_assert_eq(pl_upscaler_new(&u, NULL, 0, 0), 0);
  uint8_t px[4] = {0}, out[64];
  cr_assert_eq(pl_upscale_plane(u, 5, false, px, 2, 2, 2, out, 8, NULL, NULL), PL_EINVAL);
  cr_assert_eq(pl_upscale_plane(u, 4, false, px, 2, 0, 2, out, 8, NULL, NULL), PL_EINVAL);
  cr_assert_eq(pl_upscale_plane(u, 4, false, px, 1, 2, 2, out, 8, NULL, NULL), PL_EINVAL);
  cr_assert_eq(pl_upscale_plane(u, 4, false, px, 2, 2, 2, out, 3, NULL, NULL), PL_EINVAL);
  cr_assert_eq(pl_upscale_plane(u, 4, false, px, 2, 9000, 2, out, 8, NULL, NULL), PL_EINVAL);
  pl_upscaler_free(u);
}

Test(upscale, bicubic_keeps_flat_and_interpolates_a_ramp) {
  pl_upscaler *u;
  cr_assert_eq(pl_upscaler_new(&u, NULL, 0, 0), 0);
  uint8_t src[8 * 4], dst[16 * 8];
  memset(src, 77, sizeof src);
  cr_assert_eq(pl_upscale_bicubic(u, src, 8, 8, 4, dst, 16, 16, 8), 0);
  for (int i = 0; i < 16 * 8; i++)
    cr_assert_eq(dst[i], 77);
  for (int y = 0; y < 4; y++)
    for (int x = 0; x < 8; x++)
      src[y * 8 + x] = (uint8_t)(x * 20);
  cr_assert_eq(pl_upscale_bicubic(u, src, 8, 8, 4, dst, 16, 16, 8), 0);
  /* Interior of a linear ramp: cubic convolution reproduces it (x 2:
   * samples at source positions 1.75, 2.25 -> 35, 45). */
  cr_assert_eq(dst[16 + 4], 35);
  cr_assert_eq(dst[16 + 5], 45);
  pl_upscaler_free(u);
}

Test(upscale, hurry_gives_bicubic_for_every_remaining_tile) {
  const pl_upscale_model *m = model();
  int w = 80, h = 48;
  uint8_t *src = picture(w, h, 5), *bic = malloc(160 * 96), *out = malloc(160 * 96);
  pl_upscaler *u;
  cr_assert_eq(pl_upscaler_new(&u, m, 32, 16), 0);
  atomic_bool hurry;
  atomic_init(&hurry, true);
  pl_upscale_result res;
  cr_assert_eq(pl_upscale_plane(u, PL_UPSCALE_X2, false, src, w, w, h, bic, 160, NULL, &res), 0);
  cr_assert_eq(pl_upscale_plane(u, PL_UPSCALE_X2, true, src, w, w, h, out, 160, &hurry, &res), 0);
  cr_assert_eq(res.tiles, 3 * 3);
  cr_assert_eq(res.fallback_tiles, 9);
  cr_assert_eq(memcmp(out, bic, 160 * 96), 0, "a hurried frame is the bicubic base exactly");
  pl_upscaler_free(u);
  free(src);
  free(bic);
  free(out);
}

/* ---- the stage ---- */

typedef struct sink {
  int n, w[64], h[64];
  int tag[64];
} sink;

static void on_emit(void *ctx, const pl_video_frame *f, void *user) {
  sink *s = ctx;
  if (s->n < 64) {
    s->w[s->n] = f->width;
    s->h[s->n] = f->height;
    s->tag[s->n] = *(int *)user;
  }
  s->n++;
}

static void frame_of(pl_video_buffer *b, int w, int h) {
  cr_assert_eq(pl_video_buffer_alloc(b, w, h), 0);
  uint8_t *p = picture(w, h, 9);
  memcpy(b->f.y, p, (size_t)w * h);
  memset(b->f.u, 128, (size_t)((w + 1) / 2) * ((h + 1) / 2));
  memset(b->f.v, 128, (size_t)((w + 1) / 2) * ((h + 1) / 2));
  free(p);
}

Test(upscale_stage, passes_pictures_when_off_or_display_unknown) {
  pl_upscale_stage *s;
  cr_assert_eq(pl_upscale_stage_new(&s, model(), false), 0);
  pl_video_buffer b;
  frame_of(&b, 64, 36);
  sink k = {0};
  int tag = 1;
  pl_upscale_stage_push(s, &b.f, &tag, sizeof tag, on_emit, &k); /* no display yet */
  pl_upscale_stage_set_display(s, 128, 72);
  pl_upscale_stage_set_mode(s, PL_UPSCALE_OFF);
  tag = 2;
  pl_upscale_stage_push(s, &b.f, &tag, sizeof tag, on_emit, &k);
  pl_upscale_stage_set_mode(s, PL_UPSCALE_AUTO);
  tag = 3;
  pl_upscale_stage_push(s, &b.f, &tag, sizeof tag, on_emit, &k);
  pl_upscale_stage_set_display(s, 64, 36); /* display not bigger */
  tag = 4;
  pl_upscale_stage_push(s, &b.f, &tag, sizeof tag, on_emit, &k);
  cr_assert_eq(k.n, 4);
  cr_assert_eq(k.w[0], 64);
  cr_assert_eq(k.w[1], 64);
  cr_assert_eq(k.w[2], 128);
  cr_assert_eq(k.h[2], 72);
  cr_assert_eq(k.w[3], 64);
  pl_upscale_stats st;
  pl_upscale_stage_get_stats(s, &st);
  cr_assert_eq(st.passed, 3);
  cr_assert_eq(st.frames, 1);
  cr_assert_eq(st.model_frames, 1);
  cr_assert_eq(st.fallback_frames, 0);
  pl_upscale_stage_free(s);
  pl_video_buffer_free(&b);
}

Test(upscale_stage, worker_behind_falls_back_to_bicubic_counted_and_in_order) {
  pl_upscale_stage *s;
  cr_assert_eq(pl_upscale_stage_new(&s, model(), true), 0);
  pl_upscale_stage_set_mode(s, PL_UPSCALE_ON);
  /* 1280x720 -> 2560x1440: tens of ms a picture, so pushing the next at
   * once always finds the worker busy. */
  pl_video_buffer b;
  frame_of(&b, 1280, 720);
  pl_upscale_stage_set_display(s, 2560, 1440);
  sink k = {0};
  for (int i = 0; i < 20; i++)
    pl_upscale_stage_push(s, &b.f, &i, sizeof i, on_emit, &k);
  pl_upscale_stage_flush(s, on_emit, &k);
  cr_assert_eq(k.n, 20);
  for (int i = 0; i < 20; i++) {
    cr_assert_eq(k.tag[i], i, "emitted in order");
    cr_assert_eq(k.w[i], 2560);
  }
  pl_upscale_stats st;
  pl_upscale_stage_get_stats(s, &st);
  cr_assert_eq(st.frames, 20);
  /* 19 are hurried; one may finish first if this thread is descheduled for
   * a whole picture's time on a loaded machine: leave room for a few. */
  cr_assert_geq(st.fallback_frames, 15, "hurried pictures are counted: %llu",
                (unsigned long long)st.fallback_frames);
  cr_assert_eq(st.bicubic_frames, 0, "on never backs off");
  pl_upscale_stage_free(s);

  /* auto: after more than 8 of 16 fell back, bicubic alone for a while. */
  cr_assert_eq(pl_upscale_stage_new(&s, model(), true), 0);
  pl_upscale_stage_set_display(s, 2560, 1440);
  k.n = 0;
  for (int i = 0; i < 30; i++)
    pl_upscale_stage_push(s, &b.f, &i, sizeof i, on_emit, &k);
  pl_upscale_stage_flush(s, on_emit, &k);
  pl_upscale_stage_get_stats(s, &st);
  cr_assert_eq(st.frames, 30);
  cr_assert_geq(st.fallback_frames, 9);
  cr_assert_geq(st.bicubic_frames, 5, "auto backed off: %llu bicubic",
                (unsigned long long)st.bicubic_frames);
  pl_upscale_stage_free(s);
  pl_video_buffer_free(&b);
}

Test(upscale_stage, worker_keeping_up_uses_the_network_every_frame) {
  pl_upscale_stage *s;
  cr_assert_eq(pl_upscale_stage_new(&s, model(), true), 0);
  pl_video_buffer b;
  frame_of(&b, 64, 36);
  pl_upscale_stage_set_display(s, 128, 72);
  sink k = {0};
  for (int i = 0; i < 5; i++) {
    pl_upscale_stage_push(s, &b.f, &i, sizeof i, on_emit, &k);
    for (int t = 0; t < 2000 && k.n <= i; t++) { /* the media thread's ticks */
      usleep(1000);
      pl_upscale_stage_pump(s, on_emit, &k);
    }
  }
  cr_assert_eq(k.n, 5);
  pl_upscale_stats st;
  pl_upscale_stage_get_stats(s, &st);
  cr_assert_eq(st.model_frames, 5);
  cr_assert_eq(st.fallback_frames, 0);
  pl_upscale_stage_free(s);
  pl_video_buffer_free(&b);
}

/* ---- model files that do not fit ---- */

static int init_from(pl_model_writer *w, pl_upscale_model *um, pl_model **m) {
  uint8_t *buf;
  size_t n;
  cr_assert_eq(pl_model_writer_finish(w, &buf, &n), 0);
  pl_model_writer_free(w);
  char why[128];
  cr_assert_eq(pl_model_load_bytes(m, buf, n, why, sizeof why), 0, "%s", why);
  free(buf);
  return pl_upscale_model_init(um, *m);
}

Test(upscale, model_files_that_do_not_fit_are_refused) {
  static float z[16 * 16 * 9];
  pl_upscale_model um;
  pl_model *m;
  /* No nets at all. */
  pl_model_writer *w = pl_model_writer_new("upscale", "upscale");
  cr_assert_eq(init_from(w, &um, &m), PL_ENOENT);
  pl_model_free(m);
  /* Shapes announced, tensors missing. */
  w = pl_model_writer_new("upscale", "upscale");
  pl_model_writer_meta(w, "x2.channels", "16");
  pl_model_writer_meta(w, "x2.depth", "1");
  cr_assert_neq(init_from(w, &um, &m), 0);
  pl_model_free(m);
  /* Absurd shape in the metadata. */
  w = pl_model_writer_new("upscale", "upscale");
  pl_model_writer_meta(w, "x2.channels", "100000");
  pl_model_writer_meta(w, "x2.depth", "1");
  cr_assert_eq(init_from(w, &um, &m), PL_EFORMAT);
  pl_model_free(m);
  /* One shared PReLU slope where the code reads one per channel. */
  w = pl_model_writer_new("upscale", "upscale");
  pl_model_writer_meta(w, "x2.channels", "4");
  pl_model_writer_meta(w, "x2.depth", "0");
  int one[1] = {1}, win[4] = {4, 1, 5, 5}, b4[1] = {4}, wout[4] = {4, 4, 3, 3};
  pl_model_writer_add_f32(w, "x2.act_in.weight", 1, one, z);
  pl_model_writer_add_f32(w, "x2.conv_in.weight", 4, win, z);
  pl_model_writer_add_f32(w, "x2.conv_in.bias", 1, b4, z);
  pl_model_writer_add_f32(w, "x2.conv_out.weight", 4, wout, z);
  pl_model_writer_add_f32(w, "x2.conv_out.bias", 1, b4, z);
  cr_assert_eq(init_from(w, &um, &m), PL_EFORMAT);
  pl_model_free(m);
}
