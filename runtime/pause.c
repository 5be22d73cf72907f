/* pause.c: `mkrun pause ID` and `mkrun resume ID`.  */
#include "config.h"

#include "cli.h"
#include "container.h"

int mk_cli_parse_id (struct mk_global *g, int argc, char **argv, const char *help,
                     const char **id);

static int
pause_or_resume (struct mk_global *g, int argc, char **argv, bool pause)
{
  const char *id;
  mk_error *err = NULL;
  int r = mk_cli_parse_id (g, argc, argv,
                           pause ? "Usage: mkrun pause ID\n\nFreeze every process of a running "
                                   "container (the cgroup freezer); state reads `paused`.\n"
                                 : "Usage: mkrun resume ID\n\nThaw a paused container.\n",
                           &id);
  if (r < 0)
    return r == -2 ? 0 : 1;
  if (mk_container_pause (g->root, id, pause, &err) < 0)
    return mk_cli_fail (g, id, err);
  return 0;
}

int
mk_cmd_pause (struct mk_global *g, int argc, char **argv)
{
  return pause_or_resume (g, argc, argv, true);
}

int
mk_cmd_resume (struct mk_global *g, int argc, char **argv)
{
  return pause_or_resume (g, argc, argv, false);
}
