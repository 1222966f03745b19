/* WHIP (RFC 9725) request handling: POST an SDP offer to /whip (201 Created,
 * Location, ETag, the answer); PATCH the session with a trickle-ice-sdpfrag
 * (RFC 8840) carrying candidates, end-of-candidates or new ICE credentials
 * (an ICE restart, answered with ours); DELETE ends it; OPTIONS answers CORS
 * pre-flights from allowed origins; GET / serves the app's page.
 *
 * Whoever reaches the port may be hostile, so: a session lives at /whip/
 * plus 128 random bits, the only capability for PATCH and DELETE (RFC 9725
 * 4.5 leaves the URL's form to the server); an optional bearer token guards
 * POST, PATCH and DELETE; a browser page on a foreign origin gets 403 unless
 * allowed; a refused offer never ends the service; a session that does not
 * connect is reaped by pl_whip_tick. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "engine/call/call.h"
#include "engine/engine.h"
#include "engine/whip.h"

#define FRAG_TYPE "application/trickle-ice-sdpfrag"

const char *pl_whip_end_reason_name(pl_whip_end_reason why) {
  switch (why) {
  case PL_WHIP_END_REFUSED: return "offer refused";
  case PL_WHIP_END_DELETED: return "deleted by the caller";
  case PL_WHIP_END_ABANDONED: return "never connected";
  case PL_WHIP_END_CLOSED: return "call ended";
  }
  return "?";
}

void pl_whip_options_init(pl_whip_options *o) {
  memset(o, 0, sizeof *o);
  o->max_sessions = 16;
  o->connect_timeout_ms = 30000;
  o->check_idle_ms = 5000;
}

int pl_whip_core_init(pl_whip_server *s, pl_engine *engine, const pl_whip_options *opts,
                      pl_whip_offer_cb on_offer, pl_whip_end_cb on_end, void *user) {
  pl_whip_options def;
  if (!opts) {
    pl_whip_options_init(&def);
    opts = &def;
  }
  if (!engine || !on_offer || opts->max_sessions < 1 ||
      opts->max_sessions > PL_WHIP_MAX_SESSIONS || opts->connect_timeout_ms < 100 ||
      opts->check_idle_ms < 100 || opts->max_conns_per_ip < 0 || opts->max_conns_per_ip > 4096 ||
      (opts->token && (!opts->token[0] || strlen(opts->token) >= PL_WHIP_TOKEN_MAX)) ||
      (opts->allow_origins && strlen(opts->allow_origins) >= PL_WHIP_ORIGINS_MAX))
    return PL_EINVAL;
  /* A token travels in a header line: it must be a plain token68-like word. */
  for (const char *t = opts->token; t && *t; t++)
    if (*t <= ' ' || *t >= 0x7f)
      return PL_EINVAL;
  memset(s, 0, sizeof *s);
  s->engine = engine;
  s->on_offer = on_offer;
  s->on_end = on_end;
  s->user = user;
  s->max_sessions = opts->max_sessions;
  s->connect_timeout = PL_MS(opts->connect_timeout_ms);
  s->check_idle = PL_MS(opts->check_idle_ms);
  if (opts->token)
    snprintf(s->token, sizeof s->token, "%s", opts->token);
  if (opts->allow_origins)
    snprintf(s->origins, sizeof s->origins, "%s", opts->allow_origins);
  return 0;
}

void pl_whip_core_clear(pl_whip_server *s) {
  for (int i = 0; i < s->max_sessions; i++)
    s->sessions[i].call = NULL;
}

static void text(pl_http_response *resp, int status, const char *msg) {
  resp->status = status;
  snprintf(resp->content_type, sizeof resp->content_type, "text/plain");
  resp->body = msg;
  resp->body_len = strlen(msg);
}

static void add_header(pl_http_response *resp, const char *fmt, const char *a, const char *b) {
  size_t n = strlen(resp->headers);
  snprintf(resp->headers + n, sizeof resp->headers - n, fmt, a, b);
}

