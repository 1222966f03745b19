/* Janus VideoRoom signaling state machine (see janus.h). Every reply is
 * matched to the transaction we sent, every event to the handle it came
 * from; anything else (malformed JSON, a transaction we never sent, an
 * event for a handle we do not hold) is counted and reported, never
 * trusted. A session Janus no longer knows (error 458: it restarted or
 * timed us out) ends the room with PL_JANUS_EV_FAILED. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/rng.h"
#include "engine/janus/janus.h"
#include "parley.h"

#define JANUS_ERR_NO_SESSION 458
#define JANUS_ERR_NO_HANDLE 459

enum {
  TX_CREATE = 1,
  TX_ATTACH_PUB,
  TX_JOIN_PUB,
  TX_CONFIGURE,
  TX_ATTACH_SUB,
  TX_JOIN_SUB,
  TX_START,
  TX_DETACH_SUB,
  TX_KEEPALIVE,
  TX_LEAVE,
  TX_DESTROY,
  TX_TRICKLE,
};

#define TAG_POLL (-1)

const char *pl_janus_event_name(pl_janus_event_type t) {
  switch (t) {
  case PL_JANUS_EV_NEED_OFFER: return "need-offer";
  case PL_JANUS_EV_PUBLISHED: return "published";
  case PL_JANUS_EV_FEED: return "feed";
  case PL_JANUS_EV_FEED_OFFER: return "feed-offer";
  case PL_JANUS_EV_FEED_STARTED: return "feed-started";
  case PL_JANUS_EV_FEED_GONE: return "feed-gone";
  case PL_JANUS_EV_WEBRTC_UP: return "webrtc-up";
  case PL_JANUS_EV_ERROR: return "error";
  case PL_JANUS_EV_FAILED: return "failed";
  case PL_JANUS_EV_CLOSED: return "closed";
  }
  return "?";
}

int pl_janus_core_init(pl_janus_core *c, const char *base_path, uint64_t room,
                       const char *display, bool video, uint64_t tx_seed) {
  if (!c || !base_path || base_path[0] != '/' || strlen(base_path) >= sizeof c->base ||
      strpbrk(base_path, "?# \r\n") || !room ||
      (display && strlen(display) >= PL_JANUS_DISPLAY_MAX))
    return PL_EINVAL;
  memset(c, 0, sizeof *c);
  snprintf(c->base, sizeof c->base, "%s", base_path);
  size_t bl = strlen(c->base);
  if (bl > 1 && c->base[bl - 1] == '/')
    c->base[bl - 1] = 0;
  c->room = room;
  c->video = video;
  snprintf(c->display, sizeof c->display, "%s", display ? display : "parley");
  pl_rng rng;
  pl_rng_seed(&rng, tx_seed);
  snprintf(c->tx_prefix, sizeof c->tx_prefix, "%016" PRIx64, pl_rng_u64(&rng));
  c->next_tx = 1;
  c->state = PL_JANUS_IDLE;
  return 0;
}

void pl_janus_core_free(pl_janus_core *c) {
  if (!c)
    return;
  for (int i = 0; i < PL_JANUS_EVENTS; i++) {
    free(c->ev_sdp[i]);
    c->ev_sdp[i] = NULL;
  }
  for (int i = 0; i < PL_JANUS_REQS; i++) {
    free(c->rq_body[i]);
    c->rq_body[i] = NULL;
  }
  free(c->last_sdp);
  free(c->last_body);
  c->last_sdp = c->last_body = NULL;
  c->ev_n = c->rq_n = 0;
}

/* A transaction is over: its slot is free, its id remembered a while. */
static void tx_done(pl_janus_core *c, pl_janus_tx *tx) {
  if (!tx->id)
    return;
  c->recent[c->recent_next] = tx->id;
  c->recent_next = (c->recent_next + 1) % PL_JANUS_MAX_TX;
  tx->id = 0;
}

static void tx_drop_all(pl_janus_core *c) {
  for (int i = 0; i < PL_JANUS_MAX_TX; i++)
    tx_done(c, &c->tx[i]);
}

/* ---- queues ---------------------------------------------------------------- */

static pl_janus_event *push_event(pl_janus_core *c, pl_janus_event_type type, uint64_t feed) {
  if (c->ev_n == PL_JANUS_EVENTS) {
    c->count.events_dropped++;
    return NULL;
  }
  int k = (c->ev_head + c->ev_n++) % PL_JANUS_EVENTS;
  c->ev[k] = (pl_janus_event){.type = type, .feed = feed};
  free(c->ev_sdp[k]);
  c->ev_sdp[k] = NULL;
  return &c->ev[k];
}

static void event_sdp(pl_janus_core *c, pl_janus_event *e, const char *sdp) {
  int k = (int)(e - c->ev);
  c->ev_sdp[k] = strdup(sdp);
}

