/* RFC 7587 7.1 fmtp parameters for Opus: parse, format, and apply a remote
 * receiver's wishes to our encoder configuration. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "audio/opus/opus.h"
#include "parley.h"

void pl_opus_fmtp_default(pl_opus_fmtp *f) {
  memset(f, 0, sizeof *f);
  f->maxplaybackrate = 48000;
  f->sprop_maxcapturerate = 48000;
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* Parses a decimal of at most 9 digits (no sign) from [s, s+n). */
static int parse_uint(const char *s, size_t n, long *out) {
  if (n == 0)
    return PL_EPARSE;
  long v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return PL_EPARSE;
    if (i >= 9)
      return PL_ERANGE;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

static bool key_is(const char *k, size_t kn, const char *name) {
  return strlen(name) == kn && strncasecmp(k, name, kn) == 0;
}

typedef enum { K_RATE, K_BITRATE, K_MS, K_BOOL } kind;

static int set_param(pl_opus_fmtp *f, const char *k, size_t kn, const char *v,
                     size_t vn) {
  static const struct {
    const char *name;
    kind kind;
    size_t off;
  } keys[] = {
      {"maxplaybackrate", K_RATE, offsetof(pl_opus_fmtp, maxplaybackrate)},
      {"sprop-maxcapturerate", K_RATE, offsetof(pl_opus_fmtp, sprop_maxcapturerate)},
      {"maxptime", K_MS, offsetof(pl_opus_fmtp, maxptime)},
      {"ptime", K_MS, offsetof(pl_opus_fmtp, ptime)},
      {"minptime", K_MS, offsetof(pl_opus_fmtp, minptime)},
      {"maxaveragebitrate", K_BITRATE, offsetof(pl_opus_fmtp, maxaveragebitrate)},
      {"stereo", K_BOOL, offsetof(pl_opus_fmtp, stereo)},
      {"sprop-stereo", K_BOOL, offsetof(pl_opus_fmtp, sprop_stereo)},
      {"cbr", K_BOOL, offsetof(pl_opus_fmtp, cbr)},
      {"useinbandfec", K_BOOL, offsetof(pl_opus_fmtp, useinbandfec)},
      {"usedtx", K_BOOL, offsetof(pl_opus_fmtp, usedtx)},
  };
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    if (!key_is(k, kn, keys[i].name))
      continue;
    long x;
    int r = parse_uint(v, vn, &x);
    if (r < 0)
      return r;
    char *field = (char *)f + keys[i].off;
    switch (keys[i].kind) {
    case K_BOOL:
      if (x > 1)
        return PL_ERANGE;
      *(bool *)field = x == 1;
      break;
    case K_RATE:
      /* RFC 7587 7.1: 8000..48000; a value above means "no limit". */
      if (x < 8000)
        return PL_ERANGE;
      *(int *)field = x > 48000 ? 48000 : (int)x;
      break;
    case K_BITRATE:
      if (x < 6000 || x > 510000)
        return PL_ERANGE;
      *(int *)field = (int)x;
      break;
    case K_MS:
      /* Opus packets are 2.5..120 ms long. */
      if (x < 3 || x > 120)
        return PL_ERANGE;
      *(int *)field = (int)x;
      break;
    }
    return 0;
  }
  return 0; /* unknown parameter: ignored */
}

int pl_opus_fmtp_parse(pl_opus_fmtp *f, const char *s, size_t n) {
  if (!f || (!s && n))
    return PL_EINVAL;
  pl_opus_fmtp tmp;
  pl_opus_fmtp_default(&tmp);
  pl_opus_fmtp_default(f);
  size_t i = 0;
  while (i < n) {
    size_t end = i;
    while (end < n && s[end] != ';')
      end++;
    size_t a = i, b = end;
    while (a < b && is_blank(s[a]))
      a++;
    while (b > a && is_blank(s[b - 1]))
      b--;
    if (a < b) {
      size_t eq = a;
      while (eq < b && s[eq] != '=')
        eq++;
      if (eq == b || eq == a)
        return PL_EPARSE;
      size_t ke = eq, vs = eq + 1;
      while (ke > a && is_blank(s[ke - 1]))
        ke--;
      while (vs < b && is_blank(s[vs]))
        vs++;
      int r = set_param(&tmp, s + a, ke - a, s + vs, b - vs);
      if (r < 0)
        return r;
    }
    i = end + 1;
  }
  *f = tmp;
  return 0;
}

int pl_opus_fmtp_format(const pl_opus_fmtp *f, char *buf, size_t cap) {
  if (!f || !buf || cap == 0)
    return PL_EINVAL;
  char tmp[512];
  size_t len = 0;
  tmp[0] = 0;
#define EMIT(cond, name, val)                                                  \
  do {                                                                         \
    if (cond)                                                                  \
      len += (size_t)snprintf(tmp + len, sizeof tmp - len, "%s%s=%d",          \
                              len ? ";" : "", name, (int)(val));               \
  } while (0)
  EMIT(f->minptime > 0, "minptime", f->minptime);
  EMIT(f->useinbandfec, "useinbandfec", 1);
  EMIT(f->usedtx, "usedtx", 1);
  EMIT(f->stereo, "stereo", 1);
  EMIT(f->sprop_stereo, "sprop-stereo", 1);
  EMIT(f->cbr, "cbr", 1);
  EMIT(f->maxaveragebitrate > 0, "maxaveragebitrate", f->maxaveragebitrate);
  EMIT(f->maxplaybackrate != 48000, "maxplaybackrate", f->maxplaybackrate);
  EMIT(f->sprop_maxcapturerate != 48000, "sprop-maxcapturerate",
       f->sprop_maxcapturerate);
  EMIT(f->maxptime > 0, "maxptime", f->maxptime);
  EMIT(f->ptime > 0, "ptime", f->ptime);
#undef EMIT
  if (len + 1 > cap)
    return PL_ETRUNC;
  memcpy(buf, tmp, len + 1);
  return (int)len;
}

void pl_opus_fmtp_apply(const pl_opus_fmtp *remote, pl_opus_enc_config *c) {
  if (!remote || !c)
    return;
  /* stereo=0 (the default) says the receiver prefers mono (RFC 7587 7.1). */
  if (!remote->stereo)
    c->channels = 1;
  c->fec = remote->useinbandfec;
  c->dtx = remote->usedtx;
  c->cbr = remote->cbr;
  if (remote->maxaveragebitrate > 0 && c->bitrate > remote->maxaveragebitrate)
    c->bitrate = remote->maxaveragebitrate;
  c->max_playback_rate = remote->maxplaybackrate;
  /* The longest frame we support that fits ptime (else maxptime), but not
   * below minptime. */
  int want = remote->ptime ? remote->ptime : remote->maxptime;
  if (remote->maxptime && want > remote->maxptime)
    want = remote->maxptime;
  if (want > 0) {
    static const int sizes[] = {60, 40, 20, 10};
    for (int i = 0; i < 4; i++) {
      if (sizes[i] <= want && sizes[i] >= remote->minptime) {
        c->frame_ms = sizes[i];
        break;
      }
    }
  } else if (remote->minptime > c->frame_ms) {
    c->frame_ms = remote->minptime <= 20 ? 20 : remote->minptime <= 40 ? 40 : 60;
  }
}
