/* Lookups over a parsed pl_sdp and the fmtp key=value split: the helpers
 * the engine and the answerer use to read a description. */
#include <string.h>

#include "net/sdp/sdp.h"
#include "net/sdp/sdp_text.h"
#include "parley.h"

/* ---- fmtp parameters ---- */

static void split_fmtp(pl_sdp_codec *c) {
  c->n_params = 0;
  size_t n = strlen(c->fmtp), i = 0;
  while (i < n && c->n_params < PL_SDP_MAX_FMTP_PARAMS) {
    size_t start = i;
    while (i < n && c->fmtp[i] != ';')
      i++;
    size_t a = start, b = i;
    while (a < b && c->fmtp[a] == ' ')
      a++;
    while (b > a && c->fmtp[b - 1] == ' ')
      b--;
    if (b > a) {
      pl_sdp_fmtp_param *p = &c->params[c->n_params++];
      const char *eq = memchr(c->fmtp + a, '=', b - a);
      if (eq) {
        size_t k = (size_t)(eq - c->fmtp);
        p->key_off = (uint16_t)a;
        p->key_len = (uint16_t)(k - a);
        p->val_off = (uint16_t)(k + 1);
        p->val_len = (uint16_t)(b - k - 1);
      } else { /* a bare value such as RED's "111/111" */
        p->key_off = p->key_len = 0;
        p->val_off = (uint16_t)a;
        p->val_len = (uint16_t)(b - a);
      }
    }
    i++; /* past ';' */
  }
}

int pl_sdp_codec_set_fmtp(pl_sdp_codec *c, const char *text) {
  if (!c || !text)
    return PL_EINVAL;
  if (!SDP_COPY(c->fmtp, sdp_span_of(text, strlen(text))))
    return PL_EFULL;
  split_fmtp(c);
  return 0;
}

const char *pl_sdp_fmtp_get(const pl_sdp_codec *c, const char *key,
                            size_t *len) {
  for (unsigned i = 0; i < c->n_params; i++) {
    const pl_sdp_fmtp_param *p = &c->params[i];
    if (p->key_len &&
        sdp_span_ieq(sdp_span_of(c->fmtp + p->key_off, p->key_len), key)) {
      if (len)
        *len = p->val_len;
      return c->fmtp + p->val_off;
    }
  }
  return NULL;
}

/* ---- lookups ---- */

pl_sdp_codec *pl_sdp_media_codec(pl_sdp_media *m, uint8_t pt) {
  for (unsigned i = 0; i < m->n_codecs; i++)
    if (m->codecs[i].pt == pt)
      return &m->codecs[i];
  return NULL;
}

const pl_sdp_media *pl_sdp_find_mid(const pl_sdp *s, const char *mid) {
  for (unsigned i = 0; i < s->n_media; i++)
    if (s->media[i].mid[0] && strcmp(s->media[i].mid, mid) == 0)
      return &s->media[i];
  return NULL;
}

const pl_sdp_group *pl_sdp_find_group(const pl_sdp *s, const char *semantics) {
  for (unsigned i = 0; i < s->n_groups; i++)
    if (strcmp(s->groups[i].semantics, semantics) == 0)
      return &s->groups[i];
  return NULL;
}

pl_sdp_dir pl_sdp_media_dir(const pl_sdp *s, const pl_sdp_media *m) {
  if (m->dir != PL_SDP_DIR_UNSET)
    return m->dir;
  return s->dir != PL_SDP_DIR_UNSET ? s->dir : PL_SDP_SENDRECV;
}

void pl_sdp_media_transport(const pl_sdp *s, const pl_sdp_media *m,
                            pl_sdp_transport *out) {
  *out = m->transport;
  const pl_sdp_transport *st = &s->transport;
  if (!out->ice_ufrag[0])
    memcpy(out->ice_ufrag, st->ice_ufrag, sizeof out->ice_ufrag);
  if (!out->ice_pwd[0])
    memcpy(out->ice_pwd, st->ice_pwd, sizeof out->ice_pwd);
  if (!out->ice_options[0])
    memcpy(out->ice_options, st->ice_options, sizeof out->ice_options);
  if (!out->n_fingerprints) {
    out->n_fingerprints = st->n_fingerprints;
    memcpy(out->fingerprints, st->fingerprints, sizeof out->fingerprints);
  }
  if (out->setup == PL_SDP_SETUP_UNSET)
    out->setup = st->setup;
}

const char *pl_sdp_dir_name(pl_sdp_dir d) {
  switch (d) {
  case PL_SDP_SENDRECV:
    return "sendrecv";
  case PL_SDP_SENDONLY:
    return "sendonly";
  case PL_SDP_RECVONLY:
    return "recvonly";
  case PL_SDP_INACTIVE:
    return "inactive";
  case PL_SDP_DIR_UNSET:
    break;
  }
  return "";
}
