/* net/netproxy.c: the limited network's proxy for unprivileged containers
 * (see netproxy.h).  */
#define _GNU_SOURCE
#include "config.h"

#include "extension.h"
#include "namespaces.h"
#include "net/netfilter.h"
#include "net/netproxy.h"
#include "netdev.h"
#include "spec.h"
#include "sync.h"
#include "utils.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NAME MK_NETPROXY_ANNOTATION
#define MAX_CONNS 256 /* relayed TCP connections at once */
#define MAX_FLOWS 256 /* UDP peers at once */
#define BUF_SIZE 65536
#define FLOW_IDLE_S 60

struct proxy
{
  struct mk_net_endpoint *eps;
  size_t n;
};

/* ---- the annotation ------------------------------------------------------ */

static void
ep_text (const struct mk_net_endpoint *ep, char *buf, size_t cap)
{
  char ip[INET6_ADDRSTRLEN];
  inet_ntop (ep->family, ep->addr, ip, sizeof (ip));
  snprintf (buf, cap, ep->family == AF_INET ? "%s:%u" : "[%s]:%u", ip, ep->port);
}

static int
proxy_parse (const struct mk_spec *spec, void **data, mk_error **err)
{
  const char *v = mk_spec_annotation (spec, NAME);
  struct proxy *p;
  if (v == NULL)
    return 0;
  p = xmalloc0 (sizeof (*p));
  if (mk_netfilter_parse_as (NAME, v, &p->eps, &p->n, err) < 0)
    {
      free (p);
      return -1;
    }
  for (size_t i = 0; i < p->n; i++)
    if (p->eps[i].port == 0)
      {
        free (p->eps);
        free (p);
        return mk_error_set (err, 0, "%s: `*`: the proxy listens on each endpoint's port: give one",
                             NAME);
      }
  *data = p;
  return 0;
}

static void
proxy_free (void *data)
{
  struct proxy *p = data;
  free (p->eps);
  free (p);
}

static int
proxy_prepare (const struct mk_ext_ctx *x, void *data, mk_error **err)
{
  const struct mk_namespace *ns = mk_spec_namespace (x->spec, CLONE_NEWNET);
  (void)data;
  if (ns == NULL || ns->path)
    return mk_error_set (err, 0,
                         "%s: needs a network namespace of the container's own "
                         "(linux.namespaces: network, without a path)",
                         NAME);
  return 0;
}

/* ---- the listeners, made in the container's network namespace ------------ */

static bool
is_loopback (const struct mk_net_endpoint *ep)
{
  static const unsigned char lo6[16] = { [15] = 1 };
  return ep->family == AF_INET ? ep->addr[0] == 127 : memcmp (ep->addr, lo6, 16) == 0;
}

static socklen_t
ep_sockaddr (const struct mk_net_endpoint *ep, struct sockaddr_storage *ss)
{
  memset (ss, 0, sizeof (*ss));
  if (ep->family == AF_INET)
    {
      struct sockaddr_in *a = (struct sockaddr_in *)ss;
      a->sin_family = AF_INET;
      a->sin_port = htons (ep->port);
      memcpy (&a->sin_addr, ep->addr, 4);
      return sizeof (*a);
    }
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  a6->sin6_family = AF_INET6;
  a6->sin6_port = htons (ep->port);
  memcpy (&a6->sin6_addr, ep->addr, 16);
  return sizeof (*a6);
}

