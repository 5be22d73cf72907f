/* netdev.c: see netdev.h.  rtnetlink through libmnl, the field's
 * small netlink library (iproute2's and nftables's).  */
#include "config.h"

#include "netdev.h"
#include "utils.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WHERE "linux.netDevices"
#define MAX_ADDRS 64

struct nl
{
  struct mnl_socket *s;
  unsigned seq, portid;
};

/* One global address of a device, as rtnetlink gave it.  */
struct addr
{
  unsigned char family, prefixlen, flags, scope;
  unsigned char local[16], address[16], broadcast[4];
  unsigned local_len, address_len, broadcast_len;
};

struct addrs
{
  int index;
  struct addr v[MAX_ADDRS];
  size_t n;
};

bool
mk_netdev_name_ok (const char *name)
{
  size_t len = strlen (name);
  if (len == 0 || len >= IFNAMSIZ || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return false;
  for (const char *p = name; *p; p++)
    if (*p == '/' || *p == ':' || *p == ' ' || (*p >= '\t' && *p <= '\r'))
      return false;
  return true;
}

static int
nl_open (struct nl *nl)
{
  nl->s = mnl_socket_open2 (NETLINK_ROUTE, SOCK_CLOEXEC);
  if (nl->s == NULL)
    return -1;
  if (mnl_socket_bind (nl->s, 0, MNL_SOCKET_AUTOPID) < 0)
    {
      int e = errno;
      mnl_socket_close (nl->s);
      nl->s = NULL;
      errno = e;
      return -1;
    }
  nl->portid = mnl_socket_get_portid (nl->s);
  nl->seq = (unsigned)time (NULL);
  return 0;
}

static void
nl_close (struct nl *nl)
{
  if (nl->s)
    mnl_socket_close (nl->s);
  nl->s = NULL;
}

/* Sends NLH and reads the answers up to the ack or the dump's end; CB (or
   none) sees each answer.  -1 with errno (the kernel's, from its error
   message) on failure.  */
static int
nl_talk (struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
  char buf[32768];
  nlh->nlmsg_seq = ++nl->seq;
  if ((nlh->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP) /* (NLM_F_EXCL is NLM_F_MATCH) */
    nlh->nlmsg_flags |= NLM_F_ACK;
  if (mnl_socket_sendto (nl->s, nlh, nlh->nlmsg_len) < 0)
    return -1;
  for (;;)
    {
      ssize_t n = mnl_socket_recvfrom (nl->s, buf, sizeof (buf));
      int r;
      if (n < 0)
        return -1;
      r = mnl_cb_run (buf, (size_t)n, nlh->nlmsg_seq, nl->portid, cb, data);
      if (r < 0)
        return -1;
      if (r == MNL_CB_STOP)
        return 0;
    }
}

static struct nlmsghdr *
link_msg (char *buf, int type, unsigned flags, int index)
{
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (buf);
  struct ifinfomsg *ifi;
  nlh->nlmsg_type = (unsigned short)type;
  nlh->nlmsg_flags = (unsigned short)(NLM_F_REQUEST | flags);
  ifi = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  return nlh;
}

static int
got_index (const struct nlmsghdr *nlh, void *data)
{
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload (nlh);
  if (nlh->nlmsg_type == RTM_NEWLINK)
    *(int *)data = ifi->ifi_index;
  return MNL_CB_OK;
}

/* The index of the device NAME in NL's namespace; 0 with errno ENODEV
   when there is none.  */
static int
link_index (struct nl *nl, const char *name)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = link_msg (buf, RTM_GETLINK, 0, 0);
  int index = 0;
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  if (nl_talk (nl, nlh, got_index, &index) < 0)
    return 0;
  if (index == 0)
    errno = ENODEV;
  return index;
}

static void
copy_attr (const struct nlattr *a, unsigned char *to, size_t cap, unsigned *len)
{
  size_t n = mnl_attr_get_payload_len (a);
  if (n > cap)
    return;
  memcpy (to, mnl_attr_get_payload (a), n);
  *len = (unsigned)n;
}

static int
got_addr (const struct nlmsghdr *nlh, void *data)
{
  struct addrs *as = data;
  const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload (nlh);
  const struct nlattr *a;
  struct addr *d;

  /* Global ones only: link-local and host ones belong to the link where
     it is, and the kernel makes them again.  */
  if (nlh->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != as->index
      || ifa->ifa_scope != RT_SCOPE_UNIVERSE || as->n == MAX_ADDRS)
    return MNL_CB_OK;
  d = &as->v[as->n++];
  memset (d, 0, sizeof (*d));
  d->family = ifa->ifa_family;
  d->prefixlen = ifa->ifa_prefixlen;
  d->flags = ifa->ifa_flags;
  d->scope = ifa->ifa_scope;
  mnl_attr_for_each (a, nlh, sizeof (*ifa))
  {
    switch (mnl_attr_get_type (a))
      {
      case IFA_LOCAL:
        copy_attr (a, d->local, sizeof (d->local), &d->local_len);
        break;
      case IFA_ADDRESS:
        copy_attr (a, d->address, sizeof (d->address), &d->address_len);
        break;
      case IFA_BROADCAST:
        copy_attr (a, d->broadcast, sizeof (d->broadcast), &d->broadcast_len);
        break;
      default:
        break;
      }
  }
  return MNL_CB_OK;
}

static int
read_addrs (struct nl *nl, struct addrs *as)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (buf);
  struct ifaddrmsg *ifa;
  nlh->nlmsg_type = RTM_GETADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  ifa = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifa));
  ifa->ifa_family = AF_UNSPEC;
  return nl_talk (nl, nlh, got_addr, as);
}

