/* "turn:user:pass@host:port[?transport=tcp]" and "turns:" (RFC 7065's URI
 * with the credentials in front, as command lines and coturn's tools write
 * them). The core has no resolver: the host is a numeric address. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/turn/turn.h"
#include "parley.h"

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

/* RFC 3986 percent-decoding in place; a NUL byte is refused. */
static int unescape(char *s) {
  char *o = s;
  for (; *s; s++) {
    if (*s != '%') {
      *o++ = *s;
      continue;
    }
    int h = hexval(s[1]), l = h < 0 ? -1 : hexval(s[2]);
    if (h < 0 || l < 0 || (h | l) == 0)
      return -1;
    *o++ = (char)(h * 16 + l);
    s += 2;
  }
  *o = 0;
  return 0;
}

int pl_turn_url_parse(pl_turn_url *u, const char *text) {
  memset(u, 0, sizeof *u);
  if (!text)
    return PL_EINVAL;
  bool tls = false;
  if (!strncmp(text, "turns:", 6)) {
    tls = true;
    text += 6;
  } else if (!strncmp(text, "turn:", 5)) {
    text += 5;
  } else {
    return PL_EPARSE;
  }
  size_t n = strlen(text);
  if (n >= sizeof u->buf)
    return PL_ERANGE;
  memcpy(u->buf, text, n + 1);
  char *at = strrchr(u->buf, '@'); /* the password may hold '@' */
  if (!at)
    return PL_EPARSE;
  *at = 0;
  char *host = at + 1;
  /* The last ':' splits: REST-API usernames are "expiry:user", and their
   * base64 passwords hold none; a ':' elsewhere is written %3A. */
  char *colon = strrchr(u->buf, ':');
  if (!colon || colon == u->buf || !colon[1])
    return PL_EPARSE;
  *colon = 0;
  u->username = u->buf;
  u->password = colon + 1;
  if (unescape((char *)u->username) || unescape((char *)u->password))
    return PL_EPARSE;
  if (strlen(u->username) > PL_TURN_CRED_MAX || strlen(u->password) > PL_TURN_CRED_MAX)
    return PL_ERANGE;
  u->transport = tls ? PL_TURN_TLS : PL_TURN_UDP;
  char *q = strchr(host, '?');
  if (q) {
    *q++ = 0;
    if (!strcmp(q, "transport=tcp"))
      u->transport = tls ? PL_TURN_TLS : PL_TURN_TCP;
    else if (strcmp(q, "transport=udp") != 0 || tls)
      return PL_EPARSE;
  }
  char addr[PL_ADDR_STRLEN + 8];
  /* The port defaults to 3478 (5349 for turns:). */
  bool has_port = host[0] == '['
                      ? strstr(host, "]:") != NULL
                      : strchr(host, ':') != NULL && strchr(host, ':') == strrchr(host, ':');
  int k = has_port ? snprintf(addr, sizeof addr, "%s", host)
          : host[0] == '[' ? snprintf(addr, sizeof addr, "%s:%d", host, tls ? 5349 : 3478)
          : snprintf(addr, sizeof addr, "%s:%d", host, tls ? 5349 : 3478);
  if (k < 0 || (size_t)k >= sizeof addr)
    return PL_ERANGE;
  if (pl_addr_parse(&u->server, addr) != 0 || pl_addr_port(&u->server) == 0)
    return PL_EPARSE;
  return 0;
}
