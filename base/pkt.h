/* Packet buffers from a fixed pool: the per-packet path takes and returns
 * buffers here instead of calling malloc. A pool is sized when a call
 * starts; when it runs dry the caller counts a drop (PL_EFULL), it never
 * grows behind the caller's back. */
#ifndef PL_BASE_PKT_H
#define PL_BASE_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "base/time.h"

/* Big enough for any datagram on an Ethernet path plus SRTP's tag and MKI,
 * with headroom so headers can be prepended without a copy. */
#define PL_PKT_HEADROOM 64
#define PL_PKT_CAPACITY 1600

typedef struct pl_pkt {
  struct pl_pkt *next; /* free-list / queue link, owned by whoever holds it */
  uint8_t *data;       /* start of payload, inside buf */
  size_t len;
  pl_time_us time;     /* arrival or send time, caller's meaning */
  pl_addr addr;        /* peer address (source on receive, destination on send) */
  uint8_t buf[PL_PKT_HEADROOM + PL_PKT_CAPACITY];
} pl_pkt;

typedef struct pl_pkt_pool {
  pl_pkt *slab;
  pl_pkt *free;   /* packets given back */
  size_t fresh;   /* slab[fresh..count) never handed out: untouched memory */
  size_t count, in_use, high_water;
} pl_pkt_pool;

int pl_pkt_pool_init(pl_pkt_pool *pool, size_t count);
void pl_pkt_pool_destroy(pl_pkt_pool *pool);
/* NULL when the pool is empty. The packet comes back with len 0 and data
 * at the headroom mark. */
pl_pkt *pl_pkt_get(pl_pkt_pool *pool);
void pl_pkt_put(pl_pkt_pool *pool, pl_pkt *p);
/* Copy bytes into a fresh packet; NULL when empty or len too big. */
pl_pkt *pl_pkt_from(pl_pkt_pool *pool, const uint8_t *data, size_t len);

/* Room left after data+len inside the buffer. */
static inline size_t pl_pkt_tailroom(const pl_pkt *p) {
  return (size_t)(p->buf + sizeof p->buf - (p->data + p->len));
}

/* A FIFO of packets linked through `next`; no allocation. */
typedef struct pl_pkt_queue {
  pl_pkt *head, *tail;
  size_t count, bytes;
} pl_pkt_queue;

static inline void pl_pkt_queue_init(pl_pkt_queue *q) {
  q->head = q->tail = NULL;
  q->count = q->bytes = 0;
}
void pl_pkt_queue_push(pl_pkt_queue *q, pl_pkt *p);
pl_pkt *pl_pkt_queue_pop(pl_pkt_queue *q);

#endif
