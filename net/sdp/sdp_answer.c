/* Answer generation (RFC 8829 5.3.1 initial answers, RFC 3264 6): match the
 * remote offer section by section against our capabilities. */
#include <string.h>

#include "net/sdp/sdp.h"
#include "net/sdp/sdp_text.h"
#include "parley.h"

/* Values of `key` in two fmtp strings are equal, or both absent. */
static bool fmtp_key_equal(const pl_sdp_codec *offer, const pl_sdp_codec *ours,
                           const char *key) {
  size_t la = 0, lb = 0;
  const char *a = pl_sdp_fmtp_get(offer, key, &la);
  const char *b = pl_sdp_fmtp_get(ours, key, &lb);
  if (!a || !b)
    return !a && !b;
  return la == lb && memcmp(a, b, la) == 0;
}

static bool codec_matches(const pl_sdp_codec *oc, pl_sdp_media_type type,
                          const pl_sdp_codec_cap *cap) {
  if (cap->type != type || !oc->has_rtpmap || !sdp_streq_i(oc->name, cap->name) ||
      oc->clock != cap->clock)
    return false;
  /* An absent channel count means one (RFC 4566 6) - except for Opus,
   * whose rtpmap is always /2 (RFC 7587 7): an offer that leaves it out
   * (GStreamer's webrtcbin before its caps settle) means the same. */
  unsigned och = oc->channels ? oc->channels : sdp_streq_i(oc->name, "opus") ? 2 : 1;
  unsigned cch = cap->channels ? cap->channels : 1;
  if (och != cch)
    return false;
  if (!cap->fmtp_match[0])
    return true;
  pl_sdp_codec ours;
  memset(&ours, 0, sizeof ours);
  if (pl_sdp_codec_set_fmtp(&ours, cap->fmtp) != 0)
    return false;
  sdp_span keys = sdp_span_of(cap->fmtp_match, strlen(cap->fmtp_match)), k;
  while (sdp_next(&keys, &k)) {
    char key[64];
    if (!SDP_COPY(key, k) || !fmtp_key_equal(oc, &ours, key))
      return false;
  }
  return true;
}

static const pl_sdp_codec_cap *find_cap(const pl_sdp_codec *oc,
                                        pl_sdp_media_type type,
                                        const pl_sdp_caps *caps) {
  for (unsigned i = 0; i < caps->n_codecs && i < PL_SDP_MAX_CAPS; i++)
    if (codec_matches(oc, type, &caps->codecs[i]))
      return &caps->codecs[i];
  return NULL;
}

/* The payload type an rtx codec repairs (RFC 4588 8.6 apt=), or -1. */
static int rtx_apt(const pl_sdp_codec *c) {
  size_t len;
  const char *v = pl_sdp_fmtp_get(c, "apt", &len);
  uint64_t x;
  if (!v || !sdp_u64(sdp_span_of(v, len), 127, &x))
    return -1;
  return (int)x;
}

static bool ext_supported(const pl_sdp_caps *caps, const char *uri) {
  for (unsigned i = 0; i < caps->n_extmaps && i < PL_SDP_MAX_CAP_EXTMAPS; i++)
    if (strcmp(caps->extmaps[i], uri) == 0)
      return true;
  return false;
}

/* RFC 3264 6.1: we may send only if the offerer receives, and vice versa. */
static pl_sdp_dir answer_dir(pl_sdp_dir offered, pl_sdp_dir want) {
  if (want == PL_SDP_DIR_UNSET)
    want = PL_SDP_SENDRECV;
  bool they_recv = offered == PL_SDP_SENDRECV || offered == PL_SDP_RECVONLY;
  bool they_send = offered == PL_SDP_SENDRECV || offered == PL_SDP_SENDONLY;
  bool send = they_recv && (want == PL_SDP_SENDRECV || want == PL_SDP_SENDONLY);
  bool recv = they_send && (want == PL_SDP_SENDRECV || want == PL_SDP_RECVONLY);
  return send && recv ? PL_SDP_SENDRECV
         : send       ? PL_SDP_SENDONLY
         : recv       ? PL_SDP_RECVONLY
                      : PL_SDP_INACTIVE;
}

/* RFC 5763 5: answer actpass with our choice (active unless told), active
 * with passive, passive with active. */
