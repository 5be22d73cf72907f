/* update.c: `mkrun update [OPTIONS] ID`: change a container's cgroup limits
 * with runc's flags, or from a linux.resources JSON (-r FILE, "-" for
 * stdin); flags given with -r override the file's values.  */
#include "config.h"

#include "cli.h"
#include "container.h"
#include "utils.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *const flag_names[] = {
  "memory",        "memory-swap", "memory-reservation", "kernel-memory", "kernel-memory-tcp",
  "cpu-shares",    "cpu-period",  "cpu-quota",          "cpu-rt-period", "cpu-rt-runtime",
  "cpuset-cpus",   "cpuset-mems", "pids-limit",         "blkio-weight",  "l3-cache-schema",
  "mem-bw-schema",
};

int
mk_cmd_update (struct mk_global *g, int argc, char **argv)
{
  struct option opts[MK_ARRAY_SIZE (flag_names) + 3];
  _cleanup_free_ char *json = NULL;
  _cleanup_strv_ char **flags = NULL;
  const char *resources = NULL;
  size_t nflags = 0;
  mk_error *err = NULL;
  int c, idx;

  for (size_t i = 0; i < MK_ARRAY_SIZE (flag_names); i++)
    opts[i] = (struct option){ flag_names[i], required_argument, NULL, 'f' };
  opts[MK_ARRAY_SIZE (flag_names)] = (struct option){ "resources", required_argument, NULL, 'r' };
  opts[MK_ARRAY_SIZE (flag_names) + 1] = (struct option){ "help", no_argument, NULL, 'h' };
  opts[MK_ARRAY_SIZE (flag_names) + 2] = (struct option){ NULL, 0, NULL, 0 };
  flags = xmalloc0 (sizeof (char *) * (size_t)(argc + 1));

  while ((c = getopt_long (argc, argv, "r:h", opts, &idx)) != -1)
    switch (c)
      {
      case 'f':
        flags[nflags++] = xasprintf ("%s=%s", opts[idx].name, optarg);
        break;
      case 'r':
        resources = optarg;
        break;
      case 'h':
        printf ("Usage: mkrun update [OPTIONS] ID\n\n"
                "Change the cgroup limits of a running container.\n\n"
                "Options:\n"
                "  -r, --resources FILE       a linux.resources JSON object (- for stdin)\n"
                "  --memory SIZE              memory limit (64m, 1G; -1: unlimited)\n"
                "  --memory-swap SIZE         memory+swap limit\n"
                "  --memory-reservation SIZE  soft limit\n"
                "  --kernel-memory-tcp SIZE   kernel TCP buffer limit (v1)\n"
                "  --cpu-shares N             CPU shares (v1) / weight (v2)\n"
                "  --cpu-period US            CFS period\n"
                "  --cpu-quota US             CFS quota (-1: unlimited)\n"
                "  --cpu-rt-period US         real-time period\n"
                "  --cpu-rt-runtime US        real-time runtime\n"
                "  --cpuset-cpus LIST         CPUs, like 0-2,4\n"
                "  --cpuset-mems LIST         memory nodes\n"
                "  --pids-limit N             maximum number of pids (-1: unlimited)\n"
                "  --blkio-weight N           block I/O weight, 10 to 1000\n");
        return 0;
      default:
        return mk_cli_usage_error (g, "unknown option");
      }
  if (optind != argc - 1)
    return mk_cli_usage_error (g, "expected one container ID");
  if (resources == NULL && nflags == 0)
    return mk_cli_usage_error (g, "nothing to update: give --resources or a limit flag");
  if (resources
      && mk_read_file_at (AT_FDCWD, strcmp (resources, "-") == 0 ? "/dev/stdin" : resources, &json,
                          NULL, &err)
             < 0)
    {
      mk_error_prefix (&err, "--resources");
      return mk_cli_fail (g, argv[optind], err);
    }
  if (mk_container_update (g->root, argv[optind], json, flags, &err) < 0)
    return mk_cli_fail (g, argv[optind], err);
  return 0;
}
