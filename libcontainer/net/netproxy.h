/* net/netproxy.h: the limited network without privilege, the annotation
 * org.mkrun.network.proxy.
 *
 * The allow list of org.mkrun.network.allow (netfilter.h) is a cgroup BPF
 * program, which takes root.  An ordinary user's container gets a network
 * namespace of its own instead, holding only lo, and a proxy outside it
 * that the user runs: each listed endpoint's address is given to the
 * container's lo, a TCP listener and a UDP socket are bound to it there,
 * and the proxy, in the caller's own network namespace, relays each
 * connection (each datagram) to the real endpoint.  Nothing else has a
 * route: a destination that is not listed is unreachable (ENETUNREACH), and
 * the destination of a relayed connection is the one its listener stands
 * for, never one the container names.
 *
 * Value: as org.mkrun.network.allow's ("IPV4:PORT" or "[IPV6]:PORT",
 * comma-separated), without "*" ports (a listener needs a port).  The
 * container must make a network namespace of its own.
 *
 * The proxy is a process of the caller's (forked at create, detached: its
 * parent is whatever reaps orphans), started and listening before create
 * returns; it ends when the container's init does.  Needs no privilege
 * (CAP_NET_ADMIN over the container's network namespace, which its user
 * namespace, the caller's, gives).  */
#ifndef MK_NET_NETPROXY_H
#define MK_NET_NETPROXY_H

struct mk_extension;

#define MK_NETPROXY_ANNOTATION "org.mkrun.network.proxy"

/* The extension (extension.h): parse, prepare (the checks), created (the
   proxy).  */
extern const struct mk_extension mk_ext_netproxy;

#endif
