/* Offer/answer entry points, and the SDES transport: one Opus audio
 * section, RTP/SAVP with rtcp-mux, SRTP keyed by RFC 4568 a=crypto. WebRTC
 * descriptions (ICE + fingerprint) go to call_jsep.c; both transports end
 * in the same pl_srtp_keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "engine/call/call.h"
#include "engine/call/call_video.h"
#include "engine/call/call_video_sdp.h"
#include "engine/engine.h"
#include "net/sdp/sdp.h"
#include "net/srtp/sdes.h"

#define OPUS_PT 111
#define CAPTURE_EXT_ID 1
#define TWCC_EXT_ID 2
#define CAPTURE_EXT_URI PL_CALL_CAPTURE_EXT_URI

static pl_srtp_profile profile_of(pl_crypto_suite s) {
  return s == PL_CRYPTO_AEAD_AES_128_GCM ? PL_SRTP_AEAD_AES_128_GCM
                                         : PL_SRTP_AES128_CM_SHA1_80;
}

int pl_call_opus_fmtp_text(const pl_call *c, char *buf, size_t cap) {
  pl_opus_fmtp f;
  pl_opus_fmtp_default(&f);
  f.minptime = 10;
  f.useinbandfec = true; /* we decode FEC whatever we send */
  f.usedtx = c->cfg.opus_dtx;
  f.stereo = f.sprop_stereo = c->cfg.channels == 2;
  return pl_opus_fmtp_format(&f, buf, cap);
}

int pl_call_red_of(const pl_sdp_media *m, int opus_pt) {
  for (int j = 0; j < m->n_codecs; j++) {
    const pl_sdp_codec *k = &m->codecs[j];
    if (!strcasecmp(k->name, "red") && k->clock == 48000 &&
        pl_red_fmtp_pt(k->fmtp, strlen(k->fmtp)) == opus_pt)
      return k->pt;
  }
  return -1;
}

int pl_call_add_red(const pl_call *c, pl_sdp_media *m, int red_pt, int opus_pt) {
  if (m->n_codecs >= PL_SDP_MAX_CODECS)
    return PL_EFULL;
  int at = m->n_codecs;
  for (int j = 0; j < m->n_codecs; j++)
    if (m->codecs[j].pt == opus_pt)
      at = c->cfg.red ? j : j + 1;
  memmove(&m->codecs[at + 1], &m->codecs[at], sizeof m->codecs[0] * (size_t)(m->n_codecs - at));
  m->n_codecs++;
  pl_sdp_codec *k = &m->codecs[at];
  memset(k, 0, sizeof *k);
  k->pt = (uint8_t)red_pt;
  k->has_rtpmap = true;
  snprintf(k->name, sizeof k->name, "red");
  k->clock = 48000;
  k->channels = 2;
  char fmtp[16];
  snprintf(fmtp, sizeof fmtp, "%d/%d", opus_pt, opus_pt);
  return pl_sdp_codec_set_fmtp(k, fmtp);
}

static void split_addr(const pl_addr *a, char *ip, size_t cap, const char **type) {
  pl_addr_ip(a, ip, cap);
  *type = pl_addr_family(a) == AF_INET6 ? "IP6" : "IP4";
}

