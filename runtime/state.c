/* state.c: `mkrun state ID`.  */
#include "config.h"

#include "cli.h"
#include "container.h"

#include <stdio.h>
#include <stdlib.h>

int mk_cli_parse_id (struct mk_global *g, int argc, char **argv, const char *help,
                     const char **id);

int
mk_cmd_state (struct mk_global *g, int argc, char **argv)
{
  const char *id;
  char *json = NULL;
  mk_error *err = NULL;
  int r = mk_cli_parse_id (
      g, argc, argv,
      "Usage: mkrun state ID\n\nPrint the runtime-spec state of a container as JSON.\n", &id);
  if (r < 0)
    return r == -2 ? 0 : 1;
  if (mk_container_state (g->root, id, &json, &err) < 0)
    return mk_cli_fail (g, id, err);
  printf ("%s\n", json);
  free (json);
  return 0;
}
