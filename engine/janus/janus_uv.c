/* The Janus room on libuv: the signaling core (janus_core.c) driven by the
 * engine's HTTP client and one timer, and glued to pl_calls: our offer for
 * the publisher, an app-made call answering Janus's offer for each feed.
 * Every request carries a reference on the room, so a room freed while a
 * long poll is out is released when that request comes back. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/log.h"
#include "base/time.h"
#include "engine/call/call.h"
#include "engine/engine.h"
#include "engine/http/http.h"
#include "engine/janus/janus.h"
#include "parley.h"

#define POLL_TIMEOUT_MS 45000 /* Janus answers a long poll within 30 s */
#define SDP_CAP 16384
#define TRICKLE_MS 100      /* how often late candidates are looked for */
#define TRICKLE_FOR_MS 10000 /* ... and for how long after our SDP went */

/* Late candidates of one call (server-reflexive ones come after the SDP)
 * go to Janus as trickle messages until the call's gathering is done. */
typedef struct trickle {
  pl_time_us until; /* 0: nothing to trickle */
} trickle;

typedef struct room_feed {
  uint64_t id;
  pl_call *call; /* NULL: free slot */
  trickle tr;
} room_feed;

struct pl_room {
  pl_janus_core core;
  pl_engine *engine;
  uv_loop_t *loop;
  uv_timer_t *timer;
  uv_timer_t *trickle_timer;
  trickle pub_tr;
  char addr[64];
  pl_call *publisher;
  pl_room_call_cb make_call;
  pl_room_event_cb on_event;
  void *user;
  room_feed feeds[PL_JANUS_MAX_FEEDS];
  int refs;       /* the app's, and one per request in flight */
  struct room_req *inflight;
  bool freed, in_drive;
  char sdp[SDP_CAP];
};

/* A request in flight, on the room's list until its answer (or the
 * room's end, which cancels it) comes back. */
typedef struct room_req {
  pl_room *room;
  int tag;
  pl_http_req *h;
  struct room_req *next;
} room_req;

static void drive(pl_room *r);

static void release(pl_room *r) {
  if (--r->refs > 0)
    return;
  pl_janus_core_free(&r->core);
  free(r);
}

static void emit(pl_room *r, pl_room_event_type type, uint64_t feed, const char *display,
                 pl_call *call, int error, int code, const char *detail) {
  if (r->freed || !r->on_event)
    return;
  pl_room_event ev = {.type = type, .feed = feed, .display = display ? display : "",
                      .call = call, .error = error, .code = code,
                      .detail = detail ? detail : ""};
  r->on_event(r->user, &ev);
}

static room_feed *feed_slot(pl_room *r, uint64_t id) {
  for (int i = 0; i < PL_JANUS_MAX_FEEDS; i++)
    if (r->feeds[i].call && r->feeds[i].id == id)
      return &r->feeds[i];
  return NULL;
}

static void on_http(void *user, int err, const pl_http_msg *resp) {
  room_req *q = user;
  pl_room *r = q->room;
  int tag = q->tag;
  for (room_req **pp = &r->inflight; *pp; pp = &(*pp)->next)
    if (*pp == q) {
      *pp = q->next;
      break;
    }
  free(q);
  if (!r->freed) {
    pl_time_us now = pl_time_now_real();
    const char *b = resp && resp->body ? resp->body : "";
    size_t n = resp ? resp->body_len : 0;
    while (n && (*b == ' ' || *b == '\r' || *b == '\n'))
      b++, n--;
    /* Janus answers its own errors (458, ...) in JSON; whatever else came
     * back without JSON is the transport's failure. */
    if (!err && n && (*b == '{' || *b == '['))
      pl_janus_core_input(&r->core, now, tag, b, n);
    else
      pl_janus_core_http_failed(&r->core, now, tag, err ? err : PL_EIO,
                                err ? 0 : resp->status);
    drive(r);
  }
  release(r);
}

static void on_timer(uv_timer_t *t) {
  pl_room *r = t->data;
  pl_janus_core_timeout(&r->core, pl_time_now_real());
  drive(r);
}

