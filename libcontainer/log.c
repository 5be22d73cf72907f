/* log.c: see log.h.  */
#include "config.h"

#include "log.h"
#include "spec.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

static int log_fd = -1;   /* --log FILE */
static int debug_fd = -1; /* without --log: a copy of the runtime's stderr */
static bool log_json, debugging;

int
mk_log_setup (const char *file, bool json, bool debug)
{
  log_json = json;
  debugging = debug;
  if (file != NULL)
    {
      log_fd = open (file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
      if (log_fd < 0)
        return -1;
    }
  else if (debug)
    /* The init replaces fd 2 with the container's stdio before its last
       debug lines: they go to this copy.  */
    debug_fd = fcntl (STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
  return 0;
}

bool
mk_log_debugging (void)
{
  return debugging;
}

int
mk_log_fd (void)
{
  if (!debugging)
    return -1; /* the init writes no line: it keeps nothing open */
  return log_fd >= 0 ? log_fd : debug_fd;
}

static const char *const level_names[] = { "error", "warning", "debug" };

/* One line in the log format, written with one write(2) (O_APPEND: lines
   of several processes do not interleave).  */
static void
write_line (int fd, bool json, enum mk_log_level level, const char *msg)
{
  _cleanup_free_ char *line = NULL;
  _cleanup_free_ char *ts = mk_now_rfc3339 ();

  if (json)
    {
      yajl_gen gen = yajl_gen_alloc (NULL);
      const unsigned char *buf;
      size_t len;
      yajl_gen_map_open (gen);
      mk_json_gen_kv (gen, "level", level_names[level]);
      mk_json_gen_kv (gen, "msg", msg);
      mk_json_gen_kv (gen, "time", ts);
      yajl_gen_map_close (gen);
      yajl_gen_get_buf (gen, &buf, &len);
      line = xasprintf ("%.*s\n", (int)len, buf);
      yajl_gen_free (gen);
    }
  else
    {
      /* logfmt: the message quoted, its quotes and backslashes escaped.  */
      _cleanup_free_ char *q = xmalloc0 (2 * strlen (msg) + 1);
      char *w = q;
      for (const char *r = msg; *r; r++)
        {
          if (*r == '"' || *r == '\\')
            *w++ = '\\';
          *w++ = *r == '\n' ? ' ' : *r;
        }
      line = xasprintf ("time=\"%s\" level=%s msg=\"%s\"\n", ts, level_names[level], q);
    }
  if (write (fd, line, strlen (line)) < 0)
    return; /* nowhere left to say so */
}

void
mk_log_file_only (enum mk_log_level level, const char *msg)
{
  int saved = errno;
  if (log_fd >= 0)
    write_line (log_fd, log_json, level, msg);
  errno = saved;
}

void
mk_log (enum mk_log_level level, const char *fmt, ...)
{
  _cleanup_free_ char *msg = NULL;
  int saved = errno;
  va_list ap;

  if (level == MK_LOG_DEBUG && !debugging)
    return;
  va_start (ap, fmt);
  msg = xvasprintf (fmt, ap);
  va_end (ap);
  if (level == MK_LOG_DEBUG)
    write_line (log_fd >= 0     ? log_fd
                : debug_fd >= 0 ? debug_fd
                                : STDERR_FILENO,
                log_fd >= 0 && log_json, level, msg);
  else
    {
      fprintf (stderr, "mkrun: %s%s\n", level == MK_LOG_WARN ? "warning: " : "", msg);
      mk_log_file_only (level, msg);
    }
  errno = saved;
}