static void report(pl_janus_core *c, pl_janus_event_type type, uint64_t feed, int err, int code,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void report(pl_janus_core *c, pl_janus_event_type type, uint64_t feed, int err, int code,
                   const char *fmt, ...) {
  pl_janus_event *e = push_event(c, type, feed);
  if (!e)
    return;
  e->error = err;
  e->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->detail, sizeof e->detail, fmt, ap);
  va_end(ap);
}

static void fail(pl_janus_core *c, int err, int code, const char *what) {
  if (c->state == PL_JANUS_FAILED || c->state == PL_JANUS_CLOSED)
    return;
  bool leaving = c->state == PL_JANUS_LEAVING;
  c->state = leaving ? PL_JANUS_CLOSED : PL_JANUS_FAILED;
  if (leaving)
    report(c, PL_JANUS_EV_CLOSED, 0, err, code, "%s", what);
  else
    report(c, PL_JANUS_EV_FAILED, 0, err, code, "%s", what);
  tx_drop_all(c);
}

static int request(pl_janus_core *c, int kind, uint64_t feed, uint64_t handle, const char *janus,
                   const char *extra, const char *jsep_type, const char *sdp) {
  if (c->rq_n == PL_JANUS_REQS)
    return PL_EFULL;
  int slot = -1;
  for (int i = 0; i < PL_JANUS_MAX_TX; i++)
    if (!c->tx[i].id) {
      slot = i;
      break;
    }
  if (slot < 0)
    return PL_EFULL;
  size_t cap = 1024 + (extra ? strlen(extra) : 0) + (sdp ? strlen(sdp) * 6 : 0);
  char *body = malloc(cap);
  if (!body)
    return PL_ENOMEM;
  uint32_t id = c->next_tx++;
  if (!c->next_tx)
    c->next_tx = 1;
  int n = snprintf(body, cap, "{\"janus\":\"%s\",\"transaction\":\"%s-%" PRIu32 "\"%s%s", janus,
                   c->tx_prefix, id, extra ? "," : "", extra ? extra : "");
  if (sdp) {
    n += snprintf(body + n, cap - (size_t)n, ",\"jsep\":{\"type\":\"%s\",\"sdp\":", jsep_type);
    int e = pl_json_escape(body + n, cap - (size_t)n, sdp);
    if (e < 0) {
      free(body);
      return e;
    }
    n += e;
    n += snprintf(body + n, cap - (size_t)n, "}");
  }
  n += snprintf(body + n, cap - (size_t)n, "}");
  c->tx[slot] = (pl_janus_tx){.id = id, .kind = kind, .feed = feed, .sent = c->now};
  int k = (c->rq_head + c->rq_n++) % PL_JANUS_REQS;
  free(c->rq_body[k]);
  c->rq_body[k] = body;
  pl_janus_request *r = &c->rq[k];
  *r = (pl_janus_request){.tag = slot, .body = body, .body_len = (size_t)n};
  if (handle)
    snprintf(r->path, sizeof r->path, "%s/%" PRIu64 "/%" PRIu64, c->base, c->session, handle);
  else if (c->session)
    snprintf(r->path, sizeof r->path, "%s/%" PRIu64, c->base, c->session);
  else
    snprintf(r->path, sizeof r->path, "%s", c->base);
  c->last_sent = c->now;
  return 0;
}

/* A plugin message: {"janus":"message","body":{...}}. */
static int message(pl_janus_core *c, int kind, uint64_t feed, uint64_t handle, const char *body,
                   const char *jsep_type, const char *sdp) {
  char extra[512];
  snprintf(extra, sizeof extra, "\"body\":%s", body);
  return request(c, kind, feed, handle, "message", extra, jsep_type, sdp);
}

bool pl_janus_core_poll_request(pl_janus_core *c, pl_janus_request *out) {
  free(c->last_body);
  c->last_body = NULL;
  if (c->rq_n) {
    int k = c->rq_head;
    c->rq_head = (c->rq_head + 1) % PL_JANUS_REQS;
    c->rq_n--;
    *out = c->rq[k];
    c->last_body = c->rq_body[k]; /* freed at the next poll */
    c->rq_body[k] = NULL;
    return true;
  }
  /* The long poll: one open whenever there is a session to listen on. */
  bool live = c->session && c->state != PL_JANUS_CLOSED && c->state != PL_JANUS_FAILED;
  if (live && !c->poll_in_flight && c->now >= c->poll_retry_at) {
    c->poll_in_flight = true;
    c->poll_sent = c->now;
    c->count.polls++;
    *out = (pl_janus_request){.get = true, .tag = TAG_POLL};
    snprintf(out->path, sizeof out->path, "%s/%" PRIu64 "?maxev=10&rid=%" PRIu64, c->base,
             c->session, ++c->poll_rid);
    return true;
  }
  return false;
}

bool pl_janus_core_poll_event(pl_janus_core *c, pl_janus_event *out) {
  free(c->last_sdp);
  c->last_sdp = NULL;
  if (!c->ev_n)
    return false;
  int k = c->ev_head;
  c->ev_head = (c->ev_head + 1) % PL_JANUS_EVENTS;
  c->ev_n--;
  *out = c->ev[k];
  c->last_sdp = c->ev_sdp[k];
  c->ev_sdp[k] = NULL;
  out->sdp = c->last_sdp;
  return true;
}

