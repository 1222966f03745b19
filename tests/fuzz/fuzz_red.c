/* libFuzzer target for the RFC 2198 parser and the RED fmtp reader: every
 * block the parser returns lies inside the input, blocks are contiguous and
 * end exactly at the packet's end, and writing them back gives the input
 * byte for byte. The sender wraps the fuzz bytes as frames and the parser
 * must read back what it wrote. Any disagreement aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/rtp/red.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c))                                                                  \
      abort();                                                                 \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pl_red_packet p;
  if (pl_red_parse(&p, data, size) == 0) {
    CHECK(p.n >= 1 && p.n <= PL_RED_MAX_BLOCKS);
    const uint8_t *at = data + 4 * (size_t)(p.n - 1) + 1;
    for (int i = 0; i < p.n; i++) {
      CHECK(p.blocks[i].data == at);
      CHECK(p.blocks[i].len <= size);
      at += p.blocks[i].len;
    }
    CHECK(at == data + size);
    CHECK(p.blocks[p.n - 1].ts_offset == 0);
    static uint8_t out[4096 + 64];
    if (size <= 4096) {
      int n = pl_red_write(p.blocks, p.n, out, sizeof out);
      CHECK(n == (int)size && !memcmp(out, data, size));
    }
  }
  int pt = pl_red_fmtp_pt((const char *)data, size);
  CHECK(pt < 0 || pt <= 127);

  /* Sender: cut the input into frames of a length set by its first byte. */
  if (size < 2)
    return 0;
  pl_red_sender s;
  pl_red_sender_init(&s, 111, 1 + (data[0] & 1));
  size_t step = (size_t)data[1] + 1, pos = 2;
  uint32_t ts = 0;
  static uint8_t pkt[1500];
  while (pos < size) {
    size_t len = size - pos < step ? size - pos : step;
    ts += 960u * (1u + (data[pos] & 3)); /* DTX-like gaps too */
    int n = pl_red_sender_wrap(&s, ts, data + pos, len, pkt, sizeof pkt);
    if (n >= 0) {
      CHECK(pl_red_parse(&p, pkt, (size_t)n) == 0);
      CHECK(p.n >= 1 && p.n <= 1 + s.distance);
      CHECK(p.blocks[p.n - 1].len == len && !memcmp(p.blocks[p.n - 1].data, data + pos, len));
      for (int i = 0; i + 1 < p.n; i++)
        CHECK(p.blocks[i].ts_offset > 0 && p.blocks[i].ts_offset <= PL_RED_MAX_OFFSET);
    }
    pos += len;
  }
  return 0;
}
