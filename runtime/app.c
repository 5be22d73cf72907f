/* app.c: the app front end's commands: `mkrun -e EXE --config FILE`,
 * `mkrun app start|stop|restart|status|list|logs|monitor|rm`, their
 * top-level spellings, and `mkrun yaml2oci`.  */
#include "config.h"

#include "app/app.h"
#include "app/hostfs.h"
#include "app/logs.h"
#include "app/monitor.h"
#include "app/oci.h"
#include "app/supervise.h"
#include "cli.h"
#include "utils.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

static const char app_help[]
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

/* Options of the commands that start an app.  */
struct start_args
{
  const char *exe, *config, *app_args, *name;
  bool detach;
  bool again; /* NAME is an exited app started again */
};

static int
parse_start (struct mk_global *g, int argc, char **argv, struct start_args *a, bool *help)
{
  static const struct option opts[] = {
    { "exec", required_argument, NULL, 'e' },  { "config", required_argument, NULL, 'c' },
    { "app-args", required_argument, NULL, 'a' }, { "name", required_argument, NULL, 'n' },
    { "detach", no_argument, NULL, 'd' },      { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "e:dh", opts, NULL)) != -1)
    switch (c)
      {
      case 'e':
        a->exe = optarg;
        break;
      case 'c':
        a->config = optarg;
        break;
      case 'a':
        a->app_args = optarg;
        break;
      case 'n':
        a->name = optarg;
        break;
      case 'd':
        a->detach = true;
        break;
      case 'h':
        *help = true;
        return 0;
      default:
        return mk_cli_usage_error (g, "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  return 0;
}

static char *
basename_of (const char *path)
{
  const char *s = strrchr (path, '/');
  return xstrdup (s ? s + 1 : path);
}

/* Parses the YAML (or an empty one), applies the command line, checks the
   host.  */
static int
load_app (const struct start_args *a, struct mk_app **out, mk_error **err)
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
    fprintf (stderr, "mkrun: %s: dependencies.nim_packages are build-time only: not checked "
                     "at run time\n", app->file);
  *out = app;
  return 0;
fail:
  mk_app_free (app);
  return -1;
}

static char *
abs_path (const char *p)
{
  char cwd[PATH_MAX];
  if (p == NULL)
    return NULL;
  if (p[0] == '/' || getcwd (cwd, sizeof (cwd)) == NULL)
    return xstrdup (p);
  return xasprintf ("%s/%s", cwd, p);
}

static void
notice (enum mk_app_log_level level, const char *msg)
{
  fprintf (stderr, "mkrun: %s%s\n", level <= MK_APP_LOG_WARN ? "warning: " : "", msg);
}

static int
start_app (struct mk_global *g, const struct start_args *a, bool detach)
{
  struct mk_app *app = NULL;
  mk_error *err = NULL;
  _cleanup_free_ char *config = abs_path (a->config);
  _cleanup_free_ char *exe = NULL;
  struct mk_app_run_opts o = { .root = g->root, .config = config, .app_args = a->app_args,
                               .detach = detach, .again = a->again, .notice = notice };
  int code = 0;
  if (load_app (a, &app, &err) < 0)
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
  struct start_args a = { 0 };
  bool help = false;
  g->command = "app";
  if (parse_start (g, argc, argv, &a, &help) != 0)
    return 1;
  if (help)
    {
      printf ("%s", run_help);
      return 0;
    }
  if (optind < argc)
    return mk_cli_usage_error (g, "unexpected `%s` (program arguments go in --app-args)",
                               argv[optind]);
  if (!a.exe && !a.config)
    return mk_cli_usage_error (g, "give -e EXE, --config FILE, or both");
  return start_app (g, &a, a.detach);
}

/* ---- by name ------------------------------------------------------------------- */

static int
app_start (struct mk_global *g, int argc, char **argv)
{
  struct start_args a = { 0 };
  bool help = false;
  struct mk_app_record *r = NULL;
  mk_error *err = NULL;
  if (parse_start (g, argc, argv, &a, &help) != 0)
    return 1;
  if (help)
    {
      printf ("%s", app_help);
      return 0;
    }
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
    struct start_args again = { .exe = r->executable, .config = r->config,
                                .app_args = r->app_args, .name = a.name, .again = true };
    int ret = start_app (g, &again, true);
    mk_app_record_free (r);
    return ret;
  }
}