/* Sends what is new of the call's candidates; true while more may come. */
static bool trickle_call(pl_room *r, pl_call *call, uint64_t feed, trickle *t, pl_time_us now) {
  if (!t->until || !call || !call->wrtc)
    return false;
  char buf[2048];
  int n = pl_call_local_candidates(call, true, buf, sizeof buf);
  const char *mid = call->wrtc->mid[0] ? call->wrtc->mid : "0";
  bool eoc = false;
  for (const char *p = n > 0 ? buf : ""; *p;) {
    size_t k = strcspn(p, "\r\n");
    if (!strncmp(p, "a=candidate:", 12)) {
      PL_DEBUG("janus", "trickle (feed %" PRIu64 "): %.*s", feed, (int)k, p);
      pl_janus_core_trickle(&r->core, now, feed, mid, p);
    }
    else if (!strncmp(p, "a=end-of-candidates", 19))
      eoc = true;
    p += k;
    while (*p == '\r' || *p == '\n')
      p++;
  }
  /* An SDP that carried a=end-of-candidates (gathering was done) needs no
   * "completed"; otherwise Janus hears it when gathering ends, or at the
   * deadline. */
  if (eoc || now >= t->until) {
    PL_DEBUG("janus", "trickle (feed %" PRIu64 "): completed%s", feed, eoc ? "" : " (deadline)");
    pl_janus_core_trickle(&r->core, now, feed, mid, NULL);
    t->until = 0;
    return false;
  }
  if (call->wrtc->eoc_signaled) {
    t->until = 0;
    return false;
  }
  return true;
}

static void on_trickle_timer(uv_timer_t *tm) {
  pl_room *r = tm->data;
  pl_time_us now = pl_time_now_real();
  bool more = trickle_call(r, r->publisher, 0, &r->pub_tr, now);
  for (int i = 0; i < PL_JANUS_MAX_FEEDS; i++)
    if (r->feeds[i].call)
      more |= trickle_call(r, r->feeds[i].call, r->feeds[i].id, &r->feeds[i].tr, now);
  if (!more)
    uv_timer_stop(tm);
  drive(r);
}

static void trickle_start(pl_room *r, trickle *t) {
  t->until = pl_time_now_real() + PL_MS(TRICKLE_FOR_MS);
  if (!uv_is_active((uv_handle_t *)r->trickle_timer))
    uv_timer_start(r->trickle_timer, on_trickle_timer, TRICKLE_MS, TRICKLE_MS);
}

