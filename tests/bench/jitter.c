/* Cost of the audio receive path per 10 ms frame: the NetEq-class jitter
 * buffer's push+pull (which includes the Opus decode) in several network
 * conditions, against Opus encode/decode alone (the baseline, same run),
 * and the WSOLA period search on its own. Speech-like input, 32 kbit/s,
 * 20 ms packets. Prints Markdown rows.
 * Usage: build/bench/bench_jitter [seconds-of-audio] (default 60). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "audio/jitter/jitter.h"
#include "audio/jitter/stretch.h"
#include "audio/opus/opus.h"
#include "audio/siggen/siggen.h"
#include "base/rng.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static const pl_time_us *sort_arr;
static int by_arrival(const void *a, const void *b) {
  pl_time_us x = sort_arr[*(const int *)a], y = sort_arr[*(const int *)b];
  return x < y ? -1 : x > y;
}

static void row(const char *what, double us, double frame_ms, double base_us) {
  printf("| %s | %.2f | %.3f %% | %s", what, us, 100.0 * us / (frame_ms * 1000.0),
         base_us > 0 ? "" : "-");
  if (base_us > 0)
    printf("%.2fx", us / base_us);
  printf(" |\n");
}

typedef struct scenario {
  const char *name;
  double loss, drift;   /* loss probability; sender clock offset, fraction */
  int jitter_us;        /* uniform extra delay 0..jitter_us */
  int step_jitter_us;   /* from a third to two thirds of the run */
} scenario;

typedef struct outcome {
  double us_per_pull;
  pl_jitter_stats st;
  int pulls;
} outcome;

static outcome run(const scenario *sc, uint8_t (*pkt)[PL_OPUS_MAX_PACKET], const int *len, int np,
                   int spp) {
  pl_jitter_config jc;
  pl_jitter_config_default(&jc);
  pl_jitter *jb = pl_jitter_new(&jc);
  pl_rng rng;
  pl_rng_seed(&rng, 1);
  pl_time_us *arr = malloc(sizeof(pl_time_us) * (size_t)np);
  for (int i = 0; i < np; i++) {
    bool third = i > np / 3 && i < 2 * np / 3;
    int j = third && sc->step_jitter_us ? sc->step_jitter_us : sc->jitter_us;
    pl_time_us sent = PL_SEC(1) + (pl_time_us)llround(i * 20000.0 / (1.0 + sc->drift));
    arr[i] = pl_rng_uniform(&rng) < sc->loss ? -1
                                              : sent + PL_MS(20) + (pl_time_us)pl_rng_below(
                                                                       &rng, (uint64_t)j + 1);
  }
  int *order = malloc(sizeof(int) * (size_t)np), narr = 0;
  for (int i = 0; i < np; i++)
    if (arr[i] >= 0)
      order[narr++] = i;
  sort_arr = arr;
  qsort(order, (size_t)narr, sizeof(int), by_arrival);
  pl_audio_frame f;
  int next = 0, pulls = 0;
  double busy = 0;
  /* Until the last packet is decoded (not past it: a drifting sender's
   * stream ends early or late, and concealing after it would count as
   * loss). */
  for (pl_time_us t = PL_SEC(1) + 3000; next < narr || pl_jitter_packets(jb) > 0; t += 10000) {
    double a = now_s();
    for (; next < narr && arr[order[next]] <= t; next++) {
      int i = order[next];
      pl_jitter_push(jb, arr[i], (uint16_t)i, (uint32_t)(i * spp), pkt[i], (size_t)len[i]);
    }
    pl_jitter_pull(jb, t, &f);
    busy += now_s() - a;
    pulls++;
  }
  outcome o = {busy * 1e6 / pulls, {0}, pulls};
  pl_jitter_get_stats(jb, &o.st);
  pl_jitter_free(jb);
  free(order);
  free(arr);
  return o;
}

