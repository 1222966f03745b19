/* A call's TURN allocations (net/turn clients, one per configured server):
 * started with ICE, each gives ICE a relayed candidate on a virtual socket
 * id; what ICE, DTLS and SRTP send from that id is framed for the server
 * (ChannelData or a Send indication) and leaves on the real socket (UDP)
 * or the TCP connection to the server, and what the server relays back is
 * unwrapped and fed to the call as if it arrived on the virtual socket. */
#ifndef PL_ENGINE_CALL_TURN_H
#define PL_ENGINE_CALL_TURN_H

#include <stdbool.h>

#include "base/addr.h"
#include "base/pkt.h"
#include "base/time.h"
#include "net/turn/turn.h"
#include "parley.h"

/* Socket ids beyond the driver's UDP sockets (pkt_sock is one byte). */
#define PL_CALL_RELAY_SOCK 32 /* + i: relayed candidate of server i (ICE's) */
#define PL_CALL_TCP_SOCK 48   /* + i: the TCP connection to server i (driver's) */

typedef struct pl_call_turn {
  pl_turn *t;
  pl_turn_url url;
  int sock;       /* where datagrams to the server leave */
  bool started, ended; /* ended: relayed candidate given or failure told */
  char error[96];
} pl_call_turn;

struct pl_call;

int pl_call_turn_init(struct pl_call *c);
void pl_call_turn_free(struct pl_call *c);
int pl_call_turn_count(const struct pl_call *c);
/* With ICE's start: UDP allocations begin (TCP ones when connected). */
void pl_call_turn_start(struct pl_call *c, pl_time_us now);
void pl_call_turn_close(struct pl_call *c, pl_time_us now);
/* A datagram on a real socket: 1 and (*relay_sock, rx) when it is a peer's
 * datagram relayed by a server, 0 when the client consumed it, negative
 * when it is not from a server (the caller goes on with it). */
int pl_call_turn_input(struct pl_call *c, pl_time_us now, int sock, const pl_addr *from,
                       const uint8_t *data, size_t len, int *relay_sock, pl_turn_rx *rx);
/* p (to p->addr) from a relayed socket id: framed in place for the server;
 * returns the real socket to send it from, or negative (drop it). */
int pl_call_turn_wrap(struct pl_call *c, pl_pkt *p, int relay_sock);
bool pl_call_turn_is_relay(const struct pl_call *c, int sock);
/* Drains the clients: requests out, events into ICE. */
void pl_call_turn_pump(struct pl_call *c, pl_time_us now);
void pl_call_turn_timeout(struct pl_call *c, pl_time_us now);
pl_time_us pl_call_turn_deadline(const struct pl_call *c);
void pl_call_turn_fill_stats(const struct pl_call *c, pl_call_stats *s);

/* The driver's side of TURN over TCP or TLS (server i's transport). */
bool pl_call_turn_tcp(const struct pl_call *c, int i, pl_addr *server, bool *tls);
void pl_call_turn_tcp_connected(struct pl_call *c, int i, pl_time_us now);
void pl_call_turn_tcp_input(struct pl_call *c, int i, pl_time_us now, const uint8_t *p,
                            size_t n);
void pl_call_turn_tcp_failed(struct pl_call *c, int i, pl_time_us now, const char *why);

#endif
