/* JSEP offer/answer (RFC 8829) for the WebRTC transport: one BUNDLEd
 * m=audio section (UDP/TLS/RTP/SAVPF, Opus, rtcp-mux, rtcp-rsize, msid,
 * ssrc/cname, the mid and abs-capture-time extensions), ICE credentials,
 * trickle, candidates, a=setup and the engine's sha-256 fingerprint. What
 * we do not take (video, data channels, a second audio section) is answered
 * with port 0. Built on net/sdp's answer generator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "engine/call/call.h"
#include "engine/call/webrtc.h"
#include "engine/call/call_video.h"
#include "engine/call/call_video_sdp.h"
#include "engine/engine.h"

#define OPUS_PT 111 /* Chromium's choice; any dynamic type works */
#define MID_EXT_ID 1
#define CAPTURE_EXT_ID 2
#define TWCC_EXT_ID 3
#define MID_URI "urn:ietf:params:rtp-hdrext:sdes:mid"

/* `now` for a call the app makes: the real clock when the engine runs on a
 * loop, else the time the sans-IO driver last gave the call. */
pl_time_us pl_wrtc_api_now(pl_call *c) {
  if (c->engine->loop)
    c->wrtc->now = pl_time_now_real();
  return c->wrtc->now;
}

bool pl_jsep_is_webrtc_offer(const pl_sdp *s) {
  for (int i = 0; i < s->n_media; i++) {
    pl_sdp_transport t;
    pl_sdp_media_transport(s, &s->media[i], &t);
    if (t.n_fingerprints && t.ice_ufrag[0])
      return true;
  }
  return false;
}

static int local_fingerprint(pl_call *c, pl_sdp_fingerprint *fp) {
  const pl_dtls_cert *cert = pl_engine_cert(c->engine);
  if (!cert)
    return PL_ECRYPTO;
  const char *t = pl_dtls_cert_fingerprint(cert);
  return pl_sdp_fingerprint_parse(fp, t, strlen(t));
}

/* What we send: our SSRC, its cname, and one msid (RFC 8830). */
static void add_sender(pl_call *c, pl_sdp *s, pl_sdp_media *m) {
  s->has_msid_semantic = true;
  snprintf(s->msid_semantic, sizeof s->msid_semantic, "WMS parley-%s", c->cname);
  m->n_msids = 1;
  snprintf(m->msids[0].stream, sizeof m->msids[0].stream, "parley-%s", c->cname);
  snprintf(m->msids[0].track, sizeof m->msids[0].track, "audio-%08x", c->local_ssrc);
  m->n_ssrcs = 1;
  m->ssrcs[0].ssrc = c->local_ssrc;
  snprintf(m->ssrcs[0].cname, sizeof m->ssrcs[0].cname, "%s", c->cname);
  m->ssrcs[0].has_msid = true;
  m->ssrcs[0].msid = m->msids[0];
}

/* The video section beside audio section `aa` (same BUNDLE transport),
 * as an offer (om NULL) or as the answer to the peer's om. */
static int video_section(pl_call *c, pl_sdp *s, pl_sdp_media *vm, const pl_sdp_media *aa,
                         const pl_sdp_media *om, const char *mid) {
  memset(vm, 0, sizeof *vm);
  int rc = pl_call_video_sdp_section(c, vm, mid);
  if (rc)
    return rc;
  vm->port = aa->port;
  snprintf(vm->proto, sizeof vm->proto, "%s", aa->proto);
  vm->conn = aa->conn;
  vm->rtcp_mux = aa->rtcp_mux;
  vm->rtcp_rsize = aa->rtcp_rsize;
  vm->transport = aa->transport;
  vm->dir = PL_SDP_SENDRECV;
  if (om) {
    pl_sdp_dir od = pl_sdp_media_dir(s, om);
    vm->dir = od == PL_SDP_SENDONLY   ? PL_SDP_RECVONLY
              : od == PL_SDP_RECVONLY ? PL_SDP_SENDONLY
              : od == PL_SDP_INACTIVE ? PL_SDP_INACTIVE
                                      : PL_SDP_SENDRECV;
  }
  /* RFC 8843 9.1: an extension has one id in a BUNDLE group: audio's. */
  for (int i = 0; i < aa->n_extmaps && vm->n_extmaps < PL_SDP_MAX_EXTMAPS; i++)
    vm->extmaps[vm->n_extmaps++] = aa->extmaps[i];
  if (vm->dir == PL_SDP_SENDRECV || vm->dir == PL_SDP_SENDONLY) {
    vm->n_msids = 1;
    snprintf(vm->msids[0].stream, sizeof vm->msids[0].stream, "parley-%s", c->cname);
    snprintf(vm->msids[0].track, sizeof vm->msids[0].track, "video-%08x", c->video->local_ssrc);
    for (int i = 0; i < vm->n_ssrcs; i++) {
      vm->ssrcs[i].has_msid = true;
      vm->ssrcs[i].msid = vm->msids[0];
    }
  } else {
    vm->n_ssrcs = 0;
    vm->n_ssrc_groups = 0;
  }
  pl_sdp_group *g = NULL;
  for (int i = 0; i < s->n_groups; i++)
    if (!strcmp(s->groups[i].semantics, "BUNDLE"))
      g = &s->groups[i];
  bool listed = false;
  for (int j = 0; g && j < g->n; j++)
    listed |= !strcmp(g->mids[j], mid);
  if (g && !listed && g->n < PL_SDP_MAX_GROUP_MIDS)
    snprintf(g->mids[g->n++], sizeof g->mids[0], "%s", mid);
  return 0;
}