/* A socket of TYPE bound to EP (a TCP one listening).  */
static int
bound_socket (const struct mk_net_endpoint *ep, int type, mk_error **err)
{
  struct sockaddr_storage ss;
  socklen_t len = ep_sockaddr (ep, &ss);
  int one = 1;
  char text[80];
  int fd = socket (ep->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

  ep_text (ep, text, sizeof (text));
  if (fd < 0)
    return mk_error_set (err, errno, "%s: %s: socket", NAME, text);
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
  if (ep->family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof (one));
  if (bind (fd, (struct sockaddr *)&ss, len) < 0
      || (type == SOCK_STREAM && listen (fd, SOMAXCONN) < 0))
    {
      mk_error_set (err, errno, "%s: %s: listen in the container's network namespace", NAME, text);
      close (fd);
      return -1;
    }
  return fd;
}

/* In a child: joins INIT's user namespace (where it is not ours: its
   owner, us, has the capabilities there) and network namespace, gives lo
   the endpoints' addresses and sends a TCP listener and a UDP socket per
   endpoint through SOCK ('T'/'U', payload: the index), then 'D'.  */
static void __attribute__ ((noreturn)) listeners_child (pid_t init, const struct proxy *p, int sock)
{
  mk_error *err = NULL;
  char path[64];
  struct stat own, theirs;
  int userfd, netfd;

  snprintf (path, sizeof (path), "/proc/%d/ns/user", (int)init);
  userfd = open (path, O_RDONLY | O_CLOEXEC);
  snprintf (path, sizeof (path), "/proc/%d/ns/net", (int)init);
  netfd = open (path, O_RDONLY | O_CLOEXEC);
  if (userfd < 0 || netfd < 0)
    {
      mk_error_set (&err, errno, "%s: the container's namespaces", NAME);
      goto fail;
    }
  if (stat ("/proc/self/ns/user", &own) == 0 && fstat (userfd, &theirs) == 0
      && own.st_ino != theirs.st_ino && setns (userfd, CLONE_NEWUSER) < 0)
    {
      mk_error_set (&err, errno, "%s: join the container's user namespace", NAME);
      goto fail;
    }
  if (setns (netfd, CLONE_NEWNET) < 0)
    {
      mk_error_set (&err, errno, "%s: join the container's network namespace", NAME);
      goto fail;
    }
  if (mk_ns_loopback_up (&err) < 0)
    goto fail;
  for (size_t i = 0; i < p->n; i++)
    if (!is_loopback (&p->eps[i])
        && mk_netdev_add_host_addr ("lo", p->eps[i].family, p->eps[i].addr, &err) < 0)
      {
        mk_error_prefix (&err, "%s", NAME);
        goto fail;
      }
  for (size_t i = 0; i < p->n; i++)
    {
      /* Two endpoints may share an address and port: one listener.  */
      bool dup = false;
      for (size_t j = 0; j < i; j++)
        dup |= p->eps[j].family == p->eps[i].family && p->eps[j].port == p->eps[i].port
               && memcmp (p->eps[j].addr, p->eps[i].addr, 16) == 0;
      if (dup)
        continue;
      for (int k = 0; k < 2; k++)
        {
          uint32_t idx = (uint32_t)i;
          int fd = bound_socket (&p->eps[i], k == 0 ? SOCK_STREAM : SOCK_DGRAM, &err);
          if (fd < 0)
            goto fail;
          if (mk_sync_send (sock, k == 0 ? 'T' : 'U', &idx, sizeof (idx), fd) < 0)
            _exit (1);
          close (fd);
        }
    }
  mk_sync_send (sock, 'D', NULL, 0, -1);
  _exit (0);
fail:
  mk_sync_send (sock, MK_SYNC_ERROR, err->msg, strlen (err->msg) + 1, -1);
  _exit (1);
}

/* ---- the relay ----------------------------------------------------------- */

struct listener
{
  int fd;
  bool udp;
  const struct mk_net_endpoint *ep;
};

struct buf
{
  char data[BUF_SIZE];
  size_t len;
  bool eof; /* the sender shut down: pass it on once drained */
};

struct conn
{
  int in, out; /* the container's side, the endpoint's */
  bool connecting;
  struct buf to_out, to_in;
};

struct flow
{
  int lfd, ufd; /* the listener's UDP socket, ours to the endpoint */
  struct sockaddr_storage peer;
  socklen_t peer_len;
  time_t last;
};

struct relay
{
  struct listener *ls;
  size_t n_ls;
  struct conn *conns[MAX_CONNS];
  struct flow flows[MAX_FLOWS];
  size_t n_flows;
};

static void
conn_close (struct relay *r, size_t i)
{
  struct conn *c = r->conns[i];
  close (c->in);
  close (c->out);
  free (c);
  r->conns[i] = NULL;
}

/* Closes connection I with a reset of the container's side.  */
static void
conn_reset (struct relay *r, size_t i)
{
  struct linger lg = { 1, 0 };
  setsockopt (r->conns[i]->in, SOL_SOCKET, SO_LINGER, &lg, sizeof (lg));
  conn_close (r, i);
}

static void
accept_one (struct relay *r, const struct listener *l)
{
  struct sockaddr_storage ss;
  socklen_t len = ep_sockaddr (l->ep, &ss);
  size_t slot = MAX_CONNS;
  int in = accept4 (l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), out;
  struct conn *c;

  if (in < 0)
    return;
  for (size_t i = 0; i < MAX_CONNS && slot == MAX_CONNS; i++)
    if (r->conns[i] == NULL)
      slot = i;
  out = slot == MAX_CONNS ? -1
                          : socket (l->ep->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (out < 0 || (connect (out, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS))
    {
      if (out >= 0)
        close (out);
      close (in);
      return;
    }
  c = xmalloc0 (sizeof (*c));
  c->in = in;
  c->out = out;
  c->connecting = true;
  r->conns[slot] = c;
}

/* Moves what FROM has into B, and B into TO; false when the connection is
   done with (an error, or both directions ended).  */
static bool
pump (int from, struct buf *b, int to, short rev_from, short rev_to)
{
  if ((rev_from & (POLLIN | POLLHUP | POLLERR)) && !b->eof && b->len < sizeof (b->data))
    {
      ssize_t n = recv (from, b->data + b->len, sizeof (b->data) - b->len, 0);
      if (n > 0)
        b->len += (size_t)n;
      else if (n == 0)
        b->eof = true;
      else if (errno != EAGAIN && errno != EINTR)
        return false;
    }
  if ((rev_to & POLLOUT) && b->len)
    {
      ssize_t n = send (to, b->data, b->len, MSG_NOSIGNAL);
      if (n > 0)
        {
          memmove (b->data, b->data + n, b->len - (size_t)n);
          b->len -= (size_t)n;
        }
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        return false;
    }
  if (b->eof && b->len == 0)
    shutdown (to, SHUT_WR);
  return true;
}

static void
flow_packet (struct relay *r, const struct listener *l)
{
  char data[BUF_SIZE];
  struct sockaddr_storage peer, ss;
  socklen_t plen = sizeof (peer), len = ep_sockaddr (l->ep, &ss);
  ssize_t n = recvfrom (l->fd, data, sizeof (data), 0, (struct sockaddr *)&peer, &plen);
  struct flow *f = NULL;
  time_t now = time (NULL);

  if (n < 0)
    return;
  for (size_t i = 0; i < r->n_flows && f == NULL; i++)
    if (r->flows[i].lfd == l->fd && r->flows[i].peer_len == plen
        && memcmp (&r->flows[i].peer, &peer, plen) == 0)
      f = &r->flows[i];
  if (f == NULL)
    {
      int u;
      if (r->n_flows == MAX_FLOWS)
        return;
      u = socket (l->ep->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (u < 0)
        return;
      if (connect (u, (struct sockaddr *)&ss, len) < 0)
        {
          close (u);
          return;
        }
      f = &r->flows[r->n_flows++];
      f->lfd = l->fd;
      f->ufd = u;
      f->peer = peer;
      f->peer_len = plen;
    }
  f->last = now;
  send (f->ufd, data, (size_t)n, MSG_NOSIGNAL);
}

static void
flow_reply (struct flow *f)
{
  char data[BUF_SIZE];
  ssize_t n = recv (f->ufd, data, sizeof (data), 0);
  if (n < 0)
    return;
  f->last = time (NULL);
  sendto (f->lfd, data, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&f->peer, f->peer_len);
}

static void
flows_expire (struct relay *r)
{
  time_t now = time (NULL);
  for (size_t i = 0; i < r->n_flows;)
    if (now - r->flows[i].last > FLOW_IDLE_S)
      {
        close (r->flows[i].ufd);
        r->flows[i] = r->flows[--r->n_flows];
      }
    else
      i++;
}

/* Relays until PIDFD says the container's init is gone.  */
static void __attribute__ ((noreturn)) relay_run (struct relay *r, int pidfd)
{
  size_t cap = 1 + r->n_ls + MAX_FLOWS + 2 * MAX_CONNS;
  struct pollfd *pf = xmalloc0 (cap * sizeof (*pf));
  /* What each pollfd stands for: 0 pidfd, 1 listener, 2 flow, 3 conn in, 4 conn out.  */
  struct
  {
    int kind;
    size_t i;
  } *what = xmalloc0 (cap * sizeof (*what));

  for (;;)
    {
      size_t n = 0;
      pf[n] = (struct pollfd){ pidfd, POLLIN, 0 };
      what[n++].kind = 0;
      for (size_t i = 0; i < r->n_ls; i++)
        {
          pf[n] = (struct pollfd){ r->ls[i].fd, POLLIN, 0 };
          what[n].kind = 1;
          what[n++].i = i;
        }
      for (size_t i = 0; i < r->n_flows; i++)
        {
          pf[n] = (struct pollfd){ r->flows[i].ufd, POLLIN, 0 };
          what[n].kind = 2;
          what[n++].i = i;
        }
      for (size_t i = 0; i < MAX_CONNS; i++)
        {
          struct conn *c = r->conns[i];
          if (c == NULL)
            continue;
          pf[n] = (struct pollfd){ c->in, 0, 0 };
          if (!c->connecting && !c->to_out.eof && c->to_out.len < BUF_SIZE)
            pf[n].events |= POLLIN;
          if (c->to_in.len)
            pf[n].events |= POLLOUT;
          what[n].kind = 3;
          what[n++].i = i;
          pf[n] = (struct pollfd){ c->out, 0, 0 };
          if (c->connecting || c->to_out.len)
            pf[n].events |= POLLOUT;
          if (!c->connecting && !c->to_in.eof && c->to_in.len < BUF_SIZE)
            pf[n].events |= POLLIN;
          what[n].kind = 4;
          what[n++].i = i;
        }
      if (poll (pf, n, 10000) < 0)
        {
          if (errno == EINTR)
            continue;
          _exit (1);
        }
      if (pf[0].revents)
        _exit (0);
      /* Connections first (their pollfds pair up: in, then out).  */
      for (size_t k = 1; k < n; k++)
        {
          struct conn *c;
          short rin, rout;
          if (what[k].kind != 3)
            continue;
          c = r->conns[what[k].i];
          rin = pf[k].revents;
          rout = pf[k + 1].revents;
          /* An error on either side, or the container's side gone while
             the endpoint still answers: a reset (and no poll that spins on
             a hang-up nobody reads).  */
          if (((rin | rout) & POLLERR) || (c->connecting && (rin & POLLHUP)))
            {
              conn_reset (r, what[k].i);
              continue;
            }
          if (c->connecting && rout)
            {
              int e = 0;
              socklen_t l = sizeof (e);
              if (getsockopt (c->out, SOL_SOCKET, SO_ERROR, &e, &l) < 0 || e != 0)
                conn_reset (r, what[k].i); /* the endpoint refused: so does the listener */
              else
                c->connecting = false;
              continue;
            }
          if (c->connecting)
            continue;
          if (!pump (c->in, &c->to_out, c->out, rin, rout)
              || !pump (c->out, &c->to_in, c->in, rout, rin)
              || (c->to_out.eof && c->to_in.eof && c->to_out.len == 0 && c->to_in.len == 0)
              || ((rin & POLLHUP) && c->to_out.eof) || ((rout & POLLHUP) && c->to_in.eof))
            conn_close (r, what[k].i);
        }
      for (size_t k = 1; k < n; k++)
        if (what[k].kind == 2 && pf[k].revents)
          flow_reply (&r->flows[what[k].i]);
      for (size_t k = 1; k < n; k++)
        if (what[k].kind == 1 && (pf[k].revents & POLLIN))
          {
            const struct listener *l = &r->ls[what[k].i];
            if (l->udp)
              flow_packet (r, l);
            else
              accept_one (r, l);
          }
      flows_expire (r);
    }
}

/* The proxy process: reports on READY ('R', or 'E' and the error) once it
   listens, then relays.  Holds nothing of the runtime's.  */
static void __attribute__ ((noreturn)) proxy_main (pid_t init, const struct proxy *p, int ready)
{
  struct relay r = { 0 };
  mk_error *err = NULL;
  int sv[2], pidfd, null;
  pid_t helper;

  signal (SIGPIPE, SIG_IGN);
  {
    sigset_t none;
    sigemptyset (&none);
    sigprocmask (SIG_SETMASK, &none, NULL);
  }
  /* No stdio of the caller's (a supervisor waits for its pipes' end), no
     fd of the runtime's.  */
  null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0)
    for (int fd = 0; fd < 3; fd++)
      dup2 (null, fd);
  mk_close_fds_from (3, &ready, 1);
  pidfd = (int)syscall (SYS_pidfd_open, init, 0);
  if (pidfd < 0)
    {
      mk_error_set (&err, errno, "%s: pidfd of the container's init", NAME);
      goto fail;
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      mk_error_set (&err, errno, "%s: socketpair", NAME);
      goto fail;
    }
  helper = fork ();
  if (helper == 0)
    {
      close (sv[0]);
      listeners_child (init, p, sv[1]);
    }
  close (sv[1]);
  r.ls = xmalloc0 (2 * p->n * sizeof (*r.ls) + 1);
  for (;;)
    {
      char kind;
      uint32_t idx = 0;
      int fd = -1;
      char msg[1024];
      int len = mk_sync_recv (sv[0], &kind, msg, sizeof (msg) - 1, &fd, &err);
      if (len < 0)
        goto fail;
      if (kind == MK_SYNC_ERROR)
        {
          msg[len] = '\0';
          mk_error_set (&err, 0, "%s", msg);
          goto fail;
        }
      if (kind == 'D')
        break;
      if ((kind != 'T' && kind != 'U') || fd < 0 || len != sizeof (idx)
          || (memcpy (&idx, msg, sizeof (idx)), idx >= p->n))
        {
          mk_error_set (&err, 0, "%s: the listeners' helper sent garbage", NAME);
          goto fail;
        }
      r.ls[r.n_ls].fd = fd;
      r.ls[r.n_ls].udp = kind == 'U';
      r.ls[r.n_ls++].ep = &p->eps[idx];
    }
  close (sv[0]);
  while (waitpid (helper, NULL, 0) < 0 && errno == EINTR)
    ;
  if (write (ready, "R", 1) != 1)
    _exit (1);
  close (ready);
  relay_run (&r, pidfd);
fail:
  {
    _cleanup_free_ char *m = xasprintf ("E%s", err->msg);
    if (write (ready, m, strlen (m)) < 0)
      _exit (1);
  }
  _exit (1);
}

static int
proxy_created (const struct mk_ext_ctx *x, void *data, mk_error **err)
{
  const struct proxy *p = data;
  int ready[2];
  char msg[1024];
  ssize_t n;
  pid_t pid;

  if (p == NULL)
    return 0;
  if (pipe2 (ready, O_CLOEXEC) < 0)
    return mk_error_set (err, errno, "%s: pipe", NAME);
  pid = fork ();
  if (pid < 0)
    {
      close (ready[0]);
      close (ready[1]);
      return mk_error_set (err, errno, "%s: fork the proxy", NAME);
    }
  if (pid == 0)
    {
      /* The proxy is the grandchild: no one of ours has to reap it.  */
      pid_t g;
      close (ready[0]);
      g = fork ();
      if (g != 0)
        _exit (g < 0);
      setsid ();
      proxy_main (x->pid, p, ready[1]);
    }
  close (ready[1]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  do
    n = read (ready[0], msg, sizeof (msg) - 1);
  while (n < 0 && errno == EINTR);
  close (ready[0]);
  if (n <= 0)
    return mk_error_set (err, 0, "%s: the proxy did not start", NAME);
  msg[n] = '\0';
  if (msg[0] != 'R')
    return mk_error_set (err, 0, "%s", msg + 1);
  return 0;
}

static void
proxy_features (yajl_gen g)
{
  mk_json_gen_kv (g, NAME ".enabled", "true");
}

const struct mk_extension mk_ext_netproxy = {
  .name = "network.proxy",
  .parse = proxy_parse,
  .free = proxy_free,
  .prepare = proxy_prepare,
  .created = proxy_created,
  .features = proxy_features,
};
