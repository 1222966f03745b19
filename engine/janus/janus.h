/* Janus VideoRoom signaling (Janus's HTTP long-poll API), apart from the
 * sockets: JSON replies and events in, HTTP requests and app events out.
 *
 *   create session -> attach videoroom -> join as publisher (the reply lists
 *   the publishers) -> configure with our offer -> Janus's answer;
 *   per remote publisher (feed): attach -> join as subscriber -> Janus's
 *   offer -> our answer in "start";
 *   a long poll (GET /janus/<session>) always open for events, a keepalive
 *   every PL_JANUS_KEEPALIVE_MS; leave and destroy at the end.
 *
 * The core never touches a call: it asks for an offer / an answer through
 * its events, and takes the SDP back with pl_janus_core_publish and
 * pl_janus_core_answer, so the fuzzer and the unit tests drive it with
 * plain strings. engine/janus/janus_uv.c puts it on libuv and pl_calls. */
#ifndef PL_ENGINE_JANUS_H
#define PL_ENGINE_JANUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time.h"
#include "engine/janus/json.h"

#define PL_JANUS_MAX_FEEDS 16     /* remote publishers followed at once */
#define PL_JANUS_MAX_TX 32        /* transactions in flight */
#define PL_JANUS_KEEPALIVE_MS 25000 /* Janus drops a session after 60 s idle */
#define PL_JANUS_TX_TIMEOUT_MS 10000
#define PL_JANUS_MAX_TOKENS 4096
#define PL_JANUS_EVENTS 32        /* events queued for the app */
#define PL_JANUS_REQS 32          /* requests queued for the driver */
#define PL_JANUS_DISPLAY_MAX 64
#define PL_JANUS_POLL_RETRY_MS 500 /* long poll failed: try again after this */
#define PL_JANUS_POLL_FAILS 6      /* ... this many times in a row: the server is gone */
#define PL_JANUS_POLL_MIN_MS 1000  /* an empty answer sooner than this: pause first */

typedef enum {
  PL_JANUS_EV_NEED_OFFER = 1, /* joined: give our offer (pl_janus_core_publish) */
  PL_JANUS_EV_PUBLISHED,      /* sdp: Janus's answer to our offer */
  PL_JANUS_EV_FEED,           /* a publisher appeared: feed, display */
  PL_JANUS_EV_FEED_OFFER,     /* sdp: Janus's offer for feed; answer it */
  PL_JANUS_EV_FEED_STARTED,   /* our answer for feed was taken */
  PL_JANUS_EV_FEED_GONE,      /* feed unpublished or left; error says why if it failed */
  PL_JANUS_EV_WEBRTC_UP,      /* Janus says a PeerConnection is up (feed 0: ours) */
  PL_JANUS_EV_ERROR,          /* error, code, detail: the room goes on */
  PL_JANUS_EV_FAILED,         /* error, code, detail: the session is over */
  PL_JANUS_EV_CLOSED,         /* left and destroyed (or gave up doing so) */
} pl_janus_event_type;

typedef struct pl_janus_event {
  pl_janus_event_type type;
  uint64_t feed;      /* the remote publisher's id; 0 for our own */
  int error;          /* PL_E* */
  int code;           /* Janus's error code (458: no such session, ...), or 0 */
  char display[PL_JANUS_DISPLAY_MAX];
  char detail[160];
  const char *sdp;    /* valid until the next poll */
} pl_janus_event;

typedef struct pl_janus_request {
  bool get;          /* a long poll (GET), else POST body */
  int tag;           /* hand back to pl_janus_core_http_failed */
  char path[96];     /* "/janus", "/janus/<session>", ".../<handle>" */
  const char *body;  /* valid until the next poll */
  size_t body_len;
} pl_janus_request;

typedef enum {
  PL_JANUS_IDLE,
  PL_JANUS_CREATING,
  PL_JANUS_ATTACHING,
  PL_JANUS_JOINING,
  PL_JANUS_WANT_OFFER,
  PL_JANUS_CONFIGURING,
  PL_JANUS_JOINED,
  PL_JANUS_LEAVING,
  PL_JANUS_CLOSED,
  PL_JANUS_FAILED,
} pl_janus_state;

typedef enum {
  FEED_FREE = 0,
  FEED_ATTACHING,
  FEED_JOINING,
  FEED_OFFERED,  /* the app is answering */
  FEED_STARTING,
  FEED_ACTIVE,
} pl_janus_feed_state;