/* Our answer to the peer's first usable m=video, in place of the rejected
 * section net/sdp's generator wrote for it. */
static int answer_video(pl_call *c, const pl_sdp *o, pl_sdp *a, int audio) {
  if (!c->video)
    return 0;
  int vi = -1;
  for (int i = 0; i < o->n_media && vi < 0; i++)
    if (o->media[i].type == PL_SDP_VIDEO && o->media[i].port && o->media[i].is_rtp)
      vi = i;
  if (vi < 0 || vi >= a->n_media)
    return 0;
  c->video_offered = true;
  int rc = pl_call_video_sdp_take(c, o, &o->media[vi]);
  if (rc || !c->video->on)
    return rc;
  const pl_sdp_media aa = a->media[audio];
  return video_section(c, a, &a->media[vi], &aa, &o->media[vi], o->media[vi].mid);
}

/* PL_EVENT_TRACK "video MID" when the peer will send video. */
static void emit_video_track(pl_call *c) {
  const pl_call_video *v = c->video;
  if (!v || !v->on || !v->remote_ssrc_known)
    return; /* a section without SSRCs is one the peer does not send on */
  snprintf(c->wrtc->detail, sizeof c->wrtc->detail, "video %s", v->mid);
  pl_call_emit(c, PL_EVENT_TRACK, 0, c->wrtc->detail);
}

static void take_extensions(pl_call *c, const pl_sdp_media *m) {
  c->ext_capture_id = c->ext_mid_id = c->ext_twcc_id = 0;
  for (int i = 0; i < m->n_extmaps; i++) {
    unsigned id = m->extmaps[i].id;
    if (id < 1 || id > 14)
      continue; /* we write one-byte headers only */
    if (!strcmp(m->extmaps[i].uri, PL_CALL_CAPTURE_EXT_URI))
      c->ext_capture_id = (int)id;
    else if (!strcmp(m->extmaps[i].uri, MID_URI))
      c->ext_mid_id = (int)id;
    else if (!strcmp(m->extmaps[i].uri, PL_CALL_TWCC_EXT_URI))
      c->ext_twcc_id = (int)id;
  }
}

static void take_remote_sender(pl_call *c, const pl_sdp_media *m) {
  if (m->n_ssrcs) {
    c->remote_ssrc = m->ssrcs[0].ssrc;
    c->remote_ssrc_known = true;
  }
}

static void opus_fmtp_of(const pl_sdp_codec *k, pl_opus_fmtp *f) {
  pl_opus_fmtp_default(f);
  if (k && k->fmtp[0] && pl_opus_fmtp_parse(f, k->fmtp, strlen(k->fmtp)) != 0)
    PL_WARN("jsep", "ignoring malformed Opus fmtp '%s'", k->fmtp);
}

static const pl_sdp_codec *opus_of(const pl_sdp_media *m) {
  for (int j = 0; j < m->n_codecs; j++)
    if (!strcasecmp(m->codecs[j].name, "opus") && m->codecs[j].clock == 48000)
      return &m->codecs[j];
  return NULL;
}

/* The section whose transport a BUNDLE group uses: its first mid (RFC 8843
 * 7.3.1, the answerer-tagged section), else the section itself. */
