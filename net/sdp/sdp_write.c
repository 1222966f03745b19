/* SDP writer: CRLF text in the attribute order browsers emit (RFC 8829
 * 5.2.1), so our offers and answers read like Chromium's own. */
#include <string.h>

#include "net/sdp/sdp.h"
#include "net/sdp/sdp_text.h"
#include "parley.h"

static const char *const setup_names[] = {"", "actpass", "active", "passive",
                                          "holdconn"};

static void write_transport(sdp_out *o, const pl_sdp_transport *t) {
  if (t->ice_ufrag[0])
    sdp_printf(o, "a=ice-ufrag:%s\r\n", t->ice_ufrag);
  if (t->ice_pwd[0])
    sdp_printf(o, "a=ice-pwd:%s\r\n", t->ice_pwd);
  if (t->ice_options[0])
    sdp_printf(o, "a=ice-options:%s\r\n", t->ice_options);
  for (unsigned i = 0; i < t->n_fingerprints && i < PL_SDP_MAX_FINGERPRINTS; i++) {
    char fp[16 + 3 * 64 + 2];
    if (pl_sdp_fingerprint_write(&t->fingerprints[i], fp, sizeof fp) > 0)
      sdp_printf(o, "a=fingerprint:%s\r\n", fp);
  }
  if (t->setup > PL_SDP_SETUP_UNSET && t->setup <= PL_SDP_SETUP_HOLDCONN)
    sdp_printf(o, "a=setup:%s\r\n", setup_names[t->setup]);
}

static void write_attrs(sdp_out *o, const pl_sdp_attr *a, unsigned n) {
  for (unsigned i = 0; i < n && i < PL_SDP_MAX_ATTRS; i++) {
    if (a[i].has_value)
      sdp_printf(o, "a=%s:%s\r\n", a[i].name, a[i].value);
    else
      sdp_printf(o, "a=%s\r\n", a[i].name);
  }
}

static void write_conn_bw(sdp_out *o, const pl_sdp_conn *c,
                          const pl_sdp_bandwidth *b, unsigned nb) {
  if (c->present)
    sdp_printf(o, "c=IN %s %s\r\n", c->addrtype[0] ? c->addrtype : "IP4",
               c->addr[0] ? c->addr : "0.0.0.0");
  for (unsigned i = 0; i < nb && i < PL_SDP_MAX_BANDWIDTHS; i++)
    sdp_printf(o, "b=%s:%u\r\n", b[i].type, (unsigned)b[i].value);
}

/* Known feedback first in a fixed order, then the others as written. */
static void write_fb(sdp_out *o, const char *pt, const pl_sdp_fb *fb) {
  static const struct {
    uint32_t bit;
    const char *text;
  } known[] = {{PL_SDP_FB_GOOG_REMB, "goog-remb"},
               {PL_SDP_FB_TRANSPORT_CC, "transport-cc"},
               {PL_SDP_FB_CCM_FIR, "ccm fir"},
               {PL_SDP_FB_NACK, "nack"},
               {PL_SDP_FB_NACK_PLI, "nack pli"}};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (fb->bits & known[i].bit)
      sdp_printf(o, "a=rtcp-fb:%s %s\r\n", pt, known[i].text);
  for (unsigned i = 0; i < fb->n_other && i < PL_SDP_MAX_FB_OTHER; i++)
    sdp_printf(o, "a=rtcp-fb:%s %s\r\n", pt, fb->other[i]);
}

static void write_msid(sdp_out *o, const char *prefix, const pl_sdp_msid *m) {
  if (m->track[0])
    sdp_printf(o, "%s%s %s\r\n", prefix, m->stream, m->track);
  else
    sdp_printf(o, "%s%s\r\n", prefix, m->stream);
}

