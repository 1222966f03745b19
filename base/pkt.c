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
  for (size_t i = count; i-- > 0;) {
    pool->slab[i].next = pool->free;
    pool->free = &pool->slab[i];
  }
  return 0;
}

void pl_pkt_pool_destroy(pl_pkt_pool *pool) {
  free(pool->slab);
  memset(pool, 0, sizeof *pool);
}

pl_pkt *pl_pkt_get(pl_pkt_pool *pool) {
  pl_pkt *p = pool->free;
  if (!p)
    return NULL;
  pool->free = p->next;
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
