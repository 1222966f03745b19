/* WHIP (RFC 9725) request handling, apart from the sockets: a parsed HTTP
 * request in, a response out, and a periodic tick that reaps sessions whose
 * ICE never completed. The libuv server in whip.c and the fuzz target both
 * drive it; time is an argument, so a sans-IO engine runs it on the
 * caller's clock. */
#ifndef PL_ENGINE_WHIP_H
#define PL_ENGINE_WHIP_H

#include "base/time.h"
#include "engine/http/http.h"
#include "parley.h"

#define PL_WHIP_MAX_SESSIONS 1024 /* a server's hard limit; max_sessions is the app's */
#define PL_WHIP_SDP_CAP 16384
#define PL_WHIP_ID_HEX 32       /* 128 random bits in the session URL */
#define PL_WHIP_TOKEN_MAX 256
#define PL_WHIP_ORIGINS_MAX 512
#define PL_WHIP_PATCH_MAX_CANDS 16 /* candidates one PATCH may add */
#define PL_WHIP_TICK_MS 500     /* how often the driver calls pl_whip_tick */

typedef struct pl_whip_session {
  pl_call *call; /* NULL: a free slot */
  char id[PL_WHIP_ID_HEX + 1];
  unsigned etag;              /* bumped by an ICE restart */
  pl_time_us posted, last_check;
  uint64_t ice_activity;      /* checks and responses seen at the last tick */
  bool was_connected;
} pl_whip_session;

struct pl_whip_server {
  pl_engine *engine;
  pl_http_server *http; /* NULL for a core driven without sockets */
  uv_timer_t *reaper;   /* whip.c's tick timer, NULL without sockets */
  pl_whip_offer_cb on_offer;
  pl_whip_end_cb on_end;
  void *user;
  char token[PL_WHIP_TOKEN_MAX];
  char origins[PL_WHIP_ORIGINS_MAX];
  int max_sessions;
  pl_time_us connect_timeout, check_idle;
  pl_whip_session sessions[PL_WHIP_MAX_SESSIONS];
  uint64_t answered, busy, refused, reaped, deleted, unknown_session, unauthorized,
      forbidden_origin; /* counters (pl_whip_server_stats) */
  const char *page; /* GET / (borrowed), or NULL */
  size_t page_len;
  char body[PL_WHIP_SDP_CAP];
};

/* A server with no HTTP listener: requests come through pl_whip_handle.
 * opts may be NULL (defaults); PL_EINVAL for out-of-range options. */
int pl_whip_core_init(pl_whip_server *s, pl_engine *engine, const pl_whip_options *opts,
                      pl_whip_offer_cb on_offer, pl_whip_end_cb on_end, void *user);
/* Fills resp for req, received at `now`; resp->body may point into s->body
 * until the next call. */
void pl_whip_handle(pl_whip_server *s, pl_time_us now, const pl_http_msg *req,
                    pl_http_response *resp);
/* Reaps sessions that never connected (or whose call ended by itself), each
 * through on_end. Call every PL_WHIP_TICK_MS or so. */
void pl_whip_tick(pl_whip_server *s, pl_time_us now);
/* Lets go of every session (on_end is not called: the app frees its calls). */
void pl_whip_core_clear(pl_whip_server *s);

/* The dialer's automatic ICE restart (RFC 9725 4.3.2): when the path broke
 * for good (nothing heard and no consent answer for PL_WHIP_BROKEN_MS while
 * probing every 500 ms, or consent failed), the controlling dialer restarts
 * ICE through a PATCH. At most PL_WHIP_RESTARTS in a row without the path
 * coming back, each waiting twice as long as the one before (2, 4, 8 s):
 * a peer that is gone is not asked forever. Sans-IO, the dialer's 100 ms
 * timer feeds it. */
#define PL_WHIP_BROKEN_MS 2000
#define PL_WHIP_RESTARTS 3
typedef struct pl_whip_restart {
  uint64_t consent_ok;   /* the count seen last */
  pl_time_us consent_at; /* when it last moved */
  pl_time_us restarted;  /* the last restart */
  int attempts;          /* in a row, for this outage */
  bool gave_up;
} pl_whip_restart;
typedef struct pl_whip_path {
  bool active;           /* the call is up (media was flowing) */
  bool failed;           /* ICE failed or consent expired */
  pl_time_us last_heard; /* the peer's last media, 0: never */
  uint64_t consent_ok;   /* consent answers so far */
} pl_whip_path;
/* True when a restart is due now (and counts it). */
bool pl_whip_restart_due(pl_whip_restart *r, pl_time_us now, const pl_whip_path *p);

/* The dial side's trickle: after the answer, PATCH our late candidates and
 * collect the server's from the responses. Detached when the call goes
 * (and then DELETEs the session). */
void pl_whip_dial_detach_(pl_call *call);

#endif
