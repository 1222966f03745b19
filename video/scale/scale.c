#include "video/scale/scale.h"

#include <libyuv.h>

#include "parley.h"

static bool size_ok(const pl_video_frame *f) {
  return f && f->y && f->u && f->v && f->width > 0 && f->height > 0 &&
         f->width <= PL_VIDEO_MAX_DIM && f->height <= PL_VIDEO_MAX_DIM;
}

int pl_video_scale(const pl_video_frame *src, pl_video_frame *dst,
                   pl_scale_filter filter) {
  if (!size_ok(src) || !size_ok(dst) || (unsigned)filter > PL_SCALE_BOX)
    return PL_EINVAL;
  int rc = I420Scale(src->y, src->stride_y, src->u, src->stride_u, src->v,
                     src->stride_v, src->width, src->height, dst->y,
                     dst->stride_y, dst->u, dst->stride_u, dst->v,
                     dst->stride_v, dst->width, dst->height,
                     (enum FilterMode)filter);
  return rc == 0 ? 0 : PL_EINVAL;
}

int pl_video_from_argb(const uint8_t *argb, int stride, pl_video_frame *dst) {
  if (!argb || !size_ok(dst) || stride < 4 * dst->width)
    return PL_EINVAL;
  return ARGBToI420(argb, stride, dst->y, dst->stride_y, dst->u, dst->stride_u,
                    dst->v, dst->stride_v, dst->width, dst->height) == 0
             ? 0
             : PL_EINVAL;
}

int pl_video_to_argb(const pl_video_frame *src, uint8_t *argb, int stride) {
  if (!argb || !size_ok(src) || stride < 4 * src->width)
    return PL_EINVAL;
  return I420ToARGB(src->y, src->stride_y, src->u, src->stride_u, src->v,
                    src->stride_v, argb, stride, src->width, src->height) == 0
             ? 0
             : PL_EINVAL;
}

double pl_video_psnr(const pl_video_frame *a, const pl_video_frame *b) {
  if (!size_ok(a) || !size_ok(b) || a->width != b->width ||
      a->height != b->height)
    return PL_EINVAL;
  return I420Psnr(a->y, a->stride_y, a->u, a->stride_u, a->v, a->stride_v,
                  b->y, b->stride_y, b->u, b->stride_u, b->v, b->stride_v,
                  a->width, a->height);
}

double pl_video_psnr_y(const pl_video_frame *a, const pl_video_frame *b) {
  if (!size_ok(a) || !size_ok(b) || a->width != b->width ||
      a->height != b->height)
    return PL_EINVAL;
  return CalcFramePsnr(a->y, a->stride_y, b->y, b->stride_y, a->width,
                       a->height);
}
