#include "net/stun/txq.h"

#include <stdlib.h>

#include "parley.h"

int pl_stun_txq_init(pl_stun_txq *q, size_t cap) {
  q->slots = cap ? calloc(cap, sizeof *q->slots) : NULL;
  q->cap = q->slots ? cap : 0;
  q->head = q->count = 0;
  q->dropped = 0;
  return q->slots ? 0 : PL_ENOMEM;
}

void pl_stun_txq_destroy(pl_stun_txq *q) {
  free(q->slots);
  q->slots = NULL;
  q->cap = q->count = 0;
}

pl_stun_tx *pl_stun_txq_reserve(pl_stun_txq *q) {
  if (q->count == q->cap) {
    q->dropped++;
    return NULL;
  }
  pl_stun_tx *t = &q->slots[(q->head + q->count) % q->cap];
  t->len = 0;
  return t;
}

void pl_stun_txq_commit(pl_stun_txq *q) {
  if (q->count < q->cap)
    q->count++;
}

const pl_stun_tx *pl_stun_txq_pop(pl_stun_txq *q) {
  if (!q->count)
    return NULL;
  const pl_stun_tx *t = &q->slots[q->head];
  q->head = (q->head + 1) % q->cap;
  q->count--;
  return t;
}