static void set_etag(pl_whip_session *ss, pl_http_response *resp) {
  size_t n = strlen(resp->headers);
  snprintf(resp->headers + n, sizeof resp->headers - n, "ETag: \"%u\"\r\n", ss->etag);
}

static bool etag_matches(const pl_whip_session *ss, const char *if_match) {
  if (!if_match || !strcmp(if_match, "*"))
    return true;
  char want[16];
  snprintf(want, sizeof want, "\"%u\"", ss->etag);
  return strstr(if_match, want) != NULL;
}

/* Lets go of a session's call and tells the app why. */
static void release(pl_whip_server *s, pl_whip_session *ss, pl_whip_end_reason why) {
  pl_call *call = ss->call;
  ss->call = NULL;
  if (why == PL_WHIP_END_ABANDONED || why == PL_WHIP_END_CLOSED)
    s->reaped++;
  if (why != PL_WHIP_END_REFUSED)
    pl_call_hangup(call);
  PL_INFO("whip", "session %.8s...: %s", ss->id, pl_whip_end_reason_name(why));
  if (s->on_end)
    s->on_end(s->user, call, why);
}

/* ---- who may ask ----------------------------------------------------------- */

/* A browser sends Origin with every POST, PATCH, DELETE and pre-flight. The
 * server's own page (same scheme-less host) may always call; other pages
 * only when listed. Without Origin the client is no browser page, and CORS
 * has nothing to protect: the session URL and the token do that. */
static bool origin_allowed(const pl_whip_server *s, const pl_http_msg *req, bool *cross) {
  const char *origin = pl_http_msg_header(req, "Origin");
  *cross = false;
  if (!origin)
    return true;
  const char *host = pl_http_msg_header(req, "Host");
  const char *o = strstr(origin, "://");
  if (host && o && !strcasecmp(o + 3, host))
    return true;
  *cross = true;
  if (!strcmp(s->origins, "*"))
    return true;
  size_t olen = strlen(origin);
  for (const char *p = s->origins; *p;) {
    size_t n = strcspn(p, ",");
    const char *q = p;
    size_t m = n;
    while (m && *q == ' ')
      q++, m--;
    while (m && q[m - 1] == ' ')
      m--;
    if (m == olen && !strncasecmp(q, origin, m))
      return true;
    p += n;
    if (*p == ',')
      p++;
  }
  return false;
}

static bool token_ok(const pl_whip_server *s, const pl_http_msg *req) {
  if (!s->token[0])
    return true;
  const char *auth = pl_http_msg_header(req, "Authorization");
  if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
    return false;
  const char *t = auth + 7;
  while (*t == ' ')
    t++;
  size_t n = strlen(s->token);
  /* Constant time: a token is worth guessing byte by byte otherwise. */
  return strlen(t) == n && CRYPTO_memcmp(t, s->token, n) == 0;
}

/* ---- POST -------------------------------------------------------------------- */

static void new_id(char *hex) {
  uint8_t r[PL_WHIP_ID_HEX / 2];
  if (RAND_bytes(r, sizeof r) != 1) {
    hex[0] = 0; /* no randomness: refuse rather than hand out a guessable URL */
    return;
  }
  for (size_t i = 0; i < sizeof r; i++)
    snprintf(hex + 2 * i, 3, "%02x", r[i]);
}

