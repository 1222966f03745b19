#include "engine/ring.h"

#include <stdlib.h>

#include "parley.h"

int pl_ring_init(pl_ring *r, size_t slot_size, size_t count) {
  if (count < 2 || (count & (count - 1)) || slot_size == 0)
    return PL_EINVAL;
  r->slots = calloc(count, slot_size);
  if (!r->slots)
    return PL_ENOMEM;
  r->slot_size = slot_size;
  r->count = count;
  atomic_init(&r->head, 0);
  atomic_init(&r->tail, 0);
  atomic_init(&r->dropped, 0);
  return 0;
}

void pl_ring_destroy(pl_ring *r) {
  free(r->slots);
  r->slots = NULL;
}

void *pl_ring_reserve(pl_ring *r) {
  size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
  size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
  if (head - tail == r->count) {
    atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
    return NULL;
  }
  return r->slots + (head & (r->count - 1)) * r->slot_size;
}

void pl_ring_commit(pl_ring *r) {
  size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
  atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

void *pl_ring_peek(pl_ring *r) {
  size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
  size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
  if (head == tail)
    return NULL;
  return r->slots + (tail & (r->count - 1)) * r->slot_size;
}

void pl_ring_release(pl_ring *r) {
  size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
  atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

size_t pl_ring_size(pl_ring *r) {
  return atomic_load_explicit(&r->head, memory_order_acquire) -
         atomic_load_explicit(&r->tail, memory_order_acquire);
}
