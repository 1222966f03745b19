/* audio/devq: the queue between a sound device and the media thread holds
 * its level against a device clock that drifts from the media clock,
 * without steps in the waveform. A simulated device runs at 48 kHz x
 * (1 + ppm) in 10 ms chunks against the media thread's exact 10 ms ticks. */
#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "audio/devq/devq.h"

#define TARGET_MS 50
#define TARGET (48 * TARGET_MS)
#define WARMUP_MS 5000

typedef struct run {
  double max_off_ms;       /* |level - target| after the warm-up */
  double mean_off_ms_tail; /* mean level - target over the last 10 s */
  double max_step;         /* largest sample-to-sample change after warm-up */
  int64_t net_correction;  /* samples the device made minus the media used */
  pl_devq_stats st;
} run;

/* One simulated run of `seconds`; the device's signal is a 440 Hz sine at
 * 0.5 in its own time (capture), or the media's is (playback): a step
 * between consecutive samples above ~0.03 is a glitch. */
static run simulate(bool capture, double ppm, int seconds, bool controller) {
  pl_devq *q = malloc(sizeof *q);
  cr_assert_not_null(q);
  pl_devq_init(q, capture, TARGET_MS);
  if (!controller)
    q->slack = INT_MAX; /* never corrects */
  run r = {0};
  double dev_acc = 0, phase = 0, w = 2 * M_PI * 440 / 48000;
  float chunk[480], block[480], prev = 0;
  bool have_prev = false;
  double tail_sum = 0;
  int tail_n = 0;
  int64_t dev_samples = 0, media_samples = 0;
  if (!capture)
    pl_devq_set_device_queued(q, 960); /* the device's own 20 ms buffer */
  for (int ms = 1; ms <= seconds * 1000; ms++) {
    /* The device moves 48 x (1 + ppm) samples per real millisecond, in
     * chunks of 480 of its own samples. */
    dev_acc += 48.0 * (1 + ppm * 1e-6);
    while (dev_acc >= 480) {
      dev_acc -= 480;
      dev_samples += 480;
      if (capture) {
        for (int i = 0; i < 480; i++, phase += w)
          chunk[i] = (float)(0.5 * sin(phase));
        pl_devq_push(q, chunk, 480);
      } else {
        size_t got = pl_devq_pop(q, chunk, 480);
        for (size_t i = 0; i < got && ms > WARMUP_MS; i++) {
          if (have_prev && fabs(chunk[i] - prev) > r.max_step)
            r.max_step = fabs(chunk[i] - prev);
          prev = chunk[i];
          have_prev = true;
        }
        if (ms > WARMUP_MS && got < 480)
          r.st.underruns++; /* the device ran dry */
      }
    }
    if (ms % 10)
      continue;
    media_samples += 480;
    /* The level where the controller sees it: before the media's block. */
    if (ms > WARMUP_MS) {
      double off = ((double)pl_devq_level(q) - TARGET) / 48.0;
      if (fabs(off) > r.max_off_ms)
        r.max_off_ms = fabs(off);
      if (ms > (seconds - 10) * 1000) {
        tail_sum += off;
        tail_n++;
      }
    }
    if (capture) {
      pl_devq_read(q, block, 480);
      for (int i = 0; i < 480 && ms > WARMUP_MS; i++) {
        if (have_prev && fabs(block[i] - prev) > r.max_step)
          r.max_step = fabs(block[i] - prev);
        prev = block[i];
        have_prev = true;
      }
    } else {
      for (int i = 0; i < 480; i++, phase += w)
        block[i] = (float)(0.5 * sin(phase));
      pl_devq_write(q, block, 480);
    }
  }
  r.mean_off_ms_tail = tail_sum / tail_n;
  r.net_correction = dev_samples - media_samples;
  uint64_t sim_underruns = r.st.underruns;
  pl_devq_get_stats(q, &r.st);
  r.st.underruns += sim_underruns;
  free(q);
  return r;
}