static const pl_sdp_media *transport_section(const pl_sdp *s, const pl_sdp_media *m) {
  const pl_sdp_group *g = pl_sdp_find_group(s, "BUNDLE");
  if (g && g->n) {
    const pl_sdp_media *t = pl_sdp_find_mid(s, g->mids[0]);
    if (t && t->port != 0)
      return t;
  }
  return m;
}

static void write_session(pl_call *c, pl_sdp *s, uint64_t version) {
  snprintf(s->origin_user, sizeof s->origin_user, "-");
  s->sess_id = c->sess_id;
  s->sess_version = version;
  snprintf(s->origin_addrtype, sizeof s->origin_addrtype, "IP4");
  snprintf(s->origin_addr, sizeof s->origin_addr, "127.0.0.1");
  snprintf(s->name, sizeof s->name, "-");
  s->ice_lite = c->cfg.ice_lite;
}

static int finish_text(pl_sdp *s, char *out, size_t cap) {
  int n = pl_sdp_write(s, out, cap);
  return n < 0 ? n : 0;
}

int pl_jsep_create_offer(pl_call *c, char *out, size_t cap, bool restart) {
  pl_wrtc *w = c->wrtc;
  int rc = restart ? 0 : pl_wrtc_prepare(c, true);
  if (rc)
    return rc;
  pl_wrtc_pump(c); /* the host candidates the agent announced */
  pl_sdp *s = pl_sdp_new();
  if (!s)
    return PL_ENOMEM;
  write_session(c, s, ++c->sess_version);
  s->n_groups = 1;
  snprintf(s->groups[0].semantics, sizeof s->groups[0].semantics, "BUNDLE");
  s->groups[0].n = 1;
  snprintf(s->groups[0].mids[0], sizeof s->groups[0].mids[0], "0");
  s->n_media = 1;
  pl_sdp_media *m = &s->media[0];
  m->type = PL_SDP_AUDIO;
  snprintf(m->media, sizeof m->media, "audio");
  m->port = 9;
  snprintf(m->proto, sizeof m->proto, "UDP/TLS/RTP/SAVPF");
  m->is_rtp = true;
  m->conn.present = true;
  snprintf(m->conn.addrtype, sizeof m->conn.addrtype, "IP4");
  snprintf(m->conn.addr, sizeof m->conn.addr, "0.0.0.0");
  snprintf(m->mid, sizeof m->mid, "0");
  snprintf(w->mid, sizeof w->mid, "0");
  m->dir = PL_SDP_SENDRECV;
  m->rtcp_mux = m->rtcp_rsize = true;
  m->n_codecs = 1;
  pl_sdp_codec *k = &m->codecs[0];
  k->pt = OPUS_PT;
  k->has_rtpmap = true;
  snprintf(k->name, sizeof k->name, "opus");
  k->clock = 48000;
  k->channels = 2; /* RFC 7587 7 */
  char fmtp[128];
  if (pl_call_opus_fmtp_text(c, fmtp, sizeof fmtp) < 0 || pl_sdp_codec_set_fmtp(k, fmtp) != 0)
    rc = PL_EINVAL;
  m->n_extmaps = 3;
  m->extmaps[0].id = MID_EXT_ID;
  snprintf(m->extmaps[0].uri, sizeof m->extmaps[0].uri, "%s", MID_URI);
  m->extmaps[1].id = CAPTURE_EXT_ID;
  snprintf(m->extmaps[1].uri, sizeof m->extmaps[1].uri, "%s", PL_CALL_CAPTURE_EXT_URI);
  m->extmaps[2].id = TWCC_EXT_ID;
  snprintf(m->extmaps[2].uri, sizeof m->extmaps[2].uri, "%s", PL_CALL_TWCC_EXT_URI);
  k->fb.bits = PL_SDP_FB_TRANSPORT_CC;
  if (!rc && pl_call_add_red(c, m, PL_CALL_RED_PT, OPUS_PT) != 0)
    rc = PL_EINVAL;
  pl_sdp_transport *t = &m->transport;
  snprintf(t->ice_ufrag, sizeof t->ice_ufrag, "%s", w->ufrag);
  snprintf(t->ice_pwd, sizeof t->ice_pwd, "%s", w->pwd);
  snprintf(t->ice_options, sizeof t->ice_options, "trickle");
  /* RFC 8842 5.2 / RFC 8829 5.2.1: actpass in an initial offer; a
   * subsequent one keeps the role the DTLS association already has. */
  t->setup = !restart                       ? PL_SDP_SETUP_ACTPASS
             : w->dtls_role == PL_DTLS_CLIENT ? PL_SDP_SETUP_ACTIVE
                                              : PL_SDP_SETUP_PASSIVE;
  t->n_fingerprints = 1;
  if (!rc)
    rc = local_fingerprint(c, &t->fingerprints[0]);
  add_sender(c, s, m);
  pl_wrtc_candidates_to_sdp(c, m);
  if (!rc && c->video && !c->video->on) { /* not on a restart: keep what was agreed */
    s->n_media = 2;
    rc = video_section(c, s, &s->media[1], m, NULL, "1");
  } else if (!rc && c->video && c->video->on) {
    s->n_media = 2;
    rc = video_section(c, s, &s->media[1], m, NULL, c->video->mid);
  }
  if (!rc && (pl_dc_wanted(c) || w->dc_negotiated)) {
    char mid[PL_SDP_TOKEN_LEN];
    snprintf(mid, sizeof mid, "%s", w->dc_negotiated ? w->dc_mid : s->n_media == 2 ? "2" : "1");
    pl_dc_offer_section(c, s, &s->media[s->n_media], m, mid);
    s->n_media++;
  }
  if (!rc)
    rc = finish_text(s, out, cap);
  pl_sdp_free(s);
  if (!rc && !restart) {
    c->pt = OPUS_PT;
    c->offerer = true;
    atomic_store(&c->state, PL_CALL_OFFERED);
  }
  return rc;
}

