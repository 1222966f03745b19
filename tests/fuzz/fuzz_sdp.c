/* Fuzz the SDP parser, writer and answerer: whatever parses must write,
 * the written text must parse again and write to the same text, and an
 * answer to it must write and parse too. Also feeds each line to the
 * candidate and fingerprint parsers on their own. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/sdp/sdp.h"

static pl_sdp *a, *b, *ans;
static char out1[PL_SDP_MAX_INPUT * 4], out2[PL_SDP_MAX_INPUT * 4];

static void caps_init(pl_sdp_caps *c, pl_sdp_local *l) {
  memset(c, 0, sizeof *c);
  pl_sdp_codec_cap *k = &c->codecs[c->n_codecs++];
  k->type = PL_SDP_AUDIO;
  strcpy(k->name, "opus");
  k->clock = 48000;
  k->channels = 2;
  strcpy(k->fmtp, "minptime=10;useinbandfec=1");
  k->fb = PL_SDP_FB_TRANSPORT_CC;
  k = &c->codecs[c->n_codecs++];
  k->type = PL_SDP_VIDEO;
  strcpy(k->name, "VP9");
  k->clock = 90000;
  strcpy(k->fmtp, "profile-id=0");
  strcpy(k->fmtp_match, "profile-id");
  k->fb = PL_SDP_FB_NACK | PL_SDP_FB_NACK_PLI;
  c->rtx = true;
  strcpy(c->extmaps[c->n_extmaps++], "urn:ietf:params:rtp-hdrext:sdes:mid");
  c->datachannel = true;
  memset(l, 0, sizeof *l);
  strcpy(l->ice_ufrag, "fuzz");
  strcpy(l->ice_pwd, "fuzzfuzzfuzzfuzzfuzzfuzz");
  strcpy(l->fingerprint.alg, "sha-256");
  l->fingerprint.len = 32;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!a) {
    a = pl_sdp_new();
    b = pl_sdp_new();
    ans = pl_sdp_new();
  }
  const char *text = (const char *)data;
  /* each line alone through the standalone value parsers */
  for (size_t off = 0; off < size && size < 4096;) {
    const char *nl = memchr(text + off, '\n', size - off);
    size_t len = nl ? (size_t)(nl - (text + off)) : size - off;
    pl_sdp_candidate c;
    if (pl_sdp_candidate_parse(&c, text + off, len) == 0) {
      char w[1024];
      pl_sdp_candidate c2;
      int n = pl_sdp_candidate_write(&c, w, sizeof w);
      if (n < 0 || pl_sdp_candidate_parse(&c2, w, (size_t)n) != 0)
        abort();
    }
    pl_sdp_fingerprint f;
    if (pl_sdp_fingerprint_parse(&f, text + off, len) == 0) {
      char w[256];
      if (pl_sdp_fingerprint_write(&f, w, sizeof w) < 0)
        abort();
    }
    off += len + 1;
  }
  if (pl_sdp_parse(a, text, size, NULL) != 0)
    return 0;
  int n1 = pl_sdp_write(a, out1, sizeof out1);
  if (n1 < 0)
    abort();
  if (pl_sdp_parse(b, out1, (size_t)n1, NULL) != 0)
    abort();
  int n2 = pl_sdp_write(b, out2, sizeof out2);
  if (n2 < 0)
    abort();
  /* a second round is a fixed point */
  if (pl_sdp_parse(b, out2, (size_t)n2, NULL) != 0)
    abort();
  int n3 = pl_sdp_write(b, out1, sizeof out1);
  if (n3 != n2 || memcmp(out1, out2, (size_t)n2) != 0)
    abort();
  pl_sdp_caps caps;
  pl_sdp_local local;
  caps_init(&caps, &local);
  if (pl_sdp_answer(ans, a, &caps, &local) != 0)
    abort();
  int n4 = pl_sdp_write(ans, out2, sizeof out2);
  if (n4 < 0)
    abort();
  if (pl_sdp_parse(b, out2, (size_t)n4, NULL) != 0)
    abort();
  return 0;
}