static void check_held(run r, double ppm, int seconds) {
  /* The level stays within 10 ms (the slack) plus a device chunk and a
   * media block of the target, and averages within 6 ms of it at the end. */
  cr_assert_lt(r.max_off_ms, 22.0, "level off by %.1f ms (tail mean %.1f, %llu stretched, "
               "%llu underruns, %llu jumps)", r.max_off_ms, r.mean_off_ms_tail,
               (unsigned long long)r.st.stretched, (unsigned long long)r.st.underruns,
               (unsigned long long)r.st.jumps);
  cr_assert_lt(fabs(r.mean_off_ms_tail), 6.0, "tail mean off by %.1f ms", r.mean_off_ms_tail);
  /* Each stretched block moves one sample: together they match the drift
   * (48000 x ppm x seconds), give or take the band the controller allows. */
  double drift = 48000.0 * fabs(ppm) * 1e-6 * seconds;
  cr_assert(fabs((double)r.st.stretched - drift) < 48 * 12,
            "stretched %llu blocks for %.0f samples of drift", (unsigned long long)r.st.stretched,
            drift);
  /* No glitches: a 440 Hz sine at 0.5 moves at most 0.029 per sample; the
   * one-sample resampling adds ~0.1 %. */
  cr_assert_lt(r.max_step, 0.031, "a step of %.3f in the waveform", r.max_step);
  cr_assert_eq(r.st.overruns, 0);
  cr_assert_eq(r.st.underruns, 0);
  cr_assert_eq(r.st.jumps, 0);
}

Test(devq, capture_holds_its_level_when_the_device_runs_fast) {
  check_held(simulate(true, 300, 120, true), 300, 120);
}

Test(devq, capture_holds_its_level_when_the_device_runs_slow) {
  check_held(simulate(true, -300, 120, true), -300, 120);
}

Test(devq, playback_holds_its_level_when_the_device_runs_fast) {
  check_held(simulate(false, 300, 120, true), 300, 120);
}

Test(devq, playback_holds_its_level_when_the_device_runs_slow) {
  check_held(simulate(false, -300, 120, true), -300, 120);
}

/* The same measurement with the controller off: 300 ppm over two minutes
 * is 36 ms, which takes the level out of the band and into a jump (a drop
 * of audio: a step in the waveform). */
Test(devq, without_correction_the_drift_accumulates) {
  run r = simulate(true, -300, 120, false);
  cr_assert(r.max_off_ms > 22.0 || r.st.underruns > 0 || r.st.jumps > 0,
            "off %.1f ms, %llu underruns, %llu jumps", r.max_off_ms,
            (unsigned long long)r.st.underruns, (unsigned long long)r.st.jumps);
}

/* A device that starts late (or a media thread that stalled) leaves a
 * backlog: it is dropped to the target at once, not played late. */
Test(devq, a_backlog_is_dropped_to_the_target) {
  pl_devq *q = malloc(sizeof *q);
  pl_devq_init(q, true, TARGET_MS);
  float x[4800] = {0}, out[480];
  for (int i = 0; i < 10; i++)
    pl_devq_push(q, x, 4800); /* 1 s queued */
  pl_devq_read(q, out, 480);
  pl_devq_read(q, out, 480);
  pl_devq_stats st;
  pl_devq_get_stats(q, &st);
  cr_assert_eq(st.jumps, 1, "%llu jumps, level %zu", (unsigned long long)st.jumps, pl_devq_level(q));
  /* Back on the target, less the two blocks read since (and a sample or
   * two of correction): 50 ms queued, not 680. */
  cr_assert_lt(labs((long)pl_devq_level(q) - (TARGET - 960)), 4, "level %zu", pl_devq_level(q));
  cr_assert_eq(st.overruns, 4); /* 1 s does not fit the 0.68 s ring: pushes 7 to 10 */
  free(q);
}
