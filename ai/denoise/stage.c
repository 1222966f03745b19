/* pl_stage_ops over pl_denoise: one stream per channel, allocated up front
 * so process() never allocates. */
#include "ai/denoise/stage.h"

#include <stdlib.h>

#include "parley.h"

typedef struct dn_stage {
  pl_denoise *ch[PL_AUDIO_MAX_CHANNELS];
  float buf[PL_DENOISE_FRAME];
} dn_stage;

static int dn_process(void *self, void *frame, pl_time_us now) {
  (void)now;
  dn_stage *s = self;
  pl_audio_frame *f = frame;
  if (f->samples != PL_DENOISE_FRAME || f->channels < 1 ||
      f->channels > PL_AUDIO_MAX_CHANNELS)
    return PL_EINVAL;
  if (f->channels == 1) {
    f->voice_prob = pl_denoise_process(s->ch[0], f->pcm, f->pcm);
    return 0;
  }
  float vad = 0.0f;
  for (int c = 0; c < f->channels; c++) {
    for (int i = 0; i < PL_DENOISE_FRAME; i++)
      s->buf[i] = f->pcm[i * f->channels + c];
    float v = pl_denoise_process(s->ch[c], s->buf, s->buf);
    for (int i = 0; i < PL_DENOISE_FRAME; i++)
      f->pcm[i * f->channels + c] = s->buf[i];
    /* Voice on either side is voice: DTX must not cut a one-sided talker. */
    if (v > vad)
      vad = v;
  }
  f->voice_prob = vad;
  return 0;
}

static void dn_reset(void *self) {
  dn_stage *s = self;
  for (int c = 0; c < PL_AUDIO_MAX_CHANNELS; c++)
    pl_denoise_reset(s->ch[c]);
}

static void dn_free(void *self) {
  dn_stage *s = self;
  if (!s)
    return;
  for (int c = 0; c < PL_AUDIO_MAX_CHANNELS; c++)
    pl_denoise_free(s->ch[c]);
  free(s);
}

static const pl_stage_ops dn_ops = {
    .name = "denoise",
    .kind = PL_MEDIA_AUDIO,
    .process = dn_process,
    .reset = dn_reset,
    .free = dn_free,
};

int pl_denoise_stage_new(const pl_stage_ops **ops, void **self,
                         const pl_denoise_model *model) {
  *ops = NULL;
  *self = NULL;
  dn_stage *s = calloc(1, sizeof *s);
  if (!s)
    return PL_ENOMEM;
  for (int c = 0; c < PL_AUDIO_MAX_CHANNELS; c++) {
    int rc = pl_denoise_new(&s->ch[c], model);
    if (rc) {
      dn_free(s);
      return rc;
    }
  }
  *ops = &dn_ops;
  *self = s;
  return 0;
}