static pl_dtls_role role_from_answer_setup(pl_sdp_setup ours) {
  return ours == PL_SDP_SETUP_ACTIVE ? PL_DTLS_CLIENT : PL_DTLS_SERVER;
}

/* A re-offer on an established call: new remote ICE credentials mean an ICE
 * restart (RFC 8445 9); we restart too and answer with fresh ones. */
static int accept_reoffer(pl_call *c, const pl_sdp *o, const pl_sdp_media *om, char *out,
                          size_t cap) {
  pl_wrtc *w = c->wrtc;
  pl_sdp_transport t;
  pl_sdp_media_transport(o, transport_section(o, om), &t);
  pl_time_us now = pl_wrtc_api_now(c);
  int rc = 0;
  if (strcmp(t.ice_ufrag, w->remote_ufrag) != 0) {
    rc = pl_jsep_restart_remote(c, t.ice_ufrag, t.ice_pwd);
    for (int i = 0; !rc && i < om->n_candidates; i++)
      pl_wrtc_add_candidate(c, &om->candidates[i]);
    if (!rc && om->end_of_candidates)
      pl_ice_end_of_remote_candidates(w->ice, now);
    pl_wrtc_pump(c);
  }
  pl_sdp *a = pl_sdp_new();
  if (!a)
    return PL_ENOMEM;
  write_session(c, a, ++c->sess_version);
  /* Same answer as before, with the current credentials and role. */
  if (!rc)
    rc = pl_jsep_answer_struct(c, o, a,
                               w->dtls_role == PL_DTLS_CLIENT ? PL_SDP_SETUP_ACTIVE
                                                              : PL_SDP_SETUP_PASSIVE,
                               NULL);
  if (!rc)
    rc = finish_text(a, out, cap);
  pl_sdp_free(a);
  pl_call_mark_output_(c);
  return rc;
}

int pl_jsep_restart_remote(pl_call *c, const char *ufrag, const char *pwd) {
  pl_wrtc *w = c->wrtc;
  if (!c->webrtc || !w->ice || !w->remote_desc)
    return PL_ESTATE;
  pl_time_us now = pl_wrtc_api_now(c);
  int rc = pl_ice_credentials(w->ufrag, sizeof w->ufrag, w->pwd, sizeof w->pwd);
  if (!rc)
    rc = pl_ice_restart(w->ice, now, w->ufrag, w->pwd);
  if (!rc)
    rc = pl_ice_set_remote_credentials(w->ice, ufrag, pwd);
  if (rc)
    return rc;
  snprintf(w->remote_ufrag, sizeof w->remote_ufrag, "%s", ufrag);
  w->ice_restarts++;
  w->n_cands = 0;
  w->gathering_done = w->eoc_signaled = false;
  pl_wrtc_timeout(c, now); /* collects the re-announced host candidates */
  pl_call_mark_output_(c);
  return 0;
}