int main(int argc, char **argv) {
  int secs = argc > 1 ? atoi(argv[1]) : 60;
  if (secs < 1)
    secs = 1;
  int np = secs * 50, spp = 960;
  pl_siggen_config sc;
  pl_siggen_config_default(&sc, PL_SIG_SPEECH);
  pl_siggen g;
  pl_siggen_init(&g, &sc);
  float *pcm = malloc(sizeof(float) * (size_t)np * (size_t)spp);
  pl_siggen_fill(&g, pcm, np * spp);

  pl_opus_enc_config ec;
  pl_opus_enc_config_default(&ec, 1); /* VOIP, 20 ms, 32 kbit/s, complexity 9, FEC */
  pl_opus_enc *e = pl_opus_enc_new(&ec);
  uint8_t(*pkt)[PL_OPUS_MAX_PACKET] = malloc(sizeof *pkt * (size_t)np);
  int *len = malloc(sizeof(int) * (size_t)np);
  double t0 = now_s();
  for (int i = 0; i < np; i++)
    len[i] = pl_opus_enc_encode(e, pcm + i * spp, pkt[i], PL_OPUS_MAX_PACKET);
  double enc_us = (now_s() - t0) * 1e6 / np;
  pl_opus_enc_free(e);

  pl_opus_dec *d = pl_opus_dec_new(1);
  float out[PL_OPUS_MAX_SAMPLES];
  t0 = now_s();
  for (int i = 0; i < np; i++)
    pl_opus_dec_decode(d, pkt[i], (size_t)len[i], out, PL_OPUS_MAX_SAMPLES);
  double dec_us = (now_s() - t0) * 1e6 / np;
  pl_opus_dec_free(d);
  double dec10 = dec_us / 2; /* decode per 10 ms of audio: the baseline */

  /* The period search alone, on 30 ms windows of the speech. */
  int nsearch = 0;
  t0 = now_s();
  volatile int sink = 0;
  for (int i = 0; i + 1440 <= np * spp; i += 4800, nsearch++) {
    pl_stretch_match m;
    pl_stretch_find(pcm + i, 1440, 1, PL_STRETCH_MAX_LAG, &m);
    sink += m.lag;
  }
  double find_us = (now_s() - t0) * 1e6 / nsearch;

  static const scenario scs[] = {
      {"clean", 0, 0, 0, 0},
      {"0-40 ms jitter, 5 % loss", 0.05, 0, 40000, 0},
      {"sender clock +1 % (accelerate)", 0, 0.01, 5000, 0},
      {"sender clock -1 % (preemptive expand)", 0, -0.01, 5000, 0},
      {"jitter 0-10 ms, 0-200 ms in the middle third", 0, 0, 10000, 200000},
  };
  printf("<!-- produced by: build/bench/bench_jitter %d -->\n", secs);
  printf("| operation (speech-like, mono, 48 kHz) | us per call | share of one core | vs decode |\n");
  printf("|---|---|---|---|\n");
  row("Opus encode, 32 kbit/s, 20 ms packet (VOIP, complexity 9, FEC)", enc_us, 20, 0);
  row("Opus decode, 20 ms packet", dec_us, 20, 0);
  row("WSOLA period search (30 ms window, lags 2.5-15 ms)", find_us, 10, dec10);
  outcome o[sizeof scs / sizeof scs[0]];
  for (size_t k = 0; k < sizeof scs / sizeof scs[0]; k++) {
    o[k] = run(&scs[k], pkt, len, np, spp);
    char what[160];
    snprintf(what, sizeof what, "jitter push+pull per 10 ms frame: %s", scs[k].name);
    row(what, o[k].us_per_pull, 10, dec10);
  }
  printf("\n(vs decode: against the Opus decode of 10 ms measured in the same run, %.2f us)\n",
         dec10);
  printf("\n| scenario | concealed %% | inserted %% | removed %% | events | mean target ms | mean "
         "delay ms |\n|---|---|---|---|---|---|---|\n");
  for (size_t k = 0; k < sizeof scs / sizeof scs[0]; k++) {
    const pl_jitter_stats *st = &o[k].st;
    double tot = (double)st->total_samples_received + 1, em = (double)st->jitter_buffer_emitted_count + 1;
    printf("| %s | %.2f | %.2f | %.2f | %llu | %.1f | %.1f |\n", scs[k].name,
           100.0 * (double)st->concealed_samples / tot,
           100.0 * (double)st->inserted_samples_for_deceleration / tot,
           100.0 * (double)st->removed_samples_for_acceleration / tot,
           (unsigned long long)st->concealment_events, 1000 * st->jitter_buffer_target_delay / em,
           1000 * st->jitter_buffer_delay / em);
  }
  (void)sink;
  free(pkt);
  free(len);
  free(pcm);
  return 0;
}