static void post_offer(pl_whip_server *s, pl_time_us now, const pl_http_msg *req,
                       pl_http_response *resp) {
  const char *ct = pl_http_msg_header(req, "Content-Type");
  if (!ct || strncasecmp(ct, "application/sdp", 15) != 0) {
    text(resp, 415, "Content-Type must be application/sdp\n");
    return;
  }
  if (!req->body || req->body_len == 0) {
    text(resp, 400, "empty offer: the body must be an SDP offer\n");
    return;
  }
  if (memchr(req->body, 0, req->body_len)) {
    text(resp, 400, "the offer contains a NUL byte\n");
    return;
  }
  if (req->body_len >= PL_WHIP_SDP_CAP) {
    text(resp, 413, "offer too large\n");
    return;
  }
  pl_whip_session *ss = NULL;
  int used = 0;
  for (int i = 0; i < s->max_sessions; i++) {
    if (s->sessions[i].call)
      used++;
    else if (!ss)
      ss = &s->sessions[i];
  }
  if (!ss || used >= s->max_sessions) {
    s->busy++;
    text(resp, 503, "busy: no free call slot, try again later\n");
    add_header(resp, "Retry-After: %s%s\r\n", "5", "");
    return;
  }
  char id[PL_WHIP_ID_HEX + 1];
  new_id(id);
  if (!id[0]) {
    text(resp, 500, "no randomness for a session id\n");
    return;
  }
  pl_call *call = s->on_offer(s->user);
  if (!call) {
    s->busy++;
    text(resp, 503, "busy: the app takes no more calls now\n");
    add_header(resp, "Retry-After: %s%s\r\n", "5", "");
    return;
  }
  int rc = pl_call_accept_offer(call, req->body, s->body, sizeof s->body);
  if (rc) {
    s->refused++;
    PL_WARN("whip", "refused offer: %s", pl_strerror(rc));
    /* The app made the call for this offer: hand it back as refused, which
     * ends nothing but this request. */
    if (s->on_end)
      s->on_end(s->user, call, PL_WHIP_END_REFUSED);
    /* RFC 9725 4.2: an offer we cannot take is the client's fault. */
    if (rc == PL_ENOTSUP || rc == PL_EPARSE || rc == PL_EINVAL || rc == PL_ERANGE)
      text(resp, rc == PL_ENOTSUP ? 422 : 400,
           rc == PL_ENOTSUP ? "offer has nothing this server can answer\n"
                            : "malformed SDP offer\n");
    else
      text(resp, 500, "cannot answer the offer\n");
    return;
  }
  memset(ss, 0, sizeof *ss);
  memcpy(ss->id, id, sizeof id);
  ss->etag = 1;
  ss->call = call;
  ss->posted = ss->last_check = now;
  s->answered++;
  resp->status = 201;
  snprintf(resp->location, sizeof resp->location, "/whip/%s", ss->id);
  snprintf(resp->content_type, sizeof resp->content_type, "application/sdp");
  set_etag(ss, resp);
  resp->body = s->body;
  resp->body_len = strlen(s->body);
}

/* ---- PATCH ------------------------------------------------------------------- */

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
    } else if (!first_err) {
      first_err = PL_EPARSE;
    }
    p += n;
    while (*p == '\r' || *p == '\n')
      p++;
  }
  return first_err;
}

