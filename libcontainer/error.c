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

