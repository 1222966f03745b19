/* Receiver side of loss recovery, sans-IO: a NACK generator that tracks
 * missing sequence numbers and says when to ask for each (after a
 * reordering allowance, again every RTT, until it arrives, or too many
 * tries, or too old), and a keyframe requester that turns "cannot decode"
 * into rate-limited PLI or FIR (RFC 4585 §6.3.1, RFC 5104 §4.3.1). The
 * caller builds the RTCP with net/rtcp. */
#ifndef PL_NET_NACK_H
#define PL_NET_NACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time.h"

typedef struct pl_nack_config {
  size_t max_list;         /* missing numbers tracked; 0: 500 */
  pl_time_us reorder_wait; /* a hole is NACKed this long after it is seen,
                              in case the packet was only reordered; 0: 10 ms
                              (negative: at once) */
  int max_retries;         /* NACKs per packet; 0: 10 */
  pl_time_us max_age;      /* give up this long after the hole was seen;
                              0: 1 s */
  uint16_t max_seq_age;    /* or when this many newer numbers arrived;
                              0: 10000 */
  pl_time_us initial_rtt;  /* retry interval until set_rtt; 0: 100 ms */
} pl_nack_config;

typedef struct pl_nack_stats {
  uint64_t missing;     /* holes found */
  uint64_t nacked;      /* sequence numbers put in NACKs, retries included */
  uint64_t recovered;   /* arrived after being NACKed */
  uint64_t reordered;   /* arrived before its NACK was due */
  uint64_t gave_up;     /* dropped from the list unrecovered */
  uint64_t overflows;   /* a hole too big for the list: list cleared */
  size_t pending;
} pl_nack_stats;

typedef struct pl_nack_generator pl_nack_generator;

int pl_nack_generator_new(pl_nack_generator **out, const pl_nack_config *cfg);
void pl_nack_generator_free(pl_nack_generator *g);

/* Every media packet received, including recovered ones (pass the OSN for
 * RTX) and padding-only packets, which take sequence numbers too. */
void pl_nack_on_packet(pl_nack_generator *g, pl_time_us now, uint16_t seq);
/* A keyframe starting at first_seq arrived: holes before it no longer
 * matter. */
void pl_nack_on_keyframe(pl_nack_generator *g, uint16_t first_seq);
void pl_nack_set_rtt(pl_nack_generator *g, pl_time_us rtt);
/* Writes the sequence numbers to NACK now (ascending, at most cap; the
 * rest stay due) and returns how many. Gives up on entries past their
 * limits as it goes. */
size_t pl_nack_poll(pl_nack_generator *g, pl_time_us now, uint16_t *seqs,
                    size_t cap);
/* When poll next has something to send or give up; PL_TIME_NEVER if none. */
pl_time_us pl_nack_deadline(const pl_nack_generator *g);
/* True once after packets were given up on (or the list overflowed):
 * the frame they belonged to is lost, so the receiver wants a keyframe
 * unless its frame buffer can do without it. */
bool pl_nack_take_loss(pl_nack_generator *g);
void pl_nack_get_stats(const pl_nack_generator *g, pl_nack_stats *out);

/* ---- keyframe requests ---- */

typedef enum { PL_KEYFRAME_PLI, PL_KEYFRAME_FIR } pl_keyframe_method;

typedef struct pl_keyframe_requester {
  pl_keyframe_method method;
  pl_time_us min_interval; /* floor between two requests */
  pl_time_us rtt;
  bool wanted;
  bool sent_any;
  pl_time_us last_sent;
  uint8_t fir_seq; /* command sequence number of the current request */
  uint64_t requests, sent;
} pl_keyframe_requester;

/* min_interval 0: 300 ms. */
void pl_keyframe_requester_init(pl_keyframe_requester *k,
                                pl_keyframe_method method,
                                pl_time_us min_interval);
void pl_keyframe_set_rtt(pl_keyframe_requester *k, pl_time_us rtt);
/* Ask (idempotent while a request is open). */
void pl_keyframe_request(pl_keyframe_requester *k);
/* A keyframe arrived: the request is closed. */
void pl_keyframe_received(pl_keyframe_requester *k);
/* True when a PLI or FIR should go out now: at once for a new request if
 * the last one is max(min_interval, rtt) old, then repeated at that
 * interval while the request stays open. *fir_seq is the FIR command
 * sequence number: new requests increment it, repeats keep it (RFC 5104
 * §4.3.1.2). */
bool pl_keyframe_poll(pl_keyframe_requester *k, pl_time_us now,
                      pl_keyframe_method *method, uint8_t *fir_seq);
/* 0 (long past) for a request not sent yet, PL_TIME_NEVER when none. */
pl_time_us pl_keyframe_deadline(const pl_keyframe_requester *k);

/* Sender side of FIR: true when seq_nr is a new command from this peer
 * (a repeat must not cause a second keyframe). */
typedef struct pl_fir_filter {
  bool have;
  uint8_t last;
} pl_fir_filter;
bool pl_fir_filter_is_new(pl_fir_filter *f, uint8_t seq_nr);

#endif