static int count_candidates(const char *b) {
  int n = 0;
  for (const char *p = b; (p = strstr(p, "a=candidate:")); p += 12)
    n++;
  return n;
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

static void patch(pl_whip_server *s, pl_whip_session *ss, const pl_http_msg *req,
                  pl_http_response *resp) {
  pl_call *call = ss->call;
  const char *ct = pl_http_msg_header(req, "Content-Type");
  if (!ct || strncasecmp(ct, FRAG_TYPE, strlen(FRAG_TYPE)) != 0) {
    text(resp, 415, "Content-Type must be " FRAG_TYPE "\n");
    return;
  }
  if (!etag_matches(ss, pl_http_msg_header(req, "If-Match"))) {
    text(resp, 412, "ETag does not match\n");
    return;
  }
  const char *b = req->body ? req->body : "";
  if (req->body && memchr(req->body, 0, req->body_len)) {
    text(resp, 400, "the fragment contains a NUL byte\n");
    return;
  }
  if (count_candidates(b) > PL_WHIP_PATCH_MAX_CANDS) {
    text(resp, 400, "too many candidates in one PATCH\n");
    return;
  }
  char ufrag[PL_SDP_ICE_LEN] = "", pwd[PL_SDP_ICE_LEN] = "";
  pl_wrtc *w = call->wrtc;
  bool restart = false;
  /* Credentials first: a restart must be in place before its candidates. */
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
      ss->etag++;
    }
  }
  int rc = apply_fragment(call, b);
  if (rc && rc != PL_ESTATE) {
    text(resp, 400, rc == PL_EFULL ? "too many remote candidates\n" : "bad candidate\n");
    return;
  }
  /* RFC 9725 4.3.1: 204, or 200 with what the server has to add. */
  int n = our_fragment(call, s->body, sizeof s->body, !restart);
  if (n < 0) {
    text(resp, 500, pl_strerror(n));
    return;
  }
  set_etag(ss, resp);
  if (n == 0) {
    resp->status = 204;
    return;
  }
  resp->status = 200;
  snprintf(resp->content_type, sizeof resp->content_type, FRAG_TYPE);
  resp->body = s->body;
  resp->body_len = (size_t)n;
}

static pl_whip_session *find_session(pl_whip_server *s, const char *id) {
  if (strlen(id) != PL_WHIP_ID_HEX)
    return NULL;
  for (int i = 0; i < s->max_sessions; i++)
    if (s->sessions[i].call && CRYPTO_memcmp(s->sessions[i].id, id, PL_WHIP_ID_HEX) == 0)
      return &s->sessions[i];
  return NULL;
}

static void session(pl_whip_server *s, const char *id, const pl_http_msg *req,
                    pl_http_response *resp) {
  pl_whip_session *ss = find_session(s, id);
  if (!ss) {
    s->unknown_session++;
    text(resp, 404, "no such session\n");
    return;
  }
  if (!strcmp(req->method, "PATCH"))
    patch(s, ss, req, resp);
  else if (!strcmp(req->method, "DELETE")) {
    s->deleted++;
    release(s, ss, PL_WHIP_END_DELETED);
    text(resp, 200, "ended\n");
  } else {
    text(resp, 405, "PATCH or DELETE a session\n");
    add_header(resp, "Allow: %s%s\r\n", "PATCH, DELETE", "");
  }
}

/* ---- dispatch ------------------------------------------------------------------ */

void pl_whip_handle(pl_whip_server *s, pl_time_us now, const pl_http_msg *req,
                    pl_http_response *resp) {
  char path[PL_HTTP_MAX_URL];
  snprintf(path, sizeof path, "%.*s", (int)strcspn(req->url, "?#"), req->url);
  bool cross = false;
  if (!origin_allowed(s, req, &cross)) {
    s->forbidden_origin++;
    text(resp, 403, "this origin may not call here\n");
    return;
  }
  if (cross) {
    /* Only an allowed foreign page reads our answers (Location, ETag). */
    add_header(resp, "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n%s",
               pl_http_msg_header(req, "Origin"),
               "Access-Control-Expose-Headers: Location, ETag, Link\r\n");
  }
  if (!strcmp(req->method, "OPTIONS")) {
    resp->status = 204;
    add_header(resp,
               "Access-Control-Allow-Methods: GET, POST, PATCH, DELETE, OPTIONS\r\n"
               "Access-Control-Allow-Headers: Content-Type, If-Match, Authorization\r\n"
               "Access-Control-Max-Age: 86400\r\n%s%s",
               !strcmp(path, "/whip") ? "Accept-Post: application/sdp\r\n" : "", "");
    return;
  }
  bool is_whip = !strcmp(path, "/whip");
  bool is_session = !strncmp(path, "/whip/", 6);
  if ((is_whip || is_session) && !token_ok(s, req)) {
    s->unauthorized++;
    text(resp, 401, "a valid bearer token is required\n");
    add_header(resp, "WWW-Authenticate: Bearer realm=\"%s\"\r\n%s", "parley", "");
    return;
  }
  if (is_session) {
    session(s, path + 6, req, resp);
    return;
  }
  if (is_whip) {
    if (strcmp(req->method, "POST") != 0) {
      text(resp, 405, "POST an SDP offer\n");
      add_header(resp, "Allow: %s%s\r\n", "POST, OPTIONS", "");
    } else {
      post_offer(s, now, req, resp);
    }
    return;
  }
  if ((!strcmp(path, "/") || !strcmp(path, "/index.html")) && s->page &&
      !strcmp(req->method, "GET")) {
    resp->status = 200;
    snprintf(resp->content_type, sizeof resp->content_type, "text/html; charset=utf-8");
    add_header(resp, "Cache-Control: no-store\r\n%s%s", "", "");
    resp->body = s->page;
    resp->body_len = s->page_len;
    return;
  }
  text(resp, 404, "not found\n");
}

