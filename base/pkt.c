#include "base/pkt.h"

#include <stdlib.h>
#include <string.h>

#include "parley.h"

int pl_pkt_pool_init(pl_pkt_pool *pool, size_t count) {
  memset(pool, 0, sizeof *pool);
  if (count == 0)
    return PL_EINVAL;
  pool->slab = calloc(count, sizeof(pl_pkt));
  if (!pool->slab)
    return PL_ENOMEM;
  pool->count = count;
  /* Packets are handed out from the slab in order and only then join the
   * free list: a call touches (and keeps resident) only as many as it ever
   * had in flight. An audio call's pool of 1024 (sized for video bursts
   * and the pacer) costs ~1.8 MB of address space but ~100 KB of memory;
   * a server with many calls counts the difference. */
  return 0;
}

void pl_pkt_pool_destroy(pl_pkt_pool *pool) {
  free(pool->slab);
  memset(pool, 0, sizeof *pool);
}

pl_pkt *pl_pkt_get(pl_pkt_pool *pool) {
  pl_pkt *p = pool->free;
  if (p)
    pool->free = p->next;
  else if (pool->fresh < pool->count)
    p = &pool->slab[pool->fresh++];
  else
    return NULL;
  p->next = NULL;
  p->data = p->buf + PL_PKT_HEADROOM;
  p->len = 0;
  p->time = 0;
  if (++pool->in_use > pool->high_water)
    pool->high_water = pool->in_use;
  return p;
}

void pl_pkt_put(pl_pkt_pool *pool, pl_pkt *p) {
  if (!p)
    return;
  p->next = pool->free;
  pool->free = p;
  pool->in_use--;
}

pl_pkt *pl_pkt_from(pl_pkt_pool *pool, const uint8_t *data, size_t len) {
  if (len > PL_PKT_CAPACITY)
    return NULL;
  pl_pkt *p = pl_pkt_get(pool);
  if (!p)
    return NULL;
  memcpy(p->data, data, len);
  p->len = len;
  return p;
}

void pl_pkt_queue_push(pl_pkt_queue *q, pl_pkt *p) {
  p->next = NULL;
  if (q->tail)
    q->tail->next = p;
  else
    q->head = p;
  q->tail = p;
  q->count++;
  q->bytes += p->len;
}

pl_pkt *pl_pkt_queue_pop(pl_pkt_queue *q) {
  pl_pkt *p = q->head;
  if (!p)
    return NULL;
  q->head = p->next;
  if (!q->head)
    q->tail = NULL;
  p->next = NULL;
  q->count--;
  q->bytes -= p->len;
  return p;
}
