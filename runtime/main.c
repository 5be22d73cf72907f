/* main.c: mkrun's entry: global options (runc's spelling), then one command. */
#include "config.h"

#include "cli.h"
#include "exe.h"
#include "log.h"
#include "spec.h"
#include "state.h"
#include "utils.h"

#include <errno.h>
#include <getopt.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

extern char **environ;

static const struct
{
  const char *name;
  int (*fn) (struct mk_global *, int, char **);
  bool enters_container; /* runs from a sealed copy: see exe.h */
  const char *summary;
} commands[] = {
  { "create", mk_cmd_create, true, "create a container from a bundle" },
  { "start", mk_cmd_start, false, "run the process of a created container" },
  { "state", mk_cmd_state, false, "print the state of a container" },
  { "kill", mk_cmd_kill, false, "send a signal to a container's init (or all its processes)" },
  { "delete", mk_cmd_delete, false, "delete a container and what it holds" },
  { "run", mk_cmd_run, true, "create and start a container" },
  { "list", mk_cmd_list, false, "list the containers" },
  { "exec", mk_cmd_exec, true, "run a process in a running container" },
  { "update", mk_cmd_update, false, "change the cgroup limits of a container" },
  { "events", mk_cmd_events, false, "print statistics and OOM events of a container" },
  { "checkpoint", mk_cmd_checkpoint, false, "not supported (no CRIU)" },
  { "restore", mk_cmd_checkpoint, false, "not supported (no CRIU)" },
  { "ps", mk_cmd_ps, false, "list the processes of a container" },
  { "pause", mk_cmd_pause, false, "freeze every process of a container" },
  { "resume", mk_cmd_resume, false, "thaw a paused container" },
  { "spec", mk_cmd_spec, false, "write a default config.json" },
  { "features", mk_cmd_features, false, "print the runtime's features document" },
  { "app", mk_cmd_app, true, "run and manage apps from a YAML file (see `mkrun app --help`)" },
  { "stop", mk_cmd_app_sub, false, NULL },
  { "restart", mk_cmd_app_sub, true, NULL },
  { "status", mk_cmd_app_sub, false, NULL },
  { "monitor", mk_cmd_app_sub, false, NULL },
  { "logs", mk_cmd_app_sub, false, NULL },
  { "yaml2oci", mk_cmd_yaml2oci, false, "print the OCI config.json an app YAML becomes" },
  { "hpc", mk_cmd_hpc, false, "what the HPC profile's containers hold (`mkrun hpc status`)" },
};

/* Where the global options end: `mkrun [GLOBAL...] -e EXE --config FILE`
   is the app front end, whose options come first.  Returns the index of
   the first app option, or 0.  */
static int
app_front_end (int argc, char **argv)
{
  static const char *const with_arg[] = { "--root", "--log", "--log-format", "--criu",
                                          "--rootless" };
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      bool skip_next = false;
      if (strcmp (a, "-e") == 0 || strncmp (a, "--exec", 6) == 0 || strncmp (a, "--config", 8) == 0
          || strncmp (a, "--app-args", 10) == 0 || (strncmp (a, "-e", 2) == 0 && a[2])
          || strcmp (a, "-d") == 0 || strcmp (a, "--detach") == 0 || strncmp (a, "--name", 6) == 0)
        return i;
      if (a[0] != '-')
        return 0; /* a command */
      for (size_t k = 0; k < MK_ARRAY_SIZE (with_arg); k++)
        skip_next |= strcmp (a, with_arg[k]) == 0;
      if (skip_next)
        i++;
    }
  return 0;
}

static void
usage (FILE *out)
{
  fprintf (out, "Usage: mkrun [GLOBAL OPTIONS] COMMAND [OPTIONS] ...\n\n"
                "An OCI runtime (runtime-spec " MK_OCI_VERSION "), a drop-in for runc and crun.\n\n"
                "Commands:\n");
  for (size_t i = 0; i < MK_ARRAY_SIZE (commands); i++)
    if (commands[i].summary)
      fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (out, "\nApps (no image needed):\n"
                "  mkrun -e EXE --config FILE [--app-args \"ARGS\"] [-d]   run EXE isolated\n"
                "  mkrun app start|stop|restart|status|list|logs|monitor|rm NAME\n");
  fprintf (out, "\nGlobal options:\n"
                "  --root DIR            state directory (default /run/mkrun)\n"
                "  --log FILE            write the log (errors, warnings, --debug) to FILE\n"
                "  --log-format FORMAT   text or json\n"
                "  --debug               log each step (to stderr, or to --log)\n"
                "  --systemd-cgroup      place cgroups through systemd (needs systemd)\n"
                "  --cgroup-manager M    cgroupfs (default) or systemd (crun's option)\n"
                "  -v, --version         print the version\n"
                "  -h, --help            this help\n\n"
                "`mkrun COMMAND --help` describes each command.\n");
}

