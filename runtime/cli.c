/* cli.c: see cli.h.  */
#include "config.h"

#include "cli.h"
#include "log.h"
#include "utils.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* MSG with its control characters written as C escapes (\n, \t, \x1b): a
   message quotes what a config.json or a YAML held, and a refusal stays one
   line that cannot move the terminal's cursor.  */
static char *
one_line (const char *msg)
{
  size_t n = strlen (msg);
  char *out = xmalloc0 (4 * n + 1), *w = out;
  for (const unsigned char *r = (const unsigned char *)msg; *r; r++)
    {
      if (*r == '\n')
        w += sprintf (w, "\\n");
      else if (*r == '\t')
        w += sprintf (w, "\\t");
      else if (*r < 0x20 || *r == 0x7f)
        w += sprintf (w, "\\x%02x", *r);
      else
        *w++ = (char)*r;
    }
  *w = '\0';
  return out;
}

int
mk_cli_fail (const struct mk_global *g, const char *id, mk_error *err)
{
  _cleanup_free_ char *line = NULL;
  _cleanup_free_ char *msg = one_line (err && err->msg ? err->msg : "failed");
  if (id && *id)
    line = xasprintf ("%s %s: %s", g->command, id, msg);
  else
    line = xasprintf ("%s: %s", g->command, msg);
  fprintf (stderr, "mkrun: %s\n", line);
  mk_log_file_only (MK_LOG_ERROR, line);
  mk_error_free (err);
  return 1;
}

int
mk_cli_usage_error (const struct mk_global *g, const char *fmt, ...)
{
  va_list ap;
  char *msg = NULL;
  _cleanup_free_ char *line = NULL, *safe = NULL;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  safe = one_line (msg ? msg : "bad usage");
  if (strcmp (g->command, "mkrun") == 0) /* a global option's */
    {
      line = xstrdup (safe);
      fprintf (stderr, "mkrun: %s (see `mkrun --help`)\n", line);
    }
  else
    {
      line = xasprintf ("%s: %s", g->command, safe);
      fprintf (stderr, "mkrun: %s (see `mkrun %s --help`)\n", line, g->command);
    }
  mk_log_file_only (MK_LOG_ERROR, line);
  free (msg);
  return 1;
}

int
mk_cli_parse_format (const struct mk_global *g, const char *opt, const char *arg,
                     const char *other, bool *json)
{
  if (strcmp (arg, "json") == 0)
    *json = true;
  else if (strcmp (arg, other) == 0)
    *json = false;
  else
    return mk_cli_usage_error (g, "%s: expected %s or json, not `%s`", opt, other, arg);
  return 0;
}

bool
mk_cli_getopt (struct mk_global *g, int argc, char **argv, const char *shortopts,
               const struct option *opts, const char *help, mk_cli_opt_fn opt, void *ctx,
               int *status)
{
  int c;
  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, shortopts, opts, NULL)) != -1)
    {
      if (c == 'h')
        {
          printf ("%s", help);
          *status = 0;
          return false;
        }
      if (c == '?')
        *status = mk_cli_usage_error (g, "unknown or incomplete option `%s`", argv[optind - 1]);
      else
        *status = opt (g, c, optarg, ctx);
      if (*status)
        return false;
    }
  return true;
}