typedef struct pl_janus_feed {
  pl_janus_feed_state state;
  uint64_t id, handle;
  char display[PL_JANUS_DISPLAY_MAX];
} pl_janus_feed;

typedef struct pl_janus_tx {
  uint32_t id;       /* 0: free slot; the transaction is "<prefix>-<id>" */
  int kind;
  uint64_t feed;     /* for per-feed requests */
  pl_time_us sent;
} pl_janus_tx;

typedef struct pl_janus_counters {
  uint64_t messages, malformed, unknown_tx, errors, events_dropped, ignored;
  uint64_t keepalives, polls, late;
} pl_janus_counters;

typedef struct pl_janus_core {
  pl_janus_state state;
  uint64_t room;
  char base[48];        /* "/janus" (from the URL) */
  char display[PL_JANUS_DISPLAY_MAX];
  bool video;           /* we publish video */
  uint64_t session, handle, my_id, private_id;
  char tx_prefix[17];
  uint32_t next_tx;
  pl_janus_tx tx[PL_JANUS_MAX_TX];
  /* Transactions done or abandoned lately: Janus may send a plugin
   * request's event (on the long poll) before its "ack" (on the POST), and
   * replies to what we gave up on come late; those are no strangers. */
  uint32_t recent[PL_JANUS_MAX_TX];
  int recent_next;
  pl_janus_feed feeds[PL_JANUS_MAX_FEEDS];
  pl_time_us now, last_sent, poll_retry_at, poll_sent;
  bool poll_in_flight;
  int poll_fails;
  uint64_t poll_rid;
  /* queues */
  pl_janus_event ev[PL_JANUS_EVENTS];
  char *ev_sdp[PL_JANUS_EVENTS];
  int ev_head, ev_n;
  pl_janus_request rq[PL_JANUS_REQS];
  char *rq_body[PL_JANUS_REQS];
  int rq_head, rq_n;
  char *last_sdp, *last_body; /* handed out by the last poll */
  pl_janus_counters count;
  pl_json_tok tok[PL_JANUS_MAX_TOKENS];
} pl_janus_core;

/* base_path: the URL's path ("/janus"); tx_seed makes transaction ids
 * unguessable enough to tell our replies from stale ones. */
int pl_janus_core_init(pl_janus_core *c, const char *base_path, uint64_t room,
                       const char *display, bool video, uint64_t tx_seed);
void pl_janus_core_free(pl_janus_core *c);
/* Starts: queues the create request. */
int pl_janus_core_start(pl_janus_core *c, pl_time_us now);
/* A response body to the request with this tag (POST reply, or the long
 * poll's answer): one JSON object or an
 * array of them. Bad input is counted and reported as an event; the
 * return value is 0 or the PL_E* the event carried. */
int pl_janus_core_input(pl_janus_core *c, pl_time_us now, int tag, const char *body,
                        size_t len);
/* The request with this tag got no usable HTTP answer (err PL_E*, or a
 * non-2xx status as PL_EIO with status set). */
void pl_janus_core_http_failed(pl_janus_core *c, pl_time_us now, int tag, int err, int status);
/* Our offer, after PL_JANUS_EV_NEED_OFFER. */
int pl_janus_core_publish(pl_janus_core *c, pl_time_us now, const char *offer);
/* Our answer for a feed, after PL_JANUS_EV_FEED_OFFER; a NULL answer (the
 * app could not use the offer) drops the feed. */
int pl_janus_core_answer(pl_janus_core *c, pl_time_us now, uint64_t feed, const char *answer);
/* Trickles one of our candidates ("candidate:..." or "a=candidate:...",
 * for the m-line `mid`, index 0: everything is BUNDLEd) on the publisher's
 * handle (feed 0) or a feed's subscriber handle; NULL says we have no more
 * ({"completed": true}). PL_ESTATE before that handle has sent its SDP. */
int pl_janus_core_trickle(pl_janus_core *c, pl_time_us now, uint64_t feed, const char *mid,
                          const char *candidate);
/* Leave the room and destroy the session (PL_JANUS_EV_CLOSED follows). */
void pl_janus_core_leave(pl_janus_core *c, pl_time_us now);
int pl_janus_core_timeout(pl_janus_core *c, pl_time_us now);
pl_time_us pl_janus_core_deadline(const pl_janus_core *c);
bool pl_janus_core_poll_request(pl_janus_core *c, pl_janus_request *out);
bool pl_janus_core_poll_event(pl_janus_core *c, pl_janus_event *out);

const char *pl_janus_event_name(pl_janus_event_type t);

#endif
