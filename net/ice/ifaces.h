/* Lists the local interface addresses a driver should open host-candidate
 * sockets on. Lives beside the agent but is the only part of net/ice that
 * asks the operating system anything; the agent itself never does. */
#ifndef PL_NET_ICE_IFACES_H
#define PL_NET_ICE_IFACES_H

#include <stdbool.h>
#include <stddef.h>

#include "base/addr.h"

typedef struct pl_ice_iface_opts {
  bool loopback;   /* include 127.0.0.0/8 and ::1 (tests, same-host calls) */
  bool ipv6;       /* include global/ULA IPv6 (link-local is never listed) */
} pl_ice_iface_opts;

/* Fills up to max addresses (port 0) of interfaces that are up, IPv4 first,
 * and returns how many; a negative PL_E* code on failure. */
int pl_ice_list_interfaces(const pl_ice_iface_opts *opts, pl_addr *out,
                           size_t max);

#endif
