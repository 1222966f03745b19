/* The jitter buffer fed RED (RFC 2198) packets from arbitrary bytes: each
 * packet is parsed with net/rtp/red and its primary and copies pushed as the
 * call does (primary, then copies newest first), with arbitrary sequence
 * numbers, timestamps and arrival gaps, and pulls in between. Checks that
 * nothing crashes, the W3C counters stay consistent (every copy counted
 * received once and discarded at most once, recoveries within copies), and
 * that what plays is finite and within [-1, 1]. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audio/jitter/jitter.h"
#include "net/rtp/red.h"
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

static void check(const pl_jitter *jb, int capacity, uint64_t copies) {
  pl_jitter_stats st;
  pl_jitter_get_stats(jb, &st);
  if (st.total_samples_received != st.jitter_buffer_emitted_count + st.concealed_samples +
                                       st.inserted_samples_for_deceleration)
    abort();
  if (st.fec_packets_received < copies)
    abort(); /* every copy counts (LBRR packets on top) */
  if (st.red_recovered + st.fec_recovered > st.fec_packets_received ||
      st.fec_packets_discarded > st.fec_packets_received)
    abort();
  if (st.packets_discarded + st.packets_duplicated > st.packets_received)
    abort();
  if (pl_jitter_packets(jb) < 0 || pl_jitter_packets(jb) > capacity)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input in = {data, size, 0};
  pl_jitter_config c;
  pl_jitter_config_default(&c);
  unsigned cfg = take(&in, 2);
  c.capacity = 4 + (int)(cfg & 15);
  c.min_delay_ms = (int)((cfg >> 4) & 3) * 20;
  c.initial_delay_ms = c.min_delay_ms;
  c.use_fec = (cfg >> 6) & 1;
  pl_jitter *jb = pl_jitter_new(&c);
  if (!jb)
    abort();
  pl_time_us now = 1000000;
  uint16_t seq = (uint16_t)take(&in, 2);
  uint32_t ts = take(&in, 4);
  uint64_t copies = 0;
  pl_audio_frame f;
  while (in.off < in.n) {
    unsigned op = take(&in, 1);
    now += (pl_time_us)(op >> 2) * 500;
    if ((op & 3) == 0) {
      int r = pl_jitter_pull(jb, now, &f);
      if (r != 0 && r != PL_EAGAIN)
        abort();
      for (int i = 0; i < f.samples * f.channels; i++)
        if (!isfinite(f.pcm[i]) || fabsf(f.pcm[i]) > 1.0f)
          abort();
    } else {
      seq = (uint16_t)(seq + (int8_t)take(&in, 1));
      ts += (uint32_t)(int32_t)(int16_t)take(&in, 2);
      size_t len = take(&in, 1) * ((op & 3) == 3 ? 4u : 1u);
      if (len > in.n - in.off)
        len = in.n - in.off;
      uint8_t *payload = malloc(len ? len : 1);
      memcpy(payload, in.p + in.off, len);
      in.off += len;
      pl_red_packet p;
      if (pl_red_parse(&p, payload, len) == 0) {
        const pl_red_block *pb = &p.blocks[p.n - 1];
        int r = pl_jitter_push(jb, now, seq, ts, pb->data, pb->len);
        if (r != 0 && r != PL_EFULL && r != PL_ERANGE && r != PL_ECODEC && r != PL_EAGAIN)
          abort();
        for (int i = p.n - 2; i >= 0; i--) {
          r = pl_jitter_push_redundant(jb, now, (uint16_t)(seq - (p.n - 1 - i)),
                                       ts - p.blocks[i].ts_offset, p.blocks[i].data,
                                       p.blocks[i].len);
          copies++;
          if (r != 0 && r != PL_EFULL && r != PL_ERANGE && r != PL_ECODEC && r != PL_EAGAIN)
            abort();
        }
      }
      free(payload);
    }
    check(jb, c.capacity, copies);
  }
  pl_jitter_free(jb);
  return 0;
}
