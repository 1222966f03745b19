/* Video super-resolution: a small convolutional network that adds detail
 * to a bicubic enlargement of the luma plane (x2, or x1.5 in 2x2 -> 3x3
 * blocks), chroma by libyuv. The frame is cut into tiles so a tile's
 * activations stay in L2; a tile is the unit of fallback: once the caller
 * raises `hurry`, the remaining tiles get the bicubic base alone.
 * Weights: ai/models/upscale.plmd (docs/upscale.md), trained by
 * ai/train/upscale; the network is described there and in this file's .c. */
#ifndef PL_AI_UPSCALE_H
#define PL_AI_UPSCALE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ai/model/model.h"
#include "ai/nn/nn.h"
#include "video/frame.h"

#define PL_UPSCALE_MAX_DEPTH 4

/* Scales, as twice the factor: 4 = x2, 3 = x1.5. */
enum { PL_UPSCALE_X15 = 3, PL_UPSCALE_X2 = 4 };

typedef struct pl_upscale_net {
  int s2; /* PL_UPSCALE_X2 or _X15 */
  int channels, depth;
  int margin; /* low-res pixels of context each side of a tile */
  pl_nn_conv2d conv_in, body[PL_UPSCALE_MAX_DEPTH], conv_out;
  const float *slope[PL_UPSCALE_MAX_DEPTH + 1]; /* PReLU after conv_in, body */
} pl_upscale_net;

typedef struct pl_upscale_model {
  pl_model *m;
  bool owned;
  pl_upscale_net net[2]; /* [0] x2, [1] x1.5 */
  bool has[2];
} pl_upscale_model;

/* Reads the nets "x2." and "x15." (either may be absent, not both) from a
 * loaded model; metadata x2.channels / x2.depth (likewise x15.) give the
 * shapes. PL_EFORMAT / PL_ENOENT when the tensors do not match. Does not
 * take ownership of m. */
int pl_upscale_model_init(pl_upscale_model *um, pl_model *m);
/* The compiled-in model (ai/models/upscale.plmd), loaded once per process;
 * NULL (and the reason logged) if it cannot be read. */
const pl_upscale_model *pl_upscale_model_default(void);

/* Output side for an input side: 2n, or floor(3n/2). */
int pl_upscale_out_size(int n, int s2);

typedef struct pl_upscaler pl_upscaler;

/* Per-stream state: tile scratch and the bicubic taps of the last size.
 * model may be NULL (bicubic only). tile_w/tile_h 0: defaults (160 x 48). */
int pl_upscaler_new(pl_upscaler **out, const pl_upscale_model *model, int tile_w,
                    int tile_h);
void pl_upscaler_free(pl_upscaler *u);

typedef struct pl_upscale_result {
  int tiles, fallback_tiles; /* fallback: bicubic only, after hurry */
} pl_upscale_result;

/* Luma: src (w x h) -> dst (out_size(w), out_size(h)). use_model false (or
 * no net for s2): bicubic only. hurry (may be NULL) is read before every
 * tile. Allocates only when the size changes. PL_EINVAL for bad sizes. */
int pl_upscale_plane(pl_upscaler *u, int s2, bool use_model, const uint8_t *src,
                     int sstride, int w, int h, uint8_t *dst, int dstride,
                     const atomic_bool *hurry, pl_upscale_result *res);

/* The bicubic base alone, any size to any size (Keys a = -0.5, centres
 * aligned, edges repeated): what the network's residual is added to. */
int pl_upscale_bicubic(pl_upscaler *u, const uint8_t *src, int sstride, int w, int h,
                       uint8_t *dst, int dstride, int ow, int oh);

/* A whole I420 picture to dst's size (planes there): luma by the network
 * at x2 or x1.5 (the nearer one not above the ratio, then bicubic to the
 * exact size if they differ), or bicubic when use_model is false or the
 * ratio is under 1.25; chroma by libyuv's bilinear filter. */
int pl_upscale_frame(pl_upscaler *u, const pl_video_frame *src, pl_video_frame *dst,
                     bool use_model, const atomic_bool *hurry, pl_upscale_result *res);

#endif
