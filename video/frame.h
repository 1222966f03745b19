/* The unit of video in the media graph: one I420 picture with its capture
 * time. Planes point into storage the owner allocated when the stream (or
 * a resolution change) started; the per-frame path only fills them. */
#ifndef PL_VIDEO_FRAME_H
#define PL_VIDEO_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "base/time.h"

#define PL_VIDEO_MAX_DIM 8192 /* refuse absurd dimensions from files/peers */

typedef struct pl_video_frame {
  uint8_t *y, *u, *v;
  int stride_y, stride_u, stride_v;
  int width, height;     /* luma; chroma is (w+1)/2 x (h+1)/2 */
  pl_time_us capture_us; /* sender's capture time, for end-to-end delay */
  uint32_t rtp_ts;       /* 90 kHz media time, 0 before packetizing */
  int64_t index;         /* frame number at the source, -1 when unknown */
  uint32_t flags;        /* PL_VF_* */
} pl_video_frame;

enum { PL_VF_KEY = 1 << 0, PL_VF_REPEATED = 1 << 1 };

/* An owned I420 buffer, for sources, sinks and tests. */
typedef struct pl_video_buffer {
  pl_video_frame f;
  uint8_t *mem;
  size_t size;
} pl_video_buffer;

/* Allocates w x h I420 storage (tightly packed). PL_ERANGE for absurd sizes. */
int pl_video_buffer_alloc(pl_video_buffer *b, int width, int height);
void pl_video_buffer_free(pl_video_buffer *b);

#endif
