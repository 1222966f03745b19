#include "net/nack/history.h"

#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "net/rtp/rtp.h"
#include "parley.h"

typedef struct entry {
  bool used;
  uint16_t seq;
  uint16_t len;
  pl_time_us sent_at, resent_at;
  bool resent;
} entry;

struct pl_send_history {
  pl_send_history_config cfg;
  size_t mask;
  entry *e;
  uint8_t *slab;
  pl_send_history_stats st;
};

int pl_send_history_new(pl_send_history **out, const pl_send_history_config *cfg) {
  *out = NULL;
  pl_send_history_config c = cfg ? *cfg : (pl_send_history_config){0};
  if (!c.packets)
    c.packets = 1024;
  if (!c.max_age)
    c.max_age = PL_SEC(1);
  if (!c.max_packet)
    c.max_packet = 1500;
  if (c.packets > 32768 || c.max_age < 0 || c.max_packet > 65535 ||
      c.max_packet < PL_RTP_MIN_HEADER)
    return PL_EINVAL;
  size_t n = 1;
  while (n < c.packets)
    n <<= 1;
  c.packets = n;
  pl_send_history *h = calloc(1, sizeof *h);
  if (!h)
    return PL_ENOMEM;
  h->cfg = c;
  h->mask = n - 1;
  h->e = calloc(n, sizeof *h->e);
  h->slab = malloc(n * c.max_packet);
  if (!h->e || !h->slab) {
    pl_send_history_free(h);
    return PL_ENOMEM;
  }
  *out = h;
  return 0;
}

void pl_send_history_free(pl_send_history *h) {
  if (!h)
    return;
  free(h->e);
  free(h->slab);
  free(h);
}

int pl_send_history_put(pl_send_history *h, pl_time_us now, const uint8_t *pkt,
                        size_t len) {
  if (len < PL_RTP_MIN_HEADER)
    return PL_ETRUNC;
  if (len > h->cfg.max_packet)
    return PL_ERANGE;
  uint16_t seq = pl_be16(pkt + 2);
  size_t i = seq & h->mask;
  entry *e = &h->e[i];
  *e = (entry){true, seq, (uint16_t)len, now, 0, false};
  memcpy(h->slab + i * h->cfg.max_packet, pkt, len);
  h->st.stored++;
  return 0;
}

int pl_send_history_get(pl_send_history *h, pl_time_us now, uint16_t seq,
                        pl_time_us min_interval, const uint8_t **pkt,
                        size_t *len) {
  h->st.requests++;
  size_t i = seq & h->mask;
  entry *e = &h->e[i];
  if (!e->used || e->seq != seq) {
    h->st.missing++;
    return PL_ENOENT;
  }
  if (now - e->sent_at > h->cfg.max_age) {
    h->st.expired++;
    return PL_ETIMEDOUT;
  }
  if (e->resent && now - e->resent_at < min_interval) {
    h->st.throttled++;
    return PL_EAGAIN;
  }
  e->resent = true;
  e->resent_at = now;
  *pkt = h->slab + i * h->cfg.max_packet;
  *len = e->len;
  h->st.resent++;
  return 0;
}

void pl_send_history_forget(pl_send_history *h, uint16_t seq) {
  entry *e = &h->e[seq & h->mask];
  if (e->used && e->seq == seq)
    e->used = false;
}

void pl_send_history_get_stats(const pl_send_history *h,
                               pl_send_history_stats *out) {
  *out = h->st;
}

void pl_rtx_sender_init(pl_rtx_sender *rs, uint32_t ssrc, uint8_t pt,
                        uint16_t first_seq) {
  rs->ssrc = ssrc;
  rs->pt = pt & 0x7f;
  rs->seq = first_seq;
  rs->packets = 0;
}

int pl_rtx_wrap(pl_rtx_sender *rs, const uint8_t *pkt, size_t len,
                uint8_t *out, size_t cap) {
  pl_rtp_header h;
  int rc = pl_rtp_parse(&h, pkt, len);
  if (rc < 0)
    return rc;
  /* The payload goes in first, two bytes in, leaving room for the OSN;
   * pl_rtp_write then moves it behind the rewritten header. */
  size_t plen = h.payload_len + 2;
  if (plen > cap || h.header_len > cap - plen)
    return PL_EFULL;
  uint16_t osn = h.seq;
  memmove(out + 2, h.payload, h.payload_len);
  pl_put_be16(out, osn);
  h.payload = out;
  h.payload_len = plen;
  h.padding_len = 0;
  h.padding = false;
  h.ssrc = rs->ssrc;
  h.pt = rs->pt;
  h.seq = rs->seq;
  rc = pl_rtp_write(&h, NULL, out, cap);
  if (rc < 0)
    return rc;
  rs->seq++;
  rs->packets++;
  return rc;
}

int pl_rtx_unwrap(const uint8_t *rtx, size_t n, uint32_t media_ssrc,
                  uint8_t media_pt, uint8_t *out, size_t cap, uint16_t *osn) {
  pl_rtp_header h;
  int rc = pl_rtp_parse(&h, rtx, n);
  if (rc < 0)
    return rc;
  if (h.payload_len < 2)
    return PL_ENOENT;
  uint16_t o = pl_be16(h.payload);
  h.payload += 2;
  h.payload_len -= 2;
  h.padding_len = 0;
  h.padding = false;
  h.ssrc = media_ssrc;
  h.pt = media_pt & 0x7f;
  h.seq = o;
  if (h.header_len + h.payload_len > cap)
    return PL_EFULL;
  if (osn)
    *osn = o;
  return pl_rtp_write(&h, NULL, out, cap);
}