static int
add_addr (struct nl *nl, int index, const struct addr *d)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (buf);
  struct ifaddrmsg *ifa;
  nlh->nlmsg_type = RTM_NEWADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
  ifa = mnl_nlmsg_put_extra_header (nlh, sizeof (*ifa));
  ifa->ifa_family = d->family;
  ifa->ifa_prefixlen = d->prefixlen;
  ifa->ifa_flags = d->flags;
  ifa->ifa_scope = d->scope;
  ifa->ifa_index = (unsigned)index;
  if (d->local_len)
    mnl_attr_put (nlh, IFA_LOCAL, d->local_len, d->local);
  if (d->address_len)
    mnl_attr_put (nlh, IFA_ADDRESS, d->address_len, d->address);
  if (d->broadcast_len)
    mnl_attr_put (nlh, IFA_BROADCAST, d->broadcast_len, d->broadcast);
  if (nl_talk (nl, nlh, NULL, NULL) < 0 && errno != EEXIST)
    return -1;
  return 0;
}

/* A netlink socket in the network namespace of PID: made there (a socket
   stays in the namespace it was made in), then back to ours.  */
static int
nl_open_in (struct nl *nl, pid_t pid, mk_error **err)
{
  _cleanup_close_ int self = mk_pidfd_open (getpid ());
  _cleanup_close_ int target = mk_pidfd_open (pid);
  int made = -1, e = 0;

  if (self < 0 || target < 0)
    return mk_error_set (err, errno, WHERE ": open the init's pidfd");
  if (setns (target, CLONE_NEWNET) < 0)
    return mk_error_set (err, errno, WHERE ": enter the container's network namespace");
  made = nl_open (nl);
  e = errno;
  if (setns (self, CLONE_NEWNET) < 0)
    {
      /* Nothing else this process does may happen in the container's
         namespace.  */
      nl_close (nl);
      fprintf (stderr, "mkrun: %s: return to the runtime's network namespace: %s\n", WHERE,
               strerror (errno));
      _exit (1);
    }
  if (made < 0)
    return mk_error_set (err, e, WHERE ": a netlink socket in the container's namespace");
  return 0;
}

/* In the container's namespace (NL): D, found by its host name, gets its
   new name, its addresses (AS) and the link up.  */