/* ---- feeds ----------------------------------------------------------------- */

static pl_janus_feed *feed_by_id(pl_janus_core *c, uint64_t id) {
  for (int i = 0; i < PL_JANUS_MAX_FEEDS; i++)
    if (c->feeds[i].state != FEED_FREE && c->feeds[i].id == id)
      return &c->feeds[i];
  return NULL;
}

static pl_janus_feed *feed_by_handle(pl_janus_core *c, uint64_t handle) {
  if (!handle)
    return NULL;
  for (int i = 0; i < PL_JANUS_MAX_FEEDS; i++)
    if (c->feeds[i].state != FEED_FREE && c->feeds[i].handle == handle)
      return &c->feeds[i];
  return NULL;
}

static void forget_tx_of_feed(pl_janus_core *c, uint64_t feed) {
  for (int i = 0; i < PL_JANUS_MAX_TX; i++)
    if (c->tx[i].id && c->tx[i].feed == feed && c->tx[i].kind != TX_DETACH_SUB)
      tx_done(c, &c->tx[i]);
}

/* The feed is over: detach its handle (Janus frees the subscriber) and
 * tell the app, which lets go of the feed's call. */
static void drop_feed(pl_janus_core *c, pl_janus_feed *f, int err, const char *why) {
  uint64_t id = f->id, handle = f->handle;
  forget_tx_of_feed(c, id);
  f->state = FEED_FREE;
  if (handle && c->state != PL_JANUS_FAILED && c->state != PL_JANUS_CLOSED)
    request(c, TX_DETACH_SUB, id, handle, "detach", NULL, NULL, NULL);
  report(c, PL_JANUS_EV_FEED_GONE, id, err, 0, "%s", why);
}

static void add_feed(pl_janus_core *c, uint64_t id, const char *display) {
  if (!id || id == c->my_id || feed_by_id(c, id))
    return;
  pl_janus_feed *f = NULL;
  for (int i = 0; i < PL_JANUS_MAX_FEEDS && !f; i++)
    if (c->feeds[i].state == FEED_FREE)
      f = &c->feeds[i];
  if (!f) {
    report(c, PL_JANUS_EV_ERROR, id, PL_EFULL, 0,
           "feed %" PRIu64 " not followed: already %d feeds", id, PL_JANUS_MAX_FEEDS);
    return;
  }
  *f = (pl_janus_feed){.state = FEED_ATTACHING, .id = id};
  snprintf(f->display, sizeof f->display, "%s", display);
  pl_janus_event *e = push_event(c, PL_JANUS_EV_FEED, id);
  if (e)
    snprintf(e->display, sizeof e->display, "%s", display);
  if (request(c, TX_ATTACH_SUB, id, 0, "attach", "\"plugin\":\"janus.plugin.videoroom\"", NULL,
              NULL) != 0)
    drop_feed(c, f, PL_EFULL, "no room for another request");
}

static void take_publishers(pl_janus_core *c, const pl_json *j, int list) {
  if (pl_json_type_of(j, list) != PL_JSON_ARRAY)
    return;
  for (uint32_t i = 0; i < j->tok[list].n; i++) {
    int p = pl_json_at(j, list, i);
    uint64_t id;
    if (pl_json_u64(j, pl_json_get(j, p, "id"), &id) != 0) {
      /* String ids (string_ids = true in the room) are not ours to use. */
      c->count.ignored++;
      continue;
    }
    char display[PL_JANUS_DISPLAY_MAX] = "";
    int d = pl_json_get(j, p, "display");
    if (pl_json_str(j, d, display, sizeof display) < 0)
      display[0] = 0;
    add_feed(c, id, display);
  }
}

/* ---- replies --------------------------------------------------------------- */

/* Ours and open: the slot; ours and over: *recent set; else NULL. */
static pl_janus_tx *find_tx(pl_janus_core *c, const pl_json *j, int t, bool *recent) {
  char s[48];
  *recent = false;
  if (pl_json_str(j, t, s, sizeof s) < 0)
    return NULL;
  size_t pl = strlen(c->tx_prefix);
  if (strncmp(s, c->tx_prefix, pl) || s[pl] != '-')
    return NULL;
  char *end;
  unsigned long id = strtoul(s + pl + 1, &end, 10);
  if (*end || !id)
    return NULL;
  for (int i = 0; i < PL_JANUS_MAX_TX; i++)
    if (c->tx[i].id == id)
      return &c->tx[i];
  for (int i = 0; i < PL_JANUS_MAX_TX; i++)
    if (c->recent[i] == id)
      *recent = true;
  return NULL;
}

static void destroy_session(pl_janus_core *c) {
  if (request(c, TX_DESTROY, 0, 0, "destroy", NULL, NULL, NULL) != 0)
    fail(c, PL_EFULL, 0, "could not send destroy");
}

