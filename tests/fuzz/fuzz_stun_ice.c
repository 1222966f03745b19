/* libFuzzer: the ICE agent's STUN handling. The input is a sequence of
 * datagrams; each is either raw bytes or (first byte odd) a Binding message
 * whose attributes come from the fuzzer and whose MESSAGE-INTEGRITY and
 * FINGERPRINT the harness adds with the right key, so checks get past
 * authentication into the role, pairing and nomination logic. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/addr.h"
#include "base/rng.h"
#include "net/ice/ice.h"
#include "net/stun/stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pl_rng rng;
  pl_rng_seed(&rng, 1);
  pl_ice_config cfg = {.role = (size && (data[0] & 0x80)) ? PL_ICE_CONTROLLING
                                                          : PL_ICE_CONTROLLED,
                       .lite = size && (data[0] & 0x40),
                       .ufrag = "locl",
                       .pwd = "local-password-0123456789",
                       .rng = &rng};
  pl_ice *ice = pl_ice_new(&cfg);
  if (!ice)
    return 0;
  pl_addr h, r;
  pl_addr_parse(&h, "10.0.0.1:5000");
  pl_addr_parse(&r, "10.0.0.2:6000");
  pl_ice_add_host(ice, 1, &h, 65535);
  pl_ice_start(ice, 0);
  pl_ice_set_remote_credentials(ice, "remo", "remote-password-0123456789");
  pl_ice_candidate c = {.type = PL_ICE_HOST, .component = 1, .addr = r,
                        .priority = 2130706431u, .foundation = "1"};
  pl_ice_add_remote_candidate(ice, 0, &c);
  pl_time_us now = 0;
  size_t off = size ? 1 : 0;
  while (off + 3 <= size) {
    size_t n = (size_t)data[off] << 8 | data[off + 1];
    uint8_t mode = data[off + 2];
    off += 3;
    if (n > size - off)
      n = size - off;
    const uint8_t *p = data + off;
    off += n;
    uint8_t msg[1200];
    size_t len = n < sizeof msg ? n : sizeof msg;
    if (mode & 1) {
      /* header (type from mode), fuzzer attributes, then MI + FINGERPRINT */
      static const uint8_t txid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
      pl_stun_builder b;
      uint16_t cls = (mode >> 1) & 3;
      pl_stun_build_begin(&b, msg, sizeof msg,
                          pl_stun_type(PL_STUN_BINDING, (pl_stun_class)cls), txid);
      pl_stun_put_bytes(&b, PL_STUN_ATTR_USERNAME, "locl:remo", 9);
      size_t room = sizeof msg - 100 - b.len;
      size_t k = (n & ~(size_t)3) < room ? (n & ~(size_t)3) : (room & ~(size_t)3);
      memcpy(msg + b.len, p, k);
      b.len += k;
      msg[2] = (uint8_t)((b.len - 20) >> 8);
      msg[3] = (uint8_t)(b.len - 20);
      const char *key = cls == 0 ? "local-password-0123456789"
                                 : "remote-password-0123456789";
      pl_stun_put_integrity(&b, (const uint8_t *)key, strlen(key));
      pl_stun_put_fingerprint(&b);
      int m = pl_stun_build_end(&b);
      if (m < 0)
        continue;
      len = (size_t)m;
    } else {
      memcpy(msg, p, len);
    }
    now += (pl_time_us)(mode >> 3) * 10000;
    pl_ice_input(ice, now, (mode & 4) ? 2 : 1, (mode & 2) ? &h : &r, msg, len);
    pl_ice_timeout(ice, now);
    pl_ice_output o;
    while (pl_ice_poll(ice, &o))
      ;
  }
  /* Let the timers run out. */
  for (int i = 0; i < 64; i++) {
    pl_time_us d = pl_ice_deadline(ice);
    if (d == PL_TIME_NEVER)
      break;
    now = d > now ? d : now + 1;
    pl_ice_timeout(ice, now);
    pl_ice_output o;
    while (pl_ice_poll(ice, &o))
      ;
  }
  pl_ice_free(ice);
  return 0;
}
