/* The speech/music classifier in a call (issue 21): two engines on the
 * simulated clock; with the classify stage on, a sender playing music has
 * Opus in music mode within 1 s of the music starting, and its stats say
 * so (musicProbability, opusSignalMusic); a sender with steady noise stays
 * in voice mode; with the stage off nothing changes. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/classify_music.h"
#include "base/log.h"
#include "base/rng.h"
#include "engine/sim.h"
#include "parley.h"

typedef struct src {
  float *x;
  size_t n, pos;
  long frames; /* 10 ms frames read so far: the source's own clock */
  pl_rng rng;
  bool noise;
} src;

static int src_read(void *user, float *pcm, int samples, int channels) {
  src *s = user;
  for (int i = 0; i < samples; i++) {
    float v = s->noise ? 0.03f * (float)pl_rng_normal(&s->rng) : s->x[s->pos++ % s->n];
    for (int c = 0; c < channels; c++)
      pcm[i * channels + c] = v;
  }
  s->frames++;
  return samples;
}

static int sink_write(void *user, const float *pcm, int samples, int channels) {
  (void)user, (void)pcm, (void)samples, (void)channels;
  return 0;
}

/* Runs a call with the given source and the classify stage on or off;
 * returns the source frame (10 ms each) at which the sender's encoder first
 * reported music mode, or -1, and the stats at 4 s. */
static long run_call(src *s, bool stage_on, pl_call_stats *st) {
  pl_emu_config net;
  memset(&net, 0, sizeof net);
  net.delay = PL_MS(20);
  pl_call_config a, b;
  pl_call_config_init(&a);
  pl_call_config_init(&b);
  pl_sim *sim;
  cr_assert_eq(pl_sim_new(&sim, &a, &b, &net, &net, 21), 0);
  pl_audio_io in = {.read = src_read, .user = s}, out = {.write = sink_write};
  pl_call_set_audio_source(sim->a, &in);
  pl_call_set_audio_sink(sim->b, &out);
  if (stage_on)
    cr_assert_eq(pl_call_set_stage(sim->a, "classify", true), 0);
  cr_assert_eq(pl_sim_connect(sim), 0);
  long first = -1;
  for (pl_time_us t = PL_MS(10); t <= PL_SEC(4); t += PL_MS(10)) {
    pl_sim_run_until(sim, t);
    pl_call_get_stats(sim->a, st);
    if (first < 0 && st->opus_music)
      first = s->frames;
  }
  pl_sim_free(sim);
  return first;
}

Test(e2e_classify, music_playing_switches_opus_to_music_within_1_s) {
  pl_log_set_level(PL_LOG_ERROR);
  src s = {0};
  s.x = cm_music(8.0, &s.n);
  cr_assert_not_null(s.x);
  pl_call_stats st;
  long first = run_call(&s, true, &st);
  cr_assert_geq(first, 0, "Opus never went to music mode");
  cr_log_info("music mode %ld ms after the music started", first * 10);
  cr_assert_leq(first, 100, "music mode %ld ms after the music started", first * 10);
  cr_assert(st.opus_music);
  cr_assert_gt(st.music_probability, 0.6, "musicProbability %.2f", st.music_probability);
  cr_assert_geq(st.voice_activity, 0.0, "the classifier's P(speech) feeds voiceActivity");
  cr_assert_lt(st.voice_activity, 0.3);
  cr_assert_eq(st.opus_signal_switches, 1, "one switch, no flapping");
  /* Stage off: no classifier, libopus's own choice, stats unknown. */
  s.pos = 0;
  s.frames = 0;
  cr_assert_eq(run_call(&s, false, &st), -1);
  cr_assert_lt(st.music_probability, 0.0);
  cr_assert_eq(st.opus_signal_switches, 0);
  free(s.x);
}

Test(e2e_classify, steady_noise_keeps_opus_in_voice_mode) {
  pl_log_set_level(PL_LOG_ERROR);
  src s = {.noise = true};
  pl_rng_seed(&s.rng, 3);
  pl_call_stats st;
  cr_assert_eq(run_call(&s, true, &st), -1);
  cr_assert_geq(st.music_probability, 0.0);
  cr_assert_lt(st.music_probability, 0.2, "musicProbability %.2f", st.music_probability);
  cr_assert_eq(st.opus_signal_switches, 0);
}
