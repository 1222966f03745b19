/* The upscale stage (see stage.h). One job slot: the media thread fills it
 * (a copy of the picture, so the decoder may reuse its buffer), the worker
 * enlarges it, the media thread emits it. Hand-over is two semaphores
 * (sem_post does not block), so the media thread never takes a lock; the
 * only wait is for the bicubic remainder of a hurried job. */
#include "ai/upscale/stage.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parley.h"

#define BACKOFF_FRAMES 150
#define USER_MAX 64

struct pl_upscale_stage {
  const pl_upscale_model *model;
  pl_upscaler *up;
  bool threaded;
  _Atomic int mode;
  _Atomic uint32_t display; /* w << 16 | h */
  /* the job */
  pl_video_buffer in, out;
  uint8_t user[USER_MAX];
  bool use_model, pending;
  atomic_bool hurry, quit;
  pl_upscale_result res;
  uint64_t ns;
  int rc;
  sem_t go, done;
  pthread_t th;
  bool th_ok;
  /* auto's memory: one bit per recent network frame, 1 = fell back */
  uint16_t recent;
  int backoff;
  pl_upscale_stats st;
};

static uint64_t cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void run_job(pl_upscale_stage *s) {
  uint64_t t0 = cpu_ns();
  s->rc = pl_upscale_frame(s->up, &s->in.f, &s->out.f, s->use_model, &s->hurry, &s->res);
  s->ns = cpu_ns() - t0;
}

static void *worker(void *arg) {
  pl_upscale_stage *s = arg;
  for (;;) {
    while (sem_wait(&s->go) != 0) {
    }
    if (atomic_load(&s->quit))
      return NULL;
    run_job(s);
    sem_post(&s->done);
  }
}

int pl_upscale_stage_new(pl_upscale_stage **out, const pl_upscale_model *model, bool threaded) {
  pl_upscale_stage *s = calloc(1, sizeof *s);
  if (!s)
    return PL_ENOMEM;
  s->model = model;
  atomic_init(&s->mode, PL_UPSCALE_AUTO);
  atomic_init(&s->display, 0);
  atomic_init(&s->hurry, false);
  atomic_init(&s->quit, false);
  int rc = pl_upscaler_new(&s->up, model, 0, 0);
  if (rc) {
    free(s);
    return rc;
  }
  sem_init(&s->go, 0, 0);
  sem_init(&s->done, 0, 0);
  if (threaded) {
    if (pthread_create(&s->th, NULL, worker, s) != 0) {
      pl_upscale_stage_free(s);
      return PL_ENOMEM;
    }
    s->th_ok = true;
    s->threaded = true;
  }
  *out = s;
  return 0;
}

void pl_upscale_stage_free(pl_upscale_stage *s) {
  if (!s)
    return;
  if (s->th_ok) {
    atomic_store(&s->hurry, true);
    if (s->pending)
      while (sem_wait(&s->done) != 0) {
      }
    atomic_store(&s->quit, true);
    sem_post(&s->go);
    pthread_join(s->th, NULL);
  }
  sem_destroy(&s->go);
  sem_destroy(&s->done);
  pl_upscaler_free(s->up);
  pl_video_buffer_free(&s->in);
  pl_video_buffer_free(&s->out);
  free(s);
}

void pl_upscale_stage_set_mode(pl_upscale_stage *s, pl_upscale_mode mode) {
  atomic_store(&s->mode, (int)mode);
}

pl_upscale_mode pl_upscale_stage_mode(const pl_upscale_stage *s) {
  return (pl_upscale_mode)atomic_load(&((pl_upscale_stage *)s)->mode);
}

void pl_upscale_stage_set_display(pl_upscale_stage *s, int width, int height) {
  if (width < 0 || height < 0 || width > PL_VIDEO_MAX_DIM || height > PL_VIDEO_MAX_DIM)
    width = height = 0;
  atomic_store(&s->display, (uint32_t)width << 16 | (uint32_t)height);
}