static pl_sdp_setup answer_setup(pl_sdp_setup offered, pl_sdp_setup ours) {
  switch (offered) {
  case PL_SDP_SETUP_ACTIVE:
    return PL_SDP_SETUP_PASSIVE;
  case PL_SDP_SETUP_PASSIVE:
    return PL_SDP_SETUP_ACTIVE;
  case PL_SDP_SETUP_HOLDCONN:
    return PL_SDP_SETUP_HOLDCONN;
  default:
    return ours == PL_SDP_SETUP_PASSIVE ? PL_SDP_SETUP_PASSIVE
                                        : PL_SDP_SETUP_ACTIVE;
  }
}

static bool secure_rtp_proto(const char *proto) {
  return strstr(proto, "RTP/SAVP") != NULL; /* SAVP and SAVPF, any transport */
}

static bool datachannel_proto(const pl_sdp_media *m) {
  size_t n = strlen(m->proto);
  return n >= 9 && strcmp(m->proto + n - 9, "DTLS/SCTP") == 0 &&
         strcmp(m->fmt, "webrtc-datachannel") == 0;
}

/* Fills the RTP part of an accepted section; false when no codec matched. */
static bool answer_rtp(pl_sdp_media *am, const pl_sdp_media *om,
                       const pl_sdp_caps *caps) {
  bool primary[128] = {false};
  const pl_sdp_codec_cap *cap_of[PL_SDP_MAX_CODECS] = {NULL};
  for (unsigned i = 0; i < om->n_codecs; i++) {
    const pl_sdp_codec *oc = &om->codecs[i];
    if (sdp_streq_i(oc->name, "rtx"))
      continue;
    cap_of[i] = find_cap(oc, om->type, caps);
    if (cap_of[i])
      primary[oc->pt] = true;
  }
  bool any = false;
  for (unsigned i = 0; i < om->n_codecs; i++) {
    const pl_sdp_codec *oc = &om->codecs[i];
    bool rtx = sdp_streq_i(oc->name, "rtx") && oc->has_rtpmap;
    int apt = rtx ? rtx_apt(oc) : -1;
    if (!(cap_of[i] || (rtx && caps->rtx && apt >= 0 && primary[apt])))
      continue;
    pl_sdp_codec *ac = &am->codecs[am->n_codecs++];
    ac->pt = oc->pt;
    ac->has_rtpmap = true;
    memcpy(ac->name, oc->name, sizeof ac->name);
    ac->clock = oc->clock;
    ac->channels = oc->channels;
    if (cap_of[i]) {
      any = true;
      const char *fmtp = cap_of[i]->fmtp[0] ? cap_of[i]->fmtp : oc->fmtp;
      pl_sdp_codec_set_fmtp(ac, fmtp);
      ac->fb.bits = (oc->fb.bits | om->fb_all.bits) & cap_of[i]->fb;
    } else {
      pl_sdp_codec_set_fmtp(ac, oc->fmtp); /* keeps the offer's apt= */
    }
  }
  if (!any)
    return false;
  for (unsigned i = 0; i < om->n_extmaps; i++)
    if (ext_supported(caps, om->extmaps[i].uri) &&
        am->n_extmaps < PL_SDP_MAX_EXTMAPS) {
      pl_sdp_extmap *e = &am->extmaps[am->n_extmaps++];
      e->id = om->extmaps[i].id;
      memcpy(e->uri, om->extmaps[i].uri, sizeof e->uri);
    }
  am->rtcp_mux = om->rtcp_mux || om->rtcp_mux_only;
  am->rtcp_rsize = om->rtcp_rsize;
  am->extmap_allow_mixed = om->extmap_allow_mixed && caps->extmap_allow_mixed;
  return true;
}

static void reject(pl_sdp_media *am, const pl_sdp_media *om) {
  /* RFC 3264 6: port zero, and the m= line still carries one format */
  am->port = 0;
  am->n_codecs = 0;
  if (om->is_rtp) {
    am->codecs[0].pt = om->n_codecs ? om->codecs[0].pt : 0;
    am->n_codecs = 1;
  } else {
    const char *fmt = om->fmt[0] ? om->fmt : "0";
    sdp_copy(am->fmt, sizeof am->fmt, sdp_span_of(fmt, strlen(fmt)));
  }
  am->dir = PL_SDP_DIR_UNSET;
}

