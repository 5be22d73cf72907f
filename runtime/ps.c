/* ps.c: `mkrun ps [--format table|json] ID [PS ARGS...]`, as runc: json is
   the array of pids; table runs ps(1) and keeps the container's lines.  */
#include "config.h"

#include "cli.h"
#include "container.h"
#include "utils.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static bool
has_pid (const pid_t *pids, size_t n, long pid)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

int
mk_cmd_ps (struct mk_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool json = false;
  const char *id;
  pid_t *pids = NULL;
  size_t n = 0;
  mk_error *err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "+f:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        if (mk_cli_parse_format (g, "--format", optarg, "table", &json) != 0)
          return 1;
        break;
      case 'h':
        printf ("Usage: mkrun ps [OPTIONS] ID [PS ARGS...]\n\nList the container's processes "
                "(ps -ef unless PS ARGS are given).\n\n"
                "Options:\n  -f, --format table|json   json: the array of pids\n");
        return 0;
      default:
        return mk_cli_usage_error (g, "unknown option");
      }
  if (optind >= argc)
    return mk_cli_usage_error (g, "expected a container ID");
  id = argv[optind++];
  if (mk_container_pids (g->root, id, &pids, &n, &err) < 0)
    return mk_cli_fail (g, id, err);
  if (json)
    {
      printf ("[");
      for (size_t i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", pids[i]);
      printf ("]\n");
    }
  else
    {
      /* ps ARGS, or -ef; keep the header and the lines whose PID column
         belongs to the container.  */
      _cleanup_free_ char *cmd = xstrdup ("ps");
      FILE *f;
      char *line = NULL;
      size_t cap = 0;
      int pid_col = -1, status;
      if (optind == argc)
        {
          free (cmd);
          cmd = xstrdup ("ps -ef");
        }
      for (int i = optind; i < argc; i++)
        {
          char *next;
          if (strchr (argv[i], '\'') != NULL)
            {
              free (pids);
              return mk_cli_usage_error (g, "ps argument `%s`: quotes are not allowed", argv[i]);
            }
          next = xasprintf ("%s '%s'", cmd, argv[i]);
          free (cmd);
          cmd = next;
        }
      f = popen (cmd, "re");
      if (f == NULL)
        {
          free (pids);
          mk_error_set (&err, 0, "run `%s`", cmd);
          return mk_cli_fail (g, id, err);
        }
      while (getline (&line, &cap, f) > 0)
        {
          if (pid_col < 0)
            {
              /* The header: find the PID column.  */
              char *save = NULL, *copy = xstrdup (line);
              int k = 0;
              for (char *t = strtok_r (copy, " \t\n", &save); t; t = strtok_r (NULL, " \t\n", &save), k++)
                if (strcmp (t, "PID") == 0)
                  pid_col = k;
              free (copy);
              if (pid_col < 0)
                {
                  pclose (f);
                  free (line);
                  free (pids);
                  mk_error_set (&err, 0, "`%s` printed no PID column", cmd);
                  return mk_cli_fail (g, id, err);
                }
              fputs (line, stdout);
              continue;
            }
          {
            char *save = NULL, *copy = xstrdup (line), *t;
            int k = 0;
            for (t = strtok_r (copy, " \t\n", &save); t && k < pid_col; t = strtok_r (NULL, " \t\n", &save))
              k++;
            if (t && has_pid (pids, n, strtol (t, NULL, 10)))
              fputs (line, stdout);
            free (copy);
          }
        }
      free (line);
      status = pclose (f);
      if (status != 0)
        {
          free (pids);
          mk_error_set (&err, 0, "`%s` failed", cmd);
          return mk_cli_fail (g, id, err);
        }
    }
  free (pids);
  return 0;
}