static void handle_event(pl_room *r, const pl_janus_event *e) {
  pl_time_us now = pl_time_now_real();
  switch (e->type) {
  case PL_JANUS_EV_NEED_OFFER: {
    int rc = pl_call_create_offer(r->publisher, r->sdp, sizeof r->sdp);
    if (!rc)
      rc = pl_janus_core_publish(&r->core, now, r->sdp);
    if (!rc)
      trickle_start(r, &r->pub_tr);
    if (rc) {
      emit(r, PL_ROOM_ERROR, 0, NULL, NULL, rc, 0, "could not make our offer");
      pl_janus_core_leave(&r->core, now);
    }
    break;
  }
  case PL_JANUS_EV_PUBLISHED: {
    int rc = pl_call_accept_answer(r->publisher, e->sdp ? e->sdp : "");
    if (rc) {
      emit(r, PL_ROOM_ERROR, 0, NULL, r->publisher, rc, 0, "Janus's answer is unusable");
      pl_janus_core_leave(&r->core, now);
    } else {
      emit(r, PL_ROOM_JOINED, 0, NULL, r->publisher, 0, 0, "published");
    }
    break;
  }
  case PL_JANUS_EV_FEED_OFFER: {
    room_feed *f = feed_slot(r, e->feed);
    bool is_new = !f;
    if (is_new) {
      for (int i = 0; i < PL_JANUS_MAX_FEEDS && !f; i++)
        if (!r->feeds[i].call)
          f = &r->feeds[i];
      pl_call *call = f && r->make_call ? r->make_call(r->user, e->feed, e->display) : NULL;
      if (!call) {
        pl_janus_core_answer(&r->core, now, e->feed, NULL);
        break;
      }
      *f = (room_feed){.id = e->feed, .call = call};
    }
    int rc = pl_call_accept_offer(f->call, e->sdp ? e->sdp : "", r->sdp, sizeof r->sdp);
    if (rc) {
      char d[96];
      snprintf(d, sizeof d, "feed %" PRIu64 ": Janus's offer is unusable", e->feed);
      emit(r, PL_ROOM_ERROR, e->feed, e->display, f->call, rc, 0, d);
      pl_janus_core_answer(&r->core, now, e->feed, NULL); /* FEED_GONE hands it back */
      break;
    }
    if (pl_janus_core_answer(&r->core, now, e->feed, r->sdp) == 0)
      trickle_start(r, &f->tr);
    if (is_new)
      emit(r, PL_ROOM_FEED_ADDED, e->feed, e->display, f->call, 0, 0, "subscribed");
    break;
  }
  case PL_JANUS_EV_FEED_GONE: {
    room_feed *f = feed_slot(r, e->feed);
    if (f) {
      pl_call *call = f->call;
      f->call = NULL;
      emit(r, PL_ROOM_FEED_REMOVED, e->feed, NULL, call, e->error, e->code, e->detail);
    }
    break;
  }
  case PL_JANUS_EV_ERROR:
    emit(r, PL_ROOM_ERROR, e->feed, NULL, NULL, e->error, e->code, e->detail);
    break;
  case PL_JANUS_EV_FAILED:
  case PL_JANUS_EV_CLOSED:
    emit(r, e->type == PL_JANUS_EV_FAILED ? PL_ROOM_FAILED : PL_ROOM_CLOSED, 0, NULL, NULL,
         e->error, e->code, e->detail);
    break;
  case PL_JANUS_EV_FEED:
  case PL_JANUS_EV_FEED_STARTED:
  case PL_JANUS_EV_WEBRTC_UP:
    PL_INFO("janus", "%s feed %" PRIu64 " %s", pl_janus_event_name(e->type), e->feed, e->display);
    break;
  }
}

/* Drain the core: requests onto the wire, events to the calls and the app,
 * until both are empty; then one timer at the core's deadline. */
static void drive(pl_room *r) {
  if (r->in_drive || r->freed)
    return;
  r->in_drive = true;
  for (;;) {
    pl_janus_request q;
    pl_janus_event e;
    bool any = false;
    while (!r->freed && pl_janus_core_poll_request(&r->core, &q)) {
      any = true;
      room_req *rq = malloc(sizeof *rq);
      int rc = PL_ENOMEM;
      if (rq) {
        *rq = (room_req){.room = r, .tag = q.tag};
        rc = pl_http_request_h(r->loop, r->addr, q.get ? "GET" : "POST", q.path, NULL,
                               q.get ? NULL : "application/json", q.body, q.body_len,
                               q.get ? POLL_TIMEOUT_MS : PL_JANUS_TX_TIMEOUT_MS, on_http, rq,
                               &rq->h);
      }
      if (rc) {
        free(rq);
        pl_janus_core_http_failed(&r->core, pl_time_now_real(), q.tag, rc, 0);
      } else {
        rq->next = r->inflight;
        r->inflight = rq;
        r->refs++;
      }
    }
    while (!r->freed && pl_janus_core_poll_event(&r->core, &e)) {
      any = true;
      handle_event(r, &e);
    }
    if (!any || r->freed)
      break;
  }
  r->in_drive = false;
  if (r->freed)
    return;
  pl_time_us d = pl_janus_core_deadline(&r->core);
  if (d == PL_TIME_NEVER) {
    uv_timer_stop(r->timer);
  } else {
    pl_time_us now = pl_time_now_real();
    uint64_t ms = d > now ? (uint64_t)((d - now + 999) / 1000) : 0;
    uv_timer_start(r->timer, on_timer, ms, 0);
  }
}