/* Keeps one red codec, the one that carries the accepted Opus ("111/111"),
 * listed before Opus when we send RED (libwebrtc sends RED only to a peer
 * that prefers it), else after. */
static void answer_red(const pl_call *c, pl_sdp_media *am) {
  const pl_sdp_codec *ok = opus_of(am);
  int red = ok ? pl_call_red_of(am, ok->pt) : -1;
  int opus_pt = ok ? ok->pt : -1;
  int n = 0;
  for (int j = 0; j < am->n_codecs; j++)
    if (strcasecmp(am->codecs[j].name, "red") != 0)
      am->codecs[n++] = am->codecs[j];
  am->n_codecs = n;
  if (red >= 0)
    pl_call_add_red(c, am, red, opus_pt);
}

/* Fills `a` as our answer to `o`; *audio (if not NULL) gets the index of
 * the one accepted audio section. */
int pl_jsep_answer_struct(pl_call *c, const pl_sdp *o, pl_sdp *a, pl_sdp_setup setup,
                          int *audio) {
  pl_wrtc *w = c->wrtc;
  pl_sdp_caps caps;
  memset(&caps, 0, sizeof caps);
  caps.n_codecs = 2;
  /* RFC 2198 redundancy as Chromium offers it; its fmtp (the offer's,
   * echoed) is checked against the Opus we accept below. */
  caps.codecs[1].type = PL_SDP_AUDIO;
  snprintf(caps.codecs[1].name, sizeof caps.codecs[1].name, "red");
  caps.codecs[1].clock = 48000;
  caps.codecs[1].channels = 2;
  pl_sdp_codec_cap *k = &caps.codecs[0];
  k->type = PL_SDP_AUDIO;
  snprintf(k->name, sizeof k->name, "opus");
  k->clock = 48000;
  k->channels = 2;
  if (pl_call_opus_fmtp_text(c, k->fmtp, sizeof k->fmtp) < 0)
    return PL_EINVAL;
  k->fb = PL_SDP_FB_TRANSPORT_CC;
  caps.n_extmaps = 3;
  snprintf(caps.extmaps[0], sizeof caps.extmaps[0], "%s", MID_URI);
  snprintf(caps.extmaps[1], sizeof caps.extmaps[1], "%s", PL_CALL_CAPTURE_EXT_URI);
  snprintf(caps.extmaps[2], sizeof caps.extmaps[2], "%s", PL_CALL_TWCC_EXT_URI);
  pl_sdp_local l;
  memset(&l, 0, sizeof l);
  l.sess_id = c->sess_id;
  snprintf(l.ice_ufrag, sizeof l.ice_ufrag, "%s", w->ufrag);
  snprintf(l.ice_pwd, sizeof l.ice_pwd, "%s", w->pwd);
  l.setup = setup;
  l.ice_lite = c->cfg.ice_lite;
  caps.datachannel = pl_dc_wanted(c);
  int rc = local_fingerprint(c, &l.fingerprint);
  if (!rc)
    rc = pl_sdp_answer(a, o, &caps, &l);
  if (rc)
    return rc;
  /* The first accepted data section is ours (one association per call). */
  for (int i = 0; i < a->n_media && !rc; i++) {
    if (a->media[i].type != PL_SDP_APPLICATION || a->media[i].port == 0)
      continue;
    if (w->dc_negotiated && strcmp(w->dc_mid, a->media[i].mid) != 0)
      continue;
    rc = pl_dc_negotiated(c, &o->media[i], o->media[i].mid);
    break;
  }
  if (rc)
    return rc;
  a->sess_version = c->sess_version;
  int found = -1;
  for (int i = 0; i < a->n_media; i++) {
    pl_sdp_media *am = &a->media[i];
    if (am->type != PL_SDP_AUDIO || am->port == 0)
      continue;
    if (!opus_of(am))
      am->port = 0; /* red alone carries nothing we decode */
    if (am->port == 0)
      continue;
    if (found < 0) {
      found = i;
      continue;
    }
    /* One audio stream per call: a second section is rejected (port 0). */
    const pl_sdp_media *om = &o->media[i];
    pl_sdp_media keep = *am;
    memset(am, 0, sizeof *am);
    am->type = keep.type;
    memcpy(am->media, keep.media, sizeof am->media);
    memcpy(am->proto, keep.proto, sizeof am->proto);
    memcpy(am->mid, keep.mid, sizeof am->mid);
    am->is_rtp = true;
    am->conn = keep.conn;
    am->n_codecs = 1;
    am->codecs[0].pt = om->n_codecs ? om->codecs[0].pt : 0;
    pl_sdp_group *g = a->n_groups ? &a->groups[0] : NULL;
    for (int j = 0; g && j < g->n; j++)
      if (!strcmp(g->mids[j], keep.mid)) {
        memmove(&g->mids[j], &g->mids[j + 1], (size_t)(g->n - j - 1) * sizeof g->mids[0]);
        g->n--;
        break;
      }
  }
  if (found < 0)
    return PL_ENOTSUP; /* no Opus audio we could take */
  pl_sdp_media *am = &a->media[found];
  answer_red(c, am);
  if (am->dir == PL_SDP_SENDRECV || am->dir == PL_SDP_SENDONLY)
    add_sender(c, a, am);
  pl_wrtc_candidates_to_sdp(c, am);
  int rc2 = answer_video(c, o, a, found);
  if (rc2)
    return rc2;
  if (audio)
    *audio = found;
  return 0;
}

