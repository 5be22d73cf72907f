/* app/logs.c: reading an app's log (see logs.h).  */
#include "config.h"

#include "app/hostfs.h"
#include "app/logs.h"
#include "app/supervise.h"
#include "utils.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

/* FD's file from offset 0 as it is now.  */
static char *
read_whole (int fd, size_t *len)
{
  size_t cap = 8192, n = 0;
  char *buf = xmalloc0 (cap);
  for (;;)
    {
      ssize_t r;
      if (n == cap)
        buf = xrealloc (buf, cap *= 2);
      r = pread (fd, buf + n, cap - n, (off_t)n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      n += (size_t)r;
    }
  *len = n;
  return buf;
}

/* Passes the last TAIL lines of FD's file (all when TAIL < 0) to SINK;
   returns the offset reached.  */
static off_t
send_tail (int fd, long long tail, mk_app_log_sink sink, void *arg)
{
  size_t len = 0;
  _cleanup_free_ char *text = read_whole (fd, &len);
  const char *start = text;
  if (tail >= 0)
    {
      long long n = 0;
      for (const char *p = text + len; p > text; p--)
        if (p[-1] == '\n' && p != text + len && ++n == tail)
          {
            start = p;
            break;
          }
      if (tail == 0)
        start = text + len;
    }
  sink (start, len - (size_t)(start - text), arg);
  return (off_t)len;
}

/* Passes what is appended to FD's file from OFF to SINK until R's
   supervisor is gone.  */
static void
follow_log (int fd, off_t off, const struct mk_app_record *r, mk_app_log_sink sink, void *arg)
{
  for (;;)
    {
      char buf[8192];
      ssize_t n = pread (fd, buf, sizeof (buf), off);
      if (n > 0)
        {
          sink (buf, (size_t)n, arg);
          off += n;
          continue;
        }
      if (!mk_app_record_alive (r))
        return;
      {
        struct timespec ts = { 0, 100000000 };
        nanosleep (&ts, NULL);
      }
    }
}

int
mk_app_logs (const char *root, const char *name, long long tail, bool follow, mk_app_log_sink sink,
             void *arg, mk_error **err)
{
  struct mk_app_record *r = NULL;
  _cleanup_close_ int fd = -1;
  off_t off;
  if (mk_app_record_read (root, name, &r, err) < 0)
    return -1;
  if (r->log == NULL)
    {
      mk_app_record_free (r);
      return mk_error_set (err, 0,
                           "app `%s` has no log (it runs in the foreground without "
                           "logging.file)",
                           name);
    }
  fd = mk_app_open_log_read (r->log, err);
  if (fd < 0)
    {
      mk_app_record_free (r);
      return -1;
    }
  off = send_tail (fd, tail, sink, arg);
  if (follow)
    follow_log (fd, off, r, sink, arg);
  mk_app_record_free (r);
  return 0;
}