/* "http://IP:PORT/path" -> "IP:PORT" and "/path". */
static int split_url(const char *url, char *addr, size_t acap, char *path, size_t pcap) {
  if (strncmp(url, "http://", 7))
    return PL_ENOTSUP;
  const char *h = url + 7;
  const char *p = strchr(h, '/');
  size_t hl = p ? (size_t)(p - h) : strlen(h);
  if (!hl || hl >= acap)
    return PL_EINVAL;
  memcpy(addr, h, hl);
  addr[hl] = 0;
  snprintf(path, pcap, "%s", p ? p : "/janus");
  return strlen(p ? p : "/janus") < pcap ? 0 : PL_EINVAL;
}

int pl_room_join_janus(pl_room **out, pl_engine *engine, const char *url, uint64_t room,
                       const char *display, pl_call *publisher, pl_room_call_cb make_call,
                       pl_room_event_cb on_event, void *user) {
  if (!out)
    return PL_EINVAL;
  *out = NULL;
  uv_loop_t *loop = engine ? pl_engine_loop(engine) : NULL;
  if (!loop || !url || !publisher || !room)
    return PL_EINVAL;
  pl_room *r = calloc(1, sizeof *r);
  uv_timer_t *t = malloc(sizeof *t), *tt = malloc(sizeof *tt);
  if (!r || !t || !tt) {
    free(r);
    free(t);
    free(tt);
    return PL_ENOMEM;
  }
  char path[48];
  int rc = split_url(url, r->addr, sizeof r->addr, path, sizeof path);
  pl_addr a;
  if (!rc && pl_addr_parse(&a, r->addr) != 0)
    rc = PL_EINVAL; /* numeric addresses only: no resolver here */
  uint64_t seed = 0;
  for (const char *s = url; *s; s++)
    seed = seed * 131 + (unsigned char)*s;
  seed ^= (uint64_t)pl_time_now_real() ^ (uint64_t)(uintptr_t)r;
  if (!rc)
    rc = pl_janus_core_init(&r->core, path, room, display, false, seed);
  if (rc) {
    free(r);
    free(t);
    free(tt);
    return rc;
  }
  r->core.video = publisher->video != NULL;
  r->engine = engine;
  r->loop = loop;
  r->publisher = publisher;
  r->make_call = make_call;
  r->on_event = on_event;
  r->user = user;
  r->refs = 1;
  uv_timer_init(loop, t);
  t->data = r;
  r->timer = t;
  uv_timer_init(loop, tt);
  tt->data = r;
  r->trickle_timer = tt;
  pl_janus_core_start(&r->core, pl_time_now_real());
  drive(r);
  *out = r;
  return 0;
}

int pl_room_get_stats(const pl_room *r, pl_room_stats *out) {
  if (!r || !out)
    return PL_EINVAL;
  const pl_janus_counters *k = &r->core.count;
  *out = (pl_room_stats){.messages = k->messages, .malformed = k->malformed,
                         .unknown_transactions = k->unknown_tx, .late_replies = k->late,
                         .errors = k->errors, .ignored = k->ignored, .polls = k->polls,
                         .keepalives = k->keepalives};
  for (int i = 0; i < PL_JANUS_MAX_FEEDS; i++)
    out->feeds += r->core.feeds[i].state != FEED_FREE;
  return 0;
}

void pl_room_leave(pl_room *r) {
  if (!r || r->freed)
    return;
  pl_janus_core_leave(&r->core, pl_time_now_real());
  drive(r);
}

static void timer_closed(uv_handle_t *h) { free(h); }

void pl_room_free(pl_room *r) {
  if (!r)
    return;
  r->freed = true;
  uv_close((uv_handle_t *)r->timer, timer_closed);
  uv_close((uv_handle_t *)r->trickle_timer, timer_closed);
  r->timer = r->trickle_timer = NULL;
  r->refs++; /* the cancels below release their requests' references */
  /* Janus keeps a long poll open for up to 30 s even after the session is
   * destroyed: end it (and any late POST) now, so the app's loop can end. */
  while (r->inflight)
    pl_http_request_cancel(r->inflight->h); /* on_http unlinks and releases */
  r->refs--;
  release(r);
}