int
main (int argc, char **argv)
{
  struct mk_global g = { .root = NULL };
  static const struct option opts[] = {
    { "root", required_argument, NULL, 'r' },
    { "log", required_argument, NULL, 'l' },
    { "log-format", required_argument, NULL, 'f' },
    { "debug", no_argument, NULL, 'd' },
    { "systemd-cgroup", no_argument, NULL, 's' },
    { "cgroup-manager", required_argument, NULL, 'M' },
    { "criu", required_argument, NULL, 'c' },
    { "rootless", required_argument, NULL, 'R' },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  /* A caller that ignores SIGCHLD would have our children reaped behind our
     back (waitpid: ECHILD, a foreground run waiting forever), and the
     container's process would inherit the ignored disposition.  */
  signal (SIGCHLD, SIG_DFL);

  int app_at = app_front_end (argc, argv);

  g.command = "mkrun";
  while ((c = getopt_long (app_at ? app_at : argc, argv, "+vh", opts, NULL)) != -1)
    switch (c)
      {
      case 'r':
        g.root = optarg;
        break;
      case 'l':
        g.log = optarg;
        break;
      case 'f':
        if (mk_cli_parse_format (&g, "--log-format", optarg, "text", &g.log_json) != 0)
          return 1;
        break;
      case 'd':
        g.debug = true;
        break;
      case 's':
        g.systemd_cgroup = true;
        break;
      case 'M':
        /* crun's spelling: cgroupfs (the default), systemd (as
           --systemd-cgroup); disabled (no cgroup at all) is not done yet.  */
        if (strcmp (optarg, "systemd") == 0)
          g.systemd_cgroup = true;
        else if (strcmp (optarg, "cgroupfs") == 0)
          g.systemd_cgroup = false;
        else if (strcmp (optarg, "disabled") == 0)
          return mk_cli_usage_error (&g, "--cgroup-manager disabled: not supported (a container "
                                         "always has its own cgroup here)");
        else
          return mk_cli_usage_error (&g,
                                     "--cgroup-manager: expected cgroupfs, systemd or "
                                     "disabled, not `%s`",
                                     optarg);
        break;
      case 'c':
      case 'R':
        break; /* accepted for runc compatibility */
      case 'v':
        {
          const struct scmp_version *sv = seccomp_version ();
          printf ("mkrun version %s\ncommit: %s\nspec: " MK_OCI_VERSION "\nlibseccomp: %u.%u.%u\n",
                  PACKAGE_VERSION, MK_COMMIT, sv->major, sv->minor, sv->micro);
        }
        return 0;
      case 'h':
        usage (stdout);
        return 0;
      default:
        usage (stderr);
        return 1;
      }
  if (g.root == NULL)
    g.root = mk_state_default_root ();
  if (mk_log_setup (g.log, g.log_json, g.debug) < 0)
    {
      fprintf (stderr, "mkrun: --log `%s`: %s\n", g.log, strerror (errno));
      return 1;
    }
  if (app_at)
    {
      int cargc = argc - app_at + 1;
      char **cargv = argv + app_at - 1;
      bool help = false;
      for (int k = 1; k < cargc; k++)
        help |= strcmp (cargv[k], "--help") == 0 || strcmp (cargv[k], "-h") == 0;
      if (!help && mk_exe_ensure_sealed (argv, environ) < 0)
        {
          mk_error *e = NULL;
          mk_error_set (&e, errno, "run from a sealed copy of mkrun (CVE-2019-5736)");
          return mk_cli_fail (&g, NULL, e);
        }
      return mk_cmd_app_exec (&g, cargc, cargv);
    }
  if (optind >= argc)
    {
      usage (stderr);
      return 1;
    }
  for (size_t i = 0; i < MK_ARRAY_SIZE (commands); i++)
    if (strcmp (argv[optind], commands[i].name) == 0 && commands[i].fn)
      {
        int cargc = argc - optind;
        char **cargv = argv + optind;
        g.command = commands[i].name;
        if (commands[i].enters_container
            || (commands[i].fn == mk_cmd_start && mk_cli_start_is_app (&g, cargc, cargv)))
          {
            bool help = false;
            for (int k = 1; k < cargc; k++)
              if (strcmp (cargv[k], "--help") == 0 || strcmp (cargv[k], "-h") == 0)
                help = true;
            if (!help && mk_exe_ensure_sealed (argv, environ) < 0)
              {
                mk_error *e = NULL;
                mk_error_set (&e, errno, "run from a sealed copy of mkrun (CVE-2019-5736)");
                return mk_cli_fail (&g, NULL, e);
              }
          }
        optind = 0;
        return commands[i].fn (&g, cargc, cargv);
      }
  g.command = argv[optind];
  fprintf (stderr, "mkrun: unknown command `%s` (see `mkrun --help`)\n", argv[optind]);
  return 1;
}
