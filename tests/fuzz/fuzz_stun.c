/* libFuzzer: STUN parse, both integrity checks, fingerprint, and the binding
 * server core on arbitrary datagrams. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/addr.h"
#include "net/stun/server.h"
#include "net/stun/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const uint8_t key[] = "VOkJxbRl1RmTxUk/WvJxBt";
  pl_stun_msg m;
  (void)pl_stun_is_stun(data, size);
  if (pl_stun_parse(&m, data, size) == 0) {
    (void)pl_stun_check_integrity(&m, key, sizeof key - 1);
    (void)pl_stun_check_integrity_sha256(&m, key, sizeof key - 1);
    /* Views must stay inside the input. */
    if (m.username_len && (m.username < data || m.username + m.username_len > data + size))
      __builtin_trap();
    if (m.error_reason_len &&
        (m.error_reason < data || m.error_reason + m.error_reason_len > data + size))
      __builtin_trap();
    /* Echo what was parsed through the builder. */
    uint8_t out[600];
    pl_stun_builder b;
    pl_stun_build_begin(&b, out, sizeof out,
                        pl_stun_type(m.method, PL_STUN_SUCCESS), m.txid);
    if (m.has & PL_STUN_HAS_XOR_MAPPED)
      pl_stun_put_addr(&b, PL_STUN_ATTR_XOR_MAPPED_ADDRESS, &m.xor_mapped);
    if (m.has & PL_STUN_HAS_USERNAME)
      pl_stun_put_bytes(&b, PL_STUN_ATTR_USERNAME, m.username, m.username_len);
    if (m.n_unknown)
      pl_stun_put_unknown(&b, m.unknown, m.n_unknown);
    pl_stun_put_integrity(&b, key, sizeof key - 1);
    pl_stun_put_fingerprint(&b);
    int n = pl_stun_build_end(&b);
    if (n > 0) {
      pl_stun_msg back;
      if (pl_stun_parse(&back, out, (size_t)n) != 0 || !back.fingerprint_ok ||
          pl_stun_check_integrity(&back, key, sizeof key - 1) != 0)
        __builtin_trap(); /* what we build must parse and verify */
    }
  }
  static pl_stun_server *srv;
  if (!srv)
    srv = pl_stun_server_new(NULL);
  pl_addr from;
  pl_addr_parse(&from, "192.0.2.1:32853");
  pl_stun_server_input(srv, 0, 0, &from, data, size);
  pl_stun_server_output o;
  while (pl_stun_server_poll(srv, &o))
    ;
  return 0;
}
