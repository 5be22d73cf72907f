/* sync.c: see sync.h.  */
#include "config.h"

#include "sync.h"
#include "utils.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

int
mk_send_with_fd (int sock, const void *data, size_t len, int passfd)
{
  struct iovec iov = { (void *) data, len };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  char cbuf[CMSG_SPACE (sizeof (int))];

  if (passfd >= 0)
    {
      struct cmsghdr *c;
      memset (cbuf, 0, sizeof (cbuf));
      msg.msg_control = cbuf;
      msg.msg_controllen = sizeof (cbuf);
      c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &passfd, sizeof (int));
    }
  for (;;)
    {
      ssize_t r = sendmsg (sock, &msg, MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR)
        continue;
      return r < 0 ? -1 : 0;
    }
}

int
mk_sync_send (int fd, char kind, const void *payload, size_t len, int passfd)
{
  char buf[8192];
  if (len > sizeof (buf) - 1)
    len = sizeof (buf) - 1;
  buf[0] = kind;
  if (len)
    memcpy (buf + 1, payload, len);
  return mk_send_with_fd (fd, buf, 1 + len, passfd);
}

int
mk_sync_error (const char *buf, int n, mk_error **err)
{
  int errnum = 0;
  if (n >= (int) sizeof (int))
    memcpy (&errnum, buf, sizeof (int));
  mk_error_set (err, 0, "%s", n > (int) sizeof (int) ? buf + sizeof (int) : "failed");
  if (*err)
    (*err)->errnum = errnum;
  return -1;
}

int
mk_sync_recv (int fd, char *kind, void *out, size_t cap, int *passfd, mk_error **err)
{
  char buf[8192];
  struct iovec iov = { buf, sizeof (buf) };
  char cbuf[CMSG_SPACE (sizeof (int))];
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                        .msg_controllen = sizeof (cbuf) };
  ssize_t r;
  size_t n;

  if (passfd)
    *passfd = -1;
  do
    r = recvmsg (fd, &msg, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return mk_error_set (err, errno, "read from container init");
  if (r == 0)
    return mk_error_set (err, 0, "container init exited during setup");
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        int f;
        memcpy (&f, CMSG_DATA (c), sizeof (int));
        if (passfd)
          *passfd = f;
        else
          close (f);
      }
  *kind = buf[0];
  n = (size_t) r - 1;
  if (n > cap)
    n = cap;
  if (n)
    memcpy (out, buf + 1, n);
  return (int) n;
}

int
mk_sync_expect (int fd, char kind, int *passfd, mk_error **err)
{
  char buf[8192], got;
  int n = mk_sync_recv (fd, &got, buf, sizeof (buf) - 1, passfd, err);
  if (n < 0)
    return -1;
  if (got == MK_SYNC_ERROR)
    {
      buf[n] = '\0';
      return mk_sync_error (buf, n, err);
    }
  if (got != kind)
    return mk_error_set (err, 0, "container init: unexpected message `%c`", got);
  return n;
}

void
mk_sync_fail (int fd, mk_error *err)
{
  char buf[4096];
  int errnum = err ? err->errnum : 0;
  const char *msg = err && err->msg ? err->msg : "container init failed";
  size_t len = strlen (msg);
  if (len > sizeof (buf) - sizeof (int) - 1)
    len = sizeof (buf) - sizeof (int) - 1;
  memcpy (buf, &errnum, sizeof (int));
  memcpy (buf + sizeof (int), msg, len);
  buf[sizeof (int) + len] = '\0';
  mk_sync_send (fd, MK_SYNC_ERROR, buf, sizeof (int) + len + 1, -1);
  _exit (1);
}
