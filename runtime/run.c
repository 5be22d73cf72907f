/* run.c: `mkrun run [OPTIONS] ID`: create + start.  */
#include "config.h"

#include "cli.h"
#include "container.h"

int mk_cli_parse_create (struct mk_global *g, int argc, char **argv, struct mk_create_opts *o,
                         bool run);

int
mk_cmd_run (struct mk_global *g, int argc, char **argv)
{
  struct mk_create_opts o = { 0 };
  mk_error *err = NULL;
  int code = 0;
  int r = mk_cli_parse_create (g, argc, argv, &o, true);
  if (r < 0)
    return r == -2 ? 0 : 1;
  if (mk_container_run (&o, &code, &err) < 0)
    return mk_cli_fail (g, o.id, err);
  return code;
}
