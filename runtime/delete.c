/* delete.c: `mkrun delete [--force] ID`.  */
#include "config.h"

#include "cli.h"
#include "container.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int
mk_cmd_delete (struct mk_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool force = false;
  int c;
  const char *id;
  mk_error *err = NULL;

  while ((c = getopt_long (argc, argv, "fh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        force = true;
        break;
      case 'h':
        printf ("Usage: mkrun delete [OPTIONS] ID\n\n"
                "Delete a stopped (or created) container: its cgroup and state.\n\n"
                "Options:\n  -f, --force   kill a running container first\n");
        return 0;
      default:
        return mk_cli_usage_error (g, "unknown option");
      }
  if (optind != argc - 1)
    return mk_cli_usage_error (g, "expected one container ID");
  id = argv[optind];
  if (mk_container_delete (g->root, id, force, &err) < 0)
    {
      /* Like runc, deleting a container that is not there with --force is fine. */
      if (force && err && err->errnum == 0 && err->msg && strstr (err->msg, "does not exist"))
        {
          mk_error_free (err);
          return 0;
        }
      return mk_cli_fail (g, id, err);
    }
  return 0;
}
