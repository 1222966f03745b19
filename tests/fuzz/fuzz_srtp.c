/* Fuzz SRTP/SRTCP unprotect with hostile bytes (libsrtp behind our length
 * checks) on long-lived sessions, and for one input in eight protect +
 * unprotect the bytes as plaintext in a fresh session and demand the
 * original back. The first byte picks the profile. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/srtp/srtp.h"
#include "parley.h"

static const pl_srtp_profile kProfiles[4] = {
    PL_SRTP_AES128_CM_SHA1_80, PL_SRTP_AES128_CM_SHA1_32,
    PL_SRTP_AEAD_AES_128_GCM, PL_SRTP_AEAD_AES_256_GCM};

static pl_srtp *make(pl_srtp_profile p) {
  pl_srtp_keys k;
  memset(&k, 0, sizeof k);
  k.profile = p;
  for (size_t i = 0; i < sizeof k.local; i++)
    k.local[i] = k.remote[i] = (uint8_t)(i * 37 + 1);
  pl_srtp *s = NULL;
  return pl_srtp_new(&s, &k) == 0 ? s : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static pl_srtp *sessions[4];
  if (size < 1 || size > 1500)
    return 0;
  unsigned which = data[0] & 3;
  bool round_trip = (data[0] & 0x1c) == 0;
  if (!sessions[which])
    sessions[which] = make(kProfiles[which]);
  pl_srtp *s = sessions[which];
  if (!s)
    return 0;
  data++;
  size--;
  uint8_t buf[1500 + PL_SRTP_MAX_OVERHEAD];
  size_t n = size;
  memcpy(buf, data, size);
  (void)pl_srtp_unprotect_rtp(s, buf, &n);
  n = size;
  memcpy(buf, data, size);
  (void)pl_srtp_unprotect_rtcp(s, buf, &n);
  if (!round_trip)
    return 0;
  /* A fresh session whose outbound keys equal its inbound ones: a packet it
   * protects must come back intact. */
  pl_srtp *f = make(kProfiles[which]);
  if (!f)
    abort();
  n = size;
  memcpy(buf, data, size);
  if (pl_srtp_protect_rtp(f, buf, &n, sizeof buf) == 0) {
    if (pl_srtp_unprotect_rtp(f, buf, &n) != 0 || n != size ||
        memcmp(buf, data, size) != 0)
      abort();
  }
  n = size;
  memcpy(buf, data, size);
  if (pl_srtp_protect_rtcp(f, buf, &n, sizeof buf) == 0) {
    if (pl_srtp_unprotect_rtcp(f, buf, &n) != 0 || n != size ||
        memcmp(buf, data, size) != 0)
      abort();
  }
  pl_srtp_free(f);
  return 0;
}
