/* Core conventions: error text, addresses, packet pool, RNG, CRC-32. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/addr.h"
#include "base/bytes.h"
#include "base/crc32.h"
#include "base/pkt.h"
#include "base/rng.h"
#include "base/time.h"
#include "parley.h"

Test(err, every_code_has_distinct_text) {
  cr_assert_str_eq(pl_strerror(0), "success");
  cr_assert_str_eq(pl_strerror(PL_EINVAL), "invalid argument");
  cr_assert_str_eq(pl_strerror(PL_ECLOSED), "closed by peer");
  cr_assert_str_eq(pl_strerror(-1000), "unknown error");
  cr_assert_eq(PL_EINVAL, -1);
}

Test(addr, parses_and_formats_v4_and_v6) {
  pl_addr a, b;
  char buf[PL_ADDR_STRLEN];
  cr_assert_eq(pl_addr_parse(&a, "127.0.0.1:5004"), 0);
  cr_assert_str_eq(pl_addr_format(&a, buf, sizeof buf), "127.0.0.1:5004");
  cr_assert_eq(pl_addr_parse(&b, "[::1]:9"), 0);
  cr_assert_str_eq(pl_addr_format(&b, buf, sizeof buf), "[::1]:9");
  cr_assert_not(pl_addr_equal(&a, &b));
  cr_assert_eq(pl_addr_parse(&a, "127.0.0.1:70000"), PL_EPARSE);
  cr_assert_eq(pl_addr_parse(&a, "nonsense"), PL_EPARSE);
  cr_assert_eq(pl_addr_parse(&a, "[::1"), PL_EPARSE);
  cr_assert_eq(pl_addr_parse(&a, "1.2.3.4:"), PL_EPARSE);
}

Test(pkt, pool_runs_dry_and_recycles_without_allocating) {
  pl_pkt_pool pool;
  cr_assert_eq(pl_pkt_pool_init(&pool, 2), 0);
  pl_pkt *a = pl_pkt_get(&pool), *b = pl_pkt_get(&pool);
  cr_assert(a && b && a != b);
  cr_assert_null(pl_pkt_get(&pool));
  pl_pkt_put(&pool, a);
  pl_pkt *c = pl_pkt_from(&pool, (const uint8_t *)"hello", 5);
  cr_assert_eq(c, a);
  cr_assert_eq(memcmp(c->data, "hello", 5), 0);
  cr_assert_eq(pool.high_water, 2);
  pl_pkt_queue q;
  pl_pkt_queue_init(&q);
  pl_pkt_queue_push(&q, b);
  pl_pkt_queue_push(&q, c);
  cr_assert_eq(q.bytes, 5);
  cr_assert_eq(pl_pkt_queue_pop(&q), b);
  cr_assert_eq(pl_pkt_queue_pop(&q), c);
  cr_assert_null(pl_pkt_queue_pop(&q));
  pl_pkt_pool_destroy(&pool);
}

/* A pool hands out the slab in order and reuses what came back before it
 * touches more of it: a call's resident memory follows what it had in
 * flight, not the pool's size. */
Test(pkt, pool_reuses_returned_packets_before_fresh_ones) {
  pl_pkt_pool pool;
  cr_assert_eq(pl_pkt_pool_init(&pool, 100), 0);
  for (int i = 0; i < 1000; i++) {
    pl_pkt *p = pl_pkt_get(&pool), *q = pl_pkt_get(&pool);
    cr_assert(p && q);
    pl_pkt_put(&pool, p);
    pl_pkt_put(&pool, q);
  }
  cr_assert_eq(pool.fresh, 2, "only two packets were ever touched");
  pl_pkt *all[100];
  for (int i = 0; i < 100; i++)
    cr_assert_not_null(all[i] = pl_pkt_get(&pool), "packet %d", i);
  cr_assert_null(pl_pkt_get(&pool));
  for (int i = 0; i < 100; i++)
    for (int j = i + 1; j < 100; j++)
      cr_assert_neq(all[i], all[j]);
  pl_pkt_pool_destroy(&pool);
}

Test(rng, same_seed_same_sequence_and_uniform_mean) {
  pl_rng a, b;
  pl_rng_seed(&a, 42);
  pl_rng_seed(&b, 42);
  double sum = 0;
  for (int i = 0; i < 100000; i++) {
    cr_assert_eq(pl_rng_u64(&a), pl_rng_u64(&b));
    sum += pl_rng_uniform(&a);
    pl_rng_u64(&b);
  }
  cr_assert_float_eq(sum / 100000, 0.5, 0.01);
}

Test(crc32, known_answer) {
  /* The standard check value of CRC-32/ISO-HDLC. */
  cr_assert_eq(pl_crc32(0, "123456789", 9), 0xCBF43926u);
  uint32_t part = pl_crc32(0, "12345", 5);
  cr_assert_eq(pl_crc32(part, "6789", 4), 0xCBF43926u);
}

Test(reader, stops_at_end_without_overread) {
  const uint8_t buf[3] = {1, 2, 3};
  pl_reader r;
  pl_reader_init(&r, buf, 3);
  cr_assert_eq(pl_reader_be16(&r), 0x0102);
  cr_assert_eq(pl_reader_be16(&r), 0);
  cr_assert(r.bad);
  cr_assert_eq(pl_reader_left(&r), 0);
}

Test(time, ntp_conversion_of_unix_epoch) {
  cr_assert_eq(pl_ntp_from_unix_us(0) >> 32, 2208988800ULL);
  cr_assert_eq((uint32_t)pl_ntp_from_unix_us(500000), 0x80000000u);
  pl_clock c;
  pl_clock_init_sim(&c, 100);
  pl_clock_advance_to(&c, 50);
  cr_assert_eq(pl_clock_now(&c), 100);
  pl_clock_advance_to(&c, 200);
  cr_assert_eq(pl_clock_now(&c), 200);
}