/* Our single audio section, offer or answer alike. */
static int build(pl_call *c, pl_sdp *s, int pt, int red_pt, const char *mid, int ext_id,
                 int twcc_id, const pl_sdes_crypto *cryptos, int n_crypto, pl_sdp_dir dir,
                 bool offer) {
  char ip[64];
  const char *type;
  split_addr(&c->local, ip, sizeof ip, &type);
  snprintf(s->origin_user, sizeof s->origin_user, "-");
  s->sess_id = pl_rng_u64(&c->rng) >> 2;
  s->sess_version = 2;
  snprintf(s->origin_addrtype, sizeof s->origin_addrtype, "%s", type);
  snprintf(s->origin_addr, sizeof s->origin_addr, "%s", ip);
  snprintf(s->name, sizeof s->name, "parley");
  s->n_media = 1;
  pl_sdp_media *m = &s->media[0];
  m->type = PL_SDP_AUDIO;
  snprintf(m->media, sizeof m->media, "audio");
  m->port = (uint16_t)pl_addr_port(&c->local);
  snprintf(m->proto, sizeof m->proto, "RTP/SAVP");
  m->is_rtp = true;
  m->conn.present = true;
  snprintf(m->conn.addrtype, sizeof m->conn.addrtype, "%s", type);
  snprintf(m->conn.addr, sizeof m->conn.addr, "%s", ip);
  snprintf(m->mid, sizeof m->mid, "%s", mid);
  m->dir = dir;
  m->rtcp_mux = true;
  m->n_codecs = 1;
  pl_sdp_codec *k = &m->codecs[0];
  k->pt = (uint8_t)pt;
  k->has_rtpmap = true;
  snprintf(k->name, sizeof k->name, "opus");
  k->clock = 48000;
  k->channels = 2; /* RFC 7587 7: always 2 in rtpmap */
  char fmtp[128];
  if (pl_call_opus_fmtp_text(c, fmtp, sizeof fmtp) < 0 || pl_sdp_codec_set_fmtp(k, fmtp) != 0)
    return PL_EINVAL;
  if (ext_id) {
    m->extmaps[m->n_extmaps].id = (uint16_t)ext_id;
    snprintf(m->extmaps[m->n_extmaps++].uri, sizeof m->extmaps[0].uri, "%s", CAPTURE_EXT_URI);
  }
  if (twcc_id) {
    m->extmaps[m->n_extmaps].id = (uint16_t)twcc_id;
    snprintf(m->extmaps[m->n_extmaps++].uri, sizeof m->extmaps[0].uri, "%s", PL_CALL_TWCC_EXT_URI);
    m->codecs[0].fb.bits |= PL_SDP_FB_TRANSPORT_CC;
  }
  if (red_pt >= 0 && pl_call_add_red(c, m, red_pt, pt) != 0)
    return PL_EINVAL;
  m->n_ssrcs = 1;
  m->ssrcs[0].ssrc = c->local_ssrc;
  snprintf(m->ssrcs[0].cname, sizeof m->ssrcs[0].cname, "%s", c->cname);
  m->n_crypto = (uint8_t)n_crypto;
  for (int i = 0; i < n_crypto; i++)
    if (pl_sdes_write(&cryptos[i], m->crypto[i], sizeof m->crypto[i]) < 0)
      return PL_EINVAL;
  if (!c->video || (!offer && !c->video_offered))
    return 0;
  /* Video shares the audio port and SRTP context (one 5-tuple, told apart
   * by payload type and SSRC), but is a section of its own. */
  pl_sdp_media *vm = &s->media[s->n_media++];
  int rc = pl_call_video_sdp_section(c, vm, "1");
  if (rc)
    return rc;
  vm->port = offer || c->video->on ? m->port : 0;
  snprintf(vm->proto, sizeof vm->proto, "RTP/SAVPF");
  vm->conn = m->conn;
  vm->dir = dir;
  vm->n_crypto = m->n_crypto;
  memcpy(vm->crypto, m->crypto, sizeof vm->crypto);
  vm->n_extmaps = m->n_extmaps;
  memcpy(vm->extmaps, m->extmaps, sizeof vm->extmaps[0] * (size_t)m->n_extmaps);
  return 0;
}

/* The first usable audio section of a peer's SDP, with its Opus codec. */
static const pl_sdp_media *find_audio(const pl_sdp *s, const pl_sdp_codec **opus) {
  for (int i = 0; i < s->n_media; i++) {
    const pl_sdp_media *m = &s->media[i];
    if (m->type != PL_SDP_AUDIO || m->port == 0 || !m->is_rtp)
      continue;
    for (int j = 0; j < m->n_codecs; j++) {
      const pl_sdp_codec *k = &m->codecs[j];
      if (!strcasecmp(k->name, "opus") && k->clock == 48000) {
        *opus = k;
        return m;
      }
    }
  }
  return NULL;
}

