/* STUN codec: RFC 5769 known answers both ways, integrity/fingerprint
 * rejection, malformed input, and the binding server core. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

#include "base/addr.h"
#include "net/stun/server.h"
#include "net/stun/stun.h"
#include "parley.h"

/* RFC 5769 2.1: sample request (padding bytes are 0x20 in the vectors). */
static const uint8_t req_5769[] = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10,
    0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c,
    0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
    0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76,
    0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
    0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};

/* RFC 5769 2.2: IPv4 response, mapped 192.0.2.1:32853. */
static const uint8_t resp4_5769[] = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
    0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3,
    0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
    0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};

/* RFC 5769 2.3: IPv6 response, mapped [2001:db8:1234:5678:11:2233:4455:6677]:32853. */
static const uint8_t resp6_5769[] = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01,
    0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b,
    0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
    0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
    0x00, 0x08, 0x00, 0x14, 0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1,
    0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75, 0xbf, 0xe3, 0xed, 0x41,
    0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c};

static const char *pwd_5769 = "VOkJxbRl1RmTxUk/WvJxBt";
static const uint8_t txid_5769[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                      0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

static int check_pwd(const pl_stun_msg *m, const char *pwd) {
  return pl_stun_check_integrity(m, (const uint8_t *)pwd, strlen(pwd));
}

Test(stun_5769, sample_request_parses_and_verifies) {
  pl_stun_msg m;
  cr_assert_eq(pl_stun_parse(&m, req_5769, sizeof req_5769), 0);
  cr_assert(pl_stun_is_stun(req_5769, sizeof req_5769));
  cr_assert_eq(m.method, PL_STUN_BINDING);
  cr_assert_eq(m.cls, PL_STUN_REQUEST);
  cr_assert_eq(memcmp(m.txid, txid_5769, 12), 0);
  cr_assert_eq(m.software_len, 16);
  cr_assert_eq(memcmp(m.software, "STUN test client", 16), 0);
  cr_assert_eq(m.priority, 0x6e0001ffu);
  cr_assert(m.has & PL_STUN_HAS_ICE_CONTROLLED);
  cr_assert_eq(m.ice_controlled, 0x932ff9b151263b36ull);
  cr_assert_eq(m.username_len, 9);
  cr_assert_eq(memcmp(m.username, "evtj:h6vY", 9), 0);
  cr_assert(m.fingerprint_ok);
  cr_assert_eq(check_pwd(&m, pwd_5769), 0);
  cr_assert_eq(check_pwd(&m, "VOkJxbRl1RmTxUk/WvJxBu"), PL_EAUTH);
}

Test(stun_5769, sample_request_builds_byte_exact) {
  uint8_t buf[256];
  pl_stun_builder b;
  pl_stun_build_begin(&b, buf, sizeof buf,
                      pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), txid_5769);
  b.pad = 0x20;
  pl_stun_put_bytes(&b, PL_STUN_ATTR_SOFTWARE, "STUN test client", 16);
  pl_stun_put_u32(&b, PL_STUN_ATTR_PRIORITY, 0x6e0001ff);
  pl_stun_put_u64(&b, PL_STUN_ATTR_ICE_CONTROLLED, 0x932ff9b151263b36ull);
  pl_stun_put_bytes(&b, PL_STUN_ATTR_USERNAME, "evtj:h6vY", 9);
  pl_stun_put_integrity(&b, (const uint8_t *)pwd_5769, strlen(pwd_5769));
  pl_stun_put_fingerprint(&b);
  cr_assert_eq(pl_stun_build_end(&b), (int)sizeof req_5769);
  cr_assert_eq(memcmp(buf, req_5769, sizeof req_5769), 0);
}

static void build_response(uint8_t *buf, size_t cap, const pl_addr *a,
                           int *len) {
  pl_stun_builder b;
  pl_stun_build_begin(&b, buf, cap,
                      pl_stun_type(PL_STUN_BINDING, PL_STUN_SUCCESS), txid_5769);
  b.pad = 0x20;
  pl_stun_put_bytes(&b, PL_STUN_ATTR_SOFTWARE, "test vector", 11);
  pl_stun_put_addr(&b, PL_STUN_ATTR_XOR_MAPPED_ADDRESS, a);
  pl_stun_put_integrity(&b, (const uint8_t *)pwd_5769, strlen(pwd_5769));
  pl_stun_put_fingerprint(&b);
  *len = pl_stun_build_end(&b);
}

Test(stun_5769, ipv4_response_both_ways) {
  pl_stun_msg m;
  char s[PL_ADDR_STRLEN];
  cr_assert_eq(pl_stun_parse(&m, resp4_5769, sizeof resp4_5769), 0);
  cr_assert_eq(m.cls, PL_STUN_SUCCESS);
  cr_assert(m.has & PL_STUN_HAS_XOR_MAPPED);
  cr_assert_str_eq(pl_addr_format(&m.xor_mapped, s, sizeof s),
                   "192.0.2.1:32853");
  cr_assert(m.fingerprint_ok);
  cr_assert_eq(check_pwd(&m, pwd_5769), 0);

  uint8_t buf[256];
  int len;
  build_response(buf, sizeof buf, &m.xor_mapped, &len);
  cr_assert_eq(len, (int)sizeof resp4_5769);
  cr_assert_eq(memcmp(buf, resp4_5769, sizeof resp4_5769), 0);
}

