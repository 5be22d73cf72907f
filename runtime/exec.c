/* exec.c: `mkrun exec [OPTIONS] ID COMMAND [ARGS...]` (runc's flags).  */
#include "config.h"

#include "cli.h"
#include "container.h"
#include "utils.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* Appends S to the NULL-terminated *V.  */
static void
strv_push (char ***v, const char *s)
{
  size_t n = mk_strv_len (*v);
  *v = xrealloc (*v, sizeof (char *) * (n + 2));
  (*v)[n] = (char *)s;
  (*v)[n + 1] = NULL;
}

static void
usage (void)
{
  printf ("Usage: mkrun exec [OPTIONS] ID COMMAND [ARGS...]\n"
          "       mkrun exec [OPTIONS] --process FILE ID\n\n"
          "Run a process in a created or running container: it joins the container's\n"
          "namespaces and cgroup, with its seccomp filter, capabilities, rlimits and\n"
          "labels.  In the foreground mkrun exits with the process's status; when mkrun\n"
          "itself fails, with 255 (as runc), so the two cannot be confused.\n\n"
          "Options:\n"
          "  -p, --process FILE       the process as a JSON object (runtime-spec process)\n"
          "  -t, --tty                give the process a terminal\n"
          "  --console-socket PATH    send the terminal's pty master to this socket\n"
          "  --cwd DIR                working directory in the container\n"
          "  -e, --env KEY=VALUE      set an environment variable (repeatable)\n"
          "  -u, --user UID[:GID]     run as this user\n"
          "  -g, --additional-gids G  add supplementary groups (repeatable, or G,G...)\n"
          "  -c, --cap CAP            add a capability (repeatable)\n"
          "  --no-new-privs           set no_new_privs\n"
          "  -d, --detach             return once the process runs\n"
          "  --pid-file FILE          write the process's pid to FILE\n"
          "  --pidfd-socket PATH      send a pidfd of the process to this unix socket\n"
          "  --preserve-fds N         pass N more descriptors from 3 on\n"
          "  --process-label LABEL    SELinux label of the process\n"
          "  --apparmor PROFILE       AppArmor profile of the process\n"
          "  --cgroup [CTRL[,CTRL]:]PATH  run in this sub-cgroup of the container\n"
          "  --ignore-paused          exec into a paused container (the process waits,\n"
          "                           frozen, until the container is resumed)\n");
}

int
mk_cmd_exec (struct mk_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "process", required_argument, NULL, 'p' },
    { "tty", no_argument, NULL, 't' },
    { "console-socket", required_argument, NULL, 'C' },
    { "cwd", required_argument, NULL, 'w' },
    { "env", required_argument, NULL, 'e' },
    { "user", required_argument, NULL, 'u' },
    { "additional-gids", required_argument, NULL, 'g' },
    { "cap", required_argument, NULL, 'c' },
    { "no-new-privs", no_argument, NULL, 'N' },
    { "detach", no_argument, NULL, 'd' },
    { "pid-file", required_argument, NULL, 'P' },
    { "pidfd-socket", required_argument, NULL, 'D' },
    { "preserve-fds", required_argument, NULL, 'F' },
    { "process-label", required_argument, NULL, 'L' },
    { "apparmor", required_argument, NULL, 'A' },
    { "cgroup", required_argument, NULL, 'G' },
    { "ignore-paused", no_argument, NULL, 'I' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct mk_exec_opts o = { .root = g->root, .tty = -1 };
  _cleanup_free_ char **env = NULL, **caps = NULL, **cgroups = NULL, **args = NULL;
  _cleanup_free_ char *gids = NULL;
  mk_error *err = NULL;
  int c, exit_code = 0;
  long long n;

  while ((c = getopt_long (argc, argv, "+p:tC:w:e:u:g:c:dh", opts, NULL)) != -1)
    switch (c)
      {
      case 'p':
        o.process_file = optarg;
        break;
      case 't':
        o.tty = 1;
        break;
      case 'C':
        o.console_socket = optarg;
        break;
      case 'w':
        o.cwd = optarg;
        break;
      case 'e':
        if (strchr (optarg, '=') == NULL || optarg[0] == '=')
          return mk_cli_usage_error (g, "--env: `%s`: expected KEY=VALUE", optarg);
        strv_push (&env, optarg);
        break;
      case 'u':
        o.user = optarg;
        break;
      case 'g':
        {
          char *joined = gids ? xasprintf ("%s,%s", gids, optarg) : xstrdup (optarg);
          free (gids);
          gids = joined;
        }
        break;
      case 'c':
        strv_push (&caps, optarg);
        break;
      case 'N':
        o.no_new_privs = true;
        break;
      case 'd':
        o.detach = true;
        break;
      case 'P':
        o.pid_file = optarg;
        break;
      case 'D':
        o.pidfd_socket = optarg;
        break;
      case 'F':
        if (mk_parse_int64 (optarg, &n) < 0 || n < 0 || n > 1000000)
          return mk_cli_usage_error (g, "--preserve-fds: `%s` is not a count", optarg);
        o.preserve_fds = (int)n;
        break;
      case 'L':
        o.process_label = optarg;
        break;
      case 'A':
        o.apparmor = optarg;
        break;
      case 'G':
        strv_push (&cgroups, optarg);
        break;
      case 'I':
        o.ignore_paused = true;
        break;
      case 'h':
        usage ();
        return 0;
      default:
        return mk_cli_usage_error (g, "unknown option");
      }
  if (optind >= argc)
    return mk_cli_usage_error (g, "expected ID COMMAND [ARGS...]");
  o.id = argv[optind++];
  if (o.process_file == NULL && optind >= argc)
    return mk_cli_usage_error (g, "expected a COMMAND after the ID (or --process FILE)");
  for (int i = optind; i < argc; i++)
    strv_push (&args, argv[i]);
  o.args = args;
  o.env = env;
  o.caps = caps;
  o.cgroups = cgroups;
  o.additional_gids = gids;
  if (mk_container_exec (&o, &exit_code, &err) < 0)
    {
      mk_cli_fail (g, o.id, err);
      return 255;
    }
  return exit_code;
}
