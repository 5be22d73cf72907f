/* error.c: see error.h.  */
#include "config.h"

#include "error.h"
#include "utils.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
mk_error_set (mk_error **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  char *msg = NULL;
  mk_error *e;

  if (err == NULL || *err != NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg != NULL && errnum != 0)
    {
      char *full = NULL;
      if (asprintf (&full, "%s: %s", msg, strerror (errnum)) >= 0)
        {
          free (msg);
          msg = full;
        }
    }
  e = calloc (1, sizeof (*e));
  if (e == NULL)
    {
      free (msg);
      return -1;
    }
  e->errnum = errnum;
  e->msg = msg ? msg : strdup ("out of memory");
  *err = e;
  return -1;
}

int
mk_error_prefix (mk_error **err, const char *fmt, ...)
{
  va_list ap;
  char *prefix = NULL, *full = NULL;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    prefix = NULL;
  va_end (ap);
  if (prefix != NULL && asprintf (&full, "%s: %s", prefix, (*err)->msg) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = full;
    }
  free (prefix);
  return -1;
}

void
mk_error_free (mk_error *err)
{
  if (err == NULL)
    return;
  free (err->msg);
  free (err);
}

/* Wire format: int errnum, int length, message bytes.  */
int
mk_error_send (int fd, const mk_error *err)
{
  int hdr[2];
  const char *msg = err && err->msg ? err->msg : "unknown error";

  hdr[0] = err ? err->errnum : 0;
  hdr[1] = (int) strlen (msg);
  if (mk_write_all (fd, hdr, sizeof (hdr)) < 0 || mk_write_all (fd, msg, hdr[1]) < 0)
    return -1;
  return 0;
}

int
mk_error_recv (int fd, mk_error **err)
{
  int hdr[2];
  char *msg;

  if (mk_read_all (fd, hdr, sizeof (hdr)) != sizeof (hdr) || hdr[1] < 0 || hdr[1] > 65536)
    return mk_error_set (err, 0, "container init exited without reporting");
  msg = calloc (1, hdr[1] + 1);
  if (msg == NULL)
    return mk_error_set (err, ENOMEM, "read error from container init");
  if (mk_read_all (fd, msg, hdr[1]) != hdr[1])
    {
      free (msg);
      return mk_error_set (err, 0, "container init exited without reporting");
    }
  mk_error_set (err, 0, "%s", msg);
  if (*err)
    (*err)->errnum = hdr[0];
  free (msg);
  return -1;
}
