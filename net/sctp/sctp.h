/* An SCTP association for WebRTC data channels (RFC 8831, 8832, 8841), on
 * usrsctp in its single-threaded mode, sans-IO: SCTP packets in and out as
 * bytes (the caller carries them in DTLS application data), time from the
 * caller's clock, channels and messages out through poll. How usrsctp's
 * process-wide state is shared by several associations: docs/datachannel.md. */
#ifndef PL_NET_SCTP_H
#define PL_NET_SCTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time.h"
#include "parley.h"

#define PL_SCTP_PORT 5000
#define PL_SCTP_MAX_MESSAGE (256 * 1024)  /* what we accept (a=max-message-size) */
#define PL_SCTP_MAX_PACKET 1500
#define PL_SCTP_MAX_CHANNELS 128          /* open at once per association */
#define PL_SCTP_STREAMS 1024              /* stream ids 0..1023 */

/* Payload protocol identifiers (RFC 8831 8). */
enum {
  PL_SCTP_PPID_DCEP = 50,
  PL_SCTP_PPID_STRING = 51,
  PL_SCTP_PPID_BINARY = 53,
  PL_SCTP_PPID_STRING_EMPTY = 56,
  PL_SCTP_PPID_BINARY_EMPTY = 57,
};

typedef struct pl_sctp_config {
  uint16_t local_port, remote_port; /* a=sctp-port; 0 = 5000 */
  size_t max_message_size;          /* ours; 0 = PL_SCTP_MAX_MESSAGE */
  size_t send_buffer;               /* bytes queued in SCTP; 0 = 4 MiB */
  size_t mtu;                       /* SCTP packet bytes; 0 = 1150 */
} pl_sctp_config;

typedef enum {
  PL_SCTP_OUT_TRANSMIT, /* an SCTP packet for the peer: data/len */
  PL_SCTP_OUT_UP,       /* the association is established */
  PL_SCTP_OUT_DOWN,     /* lost or shut down: every channel is closed */
  PL_SCTP_OUT_CHANNEL,  /* the peer opened channel `channel` (DCEP) */
  PL_SCTP_OUT_OPEN,     /* channel is open */
  PL_SCTP_OUT_MESSAGE,  /* data/len/binary on channel */
  PL_SCTP_OUT_CLOSE,    /* channel closed; its handle may be reused after */
  PL_SCTP_OUT_BUFFERED_LOW,
} pl_sctp_output_kind;

typedef struct pl_sctp_output {
  pl_sctp_output_kind kind;
  int channel;         /* a handle: 0..PL_SCTP_MAX_CHANNELS-1 */
  const uint8_t *data; /* valid until the next call into the association */
  size_t len;
  bool binary;
} pl_sctp_output;

/* Counted refusals and drops: bad input never ends the association. */
typedef struct pl_sctp_stats {
  uint64_t packets_in, packets_out;
  uint64_t out_dropped;       /* output queue full (SCTP retransmits) */
  uint64_t dcep_errors;       /* malformed or unknown DCEP messages */
  uint64_t id_in_use;         /* DCEP OPEN for a stream already open */
  uint64_t oversize_dropped;  /* messages over our max message size */
  uint64_t unknown_ppid;      /* data with a PPID we do not know */
  uint64_t no_channel;        /* data on a stream with no open channel */
  uint64_t send_refused;      /* send() on a full buffer or over the size */
  uint64_t window_full;       /* send() refused: the channel's queue is full */
  uint64_t queue_dropped;     /* queued messages lost to a close or error */
  uint64_t streams_reset;
  uint64_t send_window;       /* bytes, now (delay-based, see sctp.c) */
  uint32_t queue_delay_ms;    /* SCTP's SRTT above its smallest */
} pl_sctp_stats;

typedef struct pl_sctp pl_sctp;

/* Creates the association's socket (no packet yet). The first association
 * in a process initialises usrsctp; the last one freed finishes it. */
int pl_sctp_new(pl_sctp **out, const pl_sctp_config *cfg);
void pl_sctp_free(pl_sctp *s);
/* The DTLS handshake is done: `dtls_client` picks the stream id parity
 * (RFC 8832 6: client even, server odd); both sides connect at once (SCTP
 * simultaneous open, as every WebRTC stack does). remote_max_message is the
 * peer's a=max-message-size (0: 65536, RFC 8841 6.1). */
int pl_sctp_start(pl_sctp *s, pl_time_us now, bool dtls_client,
                  size_t remote_max_message);
/* The peer's a=sctp-port, before start (default 5000). */
int pl_sctp_set_remote_port(pl_sctp *s, uint16_t port);
/* The transport under the association is gone (DTLS closed or failed):
 * every channel closes (CLOSE events) and the association is DOWN. */
void pl_sctp_transport_closed(pl_sctp *s);
/* One SCTP packet from the peer (a DTLS application data record). */
int pl_sctp_input(pl_sctp *s, pl_time_us now, const uint8_t *p, size_t n);
int pl_sctp_timeout(pl_sctp *s, pl_time_us now);
bool pl_sctp_poll(pl_sctp *s, pl_sctp_output *out);
pl_time_us pl_sctp_deadline(const pl_sctp *s);
bool pl_sctp_is_up(const pl_sctp *s);

/* A new channel (before or after start); returns its handle or PL_EFULL
 * (too many), PL_EINVAL (bad options, or a negotiated id in use or >=
 * PL_SCTP_STREAMS). It opens once the association is up. */
int pl_sctp_open(pl_sctp *s, pl_time_us now, const pl_dc_init *init);
/* One message. PL_ESTATE unless open; PL_ERANGE over the peer's maximum;
 * PL_EFULL when the send buffer or the send window cannot take it now
 * (BUFFERED_LOW follows when it can). */
int pl_sctp_send(pl_sctp *s, pl_time_us now, int channel, bool binary,
                 const uint8_t *p, size_t n);
/* Closing: the outgoing stream is reset once its data is sent, the peer
 * resets its own, then CLOSE. */
int pl_sctp_close(pl_sctp *s, pl_time_us now, int channel);
int pl_sctp_set_buffered_low(pl_sctp *s, int channel, uint64_t threshold);
int pl_sctp_channel_stats(const pl_sctp *s, int channel, pl_dc_stats *out);
/* Handles of live channels into out[], returns how many. */
int pl_sctp_channels(const pl_sctp *s, int *out, int cap);
pl_sctp_stats pl_sctp_get_stats(const pl_sctp *s);

#endif
