/* WHIP-style signaling over engine/http: the server side turns a POSTed
 * offer into a call and its answer; the client side posts a call's offer
 * and applies the answer. Sessions live at /whip/N until DELETE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "engine/engine.h"
#include "engine/http/http.h"
#include "parley.h"

#define WHIP_MAX_SESSIONS 16
#define SDP_CAP 16384

struct pl_whip_server {
  pl_engine *engine;
  pl_http_server *http;
  pl_whip_offer_cb on_offer;
  pl_whip_end_cb on_end;
  void *user;
  unsigned next_id;
  struct {
    unsigned id;
    pl_call *call;
  } sessions[WHIP_MAX_SESSIONS];
  char answer[SDP_CAP];
};

static void text(pl_http_response *resp, int status, const char *msg) {
  resp->status = status;
  snprintf(resp->content_type, sizeof resp->content_type, "text/plain");
  resp->body = msg;
  resp->body_len = strlen(msg);
}

static void handle(void *user, const pl_http_msg *req, pl_http_response *resp) {
  pl_whip_server *s = user;
  unsigned id;
  char tail;
  if (sscanf(req->url, "/whip/%u%c", &id, &tail) == 1) {
    if (strcmp(req->method, "DELETE") != 0) {
      text(resp, 405, "only DELETE on a session\n");
      return;
    }
    for (int i = 0; i < WHIP_MAX_SESSIONS; i++) {
      if (s->sessions[i].call && s->sessions[i].id == id) {
        pl_call *call = s->sessions[i].call;
        s->sessions[i].call = NULL;
        pl_call_hangup(call);
        if (s->on_end)
          s->on_end(s->user, call);
        text(resp, 200, "ended\n");
        return;
      }
    }
    text(resp, 404, "no such session\n");
    return;
  }
  if (strcmp(req->url, "/whip") != 0) {
    text(resp, 404, "not found\n");
    return;
  }
  if (strcmp(req->method, "POST") != 0) {
    text(resp, 405, "POST an SDP offer\n");
    return;
  }
  const char *ct = pl_http_msg_header(req, "Content-Type");
  if (!ct || strncmp(ct, "application/sdp", 15) != 0) {
    text(resp, 415, "Content-Type must be application/sdp\n");
    return;
  }
  int slot = -1;
  for (int i = 0; i < WHIP_MAX_SESSIONS && slot < 0; i++)
    if (!s->sessions[i].call)
      slot = i;
  pl_call *call = slot >= 0 ? s->on_offer(s->user) : NULL;
  if (!call) {
    text(resp, 503, "busy\n");
    return;
  }
  int rc = pl_call_accept_offer(call, req->body ? req->body : "", s->answer,
                                sizeof s->answer);
  if (rc) {
    PL_WARN("whip", "refused offer: %s", pl_strerror(rc));
    if (s->on_end)
      s->on_end(s->user, call);
    text(resp, 400, pl_strerror(rc));
    return;
  }
  s->sessions[slot].id = ++s->next_id;
  s->sessions[slot].call = call;
  resp->status = 201;
  snprintf(resp->location, sizeof resp->location, "/whip/%u", s->next_id);
  snprintf(resp->content_type, sizeof resp->content_type, "application/sdp");
  resp->body = s->answer;
  resp->body_len = strlen(s->answer);
}

int pl_whip_server_new(pl_whip_server **out, pl_engine *engine,
                       const char *addr, pl_whip_offer_cb on_offer,
                       pl_whip_end_cb on_end, void *user) {
  *out = NULL;
  uv_loop_t *loop = pl_engine_loop(engine);
  if (!loop || !on_offer)
    return PL_EINVAL;
  pl_whip_server *s = calloc(1, sizeof *s);
  if (!s)
    return PL_ENOMEM;
  s->engine = engine;
  s->on_offer = on_offer;
  s->on_end = on_end;
  s->user = user;
  int rc = pl_http_server_new(&s->http, loop, addr, handle, s);
  if (rc) {
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void pl_whip_server_free(pl_whip_server *s) {
  if (!s)
    return;
  pl_http_server_free(s->http);
  free(s);
}

typedef struct dial {
  pl_call *call;
  pl_whip_done_cb done;
  void *user;
} dial;

static void on_response(void *user, int err, const pl_http_msg *resp) {
  dial *d = user;
  int status = resp ? resp->status : 0;
  if (!err && status != 201 && status != 200)
    err = status == 503 || status == 409 ? PL_EFULL : PL_ECLOSED;
  if (!err)
    err = pl_call_accept_answer(d->call, resp->body ? resp->body : "");
  if (d->done)
    d->done(d->call, err, status, d->user);
  free(d);
}

int pl_call_dial_whip(pl_call *call, const char *addr, pl_whip_done_cb done,
                      void *user) {
  uv_loop_t *loop = pl_engine_loop(pl_call_engine(call));
  if (!loop)
    return PL_EINVAL;
  char *offer = malloc(SDP_CAP);
  dial *d = calloc(1, sizeof *d);
  if (!offer || !d) {
    free(offer);
    free(d);
    return PL_ENOMEM;
  }
  int rc = pl_call_create_offer(call, offer, SDP_CAP);
  if (!rc) {
    d->call = call;
    d->done = done;
    d->user = user;
    rc = pl_http_request(loop, addr, "POST", "/whip", "application/sdp", offer,
                         strlen(offer), on_response, d);
  }
  free(offer);
  if (rc)
    free(d);
  return rc;
}