Test(stun_5769, ipv6_response_both_ways) {
  pl_stun_msg m;
  char s[PL_ADDR_STRLEN];
  cr_assert_eq(pl_stun_parse(&m, resp6_5769, sizeof resp6_5769), 0);
  cr_assert_str_eq(pl_addr_format(&m.xor_mapped, s, sizeof s),
                   "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
  cr_assert(m.fingerprint_ok);
  cr_assert_eq(check_pwd(&m, pwd_5769), 0);

  uint8_t buf[256];
  int len;
  build_response(buf, sizeof buf, &m.xor_mapped, &len);
  cr_assert_eq(len, (int)sizeof resp6_5769);
  cr_assert_eq(memcmp(buf, resp6_5769, sizeof resp6_5769), 0);
}

Test(stun, flipped_bit_fails_integrity_and_fingerprint) {
  uint8_t c[sizeof req_5769];
  memcpy(c, req_5769, sizeof c);
  c[47] ^= 0x01; /* inside PRIORITY, covered by both */
  pl_stun_msg m;
  cr_assert_eq(pl_stun_parse(&m, c, sizeof c), 0);
  cr_assert_not(m.fingerprint_ok);
  cr_assert_eq(check_pwd(&m, pwd_5769), PL_EAUTH);
  cr_assert_eq(m.priority, 0x6e0001feu);
}

Test(stun, attributes_after_integrity_are_ignored) {
  uint8_t buf[256];
  uint8_t txid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  pl_stun_builder b;
  pl_stun_build_begin(&b, buf, sizeof buf,
                      pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), txid);
  pl_stun_put_u32(&b, PL_STUN_ATTR_PRIORITY, 7);
  pl_stun_put_integrity(&b, (const uint8_t *)"pw", 2);
  /* Injected after the integrity: must not be believed. */
  pl_stun_put_flag(&b, PL_STUN_ATTR_USE_CANDIDATE);
  pl_stun_put_u32(&b, 0x0777, 1); /* unknown comprehension-required */
  pl_stun_put_fingerprint(&b);
  int n = pl_stun_build_end(&b);
  cr_assert_gt(n, 0);
  pl_stun_msg m;
  cr_assert_eq(pl_stun_parse(&m, buf, (size_t)n), 0);
  cr_assert_eq(m.priority, 7);
  cr_assert_not(m.has & PL_STUN_HAS_USE_CANDIDATE);
  cr_assert_eq(m.n_unknown_required, 0);
  cr_assert(m.fingerprint_ok);
  /* The integrity covers only what precedes it, so it still verifies. */
  cr_assert_eq(pl_stun_check_integrity(&m, (const uint8_t *)"pw", 2), 0);
}

Test(stun, integrity_sha256_round_trip_and_truncation_rules) {
  uint8_t buf[256];
  uint8_t txid[12] = {9};
  pl_stun_builder b;
  pl_stun_build_begin(&b, buf, sizeof buf,
                      pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), txid);
  pl_stun_put_bytes(&b, PL_STUN_ATTR_USERNAME, "a:b", 3);
  pl_stun_put_integrity(&b, (const uint8_t *)"key", 3);
  pl_stun_put_integrity_sha256(&b, (const uint8_t *)"key", 3);
  pl_stun_put_fingerprint(&b);
  int n = pl_stun_build_end(&b);
  cr_assert_eq(n, 20 + 8 + 24 + 36 + 8);
  pl_stun_msg m;
  cr_assert_eq(pl_stun_parse(&m, buf, (size_t)n), 0);
  cr_assert_eq(pl_stun_check_integrity(&m, (const uint8_t *)"key", 3), 0);
  cr_assert_eq(pl_stun_check_integrity_sha256(&m, (const uint8_t *)"key", 3), 0);
  cr_assert_eq(pl_stun_check_integrity_sha256(&m, (const uint8_t *)"kex", 3),
               PL_EAUTH);
  cr_assert(m.fingerprint_ok);
}

Test(stun, error_code_and_unknown_attributes_round_trip) {
  uint8_t buf[256];
  uint8_t txid[12] = {0};
  uint16_t unk[3] = {0x0777, 0x0042, 0x0031};
  pl_stun_builder b;
  pl_stun_build_begin(&b, buf, sizeof buf,
                      pl_stun_type(PL_STUN_BINDING, PL_STUN_ERROR), txid);
  pl_stun_put_error(&b, 487, "Role Conflict");
  pl_stun_put_unknown(&b, unk, 3);
  int n = pl_stun_build_end(&b);
  cr_assert_eq(n, 20 + 4 + 4 + 13 + 3 + 4 + 6 + 2);
  pl_stun_msg m;
  cr_assert_eq(pl_stun_parse(&m, buf, (size_t)n), 0);
  cr_assert_eq(m.cls, PL_STUN_ERROR);
  cr_assert_eq(m.error_code, 487);
  cr_assert_eq(m.error_reason_len, 13);
  cr_assert_eq(memcmp(m.error_reason, "Role Conflict", 13), 0);
  cr_assert_eq(m.n_unknown, 3);
  cr_assert_eq(m.unknown[2], 0x0031);
  cr_assert_eq(pl_stun_check_integrity(&m, (const uint8_t *)"x", 1), PL_ENOENT);
}

