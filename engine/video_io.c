/* The video sources and sinks of the public API: the moving test pattern,
 * .y4m files in and out. They run on the media thread; each buffer is
 * allocated when the io is made (or, for a sink, at its first picture). */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "parley.h"
#include "video/frame.h"
#include "video/pattern/pattern.h"
#include "video/y4m/y4m.h"

typedef struct vsrc {
  pl_video_buffer buf;
  pl_y4m_reader *y4m;
  char *path;
  bool loop;
  int64_t index;
} vsrc;

static void to_picture(const pl_video_frame *f, pl_video_picture *pic) {
  pic->y = f->y;
  pic->u = f->u;
  pic->v = f->v;
  pic->stride_y = f->stride_y;
  pic->stride_u = f->stride_u;
  pic->stride_v = f->stride_v;
  pic->width = f->width;
  pic->height = f->height;
}

static int pattern_read(void *user, pl_video_picture *pic) {
  vsrc *s = user;
  pl_pattern_draw(&s->buf.f, s->index++);
  to_picture(&s->buf.f, pic);
  return 1;
}

static void src_close(void *user) {
  vsrc *s = user;
  if (s->y4m)
    pl_y4m_reader_close(s->y4m);
  pl_video_buffer_free(&s->buf);
  free(s->path);
  free(s);
}

int pl_video_io_pattern_source(pl_video_io *io, int width, int height) {
  if (!io || width < 16 || height < 16 || width > PL_VIDEO_CALL_MAX_WIDTH ||
      height > PL_VIDEO_CALL_MAX_HEIGHT)
    return PL_EINVAL;
  vsrc *s = calloc(1, sizeof *s);
  if (!s)
    return PL_ENOMEM;
  int rc = pl_video_buffer_alloc(&s->buf, width, height);
  if (rc) {
    free(s);
    return rc;
  }
  *io = (pl_video_io){.read = pattern_read, .close = src_close, .user = s};
  return 0;
}

static int y4m_read(void *user, pl_video_picture *pic) {
  vsrc *s = user;
  int rc = pl_y4m_reader_read(s->y4m, &s->buf.f, NULL);
  if (rc == 0 && s->loop) {
    pl_y4m_info info;
    pl_y4m_reader_close(s->y4m);
    s->y4m = NULL;
    rc = pl_y4m_reader_open(&s->y4m, s->path, &info);
    if (rc == 0)
      rc = pl_y4m_reader_read(s->y4m, &s->buf.f, NULL);
  }
  if (rc < 0 && s->y4m)
    PL_WARN("video", "%s: %s: %s", s->path, pl_strerror(rc),
            pl_y4m_reader_info(s->y4m)->error);
  if (rc != 1)
    return rc;
  to_picture(&s->buf.f, pic);
  return 1;
}

int pl_video_io_y4m_source(pl_video_io *io, const char *path, bool loop) {
  if (!io || !path)
    return PL_EINVAL;
  vsrc *s = calloc(1, sizeof *s);
  if (!s)
    return PL_ENOMEM;
  pl_y4m_info info;
  int rc = pl_y4m_reader_open(&s->y4m, path, &info);
  if (rc)
    PL_WARN("video", "%s: %s: %s", path, pl_strerror(rc), info.error);
  /* The encoder, the receiver's frame buffers and decoder all scale with
   * the picture: bound them where the picture comes from. */
  if (!rc && (info.width > PL_VIDEO_CALL_MAX_WIDTH || info.height > PL_VIDEO_CALL_MAX_HEIGHT)) {
    PL_WARN("video", "%s: %dx%d is larger than the %dx%d a call sends", path, info.width,
            info.height, PL_VIDEO_CALL_MAX_WIDTH, PL_VIDEO_CALL_MAX_HEIGHT);
    rc = PL_ERANGE;
  }
  if (!rc)
    rc = pl_video_buffer_alloc(&s->buf, info.width, info.height);
  s->path = strdup(path);
  s->loop = loop;
  if (!rc && !s->path)
    rc = PL_ENOMEM;
  if (rc) {
    src_close(s);
    return rc;
  }
  *io = (pl_video_io){.read = y4m_read, .close = src_close, .user = s};
  return 0;
}

typedef struct vsink {
  pl_y4m_writer *w;
  char *path;
  int fps;
  int width, height;
  bool failed;
} vsink;

static int y4m_write(void *user, const pl_video_picture *pic) {
  vsink *k = user;
  if (k->failed)
    return PL_EIO;
  if (!k->w) {
    int rc = pl_y4m_writer_open(&k->w, k->path, pic->width, pic->height, k->fps, 1);
    if (rc) {
      k->failed = true;
      return rc;
    }
    k->width = pic->width;
    k->height = pic->height;
  }
  if (pic->width != k->width || pic->height != k->height)
    return PL_ENOTSUP; /* y4m has one size per file */
  pl_video_frame f = {.y = (uint8_t *)pic->y, .u = (uint8_t *)pic->u, .v = (uint8_t *)pic->v,
                      .stride_y = pic->stride_y, .stride_u = pic->stride_u,
                      .stride_v = pic->stride_v, .width = pic->width, .height = pic->height};
  pl_y4m_frame_meta meta = {.has_capture = pic->capture_us != 0, .has_recv = true,
                            .capture_us = pic->capture_us, .recv_us = pic->render_us};
  return pl_y4m_writer_write(k->w, &f, &meta);
}

static void sink_close(void *user) {
  vsink *k = user;
  if (k->w)
    pl_y4m_writer_close(k->w);
  free(k->path);
  free(k);
}

int pl_video_io_y4m_sink(pl_video_io *io, const char *path, int fps) {
  if (!io || !path)
    return PL_EINVAL;
  vsink *k = calloc(1, sizeof *k);
  if (!k)
    return PL_ENOMEM;
  k->path = strdup(path);
  k->fps = fps > 0 ? fps : 30;
  if (!k->path) {
    free(k);
    return PL_ENOMEM;
  }
  *io = (pl_video_io){.write = y4m_write, .close = sink_close, .user = k};
  return 0;
}
