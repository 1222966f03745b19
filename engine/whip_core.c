/* WHIP (RFC 9725) request handling: POST an SDP offer to /whip (201 Created,
 * Location, ETag, the answer); PATCH the session with a trickle-ice-sdpfrag
 * (RFC 8840) carrying candidates, end-of-candidates or new ICE credentials
 * (an ICE restart, answered with ours); DELETE ends it; OPTIONS answers CORS
 * pre-flights; GET / serves the app's page. Sessions live at /whip/N. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "engine/call/call.h"
#include "engine/engine.h"
#include "engine/whip.h"

#define FRAG_TYPE "application/trickle-ice-sdpfrag"

int pl_whip_core_init(pl_whip_server *s, pl_engine *engine, pl_whip_offer_cb on_offer,
                      pl_whip_end_cb on_end, void *user) {
  if (!engine || !on_offer)
    return PL_EINVAL;
  memset(s, 0, sizeof *s);
  s->engine = engine;
  s->on_offer = on_offer;
  s->on_end = on_end;
  s->user = user;
  return 0;
}

static void text(pl_http_response *resp, int status, const char *msg) {
  resp->status = status;
  snprintf(resp->content_type, sizeof resp->content_type, "text/plain");
  resp->body = msg;
  resp->body_len = strlen(msg);
}

static void set_etag(pl_whip_server *s, int slot, pl_http_response *resp) {
  size_t n = strlen(resp->headers);
  snprintf(resp->headers + n, sizeof resp->headers - n, "ETag: \"%u-%u\"\r\n",
           s->sessions[slot].id, s->sessions[slot].etag);
}

static bool etag_matches(pl_whip_server *s, int slot, const char *if_match) {
  if (!if_match || !strcmp(if_match, "*"))
    return true;
  char want[32];
  snprintf(want, sizeof want, "\"%u-%u\"", s->sessions[slot].id, s->sessions[slot].etag);
  return strstr(if_match, want) != NULL;
}

static void post_offer(pl_whip_server *s, const pl_http_msg *req, pl_http_response *resp) {
  const char *ct = pl_http_msg_header(req, "Content-Type");
  if (!ct || strncasecmp(ct, "application/sdp", 15) != 0) {
    text(resp, 415, "Content-Type must be application/sdp\n");
    return;
  }
  int slot = -1;
  for (int i = 0; i < PL_WHIP_MAX_SESSIONS && slot < 0; i++)
    if (!s->sessions[i].call)
      slot = i;
  pl_call *call = slot >= 0 ? s->on_offer(s->user) : NULL;
  if (!call) {
    text(resp, 503, "busy\n");
    return;
  }
  int rc = pl_call_accept_offer(call, req->body ? req->body : "", s->body, sizeof s->body);
  if (rc) {
    PL_WARN("whip", "refused offer: %s", pl_strerror(rc));
    if (s->on_end)
      s->on_end(s->user, call);
    /* RFC 9725 4.2: an offer we cannot take is the client's fault. */
    text(resp, rc == PL_ENOTSUP || rc == PL_EPARSE ? 400 : 500, pl_strerror(rc));
    return;
  }
  s->sessions[slot].id = ++s->next_id;
  s->sessions[slot].etag = 1;
  s->sessions[slot].call = call;
  resp->status = 201;
  snprintf(resp->location, sizeof resp->location, "/whip/%u", s->next_id);
  snprintf(resp->content_type, sizeof resp->content_type, "application/sdp");
  set_etag(s, slot, resp);
  resp->body = s->body;
  resp->body_len = strlen(s->body);
}

/* RFC 8840 fragment lines; returns the first PL_E* a candidate caused. */
static int apply_fragment(pl_call *call, const char *body) {
  int first_err = 0;
  const char *p = body ? body : "";
  while (*p) {
    size_t n = strcspn(p, "\r\n");
    char line[512];
    if (n < sizeof line) {
      memcpy(line, p, n);
      line[n] = 0;
      int rc = 0;
      if (!strncmp(line, "a=candidate:", 12) || !strcmp(line, "a=end-of-candidates"))
        rc = pl_call_add_remote_candidate(call, line);
      if (rc && !first_err)
        first_err = rc;
    }
    p += n;
    while (*p == '\r' || *p == '\n')
      p++;
  }
  return first_err;
}

/* Our side of a fragment: credentials, then candidates not yet signalled. */
static int our_fragment(pl_call *call, char *buf, size_t cap, bool only_new) {
  char ufrag[PL_ICE_UFRAG_MAX], pwd[PL_ICE_PWD_MAX];
  int rc = pl_call_ice_credentials(call, ufrag, sizeof ufrag, pwd, sizeof pwd);
  if (rc)
    return rc;
  int n = snprintf(buf, cap, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:%s\r\n",
                   ufrag, pwd, call->wrtc->mid[0] ? call->wrtc->mid : "0");
  if (n < 0 || (size_t)n >= cap)
    return PL_EFULL;
  size_t head = (size_t)n;
  int k = pl_call_local_candidates(call, only_new, buf + head, cap - head);
  if (k < 0)
    return k;
  return k == 0 && only_new ? 0 : (int)(head + (size_t)k);
}

