/* The real-clock relay over loopback UDP, and the `parley relay` command's
 * exit codes and messages. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "base/bytes.h"
#include "engine/relay/relay.h"
#include "parley.h"

typedef struct {
  uv_loop_t loop;
  uv_udp_t a, b;
  uv_timer_t guard;
  pl_relay *relay;
  pl_addr relay_addr;
  char abuf[2048], bbuf[2048];
  int a_got, b_got, want;
  uint32_t b_last_id;
  bool b_in_order;
  uint64_t first_sent_ns, first_b_ns;
} rig;

static void alloc_a(uv_handle_t *h, size_t n, uv_buf_t *b) {
  (void)n;
  rig *r = h->data;
  *b = uv_buf_init(r->abuf, sizeof r->abuf);
}
static void alloc_b(uv_handle_t *h, size_t n, uv_buf_t *b) {
  (void)n;
  rig *r = h->data;
  *b = uv_buf_init(r->bbuf, sizeof r->bbuf);
}

static void stop_all(rig *r) {
  uv_udp_recv_stop(&r->a);
  uv_udp_recv_stop(&r->b);
  uv_timer_stop(&r->guard);
  uv_stop(&r->loop);
}

static void on_a(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                 unsigned flags) {
  (void)buf;
  (void)flags;
  rig *r = h->data;
  if (n <= 0 || !from)
    return;
  if (++r->a_got == r->want)
    stop_all(r);
}

/* B echoes everything back to whoever sent it (the relay). */
static void on_b(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                 unsigned flags) {
  (void)flags;
  rig *r = h->data;
  if (n < 4 || !from)
    return;
  uint32_t id = pl_le32((const uint8_t *)buf->base);
  if (r->b_got == 0)
    r->first_b_ns = uv_hrtime();
  else if (id <= r->b_last_id)
    r->b_in_order = false;
  r->b_last_id = id;
  r->b_got++;
  uv_buf_t out = uv_buf_init(buf->base, (unsigned)n);
  uv_udp_try_send(h, &out, 1, from);
}

static void on_guard(uv_timer_t *t) { stop_all(t->data); }

static void bind_local(uv_loop_t *loop, uv_udp_t *s, pl_addr *bound) {
  pl_addr any;
  cr_assert_eq(pl_addr_parse(&any, "127.0.0.1:0"), 0);
  cr_assert_eq(uv_udp_init(loop, s), 0);
  cr_assert_eq(uv_udp_bind(s, (const struct sockaddr *)&any.ss, 0), 0);
  int len = sizeof bound->ss;
  memset(bound, 0, sizeof *bound);
  uv_udp_getsockname(s, (struct sockaddr *)&bound->ss, &len);
}

static void rig_up(rig *r, const pl_emu_scenario *net, bool start_on_first) {
  memset(r, 0, sizeof *r);
  r->b_in_order = true;
  cr_assert_eq(uv_loop_init(&r->loop), 0);
  pl_addr baddr, aaddr;
  bind_local(&r->loop, &r->b, &baddr);
  bind_local(&r->loop, &r->a, &aaddr);
  r->a.data = r->b.data = r;
  pl_relay_config cfg = {.net = net, .start_on_first = start_on_first};
  cr_assert_eq(pl_addr_parse(&cfg.listen, "127.0.0.1:0"), 0);
  cfg.forward = baddr;
  cr_assert_eq(pl_relay_new(&r->relay, &r->loop, &cfg), 0);
  pl_relay_addrs(r->relay, &r->relay_addr, NULL);
  cr_assert_neq(pl_addr_port(&r->relay_addr), 0);
  uv_udp_recv_start(&r->a, alloc_a, on_a);
  uv_udp_recv_start(&r->b, alloc_b, on_b);
  uv_timer_init(&r->loop, &r->guard);
  r->guard.data = r;
}

static void send_from_a(rig *r, int count, int size) {
  uint8_t buf[1500] = {0};
  for (int i = 0; i < count; i++) {
    pl_put_le32(buf, (uint32_t)i);
    uv_buf_t b = uv_buf_init((char *)buf, (unsigned)size);
    if (i == 0)
      r->first_sent_ns = uv_hrtime();
    cr_assert_eq(uv_udp_try_send(&r->a, &b, 1, (const struct sockaddr *)&r->relay_addr.ss),
                 size);
  }
}

static void rig_down(rig *r) {
  pl_relay_close(r->relay);
  uv_close((uv_handle_t *)&r->a, NULL);
  uv_close((uv_handle_t *)&r->b, NULL);
  uv_close((uv_handle_t *)&r->guard, NULL);
  uv_run(&r->loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(&r->loop), 0);
}

