/* A channel's queue of whole messages waiting for the association's send
 * window: one ring, allocated when the channel first needs it (never per
 * message), messages kept contiguous (a message that does not fit before
 * the end starts again at the front), FIFO. */
#ifndef PL_NET_SCTP_SENDQ_H
#define PL_NET_SCTP_SENDQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pl_sendq {
  uint8_t *buf;
  size_t cap, head, tail;
  size_t bytes; /* payload bytes queued */
  int n;        /* messages queued */
} pl_sendq;

/* Copies a message in; false when it does not fit (or no memory). The ring
 * is made on first use with `cap` bytes. */
bool pl_sendq_push(pl_sendq *q, size_t cap, const uint8_t *p, size_t n, bool binary);
/* The oldest message; false when empty. Valid until pop or push. */
bool pl_sendq_front(pl_sendq *q, const uint8_t **p, size_t *n, bool *binary);
void pl_sendq_pop(pl_sendq *q);
void pl_sendq_free(pl_sendq *q);

#endif
