/* Mixer of room feeds (see mix.h). */
#include "audio/mix/mix.h"

#include <math.h>
#include <string.h>

#include "parley.h"

int pl_mix_init(pl_mix *m, int channels) {
  if (!m || channels < 1 || channels > 2)
    return PL_EINVAL;
  memset(m, 0, sizeof *m);
  m->channels = channels;
  for (int i = 0; i < PL_MIX_MAX_INPUTS; i++) {
    atomic_init(&m->in[i].live, false);
    atomic_init(&m->in[i].gen, 0);
  }
  return 0;
}

/* Media thread: a slot given to a new input starts empty. */
static bool sync_input(pl_mix_input *in) {
  if (!atomic_load(&in->live))
    return false;
  unsigned g = atomic_load(&in->gen);
  if (g != in->seen) {
    in->head = in->n = in->fill = 0;
    in->blocks_dropped = 0;
    in->seen = g;
  }
  return true;
}

int pl_mix_add(pl_mix *m) {
  for (int i = 0; i < PL_MIX_MAX_INPUTS; i++) {
    pl_mix_input *in = &m->in[i];
    if (!atomic_load(&in->live)) {
      atomic_fetch_add(&in->gen, 1);
      atomic_store(&in->live, true);
      return i;
    }
  }
  return PL_EFULL;
}

void pl_mix_remove(pl_mix *m, int input) {
  if (input >= 0 && input < PL_MIX_MAX_INPUTS)
    atomic_store(&m->in[input].live, false);
}

float pl_mix_saturate(float x) {
  float a = fabsf(x);
  if (a <= PL_MIX_KNEE)
    return x;
  /* Above the knee the curve bends smoothly (slope 1 at the knee) towards
   * full scale, which it reaches only where tanhf rounds to 1 (x > ~2.5). */
  float y = PL_MIX_KNEE + (1.0f - PL_MIX_KNEE) * tanhf((a - PL_MIX_KNEE) / (1.0f - PL_MIX_KNEE));
  return x < 0 ? -y : y;
}

int pl_mix_write(pl_mix *m, int input, const float *pcm, int samples) {
  if (input < 0 || input >= PL_MIX_MAX_INPUTS || samples < 0 || (!pcm && samples))
    return PL_EINVAL;
  pl_mix_input *in = &m->in[input];
  if (!sync_input(in))
    return PL_ESTATE;
  int ch = m->channels;
  while (samples > 0) {
    if (in->n == PL_MIX_QUEUE) {
      /* Nobody reads (or this input runs far ahead): drop the oldest. */
      in->head = (in->head + 1) % PL_MIX_QUEUE;
      in->n--;
      in->blocks_dropped++;
    }
    float *blk = in->buf[(in->head + in->n) % PL_MIX_QUEUE];
    int k = PL_MIX_BLOCK - in->fill;
    if (k > samples)
      k = samples;
    memcpy(blk + in->fill * ch, pcm, sizeof(float) * (size_t)(k * ch));
    in->fill += k;
    pcm += k * ch;
    samples -= k;
    if (in->fill == PL_MIX_BLOCK) {
      in->fill = 0;
      in->n++;
    }
  }
  return 0;
}

int pl_mix_read(pl_mix *m, float *out) {
  int live = 0, ready = 0, most = 0;
  for (int i = 0; i < PL_MIX_MAX_INPUTS; i++) {
    pl_mix_input *in = &m->in[i];
    if (!sync_input(in))
      continue;
    live++;
    if (in->n > 0)
      ready++;
    if (in->n > most)
      most = in->n;
  }
  if (!live || !ready || (ready < live && most < PL_MIX_MAX_LAG))
    return 0;
  int n = PL_MIX_BLOCK * m->channels;
  memset(out, 0, sizeof(float) * (size_t)n);
  for (int i = 0; i < PL_MIX_MAX_INPUTS; i++) {
    pl_mix_input *in = &m->in[i];
    if (!atomic_load(&in->live) || !in->n)
      continue;
    const float *blk = in->buf[in->head];
    for (int s = 0; s < n; s++)
      out[s] += blk[s];
    in->head = (in->head + 1) % PL_MIX_QUEUE;
    in->n--;
  }
  for (int s = 0; s < n; s++) {
    float y = pl_mix_saturate(out[s]);
    if (y != out[s])
      m->samples_saturated++;
    out[s] = y;
  }
  m->blocks_out++;
  return 1;
}
