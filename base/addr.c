#include "base/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley.h"

int pl_addr_from_ip_port(pl_addr *a, const char *ip, unsigned port) {
  memset(a, 0, sizeof *a);
  if (port > 65535)
    return PL_ERANGE;
  struct sockaddr_in *v4 = (struct sockaddr_in *)&a->ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->ss;
  if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    return 0;
  }
  if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    return 0;
  }
  return PL_EPARSE;
}

int pl_addr_parse(pl_addr *a, const char *text) {
  char ip[64];
  const char *port_s;
  if (!text)
    return PL_EINVAL;
  if (text[0] == '[') {
    const char *end = strchr(text, ']');
    if (!end || end[1] != ':' || (size_t)(end - text - 1) >= sizeof ip)
      return PL_EPARSE;
    memcpy(ip, text + 1, (size_t)(end - text - 1));
    ip[end - text - 1] = 0;
    port_s = end + 2;
  } else {
    const char *colon = strrchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof ip)
      return PL_EPARSE;
    memcpy(ip, text, (size_t)(colon - text));
    ip[colon - text] = 0;
    port_s = colon + 1;
  }
  char *endp;
  if (!*port_s)
    return PL_EPARSE;
  long port = strtol(port_s, &endp, 10);
  if (*endp || port < 0 || port > 65535)
    return PL_EPARSE;
  return pl_addr_from_ip_port(a, ip, (unsigned)port);
}

char *pl_addr_ip(const pl_addr *a, char *buf, size_t size) {
  const void *src = NULL;
  if (a->ss.ss_family == AF_INET)
    src = &((const struct sockaddr_in *)&a->ss)->sin_addr;
  else if (a->ss.ss_family == AF_INET6)
    src = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
  if (!src || !inet_ntop(a->ss.ss_family, src, buf, (socklen_t)size))
    snprintf(buf, size, "?");
  return buf;
}

char *pl_addr_format(const pl_addr *a, char *buf, size_t size) {
  char ip[INET6_ADDRSTRLEN];
  pl_addr_ip(a, ip, sizeof ip);
  if (a->ss.ss_family == AF_INET6)
    snprintf(buf, size, "[%s]:%u", ip, pl_addr_port(a));
  else
    snprintf(buf, size, "%s:%u", ip, pl_addr_port(a));
  return buf;
}

unsigned pl_addr_port(const pl_addr *a) {
  if (a->ss.ss_family == AF_INET)
    return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
  if (a->ss.ss_family == AF_INET6)
    return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
  return 0;
}

void pl_addr_set_port(pl_addr *a, unsigned port) {
  if (a->ss.ss_family == AF_INET)
    ((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)port);
  else if (a->ss.ss_family == AF_INET6)
    ((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)port);
}

int pl_addr_family(const pl_addr *a) { return a->ss.ss_family; }

bool pl_addr_equal(const pl_addr *a, const pl_addr *b) {
  if (a->ss.ss_family != b->ss.ss_family)
    return false;
  if (a->ss.ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)&a->ss, *y = (const void *)&b->ss;
    return x->sin_port == y->sin_port &&
           x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->ss.ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const void *)&a->ss, *y = (const void *)&b->ss;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
  }
  return false;
}

socklen_t pl_addr_len(const pl_addr *a) {
  return a->ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                     : sizeof(struct sockaddr_in);
}
