/* pl_stage_ops over pl_extend. The mode is an atomic so the app may switch
 * it from its own thread; the stream reads it at each frame. */
#include "ai/extend/stage.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "parley.h"

typedef struct ext_stage {
  pl_extend *x;
  _Atomic int mode;
  int applied;
} ext_stage;

static int ext_process(void *self, void *frame, pl_time_us now) {
  (void)now;
  ext_stage *s = self;
  pl_audio_frame *f = frame;
  int m = atomic_load_explicit(&s->mode, memory_order_relaxed);
  if (m != s->applied) {
    pl_extend_set_mode(s->x, (pl_extend_mode)m);
    s->applied = m;
  }
  return pl_extend_process(s->x, f->pcm, f->samples, f->channels);
}

static void ext_reset(void *self) {
  ext_stage *s = self;
  pl_extend_reset(s->x);
}

static void ext_free(void *self) {
  ext_stage *s = self;
  if (!s)
    return;
  pl_extend_free(s->x);
  free(s);
}

static const pl_stage_ops ext_ops = {
    .name = "extend",
    .kind = PL_MEDIA_AUDIO,
    .process = ext_process,
    .reset = ext_reset,
    .free = ext_free,
};

int pl_extend_stage_new(const pl_stage_ops **ops, void **self, const pl_model *model) {
  *ops = NULL;
  *self = NULL;
  ext_stage *s = calloc(1, sizeof *s);
  if (!s)
    return PL_ENOMEM;
  int rc = pl_extend_new(&s->x, model);
  if (rc) {
    free(s);
    return rc;
  }
  atomic_init(&s->mode, PL_EXTEND_AUTO);
  s->applied = PL_EXTEND_AUTO;
  *ops = &ext_ops;
  *self = s;
  return 0;
}

void pl_extend_stage_set_mode(void *self, pl_extend_mode mode) {
  ext_stage *s = self;
  atomic_store(&s->mode, (int)mode);
}

pl_extend_mode pl_extend_stage_mode(void *self) {
  ext_stage *s = self;
  return (pl_extend_mode)atomic_load(&s->mode);
}

void pl_extend_stage_hint(void *self, int band_hz) {
  ext_stage *s = self;
  pl_extend_set_hint(s->x, band_hz);
}

void pl_extend_stage_stats(void *self, pl_extend_stats *st) {
  ext_stage *s = self;
  pl_extend_get_stats(s->x, st);
}
