/* A fixed ring of outgoing STUN datagrams, sized once at creation: the
 * sans-IO cores (binding server, ICE agent) queue what they send here and
 * the driver drains it through their poll calls. */
#ifndef PL_NET_STUN_TXQ_H
#define PL_NET_STUN_TXQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"

/* RFC 8489 6.1: without path-MTU knowledge keep STUN under 548 bytes (IPv4);
 * everything these cores build is far smaller. */
#define PL_STUN_MAX_MSG 576

typedef struct pl_stun_tx {
  int socket_id;   /* driver's socket to send from */
  pl_addr to;
  size_t len;
  uint8_t data[PL_STUN_MAX_MSG];
} pl_stun_tx;

typedef struct pl_stun_txq {
  pl_stun_tx *slots;
  size_t cap, head, count;
  uint64_t dropped; /* pushes refused because the ring was full */
} pl_stun_txq;

int pl_stun_txq_init(pl_stun_txq *q, size_t cap);
void pl_stun_txq_destroy(pl_stun_txq *q);
/* A slot to fill (len, data, to, socket_id), or NULL when full (counted).
 * The slot becomes visible to pop once pl_stun_txq_commit is called. */
pl_stun_tx *pl_stun_txq_reserve(pl_stun_txq *q);
void pl_stun_txq_commit(pl_stun_txq *q);
/* Oldest queued datagram; valid until the next reserve. NULL when empty. */
const pl_stun_tx *pl_stun_txq_pop(pl_stun_txq *q);
static inline bool pl_stun_txq_empty(const pl_stun_txq *q) {
  return q->count == 0;
}

#endif
