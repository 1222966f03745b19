#include "net/ice/ifaces.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>

#include "parley.h"

static bool usable(const struct ifaddrs *ifa, const pl_ice_iface_opts *o,
                   int family) {
  if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != family ||
      !(ifa->ifa_flags & IFF_UP))
    return false;
  bool loop = (ifa->ifa_flags & IFF_LOOPBACK) != 0;
  if (family == AF_INET) {
    const struct sockaddr_in *s = (const void *)ifa->ifa_addr;
    const uint8_t *b = (const uint8_t *)&s->sin_addr;
    loop = loop || b[0] == 127;
    if (b[0] == 169 && b[1] == 254)
      return false; /* link-local: not routable to a peer */
  } else {
    const struct sockaddr_in6 *s = (const void *)ifa->ifa_addr;
    if (!o->ipv6 || IN6_IS_ADDR_LINKLOCAL(&s->sin6_addr) ||
        IN6_IS_ADDR_V4MAPPED(&s->sin6_addr))
      return false;
    loop = loop || IN6_IS_ADDR_LOOPBACK(&s->sin6_addr);
  }
  return loop ? o->loopback : true;
}

int pl_ice_list_interfaces(const pl_ice_iface_opts *opts, pl_addr *out,
                           size_t max) {
  pl_ice_iface_opts def = {false, true};
  struct ifaddrs *list;
  if (!opts)
    opts = &def;
  if (!out && max)
    return PL_EINVAL;
  if (getifaddrs(&list) != 0)
    return PL_EIO;
  size_t n = 0;
  const int families[2] = {AF_INET, AF_INET6};
  for (int f = 0; f < 2; f++) {
    for (struct ifaddrs *i = list; i && n < max; i = i->ifa_next) {
      if (!usable(i, opts, families[f]))
        continue;
      memset(&out[n], 0, sizeof out[n]);
      memcpy(&out[n].ss, i->ifa_addr,
             families[f] == AF_INET ? sizeof(struct sockaddr_in)
                                    : sizeof(struct sockaddr_in6));
      pl_addr_set_port(&out[n], 0);
      bool dup = false;
      for (size_t k = 0; k < n; k++)
        dup = dup || pl_addr_equal(&out[k], &out[n]);
      if (!dup)
        n++;
    }
  }
  freeifaddrs(list);
  return (int)n;
}
