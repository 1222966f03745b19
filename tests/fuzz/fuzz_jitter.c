/* The jitter buffer driven by arbitrary push/pull sequences: arbitrary
 * sequence numbers, timestamps, arrival gaps and payload bytes. Checks that
 * nothing crashes, that the counters stay consistent with each other, and
 * that what plays is finite and within [-1, 1] (a garbage packet decodes to
 * thousands; the buffer clips). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audio/jitter/jitter.h"
#include "base/bytes.h"
#include "parley.h"

typedef struct {
  const uint8_t *p;
  size_t n, off;
} input;

static unsigned take(input *in, int bytes) {
  unsigned v = 0;
  for (int i = 0; i < bytes; i++)
    v = (v << 8) | (in->off < in->n ? in->p[in->off++] : 0);
  return v;
}

static int conceal(void *self, float *out, int samples, int channels, int nth) {
  (void)self;
  if (samples <= 0 || samples > 5760 || nth < 1)
    abort();
  for (int i = 0; i < samples * channels; i++)
    out[i] = 0.0f;
  return nth % 3 == 0 ? -1 : 0; /* sometimes fall back to Opus PLC */
}

/* Checks the contract the buffer promises a bridging concealer. */
static int bridge(void *self, float *out, int samples, const float *next, int next_samples,
                  int channels) {
  (void)self;
  if (samples <= 0 || samples > PL_JB_BRIDGE_MAX || samples % 120 || next_samples <= 0 ||
      next_samples > 5760 || channels < 1 || channels > 2)
    abort();
  volatile float sink = next[next_samples * channels - 1];
  (void)sink;
  for (int i = 0; i < samples * channels; i++)
    out[i] = 0.0f;
  return samples % 240 ? -1 : 0; /* sometimes decline */
}

static void observe(void *self, const float *pcm, int samples, int channels) {
  (void)self;
  if (samples <= 0 || samples > 5760 || channels < 1 || channels > 2)
    abort();
  volatile float sink = pcm[samples * channels - 1];
  (void)sink;
}

static void check(const pl_jitter *jb, int capacity) {
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  if (st.total_samples_received != st.jitter_buffer_emitted_count + st.concealed_samples +
                                       st.inserted_samples_for_deceleration)
    abort();
  if (st.silent_concealed_samples > st.concealed_samples)
    abort();
  if (st.bridged_gaps > st.concealment_events)
    abort();
  if (st.fec_recovered > st.fec_packets_received ||
      st.fec_packets_discarded > st.fec_packets_received)
    abort();
  if (st.packets_discarded + st.packets_duplicated > st.packets_received)
    abort();
  if (pl_jitter_packets(jb) < 0 || pl_jitter_packets(jb) > capacity)
    abort();
  if (st.jitter_buffer_delay < 0 || st.jitter_buffer_target_delay < 0)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input in = {data, size, 0};
  pl_jitter_config c;
  pl_jitter_config_default(&c);
  unsigned cfg = take(&in, 2);
  c.channels = 1 + (cfg & 1);
  c.capacity = 4 + (int)((cfg >> 1) & 15);
  c.max_payload = 64 + (int)((cfg >> 5) & 3) * 200;
  c.max_delay_ms = 100 + (int)((cfg >> 7) & 7) * 100;
  c.min_delay_ms = (int)((cfg >> 10) & 3) * 20;
  c.initial_delay_ms = c.min_delay_ms;
  c.use_fec = (cfg >> 12) & 1;
  c.comfort_noise = !((cfg >> 14) & 1);
  c.use_dred = (cfg >> 15) & 1; /* libopus >= 1.5: DRED and deep PLC + NoLACE */
  c.decoder_complexity = c.use_dred ? 7 : 0;
  c.seed = cfg;
  pl_jitter *jb = pl_jitter_new(&c);
  if (!jb)
    abort();
  static const pl_concealer_ops ops = {.conceal = conceal, .observe = observe};
  static const pl_concealer_ops bops = {
      .conceal = conceal, .observe = observe, .fade_start_ms = 100, .fade_end_ms = 200,
      .bridge = bridge};
  if ((cfg >> 13) & 1)
    pl_jitter_set_concealer(jb, (cfg >> 15) & 1 ? &bops : &ops, NULL);
  pl_time_us now = 1000000;
  uint16_t seq = (uint16_t)take(&in, 2);
  uint32_t ts = take(&in, 4);
  pl_audio_frame f;
  while (in.off < in.n) {
    unsigned op = take(&in, 1);
    now += (pl_time_us)(op >> 2) * 500; /* 0..31.5 ms */
    if ((op & 3) == 0) {
      int r = pl_jitter_pull(jb, now, &f);
      if (r != 0 && r != PL_EAGAIN)
        abort();
      if (f.samples != PL_AUDIO_FRAME_SAMPLES || f.channels != c.channels)
        abort();
      for (int i = 0; i < f.samples * f.channels; i++)
        if (!isfinite(f.pcm[i]) || fabsf(f.pcm[i]) > 1.0f)
          abort();
      (void)pl_jitter_delay_ms(jb, now);
      (void)pl_jitter_target_ms(jb);
    } else {
      /* A push: sequence and timestamp steps (mostly forward, sometimes
       * wild), then a payload of up to 255 bytes from the input. */
      seq = (uint16_t)(seq + (int8_t)take(&in, 1));
      int16_t step = (int16_t)take(&in, 2);
      ts += (op & 3) == 3 ? (uint32_t)step * 977u : (uint32_t)(int32_t)step;
      size_t len = take(&in, 1);
      if (len > in.n - in.off)
        len = in.n - in.off;
      uint8_t *payload = malloc(len ? len : 1);
      memcpy(payload, in.p + in.off, len);
      in.off += len;
      int r = pl_jitter_push(jb, now, seq, ts, payload, len);
      free(payload);
      if (r != 0 && r != PL_EFULL && r != PL_ERANGE && r != PL_ECODEC && r != PL_EAGAIN)
        abort();
    }
    check(jb, c.capacity);
  }
  pl_jitter_free(jb);
  return 0;
}
