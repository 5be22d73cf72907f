/* create.c: `mkrun create [OPTIONS] ID`.  */
#include "config.h"

#include "cli.h"
#include "container.h"
#include "utils.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* Shared by create and run: returns the index of ID in argv, -1 after
   printing the error, or -2 when --help was printed.  */
int mk_cli_parse_create (struct mk_global *g, int argc, char **argv, struct mk_create_opts *o,
                         bool run);

int
mk_cli_parse_create (struct mk_global *g, int argc, char **argv, struct mk_create_opts *o,
                     bool run)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "config", required_argument, NULL, 'f' },
    { "console-socket", required_argument, NULL, 'c' },
    { "pid-file", required_argument, NULL, 'p' },
    { "pidfd-socket", required_argument, NULL, 'D' },
    { "no-pivot", no_argument, NULL, 'P' },
    { "no-new-keyring", no_argument, NULL, 'K' },
    { "preserve-fds", required_argument, NULL, 'F' },
    { "detach", no_argument, NULL, 'd' },
    { "keep", no_argument, NULL, 'k' },
    { "no-subreaper", no_argument, NULL, 'S' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  long long n;

  while ((c = getopt_long (argc, argv, run ? "b:f:dh" : "b:f:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'b':
        o->bundle = optarg;
        break;
      case 'f':
        o->config = optarg;
        break;
      case 'c':
        o->console_socket = optarg;
        break;
      case 'p':
        o->pid_file = optarg;
        break;
      case 'D':
        o->pidfd_socket = optarg;
        break;
      case 'P':
        o->no_pivot = true;
        break;
      case 'K':
        o->no_new_keyring = true;
        break;
      case 'F':
        if (mk_parse_int64 (optarg, &n) < 0 || n < 0 || n > 1000000)
          {
            mk_cli_usage_error (g, "--preserve-fds: `%s` is not a count", optarg);
            return -1;
          }
        o->preserve_fds = (int) n;
        break;
      case 'd':
        if (!run)
          goto bad;
        o->detach = true;
        break;
      case 'k':
        if (!run)
          goto bad;
        o->keep = true;
        break;
      case 'S':
        break;
      case 'h':
        printf (
            "Usage: mkrun %s [OPTIONS] ID\n\n"
            "%s\n\n"
            "Options:\n"
            "  -b, --bundle DIR         the bundle (default: the current directory)\n"
            "  -f, --config FILE        the config (default: BUNDLE/config.json; crun's)\n"
            "  --console-socket PATH    send the pty master of a terminal to this socket\n"
            "  --pid-file FILE          write the init's pid to FILE\n"
            "  --pidfd-socket PATH      send a pidfd of the init to this unix socket\n"
            "  --no-pivot               do not use pivot_root (ramfs roots)\n"
            "  --no-new-keyring         keep the caller's session keyring\n"
            "  --preserve-fds N         pass N more descriptors from 3 on\n"
            "%s",
            run ? "run" : "create",
            run ? "Create and start a container; in the foreground, exit with its status."
                : "Create a container whose process waits for `mkrun start`.",
            run ? "  -d, --detach             return once the process runs\n"
                  "  --keep                   keep the stopped container (state, ps; then delete)\n"
                : "");
        return -2;
      default:
      bad:
        mk_cli_usage_error (g, "unknown option");
        return -1;
      }
  if (optind != argc - 1)
    {
      mk_cli_usage_error (g, "expected one container ID");
      return -1;
    }
  o->root = g->root;
  o->id = argv[optind];
  o->systemd_cgroup = g->systemd_cgroup;
  return optind;
}

int
mk_cmd_create (struct mk_global *g, int argc, char **argv)
{
  struct mk_create_opts o = { 0 };
  mk_error *err = NULL;
  int r = mk_cli_parse_create (g, argc, argv, &o, false);
  if (r < 0)
    return r == -2 ? 0 : 1;
  if (mk_container_create (&o, &err) < 0)
    return mk_cli_fail (g, o.id, err);
  return 0;
}
