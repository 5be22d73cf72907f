/* start.c: `mkrun start ID`.  */
#include "config.h"

#include "cli.h"
#include "container.h"

#include <stdio.h>
#include <string.h>

/* Parses the options of commands that take only an ID (and --help).  */
int mk_cli_parse_id (struct mk_global *g, int argc, char **argv, const char *help,
                     const char **id);

int
mk_cli_parse_id (struct mk_global *g, int argc, char **argv, const char *help, const char **id)
{
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
      {
        printf ("%s", help);
        return -2;
      }
  if (argc != 2 || argv[1][0] == '-')
    {
      mk_cli_usage_error (g, "expected one container ID");
      return -1;
    }
  *id = argv[1];
  return 0;
}

int
mk_cmd_start (struct mk_global *g, int argc, char **argv)
{
  const char *id;
  mk_error *err = NULL;
  int r;
  if (mk_cli_start_is_app (g, argc, argv))
    return mk_cmd_app_sub (g, argc, argv);
  r = mk_cli_parse_id (g, argc, argv,
                           "Usage: mkrun start ID\n\nRun the process of a created container.\n",
                           &id);
  if (r < 0)
    return r == -2 ? 0 : 1;
  if (mk_container_start (g->root, id, &err) < 0)
    return mk_cli_fail (g, id, err);
  return 0;
}