static void tx_failed(pl_janus_core *c, pl_janus_tx *tx, int err, int code, const char *why) {
  int kind = tx->kind;
  uint64_t feed = tx->feed;
  tx_done(c, tx);
  if (code == JANUS_ERR_NO_SESSION) {
    fail(c, PL_ECLOSED, code, "Janus no longer knows our session (it restarted, or timed us out)");
    return;
  }
  switch (kind) {
  case TX_ATTACH_SUB:
  case TX_JOIN_SUB:
  case TX_START: {
    pl_janus_feed *f = feed_by_id(c, feed);
    if (f) {
      char d[160];
      snprintf(d, sizeof d, "subscribing failed: %s", why);
      drop_feed(c, f, err, d);
    }
    break;
  }
  case TX_DETACH_SUB:
  case TX_KEEPALIVE:
  case TX_TRICKLE:
    break; /* the feed is gone already / the next keepalive will tell /
              the candidates in the SDP may do */
  case TX_LEAVE:
    destroy_session(c);
    break;
  case TX_DESTROY:
    c->state = PL_JANUS_CLOSED;
    report(c, PL_JANUS_EV_CLOSED, 0, err, code, "destroy failed: %s", why);
    break;
  default:
    fail(c, err, code, why);
  }
}

static void joined(pl_janus_core *c, const pl_json *j, int data) {
  if (pl_json_u64(j, pl_json_get(j, data, "id"), &c->my_id) != 0) {
    fail(c, PL_EPARSE, 0, "join reply without a numeric id");
    return;
  }
  uint64_t pid = 0;
  pl_json_u64(j, pl_json_get(j, data, "private_id"), &pid);
  c->private_id = pid;
  c->state = PL_JANUS_WANT_OFFER;
  push_event(c, PL_JANUS_EV_NEED_OFFER, 0);
  take_publishers(c, j, pl_json_get(j, data, "publishers"));
}

/* The plugin's "event" on the publisher's handle. */
static void publisher_event(pl_janus_core *c, const pl_json *j, int msg, int data, pl_janus_tx *tx) {
  int vr = pl_json_get(j, data, "videoroom");
  int ec = pl_json_get(j, data, "error_code");
  if (ec >= 0) {
    int64_t code = 0;
    pl_json_i64(j, ec, &code);
    char why[128] = "";
    pl_json_str(j, pl_json_get(j, data, "error"), why, sizeof why);
    char d[160];
    snprintf(d, sizeof d, "videoroom error %d: %s", (int)code, why);
    if (tx)
      tx_failed(c, tx, PL_EDENIED, 0, d);
    else
      report(c, PL_JANUS_EV_ERROR, 0, PL_EDENIED, (int)code, "%s", d);
    return;
  }
  if (pl_json_str_is(j, vr, "joined")) {
    if (tx)
      tx_done(c, tx);
    if (c->state == PL_JANUS_JOINING)
      joined(c, j, data);
    else
      c->count.ignored++;
    return;
  }
  if (pl_json_str_is(j, vr, "destroyed")) {
    fail(c, PL_ECLOSED, 0, "the room was destroyed");
    return;
  }
  if (pl_json_str_is(j, pl_json_get(j, data, "configured"), "ok")) {
    if (tx)
      tx_done(c, tx);
    int jsep = pl_json_get(j, msg, "jsep");
    char type[16] = "";
    pl_json_str(j, pl_json_get(j, jsep, "type"), type, sizeof type);
    int sdp = pl_json_get(j, jsep, "sdp");
    if (c->state == PL_JANUS_CONFIGURING && !strcmp(type, "answer") &&
        pl_json_type_of(j, sdp) == PL_JSON_STRING) {
      char *buf = malloc(j->tok[sdp].len + 1);
      if (buf && pl_json_str(j, sdp, buf, j->tok[sdp].len + 1) >= 0) {
        c->state = PL_JANUS_JOINED;
        pl_janus_event *e = push_event(c, PL_JANUS_EV_PUBLISHED, 0);
        if (e)
          event_sdp(c, e, buf);
      } else {
        fail(c, PL_EPARSE, 0, "unreadable SDP answer");
      }
      free(buf);
    } else if (c->state == PL_JANUS_CONFIGURING) {
      fail(c, PL_EPARSE, 0, "configured without an SDP answer");
    }
    return;
  }
  take_publishers(c, j, pl_json_get(j, data, "publishers"));
  for (int k = 0; k < 2; k++) {
    int t = pl_json_get(j, data, k ? "leaving" : "unpublished");
    uint64_t id;
    if (pl_json_u64(j, t, &id) == 0) {
      pl_janus_feed *f = feed_by_id(c, id);
      if (f)
        drop_feed(c, f, 0, k ? "left the room" : "unpublished");
    } else if (tx && pl_json_str_is(j, t, "ok")) {
      /* Our own leave, answered on the long poll before its ack came. */
      bool ours = tx->kind == TX_LEAVE;
      tx_done(c, tx);
      if (ours)
        destroy_session(c);
    }
  }
}