/* NAME and, for stop/restart, --time.  */
static int
parse_name (struct mk_global *g, int argc, char **argv, const char **name, unsigned *time_s,
            bool *json, bool *force)
{
  static const struct option opts[] = {
    { "time", required_argument, NULL, 't' }, { "json", no_argument, NULL, 'j' },
    { "force", no_argument, NULL, 'f' },      { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  long long n;
  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "t:fh", opts, NULL)) != -1)
    switch (c)
      {
      case 't':
        if (!time_s || mk_parse_int64 (optarg, &n) < 0 || n < 0 || n > 86400)
          return mk_cli_usage_error (g, "--time: `%s` is not a number of seconds", optarg);
        *time_s = (unsigned)n;
        break;
      case 'j':
        if (!json)
          return mk_cli_usage_error (g, "unknown option --json");
        *json = true;
        break;
      case 'f':
        if (!force)
          return mk_cli_usage_error (g, "unknown option --force");
        *force = true;
        break;
      case 'h':
        printf ("%s", app_help);
        return -2;
      default:
        return mk_cli_usage_error (g, "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (optind + 1 != argc)
    return mk_cli_usage_error (g, "expected one app NAME");
  *name = argv[optind];
  return 0;
}

static int
app_stop (struct mk_global *g, int argc, char **argv)
{
  const char *name;
  unsigned t = 10;
  mk_error *err = NULL;
  int r = parse_name (g, argc, argv, &name, &t, NULL, NULL);
  if (r)
    return r == -2 ? 0 : 1;
  if (mk_app_stop (g->root, name, t, &err) < 0)
    return mk_cli_fail (g, name, err);
  return 0;
}

static int
app_restart (struct mk_global *g, int argc, char **argv)
{
  const char *name;
  unsigned t = 10;
  mk_error *err = NULL;
  char *args[] = { (char *)"start", NULL, NULL };
  int r = parse_name (g, argc, argv, &name, &t, NULL, NULL);
  if (r)
    return r == -2 ? 0 : 1;
  if (mk_app_stop (g->root, name, t, &err) < 0)
    return mk_cli_fail (g, name, err);
  args[1] = (char *)name;
  return app_start (g, 2, args);
}

static void
duration (long long s, char *out, size_t n)
{
  if (s < 60)
    snprintf (out, n, "%llds", s);
  else if (s < 3600)
    snprintf (out, n, "%lldm%02llds", s / 60, s % 60);
  else
    snprintf (out, n, "%lldh%02lldm", s / 3600, (s / 60) % 60);
}

static int
app_status (struct mk_global *g, int argc, char **argv)
{
  const char *name;
  bool json = false;
  struct mk_app_record *r = NULL;
  mk_error *err = NULL;
  _cleanup_free_ char *doc = NULL;
  int ret = parse_name (g, argc, argv, &name, NULL, &json, NULL);
  if (ret)
    return ret == -2 ? 0 : 1;
  if (mk_app_record_read (g->root, name, &r, &err) < 0)
    return mk_cli_fail (g, name, err);
  doc = mk_app_record_json (r, true);
  if (json)
    printf ("%s\n", doc);
  else
    {
      struct mk_app_status st = mk_app_record_status (r);
      char up[32];
      printf ("name:      %s\nstatus:    %s\n", r->name, st.word);
      if (st.running)
        {
          duration ((mk_app_now_ms () - r->started_ms) / 1000, up, sizeof (up));
          printf ("pid:       %d\nuptime:    %s\n", (int)r->pid, up);
        }
      if (r->finished_ms)
        {
          printf ("exit code: %d", r->exit_code);
          if (r->oom)
            printf (" (killed by the OOM killer)");
          else if (r->signal)
            printf (" (signal %d, %s)", r->signal, strsignal (r->signal));
          printf ("\n");
        }
      printf ("restarts:  %d\n", r->restarts);
      if (r->log)
        printf ("log:       %s\n", r->log);
      if (r->config)
        printf ("config:    %s\n", r->config);
    }
  mk_app_record_free (r);
  return 0;
}

static int
app_list (struct mk_global *g, int argc, char **argv)
{
  bool json = false;
  _cleanup_strv_ char **names = NULL;
  mk_error *err = NULL;
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--json") == 0)
      json = true;
    else if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      {
        printf ("%s", app_help);
        return 0;
      }
    else
      return mk_cli_usage_error (g, "unexpected `%s`", argv[i]);
  if (mk_app_list (g->root, &names, &err) < 0)
    return mk_cli_fail (g, NULL, err);
  if (json)
    printf ("[");
  else
    printf ("%-24s %-10s %-8s %-9s %s\n", "NAME", "STATUS", "PID", "RESTARTS", "EXIT");
  for (size_t i = 0; names[i]; i++)
    {
      struct mk_app_record *r = NULL;
      if (mk_app_record_read (g->root, names[i], &r, NULL) < 0)
        continue;
      if (json)
        {
          _cleanup_free_ char *doc = mk_app_record_json (r, false);
          printf ("%s%s", i ? "," : "", doc);
        }
      else
        {
          struct mk_app_status st = mk_app_record_status (r);
          char code[16] = "-";
          if (r->finished_ms)
            snprintf (code, sizeof (code), "%d", r->exit_code);
          printf ("%-24s %-10s %-8d %-9d %s\n", r->name, st.word, st.running ? (int)r->pid : 0,
                  r->restarts, code);
        }
      mk_app_record_free (r);
    }
  if (json)
    printf ("]\n");
  return 0;
}

static void
to_stdout (const char *buf, size_t len, void *arg)
{
  fwrite (buf, 1, len, stdout);
  fflush (stdout);
}

static int
app_logs (struct mk_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "follow", no_argument, NULL, 'f' }, { "tail", required_argument, NULL, 't' },
    { "help", no_argument, NULL, 'h' },   { NULL, 0, NULL, 0 },
  };
  bool follow = false;
  long long tail = -1;
  mk_error *err = NULL;
  const char *name;
  int c;
  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "fn:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        follow = true;
        break;
      case 'n':
      case 't':
        if (mk_parse_int64 (optarg, &tail) < 0 || tail < 0)
          return mk_cli_usage_error (g, "--tail: `%s` is not a number of lines", optarg);
        break;
      case 'h':
        printf ("%s", app_help);
        return 0;
      default:
        return mk_cli_usage_error (g, "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (optind + 1 != argc)
    return mk_cli_usage_error (g, "expected one app NAME");
  name = argv[optind];
  if (mk_app_logs (g->root, name, tail, follow, to_stdout, NULL, &err) < 0)
    return mk_cli_fail (g, name, err);
  return 0;
}

