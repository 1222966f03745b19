/* WHIP over libuv: the HTTP server in front of whip_core.c with the tick
 * that reaps sessions which never connect, and the dial side: POST the
 * call's offer, apply the answer, trickle (RFC 8838) our late candidates
 * with PATCH and take the server's from the replies, and DELETE the session
 * when the call goes (RFC 9725 4.2). When the media path breaks for good
 * the dialer (ICE-controlling) restarts ICE through a PATCH carrying new
 * credentials (RFC 9725 4.3.2) and takes the server's from the answer.
 * Sessions live at /whip/<128-bit hex>. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/time.h"
#include "engine/call/call.h"
#include "engine/engine.h"
#include "engine/whip.h"

#define TRICKLE_MS 100   /* how often the dialer looks for new candidates */
#define TRICKLE_TRIES 80 /* ... and for how long, at most (8 s) */
#define DELETE_TIMEOUT_MS 2000
#define POST_RETRIES 3 /* re-sent POSTs after 429 */
#define EOC_POLLS 3      /* empty PATCHes asking for the server's last candidates */

static void on_request(void *user, const pl_http_msg *req, pl_http_response *resp) {
  pl_whip_handle(user, pl_time_now_real(), req, resp);
}

static void on_reaper(uv_timer_t *t) { pl_whip_tick(t->data, pl_time_now_real()); }