/* The plugin's "event" on a subscriber's handle. */
static void subscriber_event(pl_janus_core *c, pl_janus_feed *f, const pl_json *j, int msg,
                             int data, pl_janus_tx *tx) {
  int ec = pl_json_get(j, data, "error_code");
  if (ec >= 0) {
    int64_t code = 0;
    pl_json_i64(j, ec, &code);
    char why[128] = "";
    pl_json_str(j, pl_json_get(j, data, "error"), why, sizeof why);
    char d[160];
    snprintf(d, sizeof d, "videoroom error %d: %s", (int)code, why);
    if (tx)
      tx_done(c, tx);
    drop_feed(c, f, PL_EDENIED, d);
    return;
  }
  int jsep = pl_json_get(j, msg, "jsep");
  if (jsep >= 0) {
    if (tx)
      tx_done(c, tx);
    int sdp = pl_json_get(j, jsep, "sdp");
    if (!pl_json_str_is(j, pl_json_get(j, jsep, "type"), "offer") ||
        pl_json_type_of(j, sdp) != PL_JSON_STRING) {
      drop_feed(c, f, PL_EPARSE, "subscriber event without an SDP offer");
      return;
    }
    char *buf = malloc(j->tok[sdp].len + 1);
    if (!buf || pl_json_str(j, sdp, buf, j->tok[sdp].len + 1) < 0) {
      free(buf);
      drop_feed(c, f, PL_EPARSE, "unreadable SDP offer");
      return;
    }
    f->state = FEED_OFFERED;
    pl_janus_event *e = push_event(c, PL_JANUS_EV_FEED_OFFER, f->id);
    if (e) {
      snprintf(e->display, sizeof e->display, "%s", f->display);
      event_sdp(c, e, buf);
    }
    free(buf);
    return;
  }
  if (pl_json_str_is(j, pl_json_get(j, data, "started"), "ok")) {
    if (tx)
      tx_done(c, tx);
    if (f->state == FEED_STARTING) {
      f->state = FEED_ACTIVE;
      push_event(c, PL_JANUS_EV_FEED_STARTED, f->id);
    }
    return;
  }
  c->count.ignored++; /* "updated" without jsep, "switched", ... */
}

static void on_success(pl_janus_core *c, const pl_json *j, int msg, pl_janus_tx *tx) {
  int kind = tx->kind;
  uint64_t feed = tx->feed;
  uint64_t id = 0;
  bool has_id = pl_json_u64(j, pl_json_get(j, pl_json_get(j, msg, "data"), "id"), &id) == 0;
  tx_done(c, tx);
  switch (kind) {
  case TX_CREATE:
    if (!has_id || !id) {
      fail(c, PL_EPARSE, 0, "create answered without a session id");
      return;
    }
    c->session = id;
    c->state = PL_JANUS_ATTACHING;
    if (request(c, TX_ATTACH_PUB, 0, 0, "attach", "\"plugin\":\"janus.plugin.videoroom\"", NULL,
                NULL))
      fail(c, PL_EFULL, 0, "could not attach");
    return;
  case TX_ATTACH_PUB: {
    if (!has_id || !id) {
      fail(c, PL_EPARSE, 0, "attach answered without a handle id");
      return;
    }
    c->handle = id;
    c->state = PL_JANUS_JOINING;
    char body[256], disp[2 * PL_JANUS_DISPLAY_MAX + 8];
    pl_json_escape(disp, sizeof disp, c->display);
    snprintf(body, sizeof body,
             "{\"request\":\"join\",\"ptype\":\"publisher\",\"room\":%" PRIu64 ",\"display\":%s}",
             c->room, disp);
    if (message(c, TX_JOIN_PUB, 0, c->handle, body, NULL, NULL))
      fail(c, PL_EFULL, 0, "could not join");
    return;
  }
  case TX_ATTACH_SUB: {
    pl_janus_feed *f = feed_by_id(c, feed);
    if (!f)
      return; /* it left while we attached: the handle is detached below */
    if (!has_id || !id || feed_by_handle(c, id)) {
      drop_feed(c, f, PL_EPARSE, "attach answered without a usable handle id");
      return;
    }
    f->handle = id;
    f->state = FEED_JOINING;
    char body[256];
    snprintf(body, sizeof body,
             "{\"request\":\"join\",\"ptype\":\"subscriber\",\"room\":%" PRIu64
             ",\"streams\":[{\"feed\":%" PRIu64 "}],\"private_id\":%" PRIu64 "}",
             c->room, f->id, c->private_id);
    if (message(c, TX_JOIN_SUB, f->id, f->handle, body, NULL, NULL))
      drop_feed(c, f, PL_EFULL, "could not join as subscriber");
    return;
  }
  case TX_DESTROY:
    c->state = PL_JANUS_CLOSED;
    report(c, PL_JANUS_EV_CLOSED, 0, 0, 0, "left the room");
    return;
  default:
    return; /* keepalive, detach */
  }
}