static int
settle (struct nl *nl, const struct mk_netdev *d, const struct addrs *as, mk_error **err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh;
  int index = link_index (nl, d->host_name);

  if (index == 0)
    return mk_error_set (err, errno, WHERE ": `%s`: not found after the move", d->host_name);
  if (strcmp (d->name, d->host_name) != 0)
    {
      nlh = link_msg (buf, RTM_NEWLINK, 0, index);
      mnl_attr_put_strz (nlh, IFLA_IFNAME, d->name);
      if (nl_talk (nl, nlh, NULL, NULL) < 0)
        return mk_error_set (err, errno, WHERE ": `%s`: rename to `%s` in the container",
                             d->host_name, d->name);
    }
  for (size_t i = 0; i < as->n; i++)
    if (add_addr (nl, index, &as->v[i]) < 0)
      return mk_error_set (err, errno, WHERE ": `%s`: give back its address in the container",
                           d->host_name);
  nlh = link_msg (buf, RTM_NEWLINK, 0, index);
  {
    struct ifinfomsg *ifi = mnl_nlmsg_get_payload (nlh);
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
  }
  if (nl_talk (nl, nlh, NULL, NULL) < 0)
    return mk_error_set (err, errno, WHERE ": `%s`: set it up in the container", d->name);
  return 0;
}

int
mk_netdev_move (const struct mk_netdev *devs, size_t n, pid_t pid, mk_error **err)
{
  struct nl host = { 0 }, ctr = { 0 };
  struct addrs *as = NULL;
  int ret = -1;

  if (n == 0)
    return 0;
  as = xmalloc0 (sizeof (*as));
  if (nl_open (&host) < 0)
    {
      mk_error_set (err, errno, WHERE ": a netlink socket");
      goto out;
    }
  if (nl_open_in (&ctr, pid, err) < 0)
    goto out;
  for (size_t i = 0; i < n; i++)
    {
      const struct mk_netdev *d = &devs[i];
      char buf[MNL_SOCKET_BUFFER_SIZE];
      struct nlmsghdr *nlh;

      memset (as, 0, sizeof (*as));
      as->index = link_index (&host, d->host_name);
      if (as->index == 0)
        {
          mk_error_set (err, errno == ENODEV ? 0 : errno, WHERE ": `%s`: no such network device",
                        d->host_name);
          goto out;
        }
      if (read_addrs (&host, as) < 0)
        {
          mk_error_set (err, errno, WHERE ": `%s`: read its addresses", d->host_name);
          goto out;
        }
      nlh = link_msg (buf, RTM_NEWLINK, 0, as->index);
      mnl_attr_put_u32 (nlh, IFLA_NET_NS_PID, (uint32_t)pid);
      if (nl_talk (&host, nlh, NULL, NULL) < 0)
        {
          mk_error_set (err, errno, WHERE ": `%s`: move it into the container's namespace",
                        d->host_name);
          goto out;
        }
      if (settle (&ctr, d, as, err) < 0)
        goto out;
    }
  ret = 0;
out:
  nl_close (&host);
  nl_close (&ctr);
  free (as);
  return ret;
}

int
mk_netdev_add_host_addr (const char *ifname, int family, const void *addr, mk_error **err)
{
  struct nl nl;
  struct addr d = { .family = (unsigned char)family,
                    .prefixlen = family == AF_INET ? 32 : 128,
                    .scope = RT_SCOPE_HOST };
  char text[INET6_ADDRSTRLEN] = "?";
  int index, r = 0;

  d.local_len = d.address_len = family == AF_INET ? 4 : 16;
  memcpy (d.local, addr, d.local_len);
  memcpy (d.address, addr, d.address_len);
  inet_ntop (family, addr, text, sizeof (text));
  if (nl_open (&nl) < 0)
    return mk_error_set (err, errno, "rtnetlink");
  index = link_index (&nl, ifname);
  if (index == 0 || (add_addr (&nl, index, &d) < 0 && errno != EEXIST))
    r = mk_error_set (err, errno, "add %s to %s", text, ifname);
  nl_close (&nl);
  return r;
}