Test(emu_relay, relays_both_ways_with_the_configured_delay) {
  pl_emu_scenario net;
  pl_emu_err e;
  cr_assert_eq(pl_emu_scenario_parse(&net, "delay=30", &e), 0, "%s", e.msg);
  rig r;
  rig_up(&r, &net, false);
  r.want = 40;
  send_from_a(&r, 40, 200);
  uv_timer_start(&r.guard, on_guard, 3000, 0);
  uv_run(&r.loop, UV_RUN_DEFAULT);
  cr_assert_eq(r.b_got, 40);
  cr_assert_eq(r.a_got, 40);
  cr_assert(r.b_in_order);
  double one_way_ms = (double)(r.first_b_ns - r.first_sent_ns) / 1e6;
  cr_assert_geq(one_way_ms, 30.0, "one way %.2f ms", one_way_ms);
  cr_assert_lt(one_way_ms, 150.0, "one way %.2f ms", one_way_ms); /* loaded CI */
  pl_relay_stats st;
  pl_relay_get_stats(r.relay, &st);
  cr_assert_eq(st.fwd.delivered, 40);
  cr_assert_eq(st.rev.delivered, 40);
  cr_assert_eq(st.send_errors, 0);
  cr_assert_eq(st.from_unknown, 0);
  rig_down(&r);
}

Test(emu_relay, applies_the_scenario_loss_to_real_traffic) {
  pl_emu_scenario net;
  pl_emu_err e;
  cr_assert_eq(pl_emu_scenario_parse(&net, "fwd.loss=0.5,seed=3", &e), 0, "%s", e.msg);
  rig r;
  rig_up(&r, &net, false);
  r.want = -1; /* run until the guard */
  send_from_a(&r, 200, 100);
  uv_timer_start(&r.guard, on_guard, 500, 0);
  uv_run(&r.loop, UV_RUN_DEFAULT);
  pl_relay_stats st;
  pl_relay_get_stats(r.relay, &st);
  cr_assert_eq(st.fwd.packets_in, 200);
  cr_assert_eq((uint64_t)r.b_got, st.fwd.delivered);
  cr_assert_eq(st.fwd.delivered + st.fwd.lost_random, 200);
  cr_assert(st.fwd.delivered > 60 && st.fwd.delivered < 140, "%llu",
            (unsigned long long)st.fwd.delivered);
  cr_assert_eq((uint64_t)r.a_got, st.fwd.delivered); /* rev is clean */
  rig_down(&r);
}

static void on_wait(uv_timer_t *t) { uv_stop(t->loop); }

/* With start_on_first the links' clock starts at A's first datagram, not at
 * pl_relay_new: an outage over the first 300 ms still catches packets sent
 * 400 ms after the relay started (a browser that takes seconds to launch
 * meets a trace from its beginning). */
Test(emu_relay, start_on_first_counts_the_schedule_from_a_first_datagram) {
  for (int first = 0; first <= 1; first++) {
    pl_emu_scenario net;
    pl_emu_err e;
    cr_assert_eq(pl_emu_scenario_parse(&net, "fwd.outage=0-300", &e), 0, "%s", e.msg);
    rig r;
    rig_up(&r, &net, first);
    pl_relay_stats st;
    pl_relay_get_stats(r.relay, &st);
    cr_assert_eq(st.started != 0, !first);
    uv_timer_t wait;
    uv_timer_init(&r.loop, &wait);
    uv_timer_start(&wait, on_wait, 400, 0);
    uv_run(&r.loop, UV_RUN_DEFAULT);
    r.want = -1;
    send_from_a(&r, 20, 100);
    uv_timer_start(&r.guard, on_guard, 200, 0);
    uv_run(&r.loop, UV_RUN_DEFAULT);
    pl_relay_get_stats(r.relay, &st);
    cr_assert_eq(st.fwd.lost_outage, first ? 20 : 0, "start_on_first %d: %llu", first,
                 (unsigned long long)st.fwd.lost_outage);
    cr_assert_eq(r.b_got, first ? 0 : 20);
    cr_assert_neq(st.started, 0);
    cr_assert_geq(st.now, st.started);
    uv_close((uv_handle_t *)&wait, NULL);
    rig_down(&r);
  }
}

/* 20 packets of 1200 bytes at once into 1 Mbit/s: the k-th waits k x 9.6 ms,
 * so the median is about 100 ms and the 95th percentile about 190 ms. */