static void on_error(pl_janus_core *c, const pl_json *j, int msg, pl_janus_tx *tx) {
  int err = pl_json_get(j, msg, "error");
  int64_t code = 0;
  pl_json_i64(j, pl_json_get(j, err, "code"), &code);
  char reason[128] = "";
  pl_json_str(j, pl_json_get(j, err, "reason"), reason, sizeof reason);
  char d[160];
  snprintf(d, sizeof d, "Janus error %d: %s", (int)code, reason);
  c->count.errors++;
  if (tx) {
    tx_failed(c, tx, code == 403 ? PL_EDENIED : PL_ECLOSED, (int)code, d);
  } else if (code == JANUS_ERR_NO_SESSION && c->state != PL_JANUS_IDLE) {
    fail(c, PL_ECLOSED, (int)code, "Janus no longer knows our session (it restarted, or timed us out)");
  } else {
    report(c, PL_JANUS_EV_ERROR, 0, PL_ECLOSED, (int)code, "%s", d);
  }
}

static void handle_message(pl_janus_core *c, const pl_json *j, int msg) {
  c->count.messages++;
  if (pl_json_type_of(j, msg) != PL_JSON_OBJECT) {
    c->count.malformed++;
    report(c, PL_JANUS_EV_ERROR, 0, PL_EPARSE, 0, "message from Janus is no JSON object");
    return;
  }
  char kind[24];
  if (pl_json_str(j, pl_json_get(j, msg, "janus"), kind, sizeof kind) < 0) {
    c->count.malformed++;
    report(c, PL_JANUS_EV_ERROR, 0, PL_EPARSE, 0, "message from Janus without a \"janus\" kind");
    return;
  }
  int txt = pl_json_get(j, msg, "transaction");
  bool recent = false;
  pl_janus_tx *tx = txt >= 0 ? find_tx(c, j, txt, &recent) : NULL;
  uint64_t sender = 0;
  pl_json_u64(j, pl_json_get(j, msg, "sender"), &sender);
  uint64_t sid = 0;
  if (pl_json_u64(j, pl_json_get(j, msg, "session_id"), &sid) == 0 && c->session &&
      sid != c->session) {
    c->count.ignored++; /* another session's message: not ours to act on */
    return;
  }
  if (!strcmp(kind, "keepalive"))
    return;
  bool reply = !strcmp(kind, "success") || !strcmp(kind, "ack") || !strcmp(kind, "error");
  if (reply && !tx && recent) {
    c->count.late++; /* an ack after its event, a reply to what we gave up */
    return;
  }
  if (reply && !tx) {
    if (!strcmp(kind, "error") && txt < 0) {
      on_error(c, j, msg, NULL);
      return;
    }
    c->count.unknown_tx++;
    report(c, PL_JANUS_EV_ERROR, 0, PL_EPARSE, 0, "Janus answered a transaction we never sent (%s)",
           kind);
    return;
  }
  if (!strcmp(kind, "success")) {
    on_success(c, j, msg, tx);
  } else if (!strcmp(kind, "ack")) {
    /* Plugin requests are answered later by an event; the rest are done. */
    if (tx->kind == TX_KEEPALIVE || tx->kind == TX_DETACH_SUB || tx->kind == TX_TRICKLE) {
      tx_done(c, tx);
    } else if (tx->kind == TX_LEAVE) {
      tx_done(c, tx);
      destroy_session(c);
    }
  } else if (!strcmp(kind, "error")) {
    on_error(c, j, msg, tx);
  } else if (!strcmp(kind, "event")) {
    int data = pl_json_get(j, pl_json_get(j, msg, "plugindata"), "data");
    if (pl_json_type_of(j, data) != PL_JSON_OBJECT) {
      c->count.malformed++;
      report(c, PL_JANUS_EV_ERROR, 0, PL_EPARSE, 0, "event without plugindata");
      return;
    }
    pl_janus_feed *f;
    if (sender && sender == c->handle)
      publisher_event(c, j, msg, data, tx);
    else if ((f = feed_by_handle(c, sender)))
      subscriber_event(c, f, j, msg, data, tx);
    else
      c->count.ignored++; /* a handle we let go of */
  } else if (!strcmp(kind, "webrtcup")) {
    pl_janus_feed *f = feed_by_handle(c, sender);
    if (sender == c->handle || f)
      push_event(c, PL_JANUS_EV_WEBRTC_UP, f ? f->id : 0);
  } else if (!strcmp(kind, "hangup") || !strcmp(kind, "detached")) {
    char reason[96] = "";
    pl_json_str(j, pl_json_get(j, msg, "reason"), reason, sizeof reason);
    pl_janus_feed *f = feed_by_handle(c, sender);
    char d[160];
    snprintf(d, sizeof d, "Janus %s%s%s", kind, reason[0] ? ": " : "", reason);
    if (f) {
      f->handle = !strcmp(kind, "detached") ? 0 : f->handle;
      drop_feed(c, f, PL_ECLOSED, d);
    } else if (sender && sender == c->handle && c->state != PL_JANUS_LEAVING) {
      report(c, PL_JANUS_EV_ERROR, 0, PL_ECLOSED, 0, "our publisher: %s", d);
    }
  } else if (!strcmp(kind, "timeout")) {
    fail(c, PL_ETIMEDOUT, JANUS_ERR_NO_SESSION, "Janus timed our session out");
  } else {
    c->count.ignored++; /* media, slowlink, trickle: not needed here */
  }
}

