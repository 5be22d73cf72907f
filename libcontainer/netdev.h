/* netdev.h: linux.netDevices (runtime-spec 1.3): host network devices
 * moved into the container's network namespace, renamed there if the
 * config says so, with their global addresses kept and the link up.
 *
 * Nothing moves them back: when the container's network namespace goes, the
 * kernel returns physical devices to the host and destroys virtual ones
 * (runtime-spec: the runtime MAY move them back).  Moving back "the device
 * named X" at delete would take whatever the container named X, a veth of
 * its own making included, into the host's namespace.  */
#ifndef MK_NETDEV_H
#define MK_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

struct mk_netdev
{
  char *host_name; /* its name in the runtime's namespace (the key) */
  char *name;      /* its name in the container's */
};

/* Whether NAME can name a network device (1 to 15 bytes, none of them
   '/', ':' or white space, not "." or "..").  */
bool mk_netdev_name_ok (const char *name);

/* Moves each of DEVS (N) into the network namespace of PID, the container's
   init: its global addresses are read first and given again there (a move
   drops them), then it is renamed and set up.  */
int mk_netdev_move (const struct mk_netdev *devs, size_t n, pid_t pid, mk_error **err);

/* Gives IFNAME (in the caller's network namespace) the host address ADDR
   of FAMILY (4 or 16 bytes, network order) as a /32 or /128 of host
   scope; one it has already is fine.  */
int mk_netdev_add_host_addr (const char *ifname, int family, const void *addr, mk_error **err);

#endif