static int write_media(sdp_out *o, const pl_sdp_media *m) {
  if (!m->media[0] || !m->proto[0])
    return PL_EINVAL;
  if (m->is_rtp ? m->n_codecs == 0 : !m->fmt[0])
    return PL_EINVAL; /* RFC 8866 5.14: at least one format */
  sdp_printf(o, "m=%s %u", m->media, (unsigned)m->port);
  if (m->port_count)
    sdp_printf(o, "/%u", (unsigned)m->port_count);
  sdp_printf(o, " %s", m->proto);
  if (m->is_rtp)
    for (unsigned i = 0; i < m->n_codecs && i < PL_SDP_MAX_CODECS; i++)
      sdp_printf(o, " %u", (unsigned)m->codecs[i].pt);
  else
    sdp_printf(o, " %s", m->fmt);
  sdp_printf(o, "\r\n");
  write_conn_bw(o, &m->conn, m->bandwidths, m->n_bandwidths);
  for (unsigned i = 0; i < m->n_candidates && i < PL_SDP_MAX_CANDIDATES; i++) {
    char c[sizeof(pl_sdp_candidate) + 64];
    if (pl_sdp_candidate_write(&m->candidates[i], c, sizeof c) < 0)
      return PL_EINVAL;
    sdp_printf(o, "a=%s\r\n", c);
  }
  if (m->end_of_candidates)
    sdp_printf(o, "a=end-of-candidates\r\n");
  write_transport(o, &m->transport);
  if (m->mid[0])
    sdp_printf(o, "a=mid:%s\r\n", m->mid);
  for (unsigned i = 0; i < m->n_extmaps && i < PL_SDP_MAX_EXTMAPS; i++) {
    const pl_sdp_extmap *e = &m->extmaps[i];
    sdp_printf(o, "a=extmap:%u", (unsigned)e->id);
    if (e->dir != PL_SDP_DIR_UNSET)
      sdp_printf(o, "/%s", pl_sdp_dir_name(e->dir));
    sdp_printf(o, " %s%s%s\r\n", e->uri, e->attrs[0] ? " " : "", e->attrs);
  }
  if (m->dir != PL_SDP_DIR_UNSET)
    sdp_printf(o, "a=%s\r\n", pl_sdp_dir_name(m->dir));
  for (unsigned i = 0; i < m->n_msids && i < PL_SDP_MAX_MSIDS; i++)
    write_msid(o, "a=msid:", &m->msids[i]);
  if (m->rtcp_mux)
    sdp_printf(o, "a=rtcp-mux\r\n");
  if (m->rtcp_mux_only)
    sdp_printf(o, "a=rtcp-mux-only\r\n");
  if (m->rtcp_rsize)
    sdp_printf(o, "a=rtcp-rsize\r\n");
  if (m->bundle_only)
    sdp_printf(o, "a=bundle-only\r\n");
  if (m->extmap_allow_mixed)
    sdp_printf(o, "a=extmap-allow-mixed\r\n");
  for (unsigned i = 0; m->is_rtp && i < m->n_codecs && i < PL_SDP_MAX_CODECS; i++) {
    const pl_sdp_codec *c = &m->codecs[i];
    char pt[4];
    snprintf(pt, sizeof pt, "%u", (unsigned)c->pt);
    if (c->has_rtpmap) {
      sdp_printf(o, "a=rtpmap:%s %s/%u", pt, c->name, (unsigned)c->clock);
      if (c->channels)
        sdp_printf(o, "/%u", (unsigned)c->channels);
      sdp_printf(o, "\r\n");
    }
    write_fb(o, pt, &c->fb);
    if (c->fmtp[0])
      sdp_printf(o, "a=fmtp:%s %s\r\n", pt, c->fmtp);
  }
  write_fb(o, "*", &m->fb_all);
  for (unsigned i = 0; i < m->n_ssrc_groups && i < PL_SDP_MAX_SSRC_GROUPS; i++) {
    const pl_sdp_ssrc_group *g = &m->ssrc_groups[i];
    sdp_printf(o, "a=ssrc-group:%s", g->semantics);
    for (unsigned j = 0; j < g->n && j < PL_SDP_MAX_GROUP_SSRCS; j++)
      sdp_printf(o, " %u", (unsigned)g->ssrcs[j]);
    sdp_printf(o, "\r\n");
  }
  for (unsigned i = 0; i < m->n_ssrcs && i < PL_SDP_MAX_SSRCS; i++) {
    const pl_sdp_ssrc *s = &m->ssrcs[i];
    if (s->cname[0])
      sdp_printf(o, "a=ssrc:%u cname:%s\r\n", (unsigned)s->ssrc, s->cname);
    if (s->has_msid) {
      char prefix[32];
      snprintf(prefix, sizeof prefix, "a=ssrc:%u msid:", (unsigned)s->ssrc);
      write_msid(o, prefix, &s->msid);
    }
  }
  for (unsigned i = 0; i < m->n_crypto && i < PL_SDP_MAX_CRYPTO; i++)
    sdp_printf(o, "a=crypto:%s\r\n", m->crypto[i]);
  if (m->sctp_port)
    sdp_printf(o, "a=sctp-port:%u\r\n", (unsigned)m->sctp_port);
  if (m->has_max_message_size)
    sdp_printf(o, "a=max-message-size:%llu\r\n",
               (unsigned long long)m->max_message_size);
  write_attrs(o, m->attrs, m->n_attrs);
  return 0;
}

int pl_sdp_write(const pl_sdp *s, char *buf, size_t cap) {
  if (!s || !buf || cap == 0)
    return PL_EINVAL;
  sdp_out o = {buf, cap, 0, false};
  sdp_printf(&o, "v=0\r\no=%s %llu %llu IN %s %s\r\ns=%s\r\n",
             s->origin_user[0] ? s->origin_user : "-",
             (unsigned long long)s->sess_id, (unsigned long long)s->sess_version,
             s->origin_addrtype[0] ? s->origin_addrtype : "IP4",
             s->origin_addr[0] ? s->origin_addr : "127.0.0.1",
             s->name[0] ? s->name : "-");
  write_conn_bw(&o, &s->conn, s->bandwidths, s->n_bandwidths);
  sdp_printf(&o, "t=%llu %llu\r\n", (unsigned long long)s->t_start,
             (unsigned long long)s->t_stop);
  for (unsigned i = 0; i < s->n_groups && i < PL_SDP_MAX_GROUPS; i++) {
    const pl_sdp_group *g = &s->groups[i];
    sdp_printf(&o, "a=group:%s", g->semantics);
    for (unsigned j = 0; j < g->n && j < PL_SDP_MAX_GROUP_MIDS; j++)
      sdp_printf(&o, " %s", g->mids[j]);
    sdp_printf(&o, "\r\n");
  }
  if (s->extmap_allow_mixed)
    sdp_printf(&o, "a=extmap-allow-mixed\r\n");
  if (s->has_msid_semantic)
    sdp_printf(&o, "a=msid-semantic: %s\r\n", s->msid_semantic);
  if (s->ice_lite)
    sdp_printf(&o, "a=ice-lite\r\n");
  write_transport(&o, &s->transport);
  if (s->dir != PL_SDP_DIR_UNSET)
    sdp_printf(&o, "a=%s\r\n", pl_sdp_dir_name(s->dir));
  write_attrs(&o, s->attrs, s->n_attrs);
  for (unsigned i = 0; i < s->n_media && i < PL_SDP_MAX_MEDIA; i++) {
    int rc = write_media(&o, &s->media[i]);
    if (rc != 0)
      return rc;
  }
  if (o.full)
    return PL_EFULL;
  return (int)o.len;
}