/* A long poll answered at once with nothing (an empty list, a keepalive,
 * garbage) again and again would have us poll in a tight loop: such an
 * answer sooner than PL_JANUS_POLL_MIN_MS pauses the next poll. */
static void pace_poll(pl_janus_core *c, const pl_json *j, int rc) {
  bool empty = rc < 0 || (j->tok[0].type == PL_JSON_ARRAY && j->tok[0].n == 0) ||
               (j->tok[0].type == PL_JSON_OBJECT &&
                pl_json_str_is(j, pl_json_get(j, 0, "janus"), "keepalive"));
  if (empty && c->now - c->poll_sent < PL_MS(PL_JANUS_POLL_MIN_MS))
    c->poll_retry_at = c->now + PL_MS(PL_JANUS_POLL_RETRY_MS);
}

int pl_janus_core_input(pl_janus_core *c, pl_time_us now, int tag, const char *body, size_t len) {
  c->now = now;
  if (tag == TAG_POLL) {
    c->poll_in_flight = false;
    c->poll_fails = 0;
  }
  if (c->state == PL_JANUS_CLOSED || c->state == PL_JANUS_FAILED)
    return 0;
  pl_json j;
  int rc = pl_json_parse(&j, c->tok, PL_JANUS_MAX_TOKENS, body, len);
  if (tag == TAG_POLL)
    pace_poll(c, &j, rc);
  if (rc < 0) {
    c->count.malformed++;
    report(c, PL_JANUS_EV_ERROR, 0, rc, 0, "%s from Janus (%zu bytes)",
           rc == PL_EFULL ? "JSON too large" : "malformed JSON", len);
    /* A create or attach whose reply is unreadable leaves us nowhere to go. */
    if (tag >= 0 && tag < PL_JANUS_MAX_TX && c->tx[tag].id &&
        (c->tx[tag].kind == TX_CREATE || c->tx[tag].kind == TX_ATTACH_PUB))
      tx_failed(c, &c->tx[tag], rc, 0, "unreadable reply");
    return rc;
  }
  if (j.tok[0].type == PL_JSON_ARRAY) {
    for (uint32_t i = 0; i < j.tok[0].n && c->state != PL_JANUS_CLOSED; i++)
      handle_message(c, &j, pl_json_at(&j, 0, i));
  } else {
    handle_message(c, &j, 0);
  }
  return 0;
}

void pl_janus_core_http_failed(pl_janus_core *c, pl_time_us now, int tag, int err, int status) {
  c->now = now;
  if (c->state == PL_JANUS_CLOSED || c->state == PL_JANUS_FAILED)
    return;
  char d[96];
  if (status)
    snprintf(d, sizeof d, "HTTP %d from Janus", status);
  else
    snprintf(d, sizeof d, "no answer from Janus: %s", pl_strerror(err));
  if (tag == TAG_POLL) {
    c->poll_in_flight = false;
    if (status == 404) {
      /* Janus answers a long poll on a session it does not know with an
       * empty 404 (not the JSON error 458 its POSTs get). */
      fail(c, PL_ECLOSED, JANUS_ERR_NO_SESSION,
           "Janus no longer knows our session (it restarted, or timed us out)");
      return;
    }
    if (++c->poll_fails >= PL_JANUS_POLL_FAILS) {
      fail(c, err ? err : PL_EIO, 0, d);
      return;
    }
    c->poll_retry_at = now + PL_MS(PL_JANUS_POLL_RETRY_MS);
    return;
  }
  if (tag >= 0 && tag < PL_JANUS_MAX_TX && c->tx[tag].id)
    tx_failed(c, &c->tx[tag], err ? err : PL_EIO, 0, d);
}

int pl_janus_core_start(pl_janus_core *c, pl_time_us now) {
  c->now = now;
  if (c->state != PL_JANUS_IDLE)
    return PL_ESTATE;
  c->state = PL_JANUS_CREATING;
  return request(c, TX_CREATE, 0, 0, "create", NULL, NULL, NULL);
}

int pl_janus_core_publish(pl_janus_core *c, pl_time_us now, const char *offer) {
  c->now = now;
  if (c->state != PL_JANUS_WANT_OFFER)
    return PL_ESTATE;
  if (!offer)
    return PL_EINVAL;
  char body[128];
  snprintf(body, sizeof body, "{\"request\":\"configure\",\"audio\":true,\"video\":%s}",
           c->video ? "true" : "false");
  int rc = message(c, TX_CONFIGURE, 0, c->handle, body, "offer", offer);
  if (!rc)
    c->state = PL_JANUS_CONFIGURING;
  return rc;
}

