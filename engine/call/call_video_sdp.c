/* The m=video section of a call's SDP: VP8 and VP9 (ours first), each with
 * an RTX type (RFC 4588 apt=), rtcp-fb nack / nack pli / ccm fir (RFC 4585,
 * RFC 5104), our SSRC and its RTX SSRC in an ssrc-group:FID (RFC 5576), and
 * reading the same from the peer. Shared by the SDES and JSEP builders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/call/call.h"
#include "engine/call/call_video.h"
#include "engine/call/call_video_sdp.h"

#define OUR_FB \
  (PL_SDP_FB_NACK | PL_SDP_FB_NACK_PLI | PL_SDP_FB_CCM_FIR | PL_SDP_FB_TRANSPORT_CC)

static bool is_codec(const pl_sdp_codec *k, pl_video_codec want) {
  if (k->clock != PL_VIDEO_CLOCK)
    return false;
  if (want == PL_CODEC_VP8)
    return !strcasecmp(k->name, "VP8");
  if (strcasecmp(k->name, "VP9"))
    return false;
  size_t n;
  const char *p = pl_sdp_fmtp_get(k, "profile-id", &n);
  return !p || (n == 1 && p[0] == '0'); /* we do 8-bit 4:2:0 only */
}

static int rtx_for(const pl_sdp_media *m, int pt) {
  for (int i = 0; i < m->n_codecs; i++) {
    const pl_sdp_codec *k = &m->codecs[i];
    if (strcasecmp(k->name, "rtx") || k->clock != PL_VIDEO_CLOCK)
      continue;
    size_t n;
    const char *a = pl_sdp_fmtp_get(k, "apt", &n);
    if (a && n < 4 && atoi(a) == pt)
      return k->pt;
  }
  return -1;
}

/* The codec of m we would use: ours if offered, else the other one. */
static const pl_sdp_codec *choose(const pl_call *c, const pl_sdp_media *m) {
  pl_video_codec pref = c->cfg.video_codec == 9 ? PL_CODEC_VP9 : PL_CODEC_VP8;
  pl_video_codec other = pref == PL_CODEC_VP8 ? PL_CODEC_VP9 : PL_CODEC_VP8;
  pl_video_codec order[2] = {pref, other};
  for (int o = 0; o < 2; o++)
    for (int i = 0; i < m->n_codecs; i++)
      if (is_codec(&m->codecs[i], order[o]))
        return &m->codecs[i];
  return NULL;
}

const pl_sdp_media *pl_call_video_sdp_find(const pl_sdp *s) {
  for (int i = 0; i < s->n_media; i++)
    if (s->media[i].type == PL_SDP_VIDEO)
      return &s->media[i];
  return NULL;
}

static int add_codec(pl_sdp_media *m, int pt, const char *name, const char *fmtp, uint32_t fb) {
  if (m->n_codecs >= PL_SDP_MAX_CODECS)
    return PL_EFULL;
  pl_sdp_codec *k = &m->codecs[m->n_codecs++];
  memset(k, 0, sizeof *k);
  k->pt = (uint8_t)pt;
  k->has_rtpmap = true;
  snprintf(k->name, sizeof k->name, "%s", name);
  k->clock = PL_VIDEO_CLOCK;
  k->fb.bits = fb;
  return fmtp ? pl_sdp_codec_set_fmtp(k, fmtp) : 0;
}

static int add_pair(pl_sdp_media *m, pl_video_codec codec, int pt, int rtx, uint32_t fb) {
  int rc = add_codec(m, pt, codec == PL_CODEC_VP8 ? "VP8" : "VP9",
                     codec == PL_CODEC_VP9 ? "profile-id=0" : NULL, fb);
  if (!rc && rtx >= 0) {
    char apt[24];
    snprintf(apt, sizeof apt, "apt=%d", pt);
    rc = add_codec(m, rtx, "rtx", apt, 0);
  }
  return rc;
}

