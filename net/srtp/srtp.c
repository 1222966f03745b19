/* SRTP sessions over libsrtp2: profile table, RFC 5764 key layout, error
 * mapping and counters. libsrtp is initialised once per process. */
#include "net/srtp/srtp.h"

#include <limits.h>
#include <pthread.h>
#include <srtp2/srtp.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"
#include "parley.h"

struct pl_srtp {
  srtp_t tx, rx; /* libsrtp refuses both wildcards in one session */
  const pl_srtp_profile_info *info;
  pl_srtp_stats stats;
};

static const pl_srtp_profile_info profiles[] = {
    {PL_SRTP_AES128_CM_SHA1_80, "SRTP_AES128_CM_SHA1_80",
     "AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10},
    /* RFC 5764 4.1.2: the _32 profile still uses an 80-bit SRTCP tag. */
    {PL_SRTP_AES128_CM_SHA1_32, "SRTP_AES128_CM_SHA1_32",
     "AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10},
    {PL_SRTP_AEAD_AES_128_GCM, "SRTP_AEAD_AES_128_GCM", "AEAD_AES_128_GCM", 16,
     12, 16, 16},
    {PL_SRTP_AEAD_AES_256_GCM, "SRTP_AEAD_AES_256_GCM", "AEAD_AES_256_GCM", 32,
     12, 16, 16},
};
#define NPROFILES (sizeof profiles / sizeof profiles[0])

const pl_srtp_profile_info *pl_srtp_profile_get(pl_srtp_profile p) {
  for (size_t i = 0; i < NPROFILES; i++)
    if (profiles[i].profile == p)
      return &profiles[i];
  return NULL;
}

const pl_srtp_profile_info *pl_srtp_profile_by_sdes_name(const char *name,
                                                         size_t len) {
  for (size_t i = 0; i < NPROFILES; i++)
    if (strlen(profiles[i].sdes_name) == len &&
        memcmp(profiles[i].sdes_name, name, len) == 0)
      return &profiles[i];
  return NULL;
}

static int set_crypto_policy(srtp_policy_t *pol, pl_srtp_profile p) {
  switch (p) {
  case PL_SRTP_AES128_CM_SHA1_80:
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
    return 0;
  case PL_SRTP_AES128_CM_SHA1_32:
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
    return 0;
  case PL_SRTP_AEAD_AES_128_GCM:
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtcp);
    return 0;
  case PL_SRTP_AEAD_AES_256_GCM:
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol->rtp);
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&pol->rtcp);
    return 0;
  }
  return PL_EINVAL;
}

