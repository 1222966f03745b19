/* Scaling, colour conversion and comparison of I420 pictures, over libyuv:
 * the resolution ladder on the send side, ARGB for capture and display,
 * and PSNR for tests and quality reports. */
#ifndef PL_VIDEO_SCALE_H
#define PL_VIDEO_SCALE_H

#include <stdint.h>

#include "video/frame.h"

typedef enum {
  PL_SCALE_POINT = 0,    /* nearest neighbour */
  PL_SCALE_LINEAR = 1,   /* horizontal only */
  PL_SCALE_BILINEAR = 2,
  PL_SCALE_BOX = 3       /* best for large downscales */
} pl_scale_filter;

/* Scales src into dst at dst->width x dst->height (planes already there).
 * Copies when the sizes match. PL_EINVAL for empty or absurd sizes. */
int pl_video_scale(const pl_video_frame *src, pl_video_frame *dst,
                   pl_scale_filter filter);

/* "ARGB" is libyuv's: B, G, R, A bytes in memory (a little-endian 0xAARRGGBB
 * word), BT.601 limited range. dst/src give the size. */
int pl_video_from_argb(const uint8_t *argb, int stride, pl_video_frame *dst);
int pl_video_to_argb(const pl_video_frame *src, uint8_t *argb, int stride);

/* PSNR over all three planes (libyuv's I420Psnr: one MSE over Y+U+V
 * samples), capped at 128 dB for identical pictures. Sizes must match:
 * returns a negative PL_E* code otherwise. */
double pl_video_psnr(const pl_video_frame *a, const pl_video_frame *b);
/* Luma-only PSNR, the figure most papers quote. */
double pl_video_psnr_y(const pl_video_frame *a, const pl_video_frame *b);

#endif
