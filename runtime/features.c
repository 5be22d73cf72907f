/* features.c: `mkrun features`.  */
#include "config.h"

#include "cli.h"
#include "features.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
mk_cmd_features (struct mk_global *g, int argc, char **argv)
{
  char *json;
  if (argc > 1 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf ("Usage: mkrun features\n\nPrint the runtime-spec features document: what this "
              "build of mkrun supports on this host.\n");
      return 0;
    }
  if (argc > 1)
    return mk_cli_usage_error (g, "takes no arguments");
  json = mk_features_json ();
  printf ("%s\n", json);
  free (json);
  return 0;
}