/* libsrtp copies the key during srtp_create, so `key` may be a stack copy. */
static srtp_err_status_t create_one(srtp_t *out, pl_srtp_profile p,
                                    srtp_ssrc_type_t dir, uint8_t *key) {
  srtp_policy_t pol;
  memset(&pol, 0, sizeof pol);
  if (set_crypto_policy(&pol, p) != 0)
    return srtp_err_status_bad_param;
  pol.ssrc.type = dir;
  pol.key = key;
  pol.window_size = PL_SRTP_REPLAY_WINDOW;
  pol.allow_repeat_tx = 0;
  pol.next = NULL;
  return srtp_create(out, &pol);
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t init_status;
/* Written once under init_once, read-only afterwards. */
static bool supported[NPROFILES];

static void init_library(void) {
  init_status = srtp_init();
  if (init_status != srtp_err_status_ok)
    return;
  uint8_t key[PL_SRTP_MAX_MASTER_LEN] = {0};
  for (size_t i = 0; i < NPROFILES; i++) {
    srtp_t s = NULL;
    if (create_one(&s, profiles[i].profile, ssrc_any_outbound, key) ==
        srtp_err_status_ok) {
      supported[i] = true;
      srtp_dealloc(s);
    }
  }
}

static int ensure_init(void) {
  pthread_once(&init_once, init_library);
  return init_status == srtp_err_status_ok ? 0 : PL_ECRYPTO;
}

bool pl_srtp_profile_supported(pl_srtp_profile p) {
  if (ensure_init() != 0)
    return false;
  for (size_t i = 0; i < NPROFILES; i++)
    if (profiles[i].profile == p)
      return supported[i];
  return false;
}

int pl_srtp_keys_from_dtls(pl_srtp_profile profile, const uint8_t *exported,
                           size_t len, bool is_client, pl_srtp_keys *keys) {
  const pl_srtp_profile_info *pi = pl_srtp_profile_get(profile);
  if (!pi || !exported || !keys)
    return PL_EINVAL;
  size_t kl = pi->key_len, sl = pi->salt_len;
  if (len != 2 * (kl + sl))
    return PL_EINVAL;
  const uint8_t *ck = exported, *sk = exported + kl;
  const uint8_t *cs = exported + 2 * kl, *ss = exported + 2 * kl + sl;
  memset(keys, 0, sizeof *keys);
  keys->profile = profile;
  memcpy(keys->local, is_client ? ck : sk, kl);
  memcpy(keys->local + kl, is_client ? cs : ss, sl);
  memcpy(keys->remote, is_client ? sk : ck, kl);
  memcpy(keys->remote + kl, is_client ? ss : cs, sl);
  return 0;
}

static int map_create_error(srtp_err_status_t st) {
  switch (st) {
  case srtp_err_status_alloc_fail:
    return PL_ENOMEM;
  case srtp_err_status_bad_param:
    return PL_EINVAL;
  default:
    return PL_ECRYPTO;
  }
}

int pl_srtp_new(pl_srtp **out, const pl_srtp_keys *keys) {
  if (!out || !keys)
    return PL_EINVAL;
  *out = NULL;
  const pl_srtp_profile_info *pi = pl_srtp_profile_get(keys->profile);
  if (!pi)
    return PL_EINVAL;
  int rc = ensure_init();
  if (rc != 0)
    return rc;
  if (!pl_srtp_profile_supported(keys->profile))
    return PL_ENOTSUP;
  pl_srtp *s = calloc(1, sizeof *s);
  if (!s)
    return PL_ENOMEM;
  s->info = pi;
  uint8_t key[PL_SRTP_MAX_MASTER_LEN];
  memcpy(key, keys->local, sizeof key);
  srtp_err_status_t st = create_one(&s->tx, pi->profile, ssrc_any_outbound, key);
  if (st == srtp_err_status_ok) {
    memcpy(key, keys->remote, sizeof key);
    st = create_one(&s->rx, pi->profile, ssrc_any_inbound, key);
  }
  memset(key, 0, sizeof key);
  if (st != srtp_err_status_ok) {
    pl_srtp_free(s);
    return map_create_error(st);
  }
  *out = s;
  return 0;
}

void pl_srtp_free(pl_srtp *s) {
  if (!s)
    return;
  if (s->tx)
    srtp_dealloc(s->tx);
  if (s->rx)
    srtp_dealloc(s->rx);
  free(s);
}

const pl_srtp_stats *pl_srtp_get_stats(const pl_srtp *s) { return &s->stats; }

pl_srtp_profile pl_srtp_get_profile(const pl_srtp *s) {
  return s->info->profile;
}

/* Counts the failure and turns libsrtp's status into a PL_E* code. */
static int fail(pl_srtp *s, srtp_err_status_t st) {
  switch (st) {
  case srtp_err_status_auth_fail:
    s->stats.auth_fail++;
    return PL_EAUTH;
  case srtp_err_status_replay_fail:
  case srtp_err_status_replay_old:
  case srtp_err_status_pkt_idx_old:
    s->stats.replay++;
    return PL_EREPLAY;
  case srtp_err_status_bad_param:
  case srtp_err_status_parse_err:
    s->stats.other++;
    return PL_EPARSE;
  default:
    s->stats.other++;
    return PL_ECRYPTO;
  }
}

static int count_other(pl_srtp *s, int err) {
  s->stats.other++;
  return err;
}

/* Length of the RTP header libsrtp leaves in the clear (RFC 3550 5.1,
 * RFC 8285 header extension), or 0 when the packet is shorter than it. */
static size_t rtp_header_len(const uint8_t *p, size_t n) {
  if (n < 12)
    return 0;
  size_t h = 12 + 4u * (p[0] & 0x0f);
  if (p[0] & 0x10) {
    if (n < h + 4)
      return 0;
    h += 4 + 4u * pl_be16(p + h + 2);
  }
  return n < h ? 0 : h;
}

int pl_srtp_protect_rtp(pl_srtp *s, uint8_t *buf, size_t *len, size_t cap) {
  if (!s || !buf || !len || *len > cap)
    return PL_EINVAL;
  if (rtp_header_len(buf, *len) == 0)
    return count_other(s, PL_ETRUNC);
  if (cap - *len < s->info->rtp_tag_len || *len > (size_t)INT_MAX - 64)
    return count_other(s, PL_EFULL);
  int n = (int)*len;
  srtp_err_status_t st = srtp_protect(s->tx, buf, &n);
  if (st != srtp_err_status_ok)
    return fail(s, st);
  *len = (size_t)n;
  s->stats.protected_rtp++;
  return 0;
}

int pl_srtp_unprotect_rtp(pl_srtp *s, uint8_t *buf, size_t *len) {
  if (!s || !buf || !len)
    return PL_EINVAL;
  if (*len > (size_t)INT_MAX)
    return count_other(s, PL_EPARSE);
  size_t h = rtp_header_len(buf, *len);
  if (h == 0 || *len < h + s->info->rtp_tag_len)
    return count_other(s, PL_ETRUNC);
  int n = (int)*len;
  srtp_err_status_t st = srtp_unprotect(s->rx, buf, &n);
  if (st != srtp_err_status_ok)
    return fail(s, st);
  *len = (size_t)n;
  s->stats.unprotected_rtp++;
  return 0;
}

int pl_srtp_protect_rtcp(pl_srtp *s, uint8_t *buf, size_t *len, size_t cap) {
  if (!s || !buf || !len || *len > cap)
    return PL_EINVAL;
  if (*len < 8)
    return count_other(s, PL_ETRUNC);
  if (cap - *len < 4u + s->info->rtcp_tag_len || *len > (size_t)INT_MAX - 64)
    return count_other(s, PL_EFULL);
  int n = (int)*len;
  srtp_err_status_t st = srtp_protect_rtcp(s->tx, buf, &n);
  if (st != srtp_err_status_ok)
    return fail(s, st);
  *len = (size_t)n;
  s->stats.protected_rtcp++;
  return 0;
}

int pl_srtp_unprotect_rtcp(pl_srtp *s, uint8_t *buf, size_t *len) {
  if (!s || !buf || !len)
    return PL_EINVAL;
  if (*len > (size_t)INT_MAX)
    return count_other(s, PL_EPARSE);
  if (*len < 8u + 4u + s->info->rtcp_tag_len)
    return count_other(s, PL_ETRUNC);
  int n = (int)*len;
  srtp_err_status_t st = srtp_unprotect_rtcp(s->rx, buf, &n);
  if (st != srtp_err_status_ok)
    return fail(s, st);
  *len = (size_t)n;
  s->stats.unprotected_rtcp++;
  return 0;
}
