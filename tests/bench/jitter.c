/* Cost of the audio receive path per 10 ms frame: jitter buffer push+pull
 * (which includes the Opus decode), and Opus encode/decode alone at
 * 32 kbit/s with 20 ms packets, on speech-like input. Prints Markdown rows.
 * Usage: build/bench/bench_jitter [seconds-of-audio] (default 60). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "audio/jitter/jitter.h"
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

static void row(const char *what, double us, double frame_ms) {
  printf("| %s | %.2f | %.3f %% |\n", what, us, 100.0 * us / (frame_ms * 1000.0));
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

  /* Receive path: 0..40 ms uniform jitter, 5 % loss, pulls every 10 ms. */
  pl_jitter_config jc;
  pl_jitter_config_default(&jc);
  pl_jitter *jb = pl_jitter_new(&jc);
  pl_rng rng;
  pl_rng_seed(&rng, 1);
  pl_time_us *arr = malloc(sizeof(pl_time_us) * (size_t)np);
  for (int i = 0; i < np; i++)
    arr[i] = pl_rng_uniform(&rng) < 0.05 ? -1
                                          : PL_SEC(1) + (pl_time_us)i * 20000 +
                                                (pl_time_us)pl_rng_below(&rng, 40001);
  /* Delivery in arrival order (jitter reorders packets). */
  int *order = malloc(sizeof(int) * (size_t)np), narr = 0;
  for (int i = 0; i < np; i++)
    if (arr[i] >= 0)
      order[narr++] = i;
  sort_arr = arr;
  qsort(order, (size_t)narr, sizeof(int), by_arrival);
  pl_audio_frame f;
  int next = 0, pulls = 0;
  double busy = 0;
  for (pl_time_us t = PL_SEC(1) + 3000; next < narr || pulls < np * 2; t += 10000) {
    double a = now_s();
    for (; next < narr && arr[order[next]] <= t; next++) {
      int i = order[next];
      pl_jitter_push(jb, arr[i], (uint16_t)i, (uint32_t)(i * spp), pkt[i], (size_t)len[i]);
    }
    pl_jitter_pull(jb, t, &f);
    busy += now_s() - a;
    pulls++;
  }
  free(order);
  double jb_us = busy * 1e6 / pulls;
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  pl_jitter_free(jb);

  printf("<!-- produced by: build/bench/bench_jitter %d -->\n", secs);
  printf("| operation (speech-like, mono, 48 kHz) | us per call | share of one core |\n");
  printf("|---|---|---|\n");
  row("Opus encode, 32 kbit/s, 20 ms packet (VOIP, complexity 9, FEC)", enc_us, 20);
  row("Opus decode, 20 ms packet", dec_us, 20);
  row("jitter push+pull per 10 ms frame (incl. decode/PLC; 0-40 ms jitter, 5 % loss)",
      jb_us, 10);
  row("jitter push+pull minus the decode it does (estimate)", jb_us - dec_us / 2, 10);
  printf("\n(%d pulls; concealed %.1f %%, mean target %d ms)\n", pulls,
         100.0 * (double)st.concealed_samples / (double)(st.total_samples_received + 1),
         (int)(st.jitter_buffer_target_delay * 1000 / (double)(st.jitter_buffer_emitted_count + 1)));
  free(arr);
  free(pkt);
  free(len);
  free(pcm);
  return 0;
}
