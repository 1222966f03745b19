/* `parley stun_server --listen ADDR`: a STUN binding server. The protocol
 * lives in net/stun/server.c; this file is only the libuv driver that moves
 * datagrams between a UDP socket and that core. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "apps/parley/commands.h"
#include "base/addr.h"
#include "net/stun/server.h"
#include "parley.h"

typedef struct server_ctx {
  uv_udp_t udp;
  uv_signal_t sigint, sigterm;
  pl_stun_server *core;
  uint8_t rxbuf[2048];
  long max_requests; /* stop after this many answers; <= 0 = never */
  int verbose;
} server_ctx;

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  server_ctx *c = h->data;
  (void)suggested;
  *buf = uv_buf_init((char *)c->rxbuf, sizeof c->rxbuf);
}

static void close_all(server_ctx *c) {
  uv_close((uv_handle_t *)&c->udp, NULL);
  uv_close((uv_handle_t *)&c->sigint, NULL);
  uv_close((uv_handle_t *)&c->sigterm, NULL);
}

/* Replies go out with uv_udp_try_send: a binding answer that the kernel
 * cannot take right now is as good as lost, and the client retransmits. */
static void drain(server_ctx *c) {
  pl_stun_server_output o;
  while (pl_stun_server_poll(c->core, &o)) {
    uv_buf_t b = uv_buf_init((char *)o.data, (unsigned)o.len);
    int rc = uv_udp_try_send(&c->udp, &b, 1, (const struct sockaddr *)&o.to.ss);
    if (c->verbose) {
      char a[PL_ADDR_STRLEN];
      fprintf(stderr, "stun_server: reply %zu bytes to %s%s\n", o.len,
              pl_addr_format(&o.to, a, sizeof a), rc < 0 ? " (send failed)" : "");
    }
  }
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf,
                    const struct sockaddr *from, unsigned flags) {
  server_ctx *c = h->data;
  (void)flags;
  if (n <= 0 || !from)
    return;
  pl_addr a;
  memset(&a, 0, sizeof a);
  memcpy(&a.ss, from, from->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                  : sizeof(struct sockaddr_in));
  pl_time_us now = (pl_time_us)uv_now(h->loop) * 1000;
  pl_stun_server_input(c->core, now, 0, &a, (const uint8_t *)buf->base,
                       (size_t)n);
  drain(c);
  if (c->max_requests > 0 &&
      (long)pl_stun_server_get_stats(c->core).requests >= c->max_requests)
    close_all(c);
}

static void on_signal(uv_signal_t *s, int signum) {
  (void)signum;
  close_all(s->data);
}

static void usage(FILE *f) {
  fprintf(f, "usage: parley stun_server --listen ADDR [--count N] [--verbose]\n"
             "  --listen ADDR  UDP address to serve on, e.g. 0.0.0.0:3478 or [::]:3478\n"
             "  --count N      exit after answering N Binding requests\n"
             "  --verbose      log every reply to stderr\n");
}

int pl_cmd_stun_server(int argc, char **argv) {
  const char *listen = NULL;
  server_ctx c;
  memset(&c, 0, sizeof c);
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--listen") && i + 1 < argc) {
      listen = argv[++i];
    } else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
      c.max_requests = strtol(argv[++i], NULL, 10);
    } else if (!strcmp(argv[i], "--verbose")) {
      c.verbose = 1;
    } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    } else {
      usage(stderr);
      return 2;
    }
  }
  pl_addr addr;
  if (!listen || pl_addr_parse(&addr, listen) < 0) {
    fprintf(stderr, "stun_server: need --listen ADDR (ip:port or [ip6]:port)\n");
    return 2;
  }
  pl_stun_server_config cfg = {.software = "parley stun_server"};
  c.core = pl_stun_server_new(&cfg);
  if (!c.core) {
    fprintf(stderr, "stun_server: %s\n", pl_strerror(PL_ENOMEM));
    return 1;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_udp_init(&loop, &c.udp);
  c.udp.data = &c;
  int rc = uv_udp_bind(&c.udp, (const struct sockaddr *)&addr.ss, 0);
  if (rc == 0)
    rc = uv_udp_recv_start(&c.udp, on_alloc, on_recv);
  if (rc < 0) {
    fprintf(stderr, "stun_server: cannot listen on %s: %s\n", listen,
            uv_strerror(rc));
    uv_close((uv_handle_t *)&c.udp, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    pl_stun_server_free(c.core);
    return 1;
  }
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  uv_udp_getsockname(&c.udp, (struct sockaddr *)&bound, &blen);
  pl_addr b;
  memset(&b, 0, sizeof b);
  memcpy(&b.ss, &bound, (size_t)blen);
  char text[PL_ADDR_STRLEN];
  printf("stun_server: listening on %s\n", pl_addr_format(&b, text, sizeof text));
  fflush(stdout);
  uv_signal_init(&loop, &c.sigint);
  uv_signal_init(&loop, &c.sigterm);
  c.sigint.data = c.sigterm.data = &c;
  uv_signal_start(&c.sigint, on_signal, SIGINT);
  uv_signal_start(&c.sigterm, on_signal, SIGTERM);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  pl_stun_server_stats st = pl_stun_server_get_stats(c.core);
  printf("stun_server: answered %llu, errors %llu, ignored %llu\n",
         (unsigned long long)st.requests, (unsigned long long)st.errors,
         (unsigned long long)st.ignored);
  pl_stun_server_free(c.core);
  return 0;
}
