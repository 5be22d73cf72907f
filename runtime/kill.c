/* kill.c: `mkrun kill [--all] ID [SIGNAL]`.  */
#include "config.h"

#include "cli.h"
#include "container.h"
#include "utils.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>

int
mk_cmd_kill (struct mk_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool all = false;
  int c, sig = SIGTERM;
  const char *id;
  mk_error *err = NULL;

  while ((c = getopt_long (argc, argv, "ah", opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'h':
        printf ("Usage: mkrun kill [OPTIONS] ID [SIGNAL]\n\n"
                "Send SIGNAL (default TERM; a name with or without SIG, or a number)\n"
                "to the container's init.\n\n"
                "Options:\n  -a, --all   send it to every process of the container\n");
        return 0;
      default:
        return mk_cli_usage_error (g, "unknown option");
      }
  if (optind >= argc || argc - optind > 2)
    return mk_cli_usage_error (g, "expected ID [SIGNAL]");
  id = argv[optind];
  if (argc - optind == 2 && (sig = mk_signal_parse (argv[optind + 1])) < 0)
    {
      mk_error_set (&err, 0, "unknown signal `%s`", argv[optind + 1]);
      return mk_cli_fail (g, id, err);
    }
  if (mk_container_kill (g->root, id, sig, all, &err) < 0)
    return mk_cli_fail (g, id, err);
  return 0;
}
