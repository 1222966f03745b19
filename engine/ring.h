/* A single-producer single-consumer ring of fixed-size slots, lock-free,
 * for handing packets between the network thread and the media thread
 * without either ever waiting on the other. Sized at call start. */
#ifndef PL_ENGINE_RING_H
#define PL_ENGINE_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pl_ring {
  uint8_t *slots;
  size_t slot_size, count; /* count is a power of two */
  _Atomic size_t head;     /* next slot to write (producer) */
  _Atomic size_t tail;     /* next slot to read (consumer) */
  _Atomic uint64_t dropped; /* pushes refused because full */
} pl_ring;

int pl_ring_init(pl_ring *r, size_t slot_size, size_t count);
void pl_ring_destroy(pl_ring *r);
/* Producer: a slot to fill, or NULL when full (counted in dropped); then
 * pl_ring_commit() publishes it. */
void *pl_ring_reserve(pl_ring *r);
void pl_ring_commit(pl_ring *r);
/* Consumer: the oldest slot, or NULL when empty; pl_ring_release() frees it. */
void *pl_ring_peek(pl_ring *r);
void pl_ring_release(pl_ring *r);
size_t pl_ring_size(pl_ring *r);

#endif