static void
human (uint64_t b, char *out, size_t n)
{
  static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
  double v = (double)b;
  size_t i = 0;
  while (v >= 1024 && i + 1 < MK_ARRAY_SIZE (u))
    {
      v /= 1024;
      i++;
    }
  snprintf (out, n, i ? "%.1f%s" : "%.0f%s", v, u[i]);
}

struct monitor_out
{
  const char *name;
  bool json;
  bool clear; /* each sample on a fresh screen */
};

static void
print_sample (const struct mk_app_sample *b, double cpu, void *arg)
{
  const struct monitor_out *o = arg;
  char mem[32], lim[32], rd[32], wr[32], memcol[48], iocol[48];
  if (o->json)
    {
      printf ("{\"name\":\"%s\",\"cpu_percent\":%.1f,\"memory_bytes\":%llu,"
              "\"memory_limit\":%llu,\"io_read_bytes\":%llu,\"io_write_bytes\":%llu,"
              "\"pids\":%llu}\n",
              o->name, cpu, (unsigned long long)b->mem_bytes, (unsigned long long)b->mem_limit,
              (unsigned long long)b->io_read, (unsigned long long)b->io_write,
              (unsigned long long)b->pids);
      fflush (stdout);
      return;
    }
  human (b->mem_bytes, mem, sizeof (mem));
  if (b->mem_limit)
    human (b->mem_limit, lim, sizeof (lim));
  else
    snprintf (lim, sizeof (lim), "-");
  human (b->io_read, rd, sizeof (rd));
  human (b->io_write, wr, sizeof (wr));
  if (o->clear)
    printf ("\033[H\033[2J");
  printf ("%-20s %7s %21s %21s %6s\n", "NAME", "CPU %", "MEM / LIMIT", "IO READ / WRITE", "PIDS");
  snprintf (memcol, sizeof (memcol), "%s / %s", mem, lim);
  snprintf (iocol, sizeof (iocol), "%s / %s", rd, wr);
  printf ("%-20s %7.1f %21s %21s %6llu\n", o->name, cpu, memcol, iocol,
          (unsigned long long)b->pids);
  fflush (stdout);
}