int pl_jsep_accept_offer(pl_call *c, const pl_sdp *o, char *out, size_t cap) {
  pl_wrtc *w = c->wrtc;
  int st = atomic_load(&c->state);
  if (st == PL_CALL_ACTIVE || st == PL_CALL_CONNECTING) {
    const pl_sdp_codec *ok = NULL;
    const pl_sdp_media *om = NULL;
    for (int i = 0; i < o->n_media && !om; i++)
      if (o->media[i].type == PL_SDP_AUDIO && o->media[i].port && (ok = opus_of(&o->media[i])))
        om = &o->media[i];
    if (!om || !c->webrtc)
      return PL_ESTATE;
    return accept_reoffer(c, o, om, out, cap);
  }
  if (st != PL_CALL_IDLE)
    return PL_ESTATE;
  c->webrtc = true;
  pl_wrtc_api_now(c);
  /* A full agent facing a lite offerer controls (RFC 8445 6.1.1). */
  int rc = pl_wrtc_prepare(c, o->ice_lite && !c->cfg.ice_lite);
  if (!rc)
    pl_wrtc_pump(c);
  pl_sdp *a = pl_sdp_new();
  if (!a)
    return PL_ENOMEM;
  int idx = -1;
  write_session(c, a, ++c->sess_version);
  if (!rc)
    rc = pl_jsep_answer_struct(c, o, a, PL_SDP_SETUP_ACTIVE, &idx);
  const pl_sdp_media *om = idx >= 0 ? &o->media[idx] : NULL;
  const pl_sdp_media *am = idx >= 0 ? &a->media[idx] : NULL;
  pl_opus_fmtp fmtp;
  if (!rc) {
    const pl_sdp_codec *ok = opus_of(om);
    c->pt = am->codecs[0].pt;
    for (int j = 0; j < am->n_codecs; j++)
      if (!strcasecmp(am->codecs[j].name, "opus"))
        c->pt = am->codecs[j].pt;
    opus_fmtp_of(ok, &fmtp);
    c->red_pt = pl_call_red_of(am, c->pt);
    take_extensions(c, am);
    take_remote_sender(c, om);
    snprintf(w->mid, sizeof w->mid, "%s", am->mid);
    if (strlen(w->mid) > 16)
      c->ext_mid_id = 0; /* one-byte extension elements carry 16 bytes */
    pl_sdp_transport at;
    pl_sdp_media_transport(a, am, &at);
    rc = pl_wrtc_remote(c, o, transport_section(o, om), role_from_answer_setup(at.setup));
  }
  if (!rc)
    rc = finish_text(a, out, cap);
  if (!rc)
    rc = pl_call_media_start(c, &fmtp);
  if (!rc) {
    atomic_store(&c->state, PL_CALL_CONNECTING);
    pl_sdp_dir od = pl_sdp_media_dir(o, om);
    if (od == PL_SDP_SENDRECV || od == PL_SDP_SENDONLY) {
      snprintf(w->detail, sizeof w->detail, "audio %s", w->mid);
      pl_call_emit(c, PL_EVENT_TRACK, 0, w->detail);
    }
    emit_video_track(c);
    pl_call_mark_output_(c);
  }
  pl_sdp_free(a);
  return rc;
}

