/* Fuzzes the receive chain behind the depacketizer: each 6-byte record is
 * one packet (sequence step, timestamp step, flags, length, time step) fed
 * to a small frame assembler, whose frames go to a frame buffer that is
 * drained and timed out on the way. Checks that every frame handed out is
 * whole and that the buffers never report impossible counts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "video/frame_buffer/assembler.h"
#include "video/frame_buffer/frame_buffer.h"

static pl_frame_assembler *as;
static pl_frame_buffer *fb;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!as) {
    pl_frame_assembler_config ac = {.packets = 64, .max_payload = 64,
                                    .max_frame_bytes = 1024,
                                    .timeout = PL_MS(300)};
    pl_frame_buffer_config bc = {.frames = 8, .max_frame_bytes = 1024,
                                 .jitter_window = 16};
    if (pl_frame_assembler_new(&as, &ac) || pl_frame_buffer_new(&fb, &bc))
      abort();
  }
  pl_frame_assembler_reset(as);
  /* A fresh buffer per input keeps runs independent. */
  pl_frame_buffer_free(fb);
  pl_frame_buffer_config bc = {.frames = 8, .max_frame_bytes = 1024,
                               .jitter_window = 16};
  if (pl_frame_buffer_new(&fb, &bc))
    abort();
  uint8_t payload[80];
  memset(payload, 0xa5, sizeof payload);
  uint16_t seq = 65500;
  uint32_t ts = 0xfffff000u;
  pl_time_us now = 0;
  int32_t pid = 0x7ff0;
  for (size_t i = 0; i + 6 <= size; i += 6) {
    const uint8_t *r = data + i;
    seq = (uint16_t)(seq + (int8_t)r[0]);
    ts += (uint32_t)(r[1] & 0x0f) * 1500u;
    pid = (pid + ((r[1] >> 4) & 3)) & 0x7fff;
    uint8_t fl = r[2];
    pl_video_rtp_info info = {
        .codec = PL_CODEC_VP8, .frame_begin = fl & 1, .frame_end = fl & 2,
        .key = (fl & 5) == 5, .picture_id = (fl & 8) ? -1 : pid,
        .picture_id_bits = (fl & 16) ? 7 : 15, .tl0picidx = (fl & 32) ? r[5] : -1,
        .tid = (int8_t)((fl & 32) ? (r[5] >> 6) : -1), .layer_sync = fl & 64,
        .payload = payload, .payload_len = r[3] % sizeof payload};
    if ((fl & 0xc0) == 0xc0) { /* a flexible-mode frame with references */
      info.flexible = true;
      info.nrefs = (uint8_t)(1 + r[5] % 3);
      for (int k = 0; k < info.nrefs; k++)
        info.pdiff[k] = (uint8_t)(1 + ((r[5] >> (k * 2)) & 7));
    }
    now += (pl_time_us)r[4] * 1000;
    int rc = pl_frame_assembler_insert(as, now, seq, ts, fl & 128, &info, fl & 16);
    if (rc < 0)
      abort();
    pl_encoded_frame f;
    while (pl_frame_assembler_poll(as, &f)) {
      if (f.len > 1024 || f.last_seq < f.first_seq ||
          f.len > (size_t)(f.last_seq - f.first_seq + 1) * 64)
        abort();
      pl_frame_buffer_insert(fb, now, &f);
    }
    if (pl_frame_assembler_deadline(as) <= now)
      pl_frame_assembler_timeout(as, now);
    if (pl_frame_buffer_deadline(fb) <= now)
      pl_frame_buffer_timeout(fb, now);
    pl_time_us at;
    while (pl_frame_buffer_poll(fb, now, &f, &at))
      if (at > now || f.len > 1024)
        abort();
    pl_frame_buffer_stats st;
    pl_frame_buffer_get_stats(fb, &st);
    if (st.stored > 8)
      abort();
  }
  return 0;
}
