/* app_run.c: starting an app: `mkrun -e EXE --config FILE` (foreground or
 * -d) and `mkrun app start` (detached, or an exited app again).  */
#include "config.h"

#include "app/supervise.h"
#include "app_cli.h"
#include "utils.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char run_help[]
    = "Usage: mkrun -e EXE --config FILE [--app-args \"ARGS\"] [--name NAME] [-d]\n\n"
      "Run EXE isolated as the YAML FILE says (limits, read-only inputs, writable\n"
      "outputs, network, environment, logging) on a read-only view of this host.\n"
      "In the foreground its output reaches the terminal (and the log), signals\n"
      "reach it, and mkrun exits with its status; -d leaves it to a supervisor\n"
      "(see `mkrun app --help`).\n\n"
      "  -e, --exec EXE       the program (overrides application.executable)\n"
      "  --config FILE        the app's YAML\n"
      "  --app-args \"ARGS\"    arguments, split as a shell would (no expansion)\n"
      "  --name NAME          the app's name (overrides application.name)\n"
      "  -d, --detach         run under a supervisor and return\n";

static int
start_opt (struct mk_global *g, int c, const char *arg, void *ctx)
{
  struct mk_cli_app_start *a = ctx;
  if (c == 'd')
    a->detach = true;
  else
    *(c == 'e' ? &a->exe : c == 'c' ? &a->config : c == 'a' ? &a->app_args : &a->name) = arg;
  return 0;
}

/* The options of the commands that start an app; --help prints HELP.  */
static bool
parse_start (struct mk_global *g, int argc, char **argv, const char *help,
             struct mk_cli_app_start *a, int *status)
{
  static const struct option opts[] = {
    { "exec", required_argument, NULL, 'e' },  { "config", required_argument, NULL, 'c' },
    { "app-args", required_argument, NULL, 'a' }, { "name", required_argument, NULL, 'n' },
    { "detach", no_argument, NULL, 'd' },      { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  return mk_cli_getopt (g, argc, argv, "e:dh", opts, help, start_opt, a, status);
}

static char *
basename_of (const char *path)
{
  const char *s = strrchr (path, '/');
  return xstrdup (s ? s + 1 : path);
}

int
mk_cli_app_load (const struct mk_cli_app_start *a, struct mk_app **out, mk_error **err)
{
  struct mk_app *app = NULL;
  if (a->config)
    {
      if (mk_app_parse (a->config, &app, err) < 0)
        return -1;
    }
  else
    {
      char cwd[PATH_MAX];
      if (getcwd (cwd, sizeof (cwd)) == NULL)
        return mk_error_set (err, errno, "getcwd");
      if (mk_app_parse_string ("(no --config)", cwd, "{}", 2, &app, err) < 0)
        return -1;
    }
  if (a->exe && mk_app_set_executable (app, a->exe, err) < 0)
    goto fail;
  if (a->app_args && mk_app_add_args (app, a->app_args, err) < 0)
    goto fail;
  if (a->name)
    {
      free (app->name);
      app->name = xstrdup (a->name);
    }
  if (app->name == NULL && app->executable)
    app->name = basename_of (app->executable);
  if (mk_app_check (app, err) < 0)
    goto fail;
  if (app->nim_packages && app->nim_packages[0] && app->log_level >= MK_APP_LOG_INFO)
    fprintf (stderr,
             "mkrun: %s: dependencies.nim_packages are build-time only: not checked "
             "at run time\n",
             app->file);
  *out = app;
  return 0;
fail:
  mk_app_free (app);
  return -1;
}

char *
mk_cli_abs_path (const char *p)
{
  char cwd[PATH_MAX];
  if (p == NULL)
    return NULL;
  if (p[0] == '/' || getcwd (cwd, sizeof (cwd)) == NULL)
    return xstrdup (p);
  return xasprintf ("%s/%s", cwd, p);
}

void
mk_cli_app_notice (enum mk_app_log_level level, const char *msg)
{
  fprintf (stderr, "mkrun: %s%s\n", level <= MK_APP_LOG_WARN ? "warning: " : "", msg);
}

static int
start_app (struct mk_global *g, const struct mk_cli_app_start *a, bool detach)
{
  struct mk_app *app = NULL;
  mk_error *err = NULL;
  _cleanup_free_ char *config = mk_cli_abs_path (a->config);
  _cleanup_free_ char *exe = NULL;
  struct mk_app_run_opts o = { .root = g->root,
                               .config = config,
                               .app_args = a->app_args,
                               .detach = detach,
                               .again = a->again,
                               .notice = mk_cli_app_notice };
  int code = 0;
  if (mk_cli_app_load (a, &app, &err) < 0)
    return mk_cli_fail (g, a->name, err);
  exe = a->exe ? xstrdup (app->executable) : NULL;
  o.executable_override = exe;
  o.app = app;
  if (mk_app_run (&o, &code, &err) < 0)
    {
      int r = mk_cli_fail (g, app->name, err);
      mk_app_free (app);
      return r;
    }
  mk_app_free (app);
  return code;
}

/* `mkrun [GLOBAL] -e EXE --config FILE ...` */
int
mk_cmd_app_exec (struct mk_global *g, int argc, char **argv)
{
  struct mk_cli_app_start a = { 0 };
  int status;
  g->command = "app";
  if (!parse_start (g, argc, argv, run_help, &a, &status))
    return status;
  if (optind < argc)
    return mk_cli_usage_error (g, "unexpected `%s` (program arguments go in --app-args)",
                               argv[optind]);
  if (!a.exe && !a.config)
    return mk_cli_usage_error (g, "give -e EXE, --config FILE, or both");
  return start_app (g, &a, a.detach);
}

/* `mkrun app start [NAME] [--config FILE] [-e EXE] ...` */
int
mk_cmd_app_start (struct mk_global *g, int argc, char **argv)
{
  struct mk_cli_app_start a = { 0 };
  struct mk_app_record *r = NULL;
  mk_error *err = NULL;
  int status;
  if (!parse_start (g, argc, argv, mk_cli_app_help, &a, &status))
    return status;
  if (optind < argc)
    a.name = argv[optind++];
  if (optind < argc)
    return mk_cli_usage_error (g, "unexpected `%s`", argv[optind]);
  if (a.config || a.exe)
    return start_app (g, &a, true);
  if (a.name == NULL)
    return mk_cli_usage_error (g, "give NAME, --config FILE, or both");
  /* Start an exited app again, as it was started.  */
  if (mk_app_record_read (g->root, a.name, &r, &err) < 0)
    return mk_cli_fail (g, a.name, err);
  if (mk_app_record_alive (r))
    {
      mk_app_record_free (r);
      mk_error_set (&err, 0, "app `%s` is already running", a.name);
      return mk_cli_fail (g, a.name, err);
    }
  {
    /* Its directory and default log stay; the record starts afresh.  */
    struct mk_cli_app_start again = { .exe = r->executable,
                                      .config = r->config,
                                      .app_args = r->app_args,
                                      .name = a.name,
                                      .again = true };
    int ret = start_app (g, &again, true);
    mk_app_record_free (r);
    return ret;
  }
}