int pl_sdp_answer(pl_sdp *a, const pl_sdp *o, const pl_sdp_caps *caps,
                  const pl_sdp_local *l) {
  if (!a || !o || !caps || !l || a == o)
    return PL_EINVAL;
  pl_sdp_reset(a);
  memcpy(a->origin_user, "-", 2);
  a->sess_id = l->sess_id & INT64_MAX;
  a->sess_version = 1;
  memcpy(a->origin_addrtype, "IP4", 4);
  memcpy(a->origin_addr, "127.0.0.1", 10);
  memcpy(a->name, "-", 2);
  a->has_msid_semantic = o->has_msid_semantic;
  if (o->has_msid_semantic)
    memcpy(a->msid_semantic, "WMS", 4);
  a->ice_lite = l->ice_lite;
  a->extmap_allow_mixed = o->extmap_allow_mixed && caps->extmap_allow_mixed;
  bool accepted[PL_SDP_MAX_MEDIA] = {false};
  for (unsigned i = 0; i < o->n_media; i++) {
    const pl_sdp_media *om = &o->media[i];
    pl_sdp_media *am = &a->media[i];
    am->type = om->type;
    memcpy(am->media, om->media, sizeof am->media);
    memcpy(am->proto, om->proto, sizeof am->proto);
    memcpy(am->mid, om->mid, sizeof am->mid);
    am->is_rtp = om->is_rtp;
    am->conn.present = true;
    memcpy(am->conn.addrtype, "IP4", 4);
    memcpy(am->conn.addr, "0.0.0.0", 8);
    bool ok = om->port != 0 || om->bundle_only;
    if (ok && (om->type == PL_SDP_AUDIO || om->type == PL_SDP_VIDEO))
      ok = om->is_rtp && secure_rtp_proto(om->proto) && answer_rtp(am, om, caps);
    else if (ok && om->type == PL_SDP_APPLICATION)
      ok = caps->datachannel && datachannel_proto(om);
    else
      ok = false;
    if (!ok) {
      reject(am, om);
      continue;
    }
    accepted[i] = true;
    am->port = 9; /* RFC 8829 5.3.1: the real address is in candidates */
    pl_sdp_transport ot;
    pl_sdp_media_transport(o, om, &ot);
    pl_sdp_transport *t = &am->transport;
    memcpy(t->ice_ufrag, l->ice_ufrag, sizeof t->ice_ufrag);
    memcpy(t->ice_pwd, l->ice_pwd, sizeof t->ice_pwd);
    if (strstr(ot.ice_options, "trickle"))
      memcpy(t->ice_options, "trickle", 8);
    if (l->fingerprint.len) {
      t->fingerprints[0] = l->fingerprint;
      t->n_fingerprints = 1;
    }
    t->setup = answer_setup(ot.setup, l->setup);
    if (om->type == PL_SDP_APPLICATION) {
      memcpy(am->fmt, om->fmt, sizeof am->fmt);
      am->sctp_port = caps->sctp_port ? caps->sctp_port : 5000;
      am->has_max_message_size = true;
      am->max_message_size =
          caps->max_message_size ? caps->max_message_size : 262144;
    } else {
      pl_sdp_dir want = om->type == PL_SDP_AUDIO ? caps->audio_dir : caps->video_dir;
      am->dir = answer_dir(pl_sdp_media_dir(o, om), want);
    }
  }
  a->n_media = o->n_media;
  /* RFC 8843 7.3.1: the answer's BUNDLE group lists the offered, accepted mids */
  const pl_sdp_group *og = pl_sdp_find_group(o, "BUNDLE");
  if (og) {
    pl_sdp_group *g = &a->groups[0];
    memcpy(g->semantics, "BUNDLE", 7);
    for (unsigned j = 0; j < og->n; j++)
      for (unsigned i = 0; i < o->n_media; i++)
        if (accepted[i] && strcmp(o->media[i].mid, og->mids[j]) == 0)
          memcpy(g->mids[g->n++], og->mids[j], PL_SDP_TOKEN_LEN);
    if (g->n)
      a->n_groups = 1;
  }
  return 0;
}
