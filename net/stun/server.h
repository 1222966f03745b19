/* A STUN binding server core (RFC 8489 sans-IO): answers Binding requests
 * with the requester's reflexive address in XOR-MAPPED-ADDRESS. Stateless
 * apart from its reply queue; the driver owns sockets and time. */
#ifndef PL_NET_STUN_SERVER_H
#define PL_NET_STUN_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "base/time.h"

typedef struct pl_stun_server pl_stun_server;

typedef struct pl_stun_server_config {
  const char *software; /* SOFTWARE attribute text, NULL for none */
  size_t queue;         /* replies held before poll; 0 = 64 */
} pl_stun_server_config;

typedef struct pl_stun_server_stats {
  uint64_t requests;  /* Binding requests answered with success */
  uint64_t errors;    /* error responses sent (400, 420) */
  uint64_t ignored;   /* datagrams that were not requests to answer */
  uint64_t dropped;   /* replies lost to a full queue */
} pl_stun_server_stats;

typedef struct pl_stun_server_output {
  int socket_id; /* the socket the request came in on */
  pl_addr to;
  const uint8_t *data; /* valid until the next input call */
  size_t len;
} pl_stun_server_output;

pl_stun_server *pl_stun_server_new(const pl_stun_server_config *cfg);
void pl_stun_server_free(pl_stun_server *s);
/* One datagram that arrived on socket_id from `from`. 0 when a reply was
 * queued, else a negative code saying why it was ignored. */
int pl_stun_server_input(pl_stun_server *s, pl_time_us now, int socket_id,
                         const pl_addr *from, const uint8_t *p, size_t n);
bool pl_stun_server_poll(pl_stun_server *s, pl_stun_server_output *out);
/* Always PL_TIME_NEVER: the server keeps no timers. */
pl_time_us pl_stun_server_deadline(const pl_stun_server *s);
pl_stun_server_stats pl_stun_server_get_stats(const pl_stun_server *s);

#endif
