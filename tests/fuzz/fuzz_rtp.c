/* libFuzzer target for the RTP parser: parse, walk the RFC 8285 elements
 * through every reader, re-serialize and demand a byte-exact round trip,
 * then rebuild the extension with the builder and demand the same elements
 * back. Any disagreement aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/rtp/rtp.h"

#define CHECK(c)                                                               \
  do {                                                                         \
    if (!(c))                                                                  \
      abort();                                                                 \
  } while (0)

typedef struct {
  uint8_t id, len;
  const uint8_t *data;
} elem;

/* Collects elements; returns the count, or -1 on an iteration error. */
static int collect(const pl_rtp_header *h, elem *out, int cap) {
  pl_rtp_ext_iter it;
  pl_rtp_ext e;
  if (pl_rtp_ext_iter_init(&it, h) < 0)
    return 0;
  int n = 0, r;
  while ((r = pl_rtp_ext_next(&it, &e)) > 0) {
    CHECK(e.data >= h->ext && e.data + e.len <= h->ext + h->ext_len);
    CHECK(it.two_byte || (e.id >= 1 && e.id <= 14 && e.len >= 1));
    if (n < cap)
      out[n] = (elem){e.id, e.len, e.data};
    n++;
  }
  return r < 0 ? -1 : n;
}

static void readers(const pl_rtp_header *h) {
  pl_rtp_ext_iter it;
  pl_rtp_ext e;
  if (pl_rtp_ext_iter_init(&it, h) < 0)
    return;
  while (pl_rtp_ext_next(&it, &e) > 0) {
    uint32_t ast;
    uint16_t seq;
    bool voice;
    uint8_t level;
    char mid[256];
    if (pl_rtp_ext_abs_send_time(&e, &ast) == 0)
      CHECK(ast <= 0xFFFFFF && e.len == 3);
    if (pl_rtp_ext_transport_seq(&e, &seq) == 0)
      CHECK(e.len == 2);
    if (pl_rtp_ext_audio_level(&e, &voice, &level) == 0)
      CHECK(level <= 127);
    if (pl_rtp_ext_mid(&e, mid, sizeof mid) == 0)
      CHECK(strlen(mid) <= e.len);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pl_rtp_header h;
  if (pl_rtp_parse(&h, data, size) != 0)
    return 0;
  CHECK(h.header_len + h.payload_len + h.padding_len == size);
  CHECK(h.payload == data + h.header_len);
  readers(&h);

  uint8_t *out = malloc(size + 600);
  CHECK(out);
  /* Verbatim re-serialization. Padding bytes other than the count are
   * written as zeros, so they are left out of the comparison. */
  CHECK(pl_rtp_write(&h, NULL, out, size - 1) < 0 || size == 0);
  int n = pl_rtp_write(&h, NULL, out, size);
  CHECK(n == (int)size);
  CHECK(memcmp(out, data, size - h.padding_len) == 0);
  CHECK(out[size - 1] == data[size - 1]);
  pl_rtp_header g;
  CHECK(pl_rtp_parse(&g, out, size) == 0);
  CHECK(g.seq == h.seq && g.ts == h.ts && g.ssrc == h.ssrc && g.pt == h.pt &&
        g.marker == h.marker && g.csrc_count == h.csrc_count &&
        g.header_len == h.header_len && g.payload_len == h.payload_len &&
        g.padding_len == h.padding_len && g.ext_profile == h.ext_profile);

  /* Rebuild the extension through the builder. */
  elem a[PL_RTP_EXT_MAX_ELEMS], b[PL_RTP_EXT_MAX_ELEMS];
  int na = collect(&h, a, PL_RTP_EXT_MAX_ELEMS);
  if (na > 0 && na <= PL_RTP_EXT_MAX_ELEMS) {
    pl_rtp_ext_builder bld;
    pl_rtp_ext_builder_init(&bld);
    bool ok = true;
    for (int i = 0; i < na && ok; i++)
      ok = pl_rtp_ext_add(&bld, a[i].id, a[i].data, a[i].len) == 0;
    if (ok) {
      pl_rtp_header r = h;
      int m = pl_rtp_write(&r, &bld, out, size + 600);
      CHECK(m > 0);
      pl_rtp_header q;
      CHECK(pl_rtp_parse(&q, out, (size_t)m) == 0);
      CHECK(q.payload_len == h.payload_len &&
            memcmp(q.payload, h.payload, h.payload_len) == 0);
      int nb = collect(&q, b, PL_RTP_EXT_MAX_ELEMS);
      CHECK(nb == na);
      for (int i = 0; i < na; i++)
        CHECK(a[i].id == b[i].id && a[i].len == b[i].len &&
              memcmp(a[i].data, b[i].data, a[i].len) == 0);
    }
  }
  free(out);
  return 0;
}
