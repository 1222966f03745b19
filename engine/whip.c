/* WHIP over libuv: the HTTP server in front of whip_core.c, and the dial
 * side: POST the call's offer, apply the answer, then trickle (RFC 8838)
 * our late candidates with PATCH and take the server's from the replies,
 * until both sides said end-of-candidates. Sessions live at /whip/N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "engine/call/call.h"
#include "engine/engine.h"
#include "engine/whip.h"

#define TRICKLE_MS 100   /* how often the dialer looks for new candidates */
#define TRICKLE_TRIES 80 /* ... and for how long, at most (8 s) */

static void on_request(void *user, const pl_http_msg *req, pl_http_response *resp) {
  pl_whip_handle(user, req, resp);
}

int pl_whip_server_new(pl_whip_server **out, pl_engine *engine, const char *addr,
                       pl_whip_offer_cb on_offer, pl_whip_end_cb on_end, void *user) {
  *out = NULL;
  uv_loop_t *loop = pl_engine_loop(engine);
  if (!loop || !on_offer)
    return PL_EINVAL;
  pl_whip_server *s = malloc(sizeof *s);
  if (!s)
    return PL_ENOMEM;
  int rc = pl_whip_core_init(s, engine, on_offer, on_end, user);
  if (!rc)
    rc = pl_http_server_new(&s->http, loop, addr, on_request, s);
  if (rc) {
    free(s);
    return rc;
  }
  *out = s;
  return 0;
}

int pl_whip_server_set_page(pl_whip_server *s, const char *html, size_t len) {
  if (!s || (!html && len))
    return PL_EINVAL;
  s->page = html;
  s->page_len = len;
  return 0;
}

int pl_whip_server_port(const pl_whip_server *s) {
  return s && s->http ? pl_http_server_port(s->http) : PL_EINVAL;
}

void pl_whip_server_free(pl_whip_server *s) {
  if (!s)
    return;
  pl_http_server_free(s->http);
  free(s);
}

/* ---- dial ------------------------------------------------------------------ */

typedef struct dial {
  pl_call *call; /* NULL once the call went away */
  uv_loop_t *loop;
  char addr[64];
  char location[256];
  pl_whip_done_cb done;
  void *user;
  uv_timer_t timer;
  bool timer_on, in_flight, remote_eoc, local_eoc;
  int tries;
  char body[4096];
} dial;

static void dial_timer_closed(uv_handle_t *h) { free(h->data); }

static void dial_end(dial *d) {
  if (d->call)
    d->call->pending_dial = NULL;
  d->call = NULL;
  if (d->in_flight)
    return; /* the PATCH answer finishes it */
  if (d->timer_on) {
    d->timer_on = false;
    uv_close((uv_handle_t *)&d->timer, dial_timer_closed);
  } else {
    free(d);
  }
}

void pl_whip_dial_detach_(pl_call *call) {
  dial *d = call->pending_dial;
  if (d)
    dial_end(d);
}

static void take_server_fragment(dial *d, const pl_http_msg *resp) {
  const char *p = resp->body ? resp->body : "";
  while (*p) {
    size_t n = strcspn(p, "\r\n");
    char line[512];
    if (n < sizeof line) {
      memcpy(line, p, n);
      line[n] = 0;
      if (!strncmp(line, "a=candidate:", 12))
        pl_call_add_remote_candidate(d->call, line);
      else if (!strcmp(line, "a=end-of-candidates")) {
        pl_call_add_remote_candidate(d->call, NULL);
        d->remote_eoc = true;
      }
    }
    p += n;
    while (*p == '\r' || *p == '\n')
      p++;
  }
}

static void on_patched(void *user, int err, const pl_http_msg *resp) {
  dial *d = user;
  d->in_flight = false;
  if (!d->call) {
    dial_end(d);
    return;
  }
  if (!err && resp && resp->status == 200)
    take_server_fragment(d, resp);
  else if (err || !resp || resp->status >= 300)
    PL_WARN("whip", "PATCH %s: %s", d->location, err ? pl_strerror(err) : "refused");
}

