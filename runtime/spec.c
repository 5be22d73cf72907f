/* spec.c: `mkrun spec [--rootless] [--bundle DIR]`.  */
#include "config.h"

#include "cli.h"
#include "spec.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

int
mk_cmd_spec (struct mk_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "rootless", no_argument, NULL, 'r' },
    { "bundle", required_argument, NULL, 'b' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool rootless = false;
  const char *bundle = ".";
  _cleanup_free_ char *path = NULL;
  _cleanup_free_ char *json = NULL;
  mk_error *err = NULL;
  int c, fd;

  while ((c = getopt_long (argc, argv, "b:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'r':
        rootless = true;
        break;
      case 'b':
        bundle = optarg;
        break;
      case 'h':
        printf ("Usage: mkrun spec [OPTIONS]\n\nWrite a default config.json into the bundle.\n\n"
                "Options:\n  -b, --bundle DIR   where to write it (default: here)\n"
                "  --rootless         a config for a user without root\n");
        return 0;
      default:
        return mk_cli_usage_error (g, "unknown option");
      }
  if (optind != argc)
    return mk_cli_usage_error (g, "takes no arguments");
  path = xasprintf ("%s/config.json", bundle);
  json = mk_spec_default (rootless);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      if (errno == EEXIST)
        mk_error_set (&err, 0, "`%s` already exists", path);
      else
        mk_error_set (&err, errno, "create `%s`", path);
      return mk_cli_fail (g, NULL, err);
    }
  if (mk_write_all (fd, json, strlen (json)) < 0)
    {
      mk_error_set (&err, errno, "write `%s`", path);
      close (fd);
      return mk_cli_fail (g, NULL, err);
    }
  close (fd);
  return 0;
}
