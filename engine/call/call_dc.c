/* Data channels in a WebRTC call: the SCTP association (net/sctp) rides in
 * DTLS application data on the call's selected pair, starts once DTLS is
 * connected and the m=application section was negotiated, and its channel
 * events reach the app as PL_EVENT_DATA_*. The public pl_call_dc_* API.
 * See docs/datachannel.md. */
#include <stdio.h>
#include <string.h>

#include "engine/call/call.h"
#include "engine/call/webrtc.h"
#include "engine/engine.h"
#include "net/sctp/sctp.h"

/* SCTP packets must fit one DTLS record in the 1200-byte datagrams DTLS
 * is set up for: 1200 less the record header and the largest cipher
 * overhead we negotiate (CBC-SHA1: IV, MAC, padding). */
#define DC_SCTP_MTU 1130

static pl_sctp *get_sctp(pl_call *c) {
  pl_wrtc *w = c->wrtc;
  if (!w->sctp) {
    pl_sctp_config sc;
    memset(&sc, 0, sizeof sc);
    sc.mtu = DC_SCTP_MTU;
    if (pl_sctp_new(&w->sctp, &sc) != 0)
      w->sctp = NULL;
  }
  return w->sctp;
}

bool pl_dc_wanted(const pl_call *c) {
  return c->cfg.data_channels || (c->wrtc && c->wrtc->sctp);
}

void pl_dc_offer_section(pl_call *c, pl_sdp *s, pl_sdp_media *m,
                         const pl_sdp_media *aa, const char *mid) {
  memset(m, 0, sizeof *m);
  m->type = PL_SDP_APPLICATION;
  snprintf(m->media, sizeof m->media, "application");
  m->port = aa->port;
  snprintf(m->proto, sizeof m->proto, "UDP/DTLS/SCTP");
  snprintf(m->fmt, sizeof m->fmt, "webrtc-datachannel");
  m->conn = aa->conn;
  m->transport = aa->transport;
  snprintf(m->mid, sizeof m->mid, "%s", mid);
  m->sctp_port = PL_SCTP_PORT;
  m->has_max_message_size = true;
  m->max_message_size = PL_SCTP_MAX_MESSAGE;
  snprintf(c->wrtc->dc_mid, sizeof c->wrtc->dc_mid, "%s", mid);
  for (int i = 0; i < s->n_groups; i++) {
    pl_sdp_group *g = &s->groups[i];
    if (strcmp(g->semantics, "BUNDLE") != 0)
      continue;
    bool listed = false;
    for (int j = 0; j < g->n; j++)
      listed |= !strcmp(g->mids[j], mid);
    if (!listed && g->n < PL_SDP_MAX_GROUP_MIDS)
      snprintf(g->mids[g->n++], sizeof g->mids[0], "%s", mid);
  }
}

int pl_dc_negotiated(pl_call *c, const pl_sdp_media *r, const char *mid) {
  pl_wrtc *w = c->wrtc;
  if (!get_sctp(c))
    return PL_ENOMEM;
  w->dc_negotiated = true;
  w->dc_remote_port = r->sctp_port ? r->sctp_port : PL_SCTP_PORT;
  /* RFC 8841 6: absent means 64 KiB; 0 means "no limit" (ours applies). */
  w->dc_remote_max = !r->has_max_message_size ? 65536
                     : r->max_message_size    ? r->max_message_size
                                              : PL_SCTP_MAX_MESSAGE;
  snprintf(w->dc_mid, sizeof w->dc_mid, "%s", mid);
  return 0;
}

void pl_dc_dtls_connected(pl_call *c, pl_time_us now) {
  pl_wrtc *w = c->wrtc;
  if (!w->dc_negotiated || !w->sctp || w->dc_started)
    return;
  w->dc_started = true;
  pl_sctp_set_remote_port(w->sctp, w->dc_remote_port);
  pl_sctp_start(w->sctp, now, w->dtls_role == PL_DTLS_CLIENT,
                (size_t)w->dc_remote_max);
}

void pl_dc_transport_closed(pl_call *c) {
  if (c->wrtc && c->wrtc->sctp)
    pl_sctp_transport_closed(c->wrtc->sctp);
}

void pl_dc_call_ended(pl_call *c, pl_time_us now) {
  pl_dc_transport_closed(c);
  pl_dc_pump(c, now); /* the CLOSE events now: no pump runs after this */
}

void pl_dc_input(pl_call *c, pl_time_us now, const uint8_t *p, size_t n) {
  pl_wrtc *w = c->wrtc;
  if (!w->sctp || !w->dc_started) {
    c->dropped++; /* application data with no association to read it */
    return;
  }
  pl_sctp_input(w->sctp, now, p, n);
}