Test(emu_relay, reports_bottleneck_queue_delay_percentiles) {
  pl_emu_scenario net;
  pl_emu_err e;
  cr_assert_eq(pl_emu_scenario_parse(&net, "fwd.capacity=1000", &e), 0, "%s", e.msg);
  rig r;
  rig_up(&r, &net, false);
  cr_assert_eq(pl_relay_qdelay_quantile(r.relay, 0, 0.5), -1);
  r.want = 20;
  send_from_a(&r, 20, 1200);
  uv_timer_start(&r.guard, on_guard, 3000, 0);
  uv_run(&r.loop, UV_RUN_DEFAULT);
  cr_assert_eq(r.a_got, 20);
  double p50 = (double)pl_relay_qdelay_quantile(r.relay, 0, 0.5) / 1000;
  double p95 = (double)pl_relay_qdelay_quantile(r.relay, 0, 0.95) / 1000;
  cr_assert(p50 >= 85 && p50 <= 115, "p50 %.1f ms", p50);
  cr_assert(p95 >= 170 && p95 <= 200, "p95 %.1f ms", p95);
  cr_assert_eq(pl_relay_qdelay_quantile(r.relay, 1, 0.5), -1); /* rev: no bottleneck */
  pl_relay_qdelay_reset(r.relay);
  cr_assert_eq(pl_relay_qdelay_quantile(r.relay, 0, 0.5), -1);
  rig_down(&r);
}

Test(emu_relay, port_in_use_is_reported) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_udp_t taken;
  pl_addr busy;
  bind_local(&loop, &taken, &busy);
  pl_relay_config cfg = {.listen = busy};
  cr_assert_eq(pl_addr_parse(&cfg.forward, "127.0.0.1:9"), 0);
  pl_relay *rl;
  cr_assert_eq(pl_relay_new(&rl, &loop, &cfg), PL_EADDRINUSE);
  cr_assert_null(rl);
  uv_close((uv_handle_t *)&taken, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  cr_assert_eq(uv_loop_close(&loop), 0);
}

/* Runs the parley binary; returns its exit code, stderr+stdout in out. */
static int run_cli(const char *args, char *out, size_t size) {
  char path[] = "/tmp/pl_emu_relay_XXXXXX";
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  close(fd);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "%s/parley relay %s >%s 2>&1", PL_BIN_DIR, args, path);
  int st = system(cmd);
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(out, 1, size - 1, f) : 0;
  out[n] = 0;
  if (f)
    fclose(f);
  unlink(path);
  cr_assert(WIFEXITED(st), "%s", cmd);
  return WEXITSTATUS(st);
}

Test(emu_relay, command_exit_codes_and_messages) {
  char out[4096];
  cr_assert_eq(run_cli("--help", out, sizeof out), 0);
  cr_assert(strstr(out, "--listen"), "%s", out);
  cr_assert_eq(run_cli("--list", out, sizeof out), 0);
  cr_assert(strstr(out, "rfc8867-5.3"), "%s", out);
  cr_assert_eq(run_cli("--listen 127.0.0.1:0", out, sizeof out), 2);
  cr_assert_eq(run_cli("--listen nowhere --forward 127.0.0.1:9", out, sizeof out), 2);
  cr_assert_eq(run_cli("--listen 127.0.0.1:0 --forward 127.0.0.1:9 --net wifi", out,
                       sizeof out), 2);
  cr_assert(strstr(out, "unknown network scenario 'wifi'"), "%s", out);
  cr_assert(strstr(out, "loss-10"), "%s", out);
  cr_assert_eq(run_cli("--listen 127.0.0.1:0 --forward 127.0.0.1:9 --net trace=/no/file",
                       out, sizeof out), 2);
  cr_assert(strstr(out, "/no/file"), "%s", out);

  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_udp_t taken;
  pl_addr busy;
  bind_local(&loop, &taken, &busy);
  char args[256], where[PL_ADDR_STRLEN];
  snprintf(args, sizeof args, "--listen %s --forward 127.0.0.1:9 --duration 1",
           pl_addr_format(&busy, where, sizeof where));
  cr_assert_eq(run_cli(args, out, sizeof out), 1);
  cr_assert(strstr(out, "address already in use"), "%s", out);
  uv_close((uv_handle_t *)&taken, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);

  cr_assert_eq(run_cli("--listen 127.0.0.1:0 --forward 127.0.0.1:9 --net rfc8867-5.1 "
                       "--duration 0.2", out, sizeof out), 0);
  cr_assert(strstr(out, "fwd (A->B): in=0"), "%s", out);
}