/* Peer address, SSRC, extension id and Opus parameters from its section. */
static int take_remote(pl_call *c, const pl_sdp *s, const pl_sdp_media *m,
                       const pl_sdp_codec *opus, pl_opus_fmtp *fmtp) {
  const pl_sdp_conn *conn = m->conn.present ? &m->conn : &s->conn;
  if (!conn->present)
    return PL_EPARSE;
  char ip[64];
  snprintf(ip, sizeof ip, "%s", conn->addr);
  char *slash = strchr(ip, '/');
  if (slash)
    *slash = 0; /* multicast TTL suffix: not for us, but harmless */
  if (pl_addr_from_ip_port(&c->remote, ip, m->port) != 0)
    return PL_EPARSE;
  c->remote_known = true;
  c->pt = opus->pt;
  c->red_pt = pl_call_red_of(m, opus->pt);
  if (m->n_ssrcs) {
    c->remote_ssrc = m->ssrcs[0].ssrc;
    c->remote_ssrc_known = true;
  }
  c->ext_capture_id = c->ext_twcc_id = 0;
  for (int i = 0; i < m->n_extmaps; i++) {
    if (m->extmaps[i].id < 1 || m->extmaps[i].id > 14)
      continue; /* we write one-byte headers only */
    if (!strcmp(m->extmaps[i].uri, CAPTURE_EXT_URI))
      c->ext_capture_id = m->extmaps[i].id;
    else if (!strcmp(m->extmaps[i].uri, PL_CALL_TWCC_EXT_URI))
      c->ext_twcc_id = m->extmaps[i].id;
  }
  pl_opus_fmtp_default(fmtp);
  if (opus->fmtp[0] && pl_opus_fmtp_parse(fmtp, opus->fmtp, strlen(opus->fmtp)) != 0)
    PL_WARN("sdp", "ignoring malformed Opus fmtp '%s'", opus->fmtp);
  return 0;
}

static int activate(pl_call *c, const pl_opus_fmtp *fmtp) {
  int rc = pl_srtp_new(&c->srtp, &c->keys);
  if (rc)
    return rc;
  rc = pl_call_media_start(c, fmtp);
  if (rc)
    return rc;
  atomic_store(&c->state, PL_CALL_ACTIVE);
  pl_call_mark_output_(c);
  return 0;
}

int pl_call_create_offer(pl_call *c, char *sdp, size_t cap) {
  if (!sdp || !cap)
    return PL_EINVAL;
  if (atomic_load(&c->state) != PL_CALL_IDLE)
    return PL_ESTATE;
  c->webrtc = c->cfg.transport == PL_TRANSPORT_WEBRTC ||
              (c->cfg.transport == PL_TRANSPORT_AUTO && c->engine->loop);
  if (c->webrtc)
    return pl_jsep_create_offer(c, sdp, cap, false);
  pl_sdp *s = pl_sdp_new();
  if (!s)
    return PL_ENOMEM;
  /* Offer the configured suite first, the other as a fallback. */
  pl_srtp_profile pref = profile_of(c->cfg.crypto);
  pl_srtp_profile other = pref == PL_SRTP_AEAD_AES_128_GCM ? PL_SRTP_AES128_CM_SHA1_80
                                                           : PL_SRTP_AEAD_AES_128_GCM;
  int n = 0;
  int rc = 0;
  pl_srtp_profile order[2] = {pref, other};
  for (int i = 0; i < 2 && !rc; i++)
    if (pl_srtp_profile_supported(order[i]))
      rc = pl_sdes_generate(&c->offered[n++], (uint32_t)(i + 1), order[i]);
  c->n_offered = n;
  if (!rc && n == 0)
    rc = PL_ENOTSUP;
  if (!rc)
    rc = build(c, s, OPUS_PT, PL_CALL_RED_PT, "0", CAPTURE_EXT_ID, TWCC_EXT_ID, c->offered, n,
               PL_SDP_SENDRECV, true);
  if (!rc) {
    int w = pl_sdp_write(s, sdp, cap);
    rc = w < 0 ? w : 0;
  }
  pl_sdp_free(s);
  if (!rc) {
    c->pt = OPUS_PT;
    c->offerer = true;
    atomic_store(&c->state, PL_CALL_OFFERED);
  }
  return rc;
}