static void emit(pl_call *c, pl_event_type t, const pl_sctp_output *o) {
  if (!c->cfg.on_event)
    return;
  pl_event ev;
  memset(&ev, 0, sizeof ev);
  ev.type = t;
  ev.channel = o->channel;
  ev.data = o->data;
  ev.len = o->len;
  ev.binary = o->binary;
  pl_dc_stats st;
  if (t == PL_EVENT_DATA_CHANNEL &&
      pl_sctp_channel_stats(c->wrtc->sctp, o->channel, &st) == 0)
    ev.detail = st.label; /* valid during the callback, like all details */
  c->cfg.on_event(c, &ev, c->cfg.user);
}

/* The app may call pl_call_dc_* from inside these events; it must not
 * re-enter this loop (a message's bytes are valid until the next poll), so
 * those calls only queue, and this loop sends what they queued. */
bool pl_dc_pump(pl_call *c, pl_time_us now) {
  (void)now;
  pl_wrtc *w = c->wrtc;
  if (!w->sctp || w->dc_in_pump)
    return false;
  bool sent = false;
  w->dc_in_pump = true;
  pl_sctp_output o;
  while (w->sctp && pl_sctp_poll(w->sctp, &o)) {
    switch (o.kind) {
    case PL_SCTP_OUT_TRANSMIT:
      if (w->dtls && pl_dtls_get_state(w->dtls) == PL_DTLS_CONNECTED &&
          pl_dtls_send(w->dtls, o.data, o.len) == 0)
        sent = true;
      else
        c->send_failed++;
      break;
    case PL_SCTP_OUT_CHANNEL: emit(c, PL_EVENT_DATA_CHANNEL, &o); break;
    case PL_SCTP_OUT_OPEN: emit(c, PL_EVENT_DATA_OPEN, &o); break;
    case PL_SCTP_OUT_MESSAGE: emit(c, PL_EVENT_DATA_MESSAGE, &o); break;
    case PL_SCTP_OUT_CLOSE: emit(c, PL_EVENT_DATA_CLOSE, &o); break;
    case PL_SCTP_OUT_BUFFERED_LOW: emit(c, PL_EVENT_DATA_BUFFERED_LOW, &o); break;
    case PL_SCTP_OUT_UP:
    case PL_SCTP_OUT_DOWN: break;
    }
  }
  w->dc_in_pump = false;
  return sent;
}

void pl_dc_timeout(pl_call *c, pl_time_us now) {
  pl_wrtc *w = c->wrtc;
  if (w->sctp && pl_sctp_deadline(w->sctp) <= now)
    pl_sctp_timeout(w->sctp, now);
}

pl_time_us pl_dc_deadline(const pl_call *c) {
  const pl_wrtc *w = c->wrtc;
  return w && w->sctp ? pl_sctp_deadline(w->sctp) : PL_TIME_NEVER;
}

void pl_dc_free(pl_call *c) {
  pl_wrtc *w = c->wrtc;
  if (w && w->sctp) {
    pl_sctp_free(w->sctp);
    w->sctp = NULL;
  }
}

/* ---- public API ---- */

/* After an API call: SCTP's packets go out now, unless we are inside an
 * event of the pump (which sends them when the app returns). */
static void after_api(pl_call *c) {
  if (c->wrtc->dc_in_pump)
    return;
  pl_wrtc_pump(c);
  pl_call_mark_output_(c);
}

int pl_call_create_data_channel(pl_call *c, const pl_dc_init *init) {
  if (!c || !c->wrtc)
    return PL_EINVAL;
  pl_sctp *s = get_sctp(c);
  if (!s)
    return PL_ENOMEM;
  int rc = pl_sctp_open(s, pl_wrtc_api_now(c), init);
  if (rc >= 0)
    after_api(c);
  return rc;
}

int pl_call_dc_send(pl_call *c, int ch, const void *data, size_t len, bool binary) {
  if (!c || !c->wrtc || !c->wrtc->sctp)
    return PL_ESTATE;
  int rc = pl_sctp_send(c->wrtc->sctp, pl_wrtc_api_now(c), ch, binary, data, len);
  if (rc == 0)
    after_api(c);
  return rc;
}

int pl_call_dc_close(pl_call *c, int ch) {
  if (!c || !c->wrtc || !c->wrtc->sctp)
    return PL_ESTATE;
  int rc = pl_sctp_close(c->wrtc->sctp, pl_wrtc_api_now(c), ch);
  if (rc == 0)
    after_api(c);
  return rc;
}

int pl_call_dc_set_buffered_low(pl_call *c, int ch, uint64_t bytes) {
  if (!c || !c->wrtc || !c->wrtc->sctp)
    return PL_ESTATE;
  return pl_sctp_set_buffered_low(c->wrtc->sctp, ch, bytes);
}

int pl_call_dc_stats(pl_call *c, int ch, pl_dc_stats *out) {
  if (!c || !c->wrtc || !c->wrtc->sctp)
    return PL_ESTATE;
  return pl_sctp_channel_stats(c->wrtc->sctp, ch, out);
}

const char *pl_dc_state_name(pl_dc_state s) {
  static const char *const names[] = {"connecting", "open", "closing", "closed"};
  return (unsigned)s < 4 ? names[s] : "?";
}