static void on_trickle_timer(uv_timer_t *t) {
  dial *d = t->data;
  if (!d->call || d->in_flight)
    return;
  int st = atomic_load(&d->call->state);
  if ((d->local_eoc && d->remote_eoc) || ++d->tries > TRICKLE_TRIES || st == PL_CALL_CLOSED) {
    pl_call *c = d->call;
    dial_end(d);
    (void)c;
    return;
  }
  char ufrag[PL_ICE_UFRAG_MAX], pwd[PL_ICE_PWD_MAX];
  if (pl_call_ice_credentials(d->call, ufrag, sizeof ufrag, pwd, sizeof pwd) != 0)
    return;
  int n = snprintf(d->body, sizeof d->body,
                   "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:%s\r\n",
                   ufrag, pwd, d->call->wrtc->mid[0] ? d->call->wrtc->mid : "0");
  if (n < 0 || (size_t)n >= sizeof d->body)
    return;
  int k = pl_call_local_candidates(d->call, true, d->body + n, sizeof d->body - (size_t)n);
  if (k < 0)
    return;
  if (strstr(d->body + n, "a=end-of-candidates"))
    d->local_eoc = true;
  /* Nothing new of ours: ask anyway while the server's list is open. */
  if (k == 0 && d->remote_eoc)
    return;
  if (pl_http_request(d->loop, d->addr, "PATCH", d->location, "application/trickle-ice-sdpfrag",
                      d->body, (size_t)n + (size_t)k, on_patched, d) == 0)
    d->in_flight = true;
}

static void on_response(void *user, int err, const pl_http_msg *resp) {
  dial *d = user;
  int status = resp ? resp->status : 0;
  if (!err && status != 201 && status != 200)
    err = status == 503 || status == 409 ? PL_EFULL : PL_ECLOSED;
  if (!err && !d->call)
    err = PL_ECLOSED;
  if (!err)
    err = pl_call_accept_answer(d->call, resp->body ? resp->body : "");
  const char *loc = !err ? pl_http_msg_header(resp, "Location") : NULL;
  if (!err && d->call->webrtc && loc && loc[0] == '/') {
    snprintf(d->location, sizeof d->location, "%s", loc);
    d->remote_eoc = resp->body && strstr(resp->body, "a=end-of-candidates");
    uv_timer_init(d->loop, &d->timer);
    d->timer.data = d;
    d->timer_on = true;
    uv_timer_start(&d->timer, on_trickle_timer, TRICKLE_MS, TRICKLE_MS);
  }
  /* The callback may free the call (and so detach us): touch nothing of
   * ours after it, unless the trickle timer keeps us alive. */
  pl_call *call = d->call;
  bool trickling = d->timer_on;
  if (!trickling) {
    if (call)
      call->pending_dial = NULL;
    d->call = NULL;
  }
  if (d->done)
    d->done(call, err, status, d->user);
  if (!trickling)
    free(d);
}

int pl_call_dial_whip(pl_call *call, const char *addr, pl_whip_done_cb done, void *user) {
  uv_loop_t *loop = pl_engine_loop(pl_call_engine(call));
  if (!loop || !addr)
    return PL_EINVAL;
  if (call->pending_dial)
    return PL_ESTATE;
  char *offer = malloc(PL_WHIP_SDP_CAP);
  dial *d = calloc(1, sizeof *d);
  if (!offer || !d) {
    free(offer);
    free(d);
    return PL_ENOMEM;
  }
  int rc = pl_call_create_offer(call, offer, PL_WHIP_SDP_CAP);
  if (!rc) {
    d->call = call;
    d->loop = loop;
    snprintf(d->addr, sizeof d->addr, "%s", addr);
    d->done = done;
    d->user = user;
    rc = pl_http_request(loop, addr, "POST", "/whip", "application/sdp", offer, strlen(offer),
                         on_response, d);
  }
  free(offer);
  if (rc)
    free(d);
  else
    call->pending_dial = d;
  return rc;
}