int pl_jsep_accept_answer(pl_call *c, const pl_sdp *s) {
  pl_wrtc *w = c->wrtc;
  const pl_sdp_media *m = NULL;
  for (int i = 0; i < s->n_media && !m; i++)
    if (s->media[i].type == PL_SDP_AUDIO && s->media[i].port != 0 && opus_of(&s->media[i]))
      m = &s->media[i];
  if (!m)
    return PL_ENOTSUP;
  const pl_sdp_codec *ok = opus_of(m);
  if (ok->pt != OPUS_PT)
    return PL_ENOTSUP; /* an answer keeps the offer's payload type */
  pl_time_us now = pl_wrtc_api_now(c);
  pl_sdp_transport t;
  pl_sdp_media_transport(s, transport_section(s, m), &t);
  if (w->restart_pending) {
    w->restart_pending = false;
    int rc = pl_ice_set_remote_credentials(w->ice, t.ice_ufrag, t.ice_pwd);
    snprintf(w->remote_ufrag, sizeof w->remote_ufrag, "%s", t.ice_ufrag);
    for (int i = 0; !rc && i < m->n_candidates; i++)
      pl_wrtc_add_candidate(c, &m->candidates[i]);
    if (!rc && m->end_of_candidates)
      pl_ice_end_of_remote_candidates(w->ice, now);
    pl_call_mark_output_(c);
    return rc;
  }
  if (atomic_load(&c->state) != PL_CALL_OFFERED)
    return PL_ESTATE;
  /* RFC 5763 5: the answerer picks; actpass or holdconn is not an answer. */
  if (t.setup != PL_SDP_SETUP_ACTIVE && t.setup != PL_SDP_SETUP_PASSIVE)
    return PL_EPARSE;
  pl_opus_fmtp fmtp;
  opus_fmtp_of(ok, &fmtp);
  c->red_pt = pl_call_red_of(m, OPUS_PT);
  take_extensions(c, m);
  take_remote_sender(c, m);
  if (c->video) {
    const pl_sdp_media *vm = pl_call_video_sdp_find(s);
    int vrc = pl_call_video_sdp_take(c, s, vm);
    if (vrc)
      return vrc;
  }
  for (int i = 0; i < s->n_media; i++)
    if (s->media[i].type == PL_SDP_APPLICATION && s->media[i].port != 0 &&
        !strcmp(s->media[i].mid, w->dc_mid)) {
      int drc = pl_dc_negotiated(c, &s->media[i], s->media[i].mid);
      if (drc)
        return drc;
      break;
    }
  int rc = pl_wrtc_remote(c, s, transport_section(s, m),
                          t.setup == PL_SDP_SETUP_ACTIVE ? PL_DTLS_SERVER : PL_DTLS_CLIENT);
  if (!rc)
    rc = pl_call_media_start(c, &fmtp);
  if (rc)
    return rc;
  atomic_store(&c->state, PL_CALL_CONNECTING);
  pl_sdp_dir d = pl_sdp_media_dir(s, m);
  if (d == PL_SDP_SENDRECV || d == PL_SDP_SENDONLY) {
    snprintf(w->detail, sizeof w->detail, "audio %s", m->mid);
    pl_call_emit(c, PL_EVENT_TRACK, 0, w->detail);
  }
  emit_video_track(c);
  pl_call_mark_output_(c);
  return 0;
}

int pl_call_restart_ice(pl_call *c, char *out, size_t cap) {
  if (!c || !out || !cap)
    return PL_EINVAL;
  pl_wrtc *w = c->wrtc;
  int st = atomic_load(&c->state);
  if (!c->webrtc || !w->ice || !w->remote_desc ||
      (st != PL_CALL_ACTIVE && st != PL_CALL_CONNECTING))
    return PL_ESTATE;
  pl_time_us now = pl_wrtc_api_now(c);
  int rc = pl_ice_credentials(w->ufrag, sizeof w->ufrag, w->pwd, sizeof w->pwd);
  if (!rc)
    rc = pl_ice_restart(w->ice, now, w->ufrag, w->pwd);
  if (rc)
    return rc;
  w->ice_restarts++;
  w->n_cands = 0;
  w->gathering_done = w->eoc_signaled = false;
  pl_wrtc_timeout(c, now); /* collects the re-announced host candidates */
  rc = pl_jsep_create_offer(c, out, cap, true);
  if (!rc)
    w->restart_pending = true;
  pl_call_mark_output_(c);
  return rc;
}