static int
app_monitor (struct mk_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "once", no_argument, NULL, 'o' },     { "json", no_argument, NULL, 'j' },
    { "interval", required_argument, NULL, 'i' }, { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool once = false;
  struct monitor_out o = { 0 };
  double interval = 1.0;
  mk_error *err = NULL;
  int c;
  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'o':
        once = true;
        break;
      case 'j':
        o.json = true;
        break;
      case 'i':
        {
          char *end;
          interval = strtod (optarg, &end);
          if (*end || interval < 0.1 || interval > 3600)
            return mk_cli_usage_error (g, "--interval: `%s` is not seconds (0.1 to 3600)", optarg);
        }
        break;
      case 'h':
        printf ("%s", app_help);
        return 0;
      default:
        return mk_cli_usage_error (g, "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (optind + 1 != argc)
    return mk_cli_usage_error (g, "expected one app NAME");
  o.name = argv[optind];
  o.clear = !once && isatty (1);
  if (mk_app_monitor (g->root, o.name, interval, once, print_sample, &o, &err) < 0)
    return mk_cli_fail (g, o.name, err);
  return 0;
}

static int
app_rm (struct mk_global *g, int argc, char **argv)
{
  const char *name;
  bool force = false;
  mk_error *err = NULL;
  int r = parse_name (g, argc, argv, &name, NULL, NULL, &force);
  if (r)
    return r == -2 ? 0 : 1;
  if (mk_app_remove (g->root, name, force, &err) < 0)
    return mk_cli_fail (g, name, err);
  return 0;
}

static const struct
{
  const char *name;
  int (*fn) (struct mk_global *, int, char **);
} app_cmds[] = {
  { "start", app_start },     { "stop", app_stop }, { "restart", app_restart },
  { "status", app_status },   { "list", app_list }, { "ls", app_list },
  { "logs", app_logs },       { "monitor", app_monitor }, { "rm", app_rm },
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
      printf ("%s", app_help);
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

int
mk_cmd_yaml2oci (struct mk_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' }, { "exec", required_argument, NULL, 'e' },
    { "app-args", required_argument, NULL, 'a' }, { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *bundle = NULL;
  struct start_args a = { 0 };
  struct mk_app *app = NULL;
  struct mk_app_host h = { 0 };
  mk_error *err = NULL;
  _cleanup_free_ char *json = NULL;
  int c;
  optind = 0;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "b:e:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'b':
        bundle = optarg;
        break;
      case 'e':
        a.exe = optarg;
        break;
      case 'a':
        a.app_args = optarg;
        break;
      case 'h':
        printf ("Usage: mkrun yaml2oci FILE [--bundle DIR] [-e EXE] [--app-args A]\n\n"
                "Print the OCI config.json the app YAML FILE becomes, or write DIR/config.json\n"
                "and DIR/rootfs (a bundle any OCI runtime can run).\n");
        return 0;
      default:
        return mk_cli_usage_error (g, "unknown or incomplete option `%s`", argv[optind - 1]);
      }
  if (optind + 1 != argc)
    return mk_cli_usage_error (g, "expected one YAML FILE");
  a.config = argv[optind];
  if (load_app (&a, &app, &err) < 0)
    return mk_cli_fail (g, NULL, err);
  if (mk_app_host_user (app, &h, &err) < 0)
    goto fail;
  if (bundle)
    {
      _cleanup_free_ char *abs = abs_path (bundle);
      if (mk_app_write_bundle (app, &h, abs, &err) < 0)
        goto fail;
    }
  else
    {
      h.tmp_dir = xstrdup ("tmp");
      h.run_dir = xstrdup ("run");
      if (mk_app_host_prepare (app, &h, &err) < 0)
        goto fail;
      for (char **w = h.warnings; w && *w; w++)
        notice (MK_APP_LOG_WARN, *w);
      if (mk_app_oci_json (app, &h, "rootfs", &json, &err) < 0)
        goto fail;
      fputs (json, stdout);
    }
  mk_app_host_free (&h);
  mk_app_free (app);
  return 0;
fail:
  mk_app_host_free (&h);
  mk_app_free (app);
  return mk_cli_fail (g, NULL, err);
}
