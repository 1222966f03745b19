/* WHIP (RFC 9725) request handling, apart from the sockets: a parsed HTTP
 * request in, a response out. The libuv server in whip.c and the fuzz
 * target both drive it; with a sans-IO engine the calls it makes run on
 * the caller's clock. */
#ifndef PL_ENGINE_WHIP_H
#define PL_ENGINE_WHIP_H

#include "engine/http/http.h"
#include "parley.h"

#define PL_WHIP_MAX_SESSIONS 16
#define PL_WHIP_SDP_CAP 16384

struct pl_whip_server {
  pl_engine *engine;
  pl_http_server *http; /* NULL for a core driven without sockets */
  pl_whip_offer_cb on_offer;
  pl_whip_end_cb on_end;
  void *user;
  unsigned next_id;
  struct {
    unsigned id;
    unsigned etag; /* bumped by an ICE restart */
    pl_call *call;
  } sessions[PL_WHIP_MAX_SESSIONS];
  const char *page; /* GET / (borrowed), or NULL */
  size_t page_len;
  char body[PL_WHIP_SDP_CAP];
};

/* A server with no HTTP listener: requests come through pl_whip_handle. */
int pl_whip_core_init(pl_whip_server *s, pl_engine *engine, pl_whip_offer_cb on_offer,
                      pl_whip_end_cb on_end, void *user);
/* Fills resp for req; resp->body may point into s->body until the next call. */
void pl_whip_handle(pl_whip_server *s, const pl_http_msg *req, pl_http_response *resp);

/* The dial side's trickle: after the answer, PATCH our late candidates and
 * collect the server's from the responses. Detached when the call goes. */
void pl_whip_dial_detach_(pl_call *call);

#endif