int pl_call_video_sdp_section(pl_call *c, pl_sdp_media *m, const char *mid) {
  pl_call_video *v = c->video;
  m->type = PL_SDP_VIDEO;
  snprintf(m->media, sizeof m->media, "video");
  m->is_rtp = true;
  m->rtcp_mux = true;
  snprintf(m->mid, sizeof m->mid, "%s", mid);
  int rc = 0;
  if (v->on) { /* an answer: the one codec chosen from the offer */
    rc = add_pair(m, v->codec, v->pt, v->rtx_pt, v->fb_bits);
  } else {
    bool vp9_first = c->cfg.video_codec == 9;
    rc = add_pair(m, vp9_first ? PL_CODEC_VP9 : PL_CODEC_VP8,
                  vp9_first ? PL_VIDEO_VP9_PT : PL_VIDEO_VP8_PT,
                  vp9_first ? PL_VIDEO_VP9_RTX_PT : PL_VIDEO_VP8_RTX_PT, OUR_FB);
    if (!rc)
      rc = add_pair(m, vp9_first ? PL_CODEC_VP8 : PL_CODEC_VP9,
                    vp9_first ? PL_VIDEO_VP8_PT : PL_VIDEO_VP9_PT,
                    vp9_first ? PL_VIDEO_VP8_RTX_PT : PL_VIDEO_VP9_RTX_PT, OUR_FB);
  }
  if (rc)
    return rc;
  m->n_ssrcs = 2;
  m->ssrcs[0].ssrc = v->local_ssrc;
  m->ssrcs[1].ssrc = v->local_rtx_ssrc;
  for (int i = 0; i < 2; i++)
    snprintf(m->ssrcs[i].cname, sizeof m->ssrcs[i].cname, "%s", c->cname);
  if (v->rtx_pt >= 0 || !v->on) {
    m->n_ssrc_groups = 1;
    snprintf(m->ssrc_groups[0].semantics, sizeof m->ssrc_groups[0].semantics, "FID");
    m->ssrc_groups[0].n = 2;
    m->ssrc_groups[0].ssrcs[0] = v->local_ssrc;
    m->ssrc_groups[0].ssrcs[1] = v->local_rtx_ssrc;
  } else {
    m->n_ssrcs = 1;
  }
  snprintf(v->mid, sizeof v->mid, "%s", mid);
  return 0;
}

int pl_call_video_sdp_take(pl_call *c, const pl_sdp *s, const pl_sdp_media *m) {
  pl_call_video *v = c->video;
  if (!v)
    return 0;
  v->on = false;
  if (!m || m->port == 0 || !m->is_rtp)
    return 0;
  const pl_sdp_codec *k = choose(c, m);
  if (!k)
    return 0; /* no VP8/VP9: the call goes on without video */
  v->codec = is_codec(k, PL_CODEC_VP8) ? PL_CODEC_VP8 : PL_CODEC_VP9;
  v->pt = v->rx_pt = k->pt;
  v->rtx_pt = v->rx_rtx_pt = rtx_for(m, k->pt);
  v->fb_bits = (k->fb.bits | m->fb_all.bits) & OUR_FB;
  v->use_fir = (v->fb_bits & PL_SDP_FB_CCM_FIR) && !(v->fb_bits & PL_SDP_FB_NACK_PLI);
  v->remote_ssrc_known = v->remote_rtx_known = false;
  for (int i = 0; i < m->n_ssrc_groups; i++)
    if (!strcmp(m->ssrc_groups[i].semantics, "FID") && m->ssrc_groups[i].n == 2) {
      v->remote_ssrc = m->ssrc_groups[i].ssrcs[0];
      v->remote_rtx_ssrc = m->ssrc_groups[i].ssrcs[1];
      v->remote_ssrc_known = v->remote_rtx_known = true;
    }
  if (!v->remote_ssrc_known && m->n_ssrcs) {
    v->remote_ssrc = m->ssrcs[0].ssrc;
    v->remote_ssrc_known = true;
  }
  if (m->mid[0])
    snprintf(v->mid, sizeof v->mid, "%.15s", m->mid);
  pl_sdp_dir d = pl_sdp_media_dir(s, m);
  v->on = d != PL_SDP_INACTIVE;
  return 0;
}