int pl_janus_core_answer(pl_janus_core *c, pl_time_us now, uint64_t feed, const char *answer) {
  c->now = now;
  pl_janus_feed *f = feed_by_id(c, feed);
  if (!f || f->state != FEED_OFFERED)
    return PL_ESTATE;
  if (!answer) {
    drop_feed(c, f, PL_ENOTSUP, "the offer could not be answered");
    return 0;
  }
  int rc = message(c, TX_START, f->id, f->handle, "{\"request\":\"start\"}", "answer", answer);
  if (rc)
    drop_feed(c, f, rc, "could not send the answer");
  else
    f->state = FEED_STARTING;
  return rc;
}

int pl_janus_core_trickle(pl_janus_core *c, pl_time_us now, uint64_t feed, const char *mid,
                          const char *candidate) {
  c->now = now;
  uint64_t handle = 0;
  if (!feed) {
    if (c->state == PL_JANUS_CONFIGURING || c->state == PL_JANUS_JOINED)
      handle = c->handle;
  } else {
    pl_janus_feed *f = feed_by_id(c, feed);
    if (f && (f->state == FEED_STARTING || f->state == FEED_ACTIVE))
      handle = f->handle;
  }
  if (!handle)
    return PL_ESTATE;
  char extra[700];
  if (!candidate) {
    snprintf(extra, sizeof extra, "\"candidate\":{\"completed\":true}");
  } else {
    if (!strncmp(candidate, "a=", 2))
      candidate += 2;
    char line[400], cand[512], m[64];
    size_t n = strcspn(candidate, "\r\n"); /* one line, without its end */
    if (strncmp(candidate, "candidate:", 10) || n >= sizeof line)
      return PL_EINVAL;
    memcpy(line, candidate, n);
    line[n] = 0;
    if (pl_json_escape(cand, sizeof cand, line) < 0 ||
        pl_json_escape(m, sizeof m, mid ? mid : "0") < 0)
      return PL_EINVAL;
    snprintf(extra, sizeof extra,
             "\"candidate\":{\"candidate\":%s,\"sdpMid\":%s,\"sdpMLineIndex\":0}", cand, m);
  }
  return request(c, TX_TRICKLE, feed, handle, "trickle", extra, NULL, NULL);
}

void pl_janus_core_leave(pl_janus_core *c, pl_time_us now) {
  c->now = now;
  if (c->state == PL_JANUS_LEAVING || c->state == PL_JANUS_CLOSED)
    return;
  if (c->state == PL_JANUS_FAILED || !c->session) {
    c->state = PL_JANUS_CLOSED;
    report(c, PL_JANUS_EV_CLOSED, 0, 0, 0, "closed");
    return;
  }
  tx_drop_all(c);
  c->state = PL_JANUS_LEAVING;
  /* Leave first (the others see "leaving" at once), then destroy the
   * session, which detaches every handle we hold. */
  if (!c->handle || message(c, TX_LEAVE, 0, c->handle, "{\"request\":\"leave\"}", NULL, NULL))
    destroy_session(c);
}

pl_time_us pl_janus_core_deadline(const pl_janus_core *c) {
  if (c->state == PL_JANUS_CLOSED || c->state == PL_JANUS_FAILED || c->state == PL_JANUS_IDLE)
    return PL_TIME_NEVER;
  pl_time_us d = PL_TIME_NEVER;
  for (int i = 0; i < PL_JANUS_MAX_TX; i++)
    if (c->tx[i].id && c->tx[i].sent + PL_MS(PL_JANUS_TX_TIMEOUT_MS) < d)
      d = c->tx[i].sent + PL_MS(PL_JANUS_TX_TIMEOUT_MS);
  if (c->session && c->state != PL_JANUS_LEAVING && c->last_sent + PL_MS(PL_JANUS_KEEPALIVE_MS) < d)
    d = c->last_sent + PL_MS(PL_JANUS_KEEPALIVE_MS);
  if (c->session && !c->poll_in_flight && c->poll_retry_at < d)
    d = c->poll_retry_at;
  return d;
}

int pl_janus_core_timeout(pl_janus_core *c, pl_time_us now) {
  c->now = now;
  if (c->state == PL_JANUS_CLOSED || c->state == PL_JANUS_FAILED)
    return 0;
  for (int i = 0; i < PL_JANUS_MAX_TX; i++)
    if (c->tx[i].id && now >= c->tx[i].sent + PL_MS(PL_JANUS_TX_TIMEOUT_MS))
      tx_failed(c, &c->tx[i], PL_ETIMEDOUT, 0, "Janus did not answer in time");
  if (c->session && c->state != PL_JANUS_LEAVING && c->state != PL_JANUS_CLOSED &&
      c->state != PL_JANUS_FAILED && now >= c->last_sent + PL_MS(PL_JANUS_KEEPALIVE_MS)) {
    c->count.keepalives++;
    if (request(c, TX_KEEPALIVE, 0, 0, "keepalive", NULL, NULL, NULL))
      c->last_sent = now; /* queue full: try at the next period */
  }
  return 0;
}