int pl_whip_server_new(pl_whip_server **out, pl_engine *engine, const char *addr,
                       const pl_whip_options *opts, pl_whip_offer_cb on_offer,
                       pl_whip_end_cb on_end, void *user) {
  *out = NULL;
  uv_loop_t *loop = pl_engine_loop(engine);
  if (!loop || !on_offer)
    return PL_EINVAL;
  pl_whip_server *s = malloc(sizeof *s);
  uv_timer_t *reaper = malloc(sizeof *reaper);
  if (!s || !reaper) {
    free(s);
    free(reaper);
    return PL_ENOMEM;
  }
  int rc = pl_whip_core_init(s, engine, opts, on_offer, on_end, user);
  if (!rc) {
    pl_http_limits lim;
    pl_http_limits_init(&lim);
    if (opts && opts->max_conns_per_ip > 0)
      lim.max_conns_per_ip = opts->max_conns_per_ip;
    if (lim.max_conns < lim.max_conns_per_ip)
      lim.max_conns = lim.max_conns_per_ip;
    rc = pl_http_server_new_limited(&s->http, loop, addr, &lim, on_request, s);
  }
  if (rc) {
    free(s);
    free(reaper);
    return rc;
  }
  uv_timer_init(loop, reaper);
  reaper->data = s;
  uv_timer_start(reaper, on_reaper, PL_WHIP_TICK_MS, PL_WHIP_TICK_MS);
  s->reaper = reaper;
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

static void reaper_closed(uv_handle_t *h) { free(h); }

void pl_whip_server_free(pl_whip_server *s) {
  if (!s)
    return;
  pl_http_server_free(s->http);
  if (s->reaper)
    uv_close((uv_handle_t *)s->reaper, reaper_closed);
  pl_whip_core_clear(s);
  free(s);
}

/* ---- dial ------------------------------------------------------------------ */

/* Lives from the POST until the call is freed: the Location it keeps is
 * what the DELETE at the end needs. */
typedef struct dial {
  pl_call *call; /* NULL once the call went away */
  uv_loop_t *loop;
  char addr[64];
  char location[256];
  char auth[PL_WHIP_TOKEN_MAX + 40]; /* "Authorization: Bearer ...\r\n" or "" */
  pl_whip_done_cb done;
  void *user;
  uv_timer_t timer;
  bool timer_inited, timer_on, in_flight, remote_eoc, local_eoc, local_eoc_sent, established;
  bool patch_warned;
  bool trickle_done; /* the timer only watches the path now */
  pl_whip_restart rs;
  char etag[64];     /* the session's entity-tag, for If-Match */
  char hdrs[PL_WHIP_TOKEN_MAX + 40 + 80];
  int tries, eoc_polls;
  int post_retries; /* POSTs answered 429 and sent again */
  char *offer;      /* kept for those */
  char body[4096];
} dial;

static void dial_timer_closed(uv_handle_t *h) {
  dial *d = h->data;
  free(d->offer);
  free(d);
}

static void dial_stop_timer(dial *d) {
  if (d->timer_on) {
    d->timer_on = false;
    uv_timer_stop(&d->timer);
  }
}

static void dial_free(dial *d) {
  if (d->in_flight)
    return; /* the PATCH (or re-sent POST) answer finishes it */
  if (d->timer_inited) {
    /* Close the timer, free after. */
    uv_close((uv_handle_t *)&d->timer, dial_timer_closed);
  } else {
    free(d->offer);
    free(d);
  }
}

static void on_deleted(void *user, int err, const pl_http_msg *resp) {
  (void)user;
  /* Best effort: the server may be gone already (it saw our BYE). */
  if (!err && resp && resp->status >= 300 && resp->status != 404)
    PL_INFO("whip", "DELETE answered %d", resp->status);
}

void pl_whip_dial_detach_(pl_call *call) {
  dial *d = call->pending_dial;
  if (!d)
    return;
  call->pending_dial = NULL;
  d->call = NULL;
  dial_stop_timer(d);
  if (d->established)
    /* A short deadline: the app may be waiting on this to exit. */
    pl_http_request_ex(d->loop, d->addr, "DELETE", d->location, d->auth, NULL, NULL, 0,
                       DELETE_TIMEOUT_MS, on_deleted, NULL);
  dial_free(d);
}

/* Authorization and If-Match (RFC 9725 4.3.1: the ETag the server gave). */
static const char *dial_headers(dial *d) {
  if (d->etag[0])
    snprintf(d->hdrs, sizeof d->hdrs, "%sIf-Match: %s\r\n", d->auth, d->etag);
  else
    snprintf(d->hdrs, sizeof d->hdrs, "%s", d->auth);
  return d->hdrs;
}

static void take_etag(dial *d, const pl_http_msg *resp) {
  const char *e = resp ? pl_http_msg_header(resp, "ETag") : NULL;
  if (e && strlen(e) < sizeof d->etag && !strpbrk(e, "\r\n"))
    snprintf(d->etag, sizeof d->etag, "%s", e);
}

/* The server's answer to our restart: its new credentials first (they
 * must be in place before its candidates are paired). */
static bool take_server_credentials(dial *d, const char *body) {
  pl_wrtc *w = d->call->wrtc;
  const char *u = body ? strstr(body, "a=ice-ufrag:") : NULL;
  const char *p = body ? strstr(body, "a=ice-pwd:") : NULL;
  if (!u || !p || !w->ice)
    return false;
  char ufrag[PL_SDP_ICE_LEN], pwd[PL_SDP_ICE_LEN];
  snprintf(ufrag, sizeof ufrag, "%.*s", (int)strcspn(u + 12, "\r\n"), u + 12);
  snprintf(pwd, sizeof pwd, "%.*s", (int)strcspn(p + 10, "\r\n"), p + 10);
  if (pl_ice_set_remote_credentials(w->ice, ufrag, pwd) != 0)
    return false;
  snprintf(w->remote_ufrag, sizeof w->remote_ufrag, "%s", ufrag);
  w->restart_pending = false;
  pl_call_mark_output_(d->call);
  return true;
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
    dial_free(d);
    return;
  }
  int status = !err && resp ? resp->status : 0;
  if (status >= 200 && status < 300)
    take_etag(d, resp);
  if (d->call->wrtc->restart_pending) {
    /* Only the server's new credentials make the restart's checks pass;
     * until they come, trickling our new ones would be taken for another
     * restart: wait for the next attempt. */
    if (status == 200 && take_server_credentials(d, resp->body)) {
      PL_INFO("whip", "ICE restart answered: checking the new path");
    } else {
      PL_WARN("whip", "ICE restart PATCH %s: %s", d->location,
              err ? pl_strerror(err) : status == 200 ? "no credentials in the answer"
                                                     : pl_http_reason(status));
      d->trickle_done = true;
      if (status == 404 || status == 401 || status == 403 || status == 405 || status == 501)
        dial_stop_timer(d); /* gone, not ours, or no PATCH here: no more tries */
      return;
    }
  }
  if (status == 200)
    take_server_fragment(d, resp);
  if (status == 405 || status == 501) {
    /* RFC 9725 4.3: a server may not support trickle. Ask no more. */
    PL_INFO("whip", "%s does not take trickled candidates (%d)", d->location, status);
    dial_stop_timer(d);
  } else if (err || status >= 300) {
    if (!d->patch_warned)
      PL_WARN("whip", "PATCH %s: %s", d->location,
              err ? pl_strerror(err) : pl_http_reason(status));
    d->patch_warned = true;
    if (status == 404 || status == 401 || status == 403)
      dial_stop_timer(d); /* the session is gone or not ours to patch */
  }
}

/* The path broke for good: new credentials, a PATCH with them and our
 * candidates; the server restarts too and answers with its own. DTLS and
 * SRTP are untouched: the same association goes on over the new pair. */
