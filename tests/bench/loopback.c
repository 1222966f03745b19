/* How fast the loopback lab runs a call: two complete engines (SRTP, RTP,
 * RTCP, Opus both ways, jitter buffers) through the emulator on the
 * simulated clock, as a multiple of real time.
 *   build/bench/bench_loopback [seconds]   (default 60) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/sim.h"
#include "net/emu/scenario.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int discard(void *user, const float *pcm, int samples, int channels) {
  (void)user;
  (void)pcm;
  (void)samples;
  (void)channels;
  return 0;
}

static double run(const char *net, double seconds) {
  pl_emu_scenario sc;
  pl_emu_err err;
  if (pl_emu_scenario_parse(&sc, net, &err) != 0)
    return -1;
  pl_call_config c;
  pl_call_config_init(&c);
  pl_sim *s;
  if (pl_sim_new(&s, &c, &c, &sc.fwd, &sc.rev, 1) != 0)
    return -1;
  pl_call *calls[2] = {s->a, s->b};
  for (int i = 0; i < 2; i++) {
    pl_audio_io src, sink = {.write = discard};
    if (pl_audio_io_wav_source(&src, PL_SOURCE_DIR "/apps/parley/samples/speech_16k.wav", true))
      return -1;
    pl_call_set_audio_source(calls[i], &src);
    pl_call_set_audio_sink(calls[i], &sink);
  }
  pl_sim_connect(s);
  double t0 = now_s();
  pl_sim_run_until(s, (pl_time_us)(seconds * 1e6));
  double dt = now_s() - t0;
  pl_sim_free(s);
  pl_emu_scenario_free(&sc);
  return dt;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 60;
  printf("Command: `build/bench/bench_loopback %g`\n\n", seconds);
  printf("| network | simulated s | wall s | x real time |\n| --- | ---: | ---: | ---: |\n");
  const char *nets[] = {"clean", "loss-10", "jitter-200"};
  for (int i = 0; i < 3; i++) {
    double dt = run(nets[i], seconds);
    if (dt <= 0) {
      fprintf(stderr, "bench_loopback: %s failed\n", nets[i]);
      return 1;
    }
    printf("| %s | %.0f | %.2f | %.1f |\n", nets[i], seconds, dt, seconds / dt);
  }
  return 0;
}