/* The finished job out, with its accounting. */
static void finish(pl_upscale_stage *s, pl_upscale_emit emit, void *ctx) {
  s->pending = false;
  if (s->rc) {
    s->st.errors++;
    /* Still show the picture, at its own size. */
    emit(ctx, &s->in.f, s->user);
    return;
  }
  s->st.frames++;
  s->st.total_ns += s->ns;
  s->st.max_ns = s->ns > s->st.max_ns ? s->ns : s->st.max_ns;
  s->st.out_width = s->out.f.width;
  s->st.out_height = s->out.f.height;
  if (!s->use_model || s->res.tiles == 0) {
    s->st.bicubic_frames++;
  } else {
    bool fell = s->res.fallback_tiles > 0;
    if (fell)
      s->st.fallback_frames++;
    else
      s->st.model_frames++;
    s->recent = (uint16_t)(s->recent << 1 | fell);
    if (atomic_load(&s->mode) == PL_UPSCALE_AUTO && __builtin_popcount(s->recent) > 8) {
      s->backoff = BACKOFF_FRAMES;
      s->recent = 0;
    }
  }
  s->out.f.capture_us = s->in.f.capture_us;
  s->out.f.rtp_ts = s->in.f.rtp_ts;
  s->out.f.index = s->in.f.index;
  s->out.f.flags = s->in.f.flags;
  emit(ctx, &s->out.f, s->user);
}

void pl_upscale_stage_flush(pl_upscale_stage *s, pl_upscale_emit emit, void *ctx) {
  if (!s->pending)
    return;
  if (s->threaded) {
    atomic_store(&s->hurry, true);
    while (sem_wait(&s->done) != 0) {
    }
  }
  finish(s, emit, ctx);
}

void pl_upscale_stage_pump(pl_upscale_stage *s, pl_upscale_emit emit, void *ctx) {
  if (s->pending && s->threaded && sem_trywait(&s->done) == 0)
    finish(s, emit, ctx);
}

static int fit(pl_video_buffer *b, int w, int h) {
  if (b->mem && b->f.width == w && b->f.height == h)
    return 0;
  pl_video_buffer_free(b);
  return pl_video_buffer_alloc(b, w, h);
}

static void copy_plane(uint8_t *d, int ds, const uint8_t *sp, int ss, int w, int h) {
  for (int y = 0; y < h; y++)
    memcpy(d + (size_t)y * ds, sp + (size_t)y * ss, (size_t)w);
}

int pl_upscale_stage_push(pl_upscale_stage *s, const pl_video_frame *f, const void *user,
                          size_t user_len, pl_upscale_emit emit, void *ctx) {
  if (!f || f->width < 1 || f->height < 1 || user_len > USER_MAX)
    return PL_EINVAL;
  /* An earlier picture still at the worker goes first, in order. */
  pl_upscale_stage_flush(s, emit, ctx);
  int mode = atomic_load(&s->mode);
  uint32_t d = atomic_load(&s->display);
  int W = (int)(d >> 16), H = (int)(d & 0xffff);
  if (s->backoff > 0)
    s->backoff--;
  if (mode == PL_UPSCALE_OFF || W < f->width || H < f->height ||
      (W == f->width && H == f->height)) {
    s->st.passed++;
    emit(ctx, f, (void *)user);
    return 0;
  }
  int rc = fit(&s->in, f->width, f->height);
  if (!rc)
    rc = fit(&s->out, W, H);
  if (rc) {
    s->st.errors++;
    emit(ctx, f, (void *)user);
    return rc;
  }
  int cw = (f->width + 1) / 2, ch = (f->height + 1) / 2;
  copy_plane(s->in.f.y, s->in.f.stride_y, f->y, f->stride_y, f->width, f->height);
  copy_plane(s->in.f.u, s->in.f.stride_u, f->u, f->stride_u, cw, ch);
  copy_plane(s->in.f.v, s->in.f.stride_v, f->v, f->stride_v, cw, ch);
  s->in.f.capture_us = f->capture_us;
  s->in.f.rtp_ts = f->rtp_ts;
  s->in.f.index = f->index;
  s->in.f.flags = f->flags;
  memset(s->user, 0, sizeof s->user);
  if (user_len)
    memcpy(s->user, user, user_len);
  s->use_model = s->model && !(mode == PL_UPSCALE_AUTO && s->backoff > 0);
  atomic_store(&s->hurry, false);
  s->pending = true;
  if (s->threaded) {
    sem_post(&s->go);
    return 0;
  }
  run_job(s);
  finish(s, emit, ctx);
  return 0;
}

void pl_upscale_stage_get_stats(pl_upscale_stage *s, pl_upscale_stats *st) { *st = s->st; }
