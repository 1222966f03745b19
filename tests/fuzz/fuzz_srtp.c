/* Fuzz SRTP/SRTCP unprotect with hostile bytes (libsrtp behind our length
 * checks), then protect + unprotect the same bytes as plaintext and demand
 * the original back. The first byte picks the profile. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/srtp/srtp.h"
#include "parley.h"

static const pl_srtp_profile kProfiles[4] = {
    PL_SRTP_AES128_CM_SHA1_80, PL_SRTP_AES128_CM_SHA1_32,
    PL_SRTP_AEAD_AES_128_GCM, PL_SRTP_AEAD_AES_256_GCM};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 1500)
    return 0;
  pl_srtp_keys k;
  memset(&k, 0, sizeof k);
  k.profile = kProfiles[data[0] & 3];
  for (size_t i = 0; i < sizeof k.local; i++)
    k.local[i] = k.remote[i] = (uint8_t)(i * 37 + 1);
  pl_srtp *s = NULL;
  if (pl_srtp_new(&s, &k) != 0)
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
  /* Same session: our outbound keys equal the inbound ones, so a packet we
   * protect must come back intact (unless its index was already used). */
  n = size;
  memcpy(buf, data, size);
  if (pl_srtp_protect_rtp(s, buf, &n, sizeof buf) == 0) {
    int rc = pl_srtp_unprotect_rtp(s, buf, &n);
    if (rc == 0 && (n != size || memcmp(buf, data, size) != 0))
      abort();
    if (rc != 0 && rc != PL_EREPLAY)
      abort();
  }
  n = size;
  memcpy(buf, data, size);
  if (pl_srtp_protect_rtcp(s, buf, &n, sizeof buf) == 0) {
    if (pl_srtp_unprotect_rtcp(s, buf, &n) != 0 || n != size ||
        memcmp(buf, data, size) != 0)
      abort();
  }
  pl_srtp_free(s);
  return 0;
}