Test(stun, malformed_inputs_are_rejected_with_codes) {
  pl_stun_msg m;
  uint8_t c[sizeof resp4_5769];
  cr_assert_eq(pl_stun_parse(&m, resp4_5769, 19), PL_ETRUNC);
  cr_assert_eq(pl_stun_parse(&m, resp4_5769, sizeof resp4_5769 - 4), PL_ETRUNC);
  memcpy(c, resp4_5769, sizeof c);
  c[4] = 0; /* magic cookie */
  cr_assert_eq(pl_stun_parse(&m, c, sizeof c), PL_EPARSE);
  memcpy(c, resp4_5769, sizeof c);
  c[3] = 0x3d; /* length not a multiple of 4 */
  cr_assert_eq(pl_stun_parse(&m, c, sizeof c), PL_EPARSE);
  memcpy(c, resp4_5769, sizeof c);
  c[22] = 0x00;
  c[23] = 0x40; /* SOFTWARE claims more than the message holds */
  cr_assert_eq(pl_stun_parse(&m, c, sizeof c), PL_EPARSE);
  memcpy(c, resp4_5769, sizeof c);
  c[41] = 0x03; /* XOR-MAPPED-ADDRESS family 3 */
  cr_assert_eq(pl_stun_parse(&m, c, sizeof c), PL_EPARSE);
  cr_assert_not(pl_stun_is_stun((const uint8_t *)"\x80\x00", 2));
}

Test(stun, builder_reports_full_buffer) {
  uint8_t buf[30];
  uint8_t txid[12] = {0};
  pl_stun_builder b;
  pl_stun_build_begin(&b, buf, sizeof buf, 0x0001, txid);
  pl_stun_put_u64(&b, PL_STUN_ATTR_ICE_CONTROLLING, 1);
  cr_assert_eq(pl_stun_build_end(&b), PL_EFULL);
}

Test(stun_server, answers_binding_with_xor_mapped_address) {
  pl_stun_server_config cfg = {.software = "parley"};
  pl_stun_server *s = pl_stun_server_new(&cfg);
  cr_assert_not_null(s);
  uint8_t req[64];
  uint8_t txid[12] = {1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144};
  pl_stun_builder b;
  pl_stun_build_begin(&b, req, sizeof req,
                      pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), txid);
  pl_stun_put_fingerprint(&b);
  int n = pl_stun_build_end(&b);
  pl_addr from;
  pl_addr_parse(&from, "[2001:db8::7]:40000");
  cr_assert_eq(pl_stun_server_input(s, 0, 3, &from, req, (size_t)n), 0);
  pl_stun_server_output o;
  cr_assert(pl_stun_server_poll(s, &o));
  cr_assert_eq(o.socket_id, 3);
  cr_assert(pl_addr_equal(&o.to, &from));
  pl_stun_msg m;
  cr_assert_eq(pl_stun_parse(&m, o.data, o.len), 0);
  cr_assert_eq(m.cls, PL_STUN_SUCCESS);
  cr_assert_eq(memcmp(m.txid, txid, 12), 0);
  cr_assert(pl_addr_equal(&m.xor_mapped, &from));
  cr_assert(m.fingerprint_ok);
  cr_assert_eq(m.software_len, 6);
  cr_assert_not(pl_stun_server_poll(s, &o));

  /* Unknown comprehension-required attribute -> 420 listing it. */
  pl_stun_build_begin(&b, req, sizeof req,
                      pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), txid);
  pl_stun_put_u32(&b, 0x0033, 0);
  n = pl_stun_build_end(&b);
  cr_assert_eq(pl_stun_server_input(s, 0, 3, &from, req, (size_t)n), 0);
  cr_assert(pl_stun_server_poll(s, &o));
  cr_assert_eq(pl_stun_parse(&m, o.data, o.len), 0);
  cr_assert_eq(m.error_code, 420);
  cr_assert_eq(m.n_unknown, 1);
  cr_assert_eq(m.unknown[0], 0x0033);

  /* Responses and garbage are ignored and counted. */
  cr_assert_lt(pl_stun_server_input(s, 0, 3, &from, resp4_5769,
                                    sizeof resp4_5769), 0);
  cr_assert_lt(pl_stun_server_input(s, 0, 3, &from, (const uint8_t *)"hi", 2), 0);
  pl_stun_server_stats st = pl_stun_server_get_stats(s);
  cr_assert_eq(st.requests, 1);
  cr_assert_eq(st.errors, 1);
  cr_assert_eq(st.ignored, 2);
  cr_assert_eq(pl_stun_server_deadline(s), PL_TIME_NEVER);
  pl_stun_server_free(s);
}
