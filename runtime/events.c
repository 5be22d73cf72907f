/* events.c: `mkrun events [--stats] [--interval D] ID`: runc's stats and
 * oom events, one JSON object per line.  */
#include "config.h"

#include "cli.h"
#include "container.h"
#include "utils.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A Go-style duration ("5s", "250ms", "1m30s", "1.5s") in milliseconds.  */
static int
parse_duration (const char *s, unsigned *ms)
{
  static const struct
  {
    const char *unit;
    double ms;
  } units[] = { { "ms", 1 },   { "us", 0.001 }, { "ns", 0.000001 },
                { "s", 1000 }, { "m", 60000 },  { "h", 3600000 } };
  double total = 0;
  if (*s == '\0')
    return -1;
  while (*s)
    {
      char *end;
      double v = strtod (s, &end);
      size_t i;
      if (end == s || v < 0)
        return -1;
      for (i = 0; i < MK_ARRAY_SIZE (units); i++)
        if (strncmp (end, units[i].unit, strlen (units[i].unit)) == 0)
          break;
      if (i == MK_ARRAY_SIZE (units))
        return -1;
      total += v * units[i].ms;
      s = end + strlen (units[i].unit);
    }
  if (total < 1 || total > 86400000.0)
    return -1;
  *ms = (unsigned)total;
  return 0;
}

static void
print_event (const char *json, void *arg)
{
  (void)arg;
  printf ("%s\n", json);
  fflush (stdout);
}

int
mk_cmd_events (struct mk_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "stats", no_argument, NULL, 's' },
    { "interval", required_argument, NULL, 'i' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool once = false;
  unsigned interval = 5000;
  mk_error *err = NULL;
  int c;

  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 's':
        once = true;
        break;
      case 'i':
        if (parse_duration (optarg, &interval) < 0)
          return mk_cli_usage_error (g, "--interval: `%s` is not a duration (like 5s, 500ms)",
                                     optarg);
        break;
      case 'h':
        printf ("Usage: mkrun events [OPTIONS] ID\n\n"
                "Print the container's statistics (cpu, memory, pids, blkio, hugetlb) and\n"
                "OOM kills as JSON lines, until it stops.\n\n"
                "Options:\n"
                "  --stats          print the statistics once and exit\n"
                "  --interval D     time between statistics (default 5s)\n");
        return 0;
      default:
        return mk_cli_usage_error (g, "unknown option");
      }
  if (optind != argc - 1)
    return mk_cli_usage_error (g, "expected one container ID");
  if (mk_container_events (g->root, argv[optind], once, interval, print_event, NULL, &err) < 0)
    return mk_cli_fail (g, argv[optind], err);
  return 0;
}

/* checkpoint and restore: CRIU does not work on the kernels we run on (Debian's
   criu fails here), so both say so clearly; `features` says it too.  */
int
mk_cmd_checkpoint (struct mk_global *g, int argc, char **argv)
{
  const char *id = argc > 1 ? argv[argc - 1] : NULL;
  mk_error *err = NULL;
  if (argc > 1 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf ("Usage: mkrun %s [OPTIONS] ID\n\nNot supported: mkrun has no CRIU support.\n",
              g->command);
      return 0;
    }
  mk_error_set (&err, 0, "%s is not supported: mkrun has no checkpoint/restore (CRIU) support",
                g->command);
  return mk_cli_fail (g, id, err);
}
