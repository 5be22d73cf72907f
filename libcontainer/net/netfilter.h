/* net/netfilter.h: the "limited network" allow-list, the annotation
 * org.mkrun.network.allow.
 *
 * A container given this annotation may open outgoing IPv4/IPv6 connections
 * (connect(2)) and send unconnected datagrams (sendto/sendmsg) only to the
 * listed endpoints; every other destination fails with EPERM.  AF_UNIX is
 * not affected.  It is meant for programs in the host's network namespace
 * (the app front end's `network.access: limited`) but works in any.
 *
 * Value: comma-separated endpoints "IPV4:PORT" or "[IPV6]:PORT"; PORT is
 * 1-65535 or "*" for any port.  Names are not resolved (the caller resolves
 * them).  "[::ffff:a.b.c.d]" is the IPv4 address a.b.c.d.  An empty value
 * allows no destination at all.  Example:
 *   "192.0.2.10:443,[2001:db8::1]:*,127.0.0.1:5432"
 *
 * Enforcement: four BPF_PROG_TYPE_CGROUP_SOCK_ADDR programs (connect4,
 * connect6, sendmsg4, sendmsg6) sharing one hash map of the endpoints,
 * attached with BPF_F_ALLOW_MULTI to the container's cgroup v2 directory, so
 * that they cover every process and sub-cgroup of the container and cannot
 * be replaced from below.  Loopback is filtered like any other address; an
 * AF_INET6 socket's IPv4-mapped destinations are checked against the IPv4
 * entries.  Not covered: sockets without these hooks (raw and packet
 * sockets: keep CAP_NET_RAW away from such containers), sockets passed in
 * from outside, and incoming connections.  */
#ifndef MK_NET_NETFILTER_H
#define MK_NET_NETFILTER_H

#include <stddef.h>

#include "error.h"

struct mk_extension;

#define MK_NETFILTER_ANNOTATION "org.mkrun.network.allow"

struct mk_net_endpoint
{
  int family;             /* AF_INET or AF_INET6 */
  unsigned char addr[16]; /* network order; IPv4 in the first 4 bytes, the rest 0 */
  unsigned short port;    /* host order, 0 = any port */
};

/* Parses the annotation's VALUE into *EPS (malloc'ed, never NULL on
   success, even for an empty list) and *N.  Errors start with the
   annotation's name and quote the bad item:
   "org.mkrun.network.allow: `10.0.0.1`: expected IPV4:PORT or [IPV6]:PORT".  */
int mk_netfilter_parse (const char *value, struct mk_net_endpoint **eps, size_t *n, mk_error **err);
/* The same for another annotation NAME of that format (its errors name
   it).  */
int mk_netfilter_parse_as (const char *name, const char *value, struct mk_net_endpoint **eps,
                           size_t *n, mk_error **err);

/* Loads the programs allowing only EPS and attaches them to the cgroup v2
   directory CGROUP_FD (-1: there is none, which is an error).  No fd is
   kept and nothing is pinned: the attachment, and with it the programs and
   the map, live exactly as long as the cgroup.  On failure the programs
   attached so far stay until the cgroup is removed (create's rollback).  */
int mk_netfilter_attach (int cgroup_fd, const struct mk_net_endpoint *eps, size_t n,
                         mk_error **err);

/* The reason in a BPF verifier LOG (cut up in place): its last line that is
   not a summary; NULL if none.  Also unixguard.c's.  */
const char *mk_bpf_verifier_reason (char *log);

/* The extension (extension.h): the annotation, attached to the cgroup.  */
extern const struct mk_extension mk_ext_netallow;

#endif