/* ---- reaper ------------------------------------------------------------------- */

void pl_whip_tick(pl_whip_server *s, pl_time_us now) {
  for (int i = 0; i < s->max_sessions; i++) {
    pl_whip_session *ss = &s->sessions[i];
    if (!ss->call)
      continue;
    pl_call_progress p;
    pl_call_progress_(ss->call, &p);
    if (p.connected)
      ss->was_connected = true;
    if (p.ended) {
      release(s, ss, PL_WHIP_END_CLOSED);
      continue;
    }
    if (ss->was_connected)
      continue; /* consent freshness watches an established call */
    if (p.ice_activity != ss->ice_activity) {
      ss->ice_activity = p.ice_activity;
      ss->last_check = now;
    }
    /* Checks stopped before ICE found a path: the caller gave up (or was
     * never there). Once ICE is up, DTLS gets the rest of the deadline. */
    bool idle = p.ice_activity > 0 && !p.ice_connected && now - ss->last_check >= s->check_idle;
    if (idle || now - ss->posted >= s->connect_timeout)
      release(s, ss, PL_WHIP_END_ABANDONED);
  }
}

int pl_whip_server_stats(const pl_whip_server *s, pl_whip_stats *out) {
  if (!s || !out)
    return PL_EINVAL;
  memset(out, 0, sizeof *out);
  for (int i = 0; i < s->max_sessions; i++)
    out->sessions += s->sessions[i].call != NULL;
  out->answered = s->answered;
  out->busy = s->busy;
  out->refused = s->refused;
  out->reaped = s->reaped;
  out->deleted = s->deleted;
  out->unknown_session = s->unknown_session;
  out->unauthorized = s->unauthorized;
  out->forbidden_origin = s->forbidden_origin;
  return 0;
}

/* ---- the dialer's restart decision ----------------------------------------------- */

bool pl_whip_restart_due(pl_whip_restart *r, pl_time_us now, const pl_whip_path *p) {
  if (p->consent_ok != r->consent_ok) {
    r->consent_ok = p->consent_ok;
    r->consent_at = now;
  }
  if (!p->active || !p->last_heard)
    return false;
  const pl_time_us broken = PL_MS(PL_WHIP_BROKEN_MS);
  /* Media, or a consent answer to the 500 ms probes: the path works (a peer
   * that sends no media still answers consent). */
  bool alive = !p->failed && (now < p->last_heard + broken || now < r->consent_at + broken);
  if (alive) {
    /* Heard since the last restart: that outage is over. */
    if (r->attempts && p->last_heard > r->restarted) {
      r->attempts = 0;
      r->gave_up = false;
    }
    return false;
  }
  if (r->attempts >= PL_WHIP_RESTARTS) {
    r->gave_up = true;
    return false;
  }
  if (r->attempts && now < r->restarted + (broken << r->attempts))
    return false;
  r->attempts++;
  r->restarted = now;
  return true;
}