static void patch(pl_whip_server *s, int slot, const pl_http_msg *req, pl_http_response *resp) {
  pl_call *call = s->sessions[slot].call;
  const char *ct = pl_http_msg_header(req, "Content-Type");
  if (!ct || strncasecmp(ct, FRAG_TYPE, strlen(FRAG_TYPE)) != 0) {
    text(resp, 415, "Content-Type must be " FRAG_TYPE "\n");
    return;
  }
  if (!etag_matches(s, slot, pl_http_msg_header(req, "If-Match"))) {
    text(resp, 412, "ETag does not match\n");
    return;
  }
  char ufrag[PL_SDP_ICE_LEN] = "", pwd[PL_SDP_ICE_LEN] = "";
  pl_wrtc *w = call->wrtc;
  bool restart = false;
  /* Credentials first: a restart must be in place before its candidates. */
  const char *b = req->body ? req->body : "";
  const char *u = strstr(b, "a=ice-ufrag:");
  const char *pw = strstr(b, "a=ice-pwd:");
  if (u && pw) {
    snprintf(ufrag, sizeof ufrag, "%.*s", (int)strcspn(u + 12, "\r\n"), u + 12);
    snprintf(pwd, sizeof pwd, "%.*s", (int)strcspn(pw + 10, "\r\n"), pw + 10);
    if (call->webrtc && w->remote_desc && strcmp(ufrag, w->remote_ufrag) != 0) {
      if (pl_jsep_restart_remote(call, ufrag, pwd) != 0) {
        text(resp, 422, "ICE restart refused\n");
        return;
      }
      restart = true;
      s->sessions[slot].etag++;
    }
  }
  int rc = apply_fragment(call, req->body);
  if (rc && rc != PL_ESTATE) {
    text(resp, 400, "bad candidate\n");
    return;
  }
  /* RFC 9725 4.3.1: 204, or 200 with what the server has to add. */
  int n = our_fragment(call, s->body, sizeof s->body, !restart);
  if (n < 0) {
    text(resp, 500, pl_strerror(n));
    return;
  }
  set_etag(s, slot, resp);
  if (n == 0) {
    resp->status = 204;
    return;
  }
  resp->status = 200;
  snprintf(resp->content_type, sizeof resp->content_type, FRAG_TYPE);
  resp->body = s->body;
  resp->body_len = (size_t)n;
}

static void session(pl_whip_server *s, unsigned id, const pl_http_msg *req,
                    pl_http_response *resp) {
  int slot = -1;
  for (int i = 0; i < PL_WHIP_MAX_SESSIONS && slot < 0; i++)
    if (s->sessions[i].call && s->sessions[i].id == id)
      slot = i;
  if (slot < 0) {
    text(resp, 404, "no such session\n");
    return;
  }
  if (!strcmp(req->method, "PATCH")) {
    patch(s, slot, req, resp);
  } else if (!strcmp(req->method, "DELETE")) {
    pl_call *call = s->sessions[slot].call;
    s->sessions[slot].call = NULL;
    pl_call_hangup(call);
    if (s->on_end)
      s->on_end(s->user, call);
    text(resp, 200, "ended\n");
  } else {
    text(resp, 405, "PATCH or DELETE a session\n");
  }
}

void pl_whip_handle(pl_whip_server *s, const pl_http_msg *req, pl_http_response *resp) {
  char path[PL_HTTP_MAX_URL];
  snprintf(path, sizeof path, "%.*s", (int)strcspn(req->url, "?#"), req->url);
  if (!strcmp(req->method, "OPTIONS")) {
    /* CORS pre-flight (a page on another origin POSTs and PATCHes). */
    resp->status = 204;
    snprintf(resp->headers, sizeof resp->headers,
             "Access-Control-Allow-Methods: GET, POST, PATCH, DELETE, OPTIONS\r\n"
             "Access-Control-Allow-Headers: Content-Type, If-Match, Authorization\r\n"
             "Access-Control-Max-Age: 86400\r\n%s",
             !strcmp(path, "/whip") ? "Accept-Post: application/sdp\r\n" : "");
    return;
  }
  unsigned id;
  char tail;
  if (sscanf(path, "/whip/%u%c", &id, &tail) == 1) {
    session(s, id, req, resp);
    return;
  }
  if (!strcmp(path, "/whip")) {
    if (strcmp(req->method, "POST") != 0)
      text(resp, 405, "POST an SDP offer\n");
    else
      post_offer(s, req, resp);
    return;
  }
  if ((!strcmp(path, "/") || !strcmp(path, "/index.html")) && s->page &&
      !strcmp(req->method, "GET")) {
    resp->status = 200;
    snprintf(resp->content_type, sizeof resp->content_type, "text/html; charset=utf-8");
    snprintf(resp->headers, sizeof resp->headers, "Cache-Control: no-store\r\n");
    resp->body = s->page;
    resp->body_len = s->page_len;
    return;
  }
  text(resp, 404, "not found\n");
}
