/* A TURN client (RFC 8656) for one allocation on one server, sans-IO: the
 * driver feeds what the server sends (datagrams, or a TCP byte stream) and
 * timeouts; the client queues requests to send and events (allocated,
 * failed, closed) for poll, and frames application data for a peer
 * (ChannelData once a channel is bound, a Send indication before). */
#ifndef PL_NET_TURN_H
#define PL_NET_TURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "base/rng.h"
#include "base/time.h"

#define PL_TURN_MAX_PEERS 16   /* permissions (one per peer IP) */
#define PL_TURN_MAX_CHANNELS 16
#define PL_TURN_CRED_MAX 256   /* username / password / realm / nonce bytes */
/* A framed datagram is the payload plus at most this: a Send indication's
 * header, XOR-PEER-ADDRESS (IPv6) and DATA header, padding. */
#define PL_TURN_OVERHEAD 52
/* TCP: frames up to this many bytes are reassembled (a ChannelData header
 * and the largest payload the engine sends, with room to spare). */
#define PL_TURN_STREAM_BUF 4096

typedef enum { PL_TURN_UDP, PL_TURN_TCP, PL_TURN_TLS } pl_turn_transport;

typedef enum {
  PL_TURN_IDLE,
  PL_TURN_ALLOCATING,
  PL_TURN_ALLOCATED,
  PL_TURN_FAILED,
  PL_TURN_CLOSING, /* deallocation (Refresh, lifetime 0) sent */
  PL_TURN_CLOSED,
} pl_turn_state;

typedef struct pl_turn_config {
  pl_addr server;
  pl_turn_transport transport; /* TCP and TLS: stream framing, no retransmits */
  const char *username, *password; /* long-term credentials (copied) */
  pl_rng *rng;                     /* caller-owned: transaction ids */
  uint32_t lifetime_s;             /* asked for; 0 = 600 (the server decides) */
  pl_time_us rto;                  /* UDP first retransmit; 0 = 500 ms */
  unsigned max_sends;              /* UDP sends per request; 0 = 7 */
  pl_time_us stream_timeout;       /* TCP/TLS: answer within; 0 = 10 s */
  unsigned max_stale_nonce;        /* 438 answers in a row; 0 = 3 */
  const char *software;            /* SOFTWARE attribute; NULL for none */
} pl_turn_config;

typedef enum { PL_TURN_OUT_TRANSMIT, PL_TURN_OUT_EVENT } pl_turn_output_kind;

typedef enum {
  PL_TURN_EV_ALLOCATED, /* relayed and mapped are known */
  PL_TURN_EV_FAILED,    /* error: PL_E* code, code: the STUN error or 0 */
  PL_TURN_EV_CLOSED,    /* deallocated (or given up) after pl_turn_close */
} pl_turn_event_kind;

typedef struct pl_turn_output {
  pl_turn_output_kind kind;
  struct {
    const uint8_t *data; /* to the server; valid until the next call */
    size_t len;
  } transmit;
  struct {
    pl_turn_event_kind kind;
    int error;
    unsigned code;     /* STUN error code of a failure, 0 if none */
    const char *reason; /* static text naming the failure */
    pl_addr relayed, mapped;
    uint32_t lifetime_s;
  } event;
} pl_turn_output;

typedef struct pl_turn_stats {
  uint64_t allocations;       /* successful Allocates */
  uint64_t refreshes;         /* successful Refreshes (not deallocation) */
  uint64_t permissions;       /* successful CreatePermissions */
  uint64_t channel_binds;     /* successful ChannelBinds */
  uint64_t requests_sent, retransmits;
  uint64_t auth_challenges;   /* 401s answered with credentials */
  uint64_t stale_nonces;      /* 438s */
  uint64_t errors;            /* error responses and timeouts, all requests */
  uint64_t bytes_sent, packets_sent;         /* application payload to peers */
  uint64_t bytes_received, packets_received; /* application payload from peers */
  uint64_t channel_data_sent, send_indications;
  uint64_t dropped;           /* server input refused: malformed, unknown
                                 channel, unauthenticated answers, overflow */
  uint64_t tx_dropped;        /* requests lost to a full queue */
} pl_turn_stats;

typedef struct pl_turn pl_turn;

pl_turn *pl_turn_new(const pl_turn_config *cfg);
void pl_turn_free(pl_turn *t);

