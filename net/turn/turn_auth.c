/* TURN credentials: the long-term key of RFC 8489 9.2.2 (MD5 of
 * "username:realm:password"; SASLprep is left out, so passwords are taken
 * as the bytes given), and the REST-API style time-limited credentials
 * coturn accepts with use-auth-secret. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "net/turn/turn_internal.h"
#include "parley.h"

int pl_turn_long_term_key_(const char *user, const char *realm,
                           const char *pass, uint8_t key[16]) {
  EVP_MD_CTX *c = EVP_MD_CTX_new(); /* once per realm or nonce change */
  unsigned len = 0;
  int ok = c && EVP_DigestInit_ex(c, EVP_md5(), NULL) &&
           EVP_DigestUpdate(c, user, strlen(user)) &&
           EVP_DigestUpdate(c, ":", 1) &&
           EVP_DigestUpdate(c, realm, strlen(realm)) &&
           EVP_DigestUpdate(c, ":", 1) &&
           EVP_DigestUpdate(c, pass, strlen(pass)) &&
           EVP_DigestFinal_ex(c, key, &len) && len == 16;
  EVP_MD_CTX_free(c);
  return ok ? 0 : PL_ECRYPTO;
}

int pl_turn_rest_credentials(const char *secret, const char *user,
                             int64_t expiry, char *username, size_t ucap,
                             char *password, size_t pcap) {
  if (!secret || !user || !username || !password || expiry < 0)
    return PL_EINVAL;
  int n = snprintf(username, ucap, "%lld:%s", (long long)expiry, user);
  if (n < 0 || (size_t)n >= ucap || n > PL_TURN_CRED_MAX)
    return PL_EFULL;
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned mlen = 0;
  if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), (const uint8_t *)username,
            (size_t)n, mac, &mlen))
    return PL_ECRYPTO;
  if (pcap < 4 * ((mlen + 2) / 3) + 1)
    return PL_EFULL;
  EVP_EncodeBlock((unsigned char *)password, mac, (int)mlen);
  return 0;
}
