/* Per-channel message queue: see sendq.h. */
#include "net/sctp/sendq.h"

#include <stdlib.h>
#include <string.h>

typedef struct hdr {
  uint32_t len;
  uint8_t binary;
  uint8_t wrap; /* the rest of the ring is unused: the next is at 0 */
  uint16_t pad;
} hdr;

static size_t need(size_t n) { return sizeof(hdr) + ((n + 7) & ~(size_t)7); }

bool pl_sendq_push(pl_sendq *q, size_t cap, const uint8_t *p, size_t n, bool binary) {
  size_t k = need(n);
  if (!q->buf) {
    q->buf = malloc(cap);
    if (!q->buf)
      return false;
    q->cap = cap;
  }
  if (!q->n)
    q->head = q->tail = 0;
  size_t at;
  /* head == tail only when empty: every test below is strict. */
  if (q->tail >= q->head) {
    if (q->tail + k <= q->cap) {
      at = q->tail;
    } else if (k < q->head) {
      if (q->tail + sizeof(hdr) <= q->cap) {
        hdr w = {.wrap = 1};
        memcpy(q->buf + q->tail, &w, sizeof w);
      }
      at = 0;
    } else {
      return false;
    }
  } else if (q->tail + k < q->head) {
    at = q->tail;
  } else {
    return false;
  }
  hdr h = {.len = (uint32_t)n, .binary = binary};
  memcpy(q->buf + at, &h, sizeof h);
  if (n)
    memcpy(q->buf + at + sizeof h, p, n);
  q->tail = at + k;
  q->n++;
  q->bytes += n;
  return true;
}

static hdr front_hdr(pl_sendq *q) {
  hdr h;
  if (q->head + sizeof h > q->cap)
    q->head = 0;
  memcpy(&h, q->buf + q->head, sizeof h);
  if (h.wrap) {
    q->head = 0;
    memcpy(&h, q->buf, sizeof h);
  }
  return h;
}

bool pl_sendq_front(pl_sendq *q, const uint8_t **p, size_t *n, bool *binary) {
  if (!q->n)
    return false;
  hdr h = front_hdr(q);
  *p = q->buf + q->head + sizeof h;
  *n = h.len;
  *binary = h.binary;
  return true;
}

void pl_sendq_pop(pl_sendq *q) {
  if (!q->n)
    return;
  hdr h = front_hdr(q);
  q->head += need(h.len);
  q->bytes -= h.len;
  if (!--q->n)
    q->head = q->tail = 0;
}

void pl_sendq_free(pl_sendq *q) {
  free(q->buf);
  memset(q, 0, sizeof *q);
}
