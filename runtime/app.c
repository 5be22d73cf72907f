/* app.c: `mkrun app COMMAND`, the app commands' top-level spellings, and
 * what they share (see app_cli.h for the other files).  */
#include "config.h"

#include "app/supervise.h"
#include "app_cli.h"
#include "utils.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char mk_cli_app_help[]
    = "Usage: mkrun app COMMAND [OPTIONS] NAME\n\n"
      "  start [NAME] --config FILE [-e EXE] [--app-args A]   start detached, supervised\n"
      "  start NAME                  start an exited app again\n"
      "  stop NAME [--time S]        SIGTERM, then SIGKILL after S seconds (10)\n"
      "  restart NAME [--time S]     stop, then start with the same config\n"
      "  status NAME [--json]        running/exited, pid, uptime, exit code, restarts\n"
      "  list [--json]               every app\n"
      "  logs NAME [-f] [--tail N]   the app's log (output and lifecycle lines)\n"
      "  monitor NAME [--once] [--json] [--interval S]   CPU, memory, I/O, pids\n"
      "  rm NAME [--force]           remove an exited app (--force: stop it first)\n\n"
      "stop, restart, status, monitor and logs also work without `app`; `mkrun start\n"
      "NAME` starts an app when NAME is not a created container.\n";

bool
mk_cli_app_getopt (struct mk_global *g, int argc, char **argv, const char *shortopts,
                   const struct option *opts, mk_cli_opt_fn opt, void *ctx, const char **name,
                   int *status)
{
  if (!mk_cli_getopt (g, argc, argv, shortopts, opts, mk_cli_app_help, opt, ctx, status))
    return false;
  if (optind + 1 != argc)
    {
      *status = mk_cli_usage_error (g, "expected one app NAME");
      return false;
    }
  *name = argv[optind];
  return true;
}

static int
name_opt (struct mk_global *g, int c, const char *arg, void *ctx)
{
  struct mk_cli_app_name *o = ctx;
  bool allowed = strchr (o->allow, c) != NULL;
  long long n;
  if (c == 't')
    {
      if (!allowed || mk_parse_int64 (arg, &n) < 0 || n < 0 || n > 86400)
        return mk_cli_usage_error (g, "--time: `%s` is not a number of seconds", arg);
      o->time_s = (unsigned)n;
      return 0;
    }
  if (!allowed)
    return mk_cli_usage_error (g, "unknown option --%s", c == 'j' ? "json" : "force");
  if (c == 'j')
    o->json = true;
  else
    o->force = true;
  return 0;
}

bool
mk_cli_app_parse_name (struct mk_global *g, int argc, char **argv, struct mk_cli_app_name *o,
                       int *status)
{
  static const struct option opts[] = {
    { "time", required_argument, NULL, 't' }, { "json", no_argument, NULL, 'j' },
    { "force", no_argument, NULL, 'f' },      { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  return mk_cli_app_getopt (g, argc, argv, "t:fh", opts, name_opt, o, &o->name, status);
}

static const struct
{
  const char *name;
  int (*fn) (struct mk_global *, int, char **);
} app_cmds[] = {
  { "start", mk_cmd_app_start }, { "stop", mk_cmd_app_control },  { "restart", mk_cmd_app_control },
  { "rm", mk_cmd_app_control },  { "status", mk_cmd_app_status }, { "list", mk_cmd_app_list },
  { "ls", mk_cmd_app_list },     { "logs", mk_cmd_app_logs },     { "monitor", mk_cmd_app_monitor },
};

/* `mkrun app SUB ...`, and the top-level spellings (argv[0] is SUB).  */
int
mk_cmd_app_sub (struct mk_global *g, int argc, char **argv)
{
  for (size_t i = 0; i < MK_ARRAY_SIZE (app_cmds); i++)
    if (strcmp (argv[0], app_cmds[i].name) == 0)
      {
        g->command = app_cmds[i].name;
        return app_cmds[i].fn (g, argc, argv);
      }
  return mk_cli_usage_error (g, "unknown app command `%s`", argv[0]);
}

int
mk_cmd_app (struct mk_global *g, int argc, char **argv)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      printf ("%s", mk_cli_app_help);
      return argc < 2;
    }
  return mk_cmd_app_sub (g, argc - 1, argv + 1);
}

/* `mkrun start X`: an app unless X is a container (OCI start).  */
bool
mk_cli_start_is_app (struct mk_global *g, int argc, char **argv)
{
  struct mk_app_record *r = NULL;
  _cleanup_free_ char *state = NULL;
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--config") == 0 || strncmp (argv[i], "--config=", 9) == 0
        || strcmp (argv[i], "-e") == 0)
      return true;
  if (argc != 2 || argv[1][0] == '-')
    return false;
  state = xasprintf ("%s/%s/state.json", g->root, argv[1]);
  if (access (state, F_OK) == 0)
    return false;
  if (mk_app_record_read (g->root, argv[1], &r, NULL) < 0)
    return false;
  mk_app_record_free (r);
  return true;
}