int pl_call_accept_offer(pl_call *c, const char *offer, char *answer, size_t cap) {
  if (!offer || !answer || !cap)
    return PL_EINVAL;
  int st = atomic_load(&c->state);
  if (st != PL_CALL_IDLE && !(c->webrtc && (st == PL_CALL_ACTIVE || st == PL_CALL_CONNECTING)))
    return PL_ESTATE;
  pl_sdp *s = pl_sdp_new();
  pl_sdp *a = pl_sdp_new();
  int rc = s && a ? 0 : PL_ENOMEM;
  pl_sdp_error err = {0};
  if (!rc && (rc = pl_sdp_parse(s, offer, strlen(offer), &err)) != 0)
    PL_WARN("sdp", "offer line %u: %s", err.line, err.reason ? err.reason : "?");
  if (!rc && (st != PL_CALL_IDLE || pl_jsep_is_webrtc_offer(s))) {
    rc = c->cfg.transport == PL_TRANSPORT_SDES ? PL_ENOTSUP
                                               : pl_jsep_accept_offer(c, s, answer, cap);
    pl_sdp_free(s);
    pl_sdp_free(a);
    return rc;
  }
  if (!rc && c->cfg.transport == PL_TRANSPORT_WEBRTC)
    rc = PL_ENOTSUP; /* an SDES offer to a call that wants WebRTC only */
  const pl_sdp_codec *opus = NULL;
  const pl_sdp_media *m = rc ? NULL : find_audio(s, &opus);
  if (!rc && !m)
    rc = PL_ENOTSUP; /* no Opus audio: nothing we can talk */
  /* Pick the first offered crypto line whose suite we support. */
  pl_sdes_crypto remote, local;
  bool found = false;
  for (int i = 0; !rc && m && i < m->n_crypto && !found; i++) {
    if (pl_sdes_parse(&remote, m->crypto[i], strlen(m->crypto[i])) == 0 &&
        pl_srtp_profile_supported(remote.profile) && remote.mki_len == 0)
      found = true;
  }
  if (!rc && !found)
    rc = PL_ENOTSUP; /* DTLS-SRTP offers are handled by the WebRTC transport */
  pl_opus_fmtp fmtp;
  if (!rc)
    rc = pl_sdes_generate(&local, remote.tag, remote.profile);
  if (!rc)
    rc = pl_sdes_keys(&c->keys, &local, &remote);
  if (!rc)
    rc = take_remote(c, s, m, opus, &fmtp);
  if (!rc && c->video) {
    const pl_sdp_media *vm = pl_call_video_sdp_find(s);
    c->video_offered = vm != NULL;
    rc = pl_call_video_sdp_take(c, s, vm);
  }
  if (!rc) {
    int ext = c->ext_capture_id;
    pl_sdp_dir dir = PL_SDP_SENDRECV;
    pl_sdp_dir od = pl_sdp_media_dir(s, m);
    if (od == PL_SDP_SENDONLY)
      dir = PL_SDP_RECVONLY;
    else if (od == PL_SDP_RECVONLY)
      dir = PL_SDP_SENDONLY;
    else if (od == PL_SDP_INACTIVE)
      dir = PL_SDP_INACTIVE;
    rc = build(c, a, c->pt, c->red_pt, m->mid[0] ? m->mid : "0", ext, c->ext_twcc_id, &local, 1,
               dir, false);
  }
  if (!rc) {
    int w = pl_sdp_write(a, answer, cap);
    rc = w < 0 ? w : 0;
  }
  if (!rc)
    rc = activate(c, &fmtp);
  pl_sdp_free(s);
  pl_sdp_free(a);
  return rc;
}

int pl_call_accept_answer(pl_call *c, const char *answer) {
  if (!answer)
    return PL_EINVAL;
  int st = atomic_load(&c->state);
  if (st != PL_CALL_OFFERED && !(c->webrtc && c->wrtc->restart_pending))
    return PL_ESTATE;
  pl_sdp *s = pl_sdp_new();
  if (!s)
    return PL_ENOMEM;
  pl_sdp_error err = {0};
  int rc = pl_sdp_parse(s, answer, strlen(answer), &err);
  if (rc)
    PL_WARN("sdp", "answer line %u: %s", err.line, err.reason ? err.reason : "?");
  if (!rc && c->webrtc) {
    rc = pl_jsep_accept_answer(c, s);
    pl_sdp_free(s);
    return rc;
  }
  const pl_sdp_codec *opus = NULL;
  const pl_sdp_media *m = rc ? NULL : find_audio(s, &opus);
  if (!rc && (!m || opus->pt != OPUS_PT))
    rc = PL_ENOTSUP;
  pl_sdes_crypto remote;
  const pl_sdes_crypto *local = NULL;
  if (!rc && (m->n_crypto != 1 || pl_sdes_parse(&remote, m->crypto[0], strlen(m->crypto[0]))))
    rc = PL_ENOTSUP;
  for (int i = 0; !rc && i < c->n_offered; i++)
    if (c->offered[i].tag == remote.tag && c->offered[i].profile == remote.profile)
      local = &c->offered[i];
  if (!rc && !local)
    rc = PL_EAUTH; /* the answer picked a crypto line we never offered */
  pl_opus_fmtp fmtp;
  if (!rc)
    rc = pl_sdes_keys(&c->keys, local, &remote);
  if (!rc)
    rc = take_remote(c, s, m, opus, &fmtp);
  if (!rc && c->video)
    rc = pl_call_video_sdp_take(c, s, pl_call_video_sdp_find(s));
  if (!rc)
    rc = activate(c, &fmtp);
  pl_sdp_free(s);
  return rc;
}