/* Sends the first Allocate (without credentials: the server's 401 names the
 * realm and nonce). */
int pl_turn_start(pl_turn *t, pl_time_us now);
/* Deallocates (Refresh with LIFETIME 0); CLOSED follows the answer or the
 * timeout. Without an allocation it closes at once. */
void pl_turn_close(pl_turn *t, pl_time_us now);

/* Results of pl_turn_input / pl_turn_stream_next that are not drops. */
enum {
  PL_TURN_RX_CONTROL = 0, /* consumed by the client */
  PL_TURN_RX_DATA = 1,    /* rx filled: a peer's datagram */
};
typedef struct pl_turn_rx {
  pl_addr peer;
  const uint8_t *data; /* points into the input (or the stream buffer) */
  size_t len;
} pl_turn_rx;

/* A datagram from the server. PL_ENOENT: a STUN message that is not the
 * client's (a Binding answer for ICE from the same server): the caller
 * hands it on. Other negatives: dropped and counted. */
int pl_turn_input(pl_turn *t, pl_time_us now, const uint8_t *p, size_t n,
                  pl_turn_rx *rx);
/* TCP/TLS: bytes from the stream, appended to the reassembly buffer (0, or
 * PL_EFULL when a frame can never fit: the stream is then broken and the
 * client fails). Then call pl_turn_stream_next until PL_EAGAIN. */
int pl_turn_stream_input(pl_turn *t, pl_time_us now, const uint8_t *p,
                         size_t n);
int pl_turn_stream_next(pl_turn *t, pl_time_us now, pl_turn_rx *rx);

int pl_turn_timeout(pl_turn *t, pl_time_us now);
bool pl_turn_poll(pl_turn *t, pl_turn_output *out);
pl_time_us pl_turn_deadline(const pl_turn *t);

/* Frames `n` bytes for `peer` into out (cap bytes; n + PL_TURN_OVERHEAD is
 * always enough) and returns the framed length: ChannelData on a bound
 * channel, else a Send indication. Installs the peer's permission and asks
 * for a channel on first use (the requests go out through poll), so a
 * caller needs no separate step; data sent before the permission exists
 * may be dropped by the server, as on any lossy path. PL_ESTATE before
 * the allocation, PL_EFULL when out is too small. */
int pl_turn_frame(pl_turn *t, pl_time_us now, const pl_addr *peer,
                  const uint8_t *data, size_t n, uint8_t *out, size_t cap);
/* Asks for a permission for peer's IP now (kept fresh until close). */
int pl_turn_permit(pl_turn *t, pl_time_us now, const pl_addr *peer);

pl_turn_state pl_turn_get_state(const pl_turn *t);
/* The relayed address; false before the allocation. */
bool pl_turn_relayed(const pl_turn *t, pl_addr *relayed, pl_addr *mapped);
pl_turn_stats pl_turn_get_stats(const pl_turn *t);
const pl_addr *pl_turn_server(const pl_turn *t);
pl_turn_transport pl_turn_get_transport(const pl_turn *t);
const char *pl_turn_state_name(pl_turn_state s);

/* ---- helpers (turn_auth.c, turn_url.c) ---- */

/* pl_turn_rest_credentials is public: include/parley.h. */

/* A server from "turn:user:pass@host:port[?transport=tcp]" or "turns:...";
 * host is a numeric IPv4 or [IPv6] address (no resolver in the core). The
 * last ':' before '@' splits user from password (REST usernames hold one);
 * %XX escapes are decoded in both. The strings point into `buf`. */
typedef struct pl_turn_url {
  pl_addr server;
  pl_turn_transport transport;
  const char *username, *password;
  char buf[2 * PL_TURN_CRED_MAX + 128];
} pl_turn_url;
int pl_turn_url_parse(pl_turn_url *u, const char *text);

/* ---- framing (turn_msg.c) ---- */

/* Whether a datagram from the server is ChannelData (first two bits 01). */
bool pl_turn_is_channel_data(const uint8_t *p, size_t n);
/* Stream framing: the length of the frame at p (STUN: header + length;
 * ChannelData: 4 + length padded to 4), PL_EAGAIN when fewer than 4 bytes
 * are there, PL_EPARSE when p starts neither. */
int pl_turn_frame_len(const uint8_t *p, size_t n);

#endif
