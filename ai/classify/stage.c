/* pl_stage_ops over pl_classify: one stream on the mono mix, allocated up
 * front so process() never allocates. */
#include "ai/classify/stage.h"

#include <stdlib.h>

#include "parley.h"

typedef struct cl_stage {
  pl_classify *cl;
  float buf[PL_CLASSIFY_FRAME];
} cl_stage;

static int cl_process(void *self, void *frame, pl_time_us now) {
  (void)now;
  cl_stage *s = self;
  pl_audio_frame *f = frame;
  if (f->samples != PL_CLASSIFY_FRAME || f->channels < 1 || f->channels > PL_AUDIO_MAX_CHANNELS)
    return PL_EINVAL;
  const float *x = f->pcm;
  if (f->channels == 2) {
    for (int i = 0; i < PL_CLASSIFY_FRAME; i++)
      s->buf[i] = 0.5f * (f->pcm[2 * i] + f->pcm[2 * i + 1]);
    x = s->buf;
  }
  float p[PL_CLASS_N];
  pl_classify_process(s->cl, x, p);
  f->voice_prob = p[PL_CLASS_SPEECH];
  f->music_prob = p[PL_CLASS_MUSIC];
  return 0;
}

static void cl_reset(void *self) {
  cl_stage *s = self;
  pl_classify_reset(s->cl);
}

static void cl_free(void *self) {
  cl_stage *s = self;
  if (!s)
    return;
  pl_classify_free(s->cl);
  free(s);
}

static const pl_stage_ops cl_ops = {
    .name = "classify",
    .kind = PL_MEDIA_AUDIO,
    .process = cl_process,
    .reset = cl_reset,
    .free = cl_free,
};

int pl_classify_stage_new(const pl_stage_ops **ops, void **self, const pl_classify_model *model) {
  *ops = NULL;
  *self = NULL;
  cl_stage *s = calloc(1, sizeof *s);
  if (!s)
    return PL_ENOMEM;
  int rc = pl_classify_new(&s->cl, model);
  if (rc) {
    free(s);
    return rc;
  }
  *ops = &cl_ops;
  *self = s;
  return 0;
}