static void restart_ice(dial *d) {
  pl_call *c = d->call;
  int rc = pl_call_restart_ice(c, d->offer, PL_WHIP_SDP_CAP);
  if (rc) {
    PL_WARN("whip", "ICE restart: %s", pl_strerror(rc));
    return;
  }
  PL_INFO("whip", "media path lost: ICE restart %d of %d through %s", d->rs.attempts,
          PL_WHIP_RESTARTS, d->location);
  /* Trickle starts over for the new generation of candidates. */
  d->tries = d->eoc_polls = 0;
  d->local_eoc = d->local_eoc_sent = d->remote_eoc = d->trickle_done = false;
  char ufrag[PL_ICE_UFRAG_MAX], pwd[PL_ICE_PWD_MAX];
  if (pl_call_ice_credentials(c, ufrag, sizeof ufrag, pwd, sizeof pwd) != 0)
    return;
  int n = snprintf(d->body, sizeof d->body,
                   "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:%s\r\n",
                   ufrag, pwd, c->wrtc->mid[0] ? c->wrtc->mid : "0");
  if (n < 0 || (size_t)n >= sizeof d->body)
    return;
  int k = pl_call_local_candidates(c, true, d->body + n, sizeof d->body - (size_t)n);
  if (k < 0)
    k = 0;
  if (pl_http_request2(d->loop, d->addr, "PATCH", d->location, dial_headers(d),
                       "application/trickle-ice-sdpfrag", d->body, (size_t)n + (size_t)k,
                       on_patched, d) == 0) {
    d->in_flight = true;
  }
}

static bool path_restart_due(dial *d) {
  pl_call *c = d->call;
  pl_wrtc *w = c->wrtc;
  if (!w->ice || pl_ice_get_role(w->ice) != PL_ICE_CONTROLLING)
    return false;
  pl_whip_path p = {
      .active = atomic_load(&c->state) == PL_CALL_ACTIVE && w->have_sel,
      .failed = pl_ice_get_state(w->ice) == PL_ICE_FAILED,
      .last_heard = c->last_heard,
      .consent_ok = pl_ice_get_stats(w->ice).consent_ok,
  };
  bool gave_up = d->rs.gave_up;
  /* The call's clock in libuv mode (last_heard is on it). */
  bool due = pl_whip_restart_due(&d->rs, pl_time_now_real(), &p);
  if (d->rs.gave_up && !gave_up)
    PL_WARN("whip", "media path still lost after %d ICE restarts: giving up", PL_WHIP_RESTARTS);
  return due;
}

