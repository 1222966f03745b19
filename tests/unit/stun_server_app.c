/* `parley stun_server` end to end: start the binary on an ephemeral
 * loopback port, send it a Binding request over real UDP, check the answer
 * carries our own address, and that it exits after --count answers. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/addr.h"
#include "net/stun/stun.h"

Test(stun_server_app, answers_a_binding_request_over_udp) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s/parley stun_server --listen 127.0.0.1:0 --count 1",
           PL_BIN_DIR);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  char line[256] = "";
  cr_assert_not_null(fgets(line, sizeof line, p), "no output from %s", cmd);
  const char *at = strstr(line, "listening on ");
  cr_assert_not_null(at, "unexpected: %s", line);
  pl_addr srv;
  line[strcspn(line, "\n")] = 0;
  cr_assert_eq(pl_addr_parse(&srv, at + strlen("listening on ")), 0);
  cr_assert_neq(pl_addr_port(&srv), 0);

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  cr_assert_geq(fd, 0);
  pl_addr me;
  pl_addr_parse(&me, "127.0.0.1:0");
  cr_assert_eq(bind(fd, (struct sockaddr *)&me.ss, pl_addr_len(&me)), 0);
  socklen_t sl = sizeof me.ss;
  getsockname(fd, (struct sockaddr *)&me.ss, &sl);

  uint8_t req[64], txid[12] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8};
  pl_stun_builder b;
  pl_stun_build_begin(&b, req, sizeof req,
                      pl_stun_type(PL_STUN_BINDING, PL_STUN_REQUEST), txid);
  pl_stun_put_fingerprint(&b);
  int n = pl_stun_build_end(&b);
  uint8_t resp[600];
  ssize_t got = -1;
  /* UDP: retry a few times in case the first datagram races the bind. */
  for (int tries = 0; tries < 10 && got < 0; tries++) {
    sendto(fd, req, (size_t)n, 0, (struct sockaddr *)&srv.ss, pl_addr_len(&srv));
    struct pollfd pf = {fd, POLLIN, 0};
    if (poll(&pf, 1, 300) == 1)
      got = recv(fd, resp, sizeof resp, 0);
  }
  cr_assert_gt(got, 0, "no answer from the server");
  pl_stun_msg m;
  cr_assert_eq(pl_stun_parse(&m, resp, (size_t)got), 0);
  cr_assert_eq(m.cls, PL_STUN_SUCCESS);
  cr_assert_eq(memcmp(m.txid, txid, 12), 0);
  cr_assert(m.fingerprint_ok);
  cr_assert(pl_addr_equal(&m.xor_mapped, &me));
  close(fd);
  /* --count 1: it exits by itself and reports what it did. */
  char rest[512] = "";
  size_t r = fread(rest, 1, sizeof rest - 1, p);
  rest[r] = 0;
  int st = pclose(p);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit status %d", st);
  cr_assert_not_null(strstr(rest, "answered 1"), "got: %s", rest);
}

Test(stun_server_app, bad_listen_address_is_a_usage_error) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "%s/parley stun_server --listen nowhere 2>/dev/null",
           PL_BIN_DIR);
  int st = system(cmd);
  cr_assert(WIFEXITED(st));
  cr_assert_eq(WEXITSTATUS(st), 2);
}
