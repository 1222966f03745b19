/* A transport address (IPv4 or IPv6 plus port), as the sans-IO cores carry
 * it: a value type that fits sockaddr_storage, so the driver can hand it to
 * libuv without conversion. */
#ifndef PL_BASE_ADDR_H
#define PL_BASE_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

typedef struct pl_addr {
  struct sockaddr_storage ss;
} pl_addr;

#define PL_ADDR_STRLEN 64 /* "[ipv6]:port" with room to spare */

/* "1.2.3.4:5", "[::1]:5"; returns 0 or PL_EPARSE. */
int pl_addr_parse(pl_addr *a, const char *text);
/* Address without port plus a separate port ("::1", 5000). */
int pl_addr_from_ip_port(pl_addr *a, const char *ip, unsigned port);
/* Writes "1.2.3.4:5" or "[::1]:5"; returns buf. */
char *pl_addr_format(const pl_addr *a, char *buf, size_t size);
/* Writes just the IP text; returns buf. */
char *pl_addr_ip(const pl_addr *a, char *buf, size_t size);
unsigned pl_addr_port(const pl_addr *a);
void pl_addr_set_port(pl_addr *a, unsigned port);
int pl_addr_family(const pl_addr *a);
bool pl_addr_equal(const pl_addr *a, const pl_addr *b);
socklen_t pl_addr_len(const pl_addr *a);

#endif