static void on_trickle_timer(uv_timer_t *t) {
  dial *d = t->data;
  if (!d->call || d->in_flight)
    return;
  int st = atomic_load(&d->call->state);
  if (st == PL_CALL_CLOSED) {
    dial_stop_timer(d);
    return;
  }
  if (path_restart_due(d)) {
    restart_ice(d);
    return;
  }
  if (d->trickle_done)
    return;
  if ((d->local_eoc_sent && (d->remote_eoc || d->eoc_polls >= EOC_POLLS)) ||
      ++d->tries > TRICKLE_TRIES) {
    d->trickle_done = true; /* the timer goes on watching the path */
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
  /* Ours may have ended in the offer itself (gathering was done by then). */
  if (d->call->wrtc->eoc_signaled || strstr(d->body + n, "a=end-of-candidates"))
    d->local_eoc = true;
  if (k == 0) {
    /* Nothing new of ours. While the server's list is open, ask for the rest
     * a few times, spaced out (1, 2, 4 trickle periods), then stop. */
    if (d->local_eoc && !d->local_eoc_sent)
      d->local_eoc_sent = true; /* it went out in the offer */
    if (!d->local_eoc_sent || d->remote_eoc)
      return;
    if (d->tries % (1 << (d->eoc_polls + 3)) != 0)
      return;
    d->eoc_polls++;
  }
  if (d->local_eoc)
    d->local_eoc_sent = true;
  if (pl_http_request2(d->loop, d->addr, "PATCH", d->location, dial_headers(d),
                       "application/trickle-ice-sdpfrag", d->body, (size_t)n + (size_t)k,
                       on_patched, d) == 0)
    d->in_flight = true;
}

static int status_error(int status) {
  switch (status) {
  case 200: case 201: return 0;
  case 503: case 429: return PL_EBUSY;
  case 401: case 403: return PL_EDENIED;
  case 400: case 415: case 422: return PL_EPARSE;
  case 404: case 405: return PL_ENOTSUP;
  default: return PL_ECLOSED;
  }
}

static void on_response(void *user, int err, const pl_http_msg *resp);

static void on_post_retry(uv_timer_t *t) {
  dial *d = t->data;
  d->timer_on = false;
  if (!d->call) {
    dial_free(d);
    return;
  }
  if (pl_http_request2(d->loop, d->addr, "POST", "/whip", d->auth, "application/sdp", d->offer,
                       strlen(d->offer), on_response, d) == 0) {
    d->in_flight = true;
    return;
  }
  pl_call *call = d->call;
  call->pending_dial = NULL;
  d->call = NULL;
  if (d->done)
    d->done(call, PL_EBUSY, 429, d->user);
  dial_free(d);
}

/* 429: too many requests from our address just now (callers behind one NAT
 * or proxy, a load test). It passes in a moment: send the offer again after
 * Retry-After (1..5 s, 1 s without one), at most POST_RETRIES times. A 503
 * (no free call slot) is the app's to retry: it is told at once. */
static bool retry_later(dial *d, const pl_http_msg *resp) {
  if (d->post_retries >= POST_RETRIES || !d->call)
    return false;
  const char *ra = pl_http_msg_header(resp, "Retry-After");
  int secs = ra ? atoi(ra) : 1;
  secs = secs < 1 ? 1 : secs > 5 ? 5 : secs;
  d->post_retries++;
  if (!d->timer_inited) {
    uv_timer_init(d->loop, &d->timer);
    d->timer.data = d;
    d->timer_inited = true;
  }
  d->timer_on = true;
  uv_timer_start(&d->timer, on_post_retry, (uint64_t)secs * 1000, 0);
  PL_INFO("whip", "POST answered 429: again in %d s (try %d of %d)", secs, d->post_retries + 1,
          POST_RETRIES + 1);
  return true;
}

static void on_response(void *user, int err, const pl_http_msg *resp) {
  dial *d = user;
  d->in_flight = false;
  if (!d->call) { /* the app freed the call while we waited: it wants no word */
    dial_free(d);
    return;
  }
  int status = resp ? resp->status : 0;
  if (!err && status == 429 && retry_later(d, resp))
    return;
  if (!err)
    err = status_error(status);
  if (!err && !d->call)
    err = PL_ECLOSED;
  if (!err)
    err = pl_call_accept_answer(d->call, resp->body ? resp->body : "");
  const char *loc = !err ? pl_http_msg_header(resp, "Location") : NULL;
  /* RFC 9110 10.2.2: the Location may be absolute. On this server (the
   * same host and port) its path is what we PATCH and DELETE; a session
   * elsewhere is beyond this client (no redirects): no trickle, no DELETE. */
  if (loc && !strncmp(loc, "http://", 7)) {
    const char *path = strchr(loc + 7, '/');
    size_t hl = path ? (size_t)(path - (loc + 7)) : 0;
    if (path && hl == strlen(d->addr) && !strncmp(loc + 7, d->addr, hl))
      loc = path;
    else
      PL_WARN("whip", "session at %s is on another server: no trickle, no DELETE", loc);
  }
  if (!err && loc && loc[0] == '/' && strlen(loc) < sizeof d->location) {
    snprintf(d->location, sizeof d->location, "%s", loc);
    d->established = true;
    take_etag(d, resp);
    if (!d->timer_inited) {
      uv_timer_init(d->loop, &d->timer);
      d->timer.data = d;
      d->timer_inited = true;
    }
    if (d->call->webrtc) {
      d->remote_eoc = resp->body && strstr(resp->body, "a=end-of-candidates");
      d->timer_on = true;
      uv_timer_start(&d->timer, on_trickle_timer, TRICKLE_MS, TRICKLE_MS);
    }
  }
  /* The callback may free the call (and so detach us): touch nothing of
   * ours after it, unless the session keeps us alive until the call goes. */
  pl_call *call = d->call;
  bool keep = d->established && call;
  if (!keep) {
    if (call)
      call->pending_dial = NULL;
    d->call = NULL;
  }
  if (d->done)
    d->done(call, err, status, d->user);
  if (!keep)
    dial_free(d);
}

int pl_call_dial_whip(pl_call *call, const char *addr, const char *token,
                      pl_whip_done_cb done, void *user) {
  uv_loop_t *loop = pl_engine_loop(pl_call_engine(call));
  if (!loop || !addr || (token && (!token[0] || strlen(token) >= PL_WHIP_TOKEN_MAX ||
                                   strpbrk(token, "\r\n "))))
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
    if (token)
      snprintf(d->auth, sizeof d->auth, "Authorization: Bearer %s\r\n", token);
    d->done = done;
    d->user = user;
    rc = pl_http_request2(loop, addr, "POST", "/whip", d->auth, "application/sdp", offer,
                          strlen(offer), on_response, d);
  }
  if (rc) {
    free(offer);
    free(d);
  } else {
    d->offer = offer;
    d->in_flight = true;
    call->pending_dial = d;
  }
  return rc;
}
