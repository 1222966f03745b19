#include "video/frame.h"

#include <stdlib.h>
#include <string.h>

#include "parley.h"

int pl_video_buffer_alloc(pl_video_buffer *b, int width, int height) {
  memset(b, 0, sizeof *b);
  if (width <= 0 || height <= 0 || width > PL_VIDEO_MAX_DIM ||
      height > PL_VIDEO_MAX_DIM)
    return PL_ERANGE;
  size_t cw = (size_t)(width + 1) / 2, ch = (size_t)(height + 1) / 2;
  size_t ysz = (size_t)width * (size_t)height, csz = cw * ch;
  b->mem = malloc(ysz + 2 * csz);
  if (!b->mem)
    return PL_ENOMEM;
  b->size = ysz + 2 * csz;
  b->f.y = b->mem;
  b->f.u = b->mem + ysz;
  b->f.v = b->mem + ysz + csz;
  b->f.stride_y = width;
  b->f.stride_u = b->f.stride_v = (int)cw;
  b->f.width = width;
  b->f.height = height;
  b->f.index = -1;
  return 0;
}

void pl_video_buffer_free(pl_video_buffer *b) {
  free(b->mem);
  memset(b, 0, sizeof *b);
}
