/* app_ctl.c: `mkrun app stop|restart|rm NAME`.  */
#include "config.h"

#include "app/supervise.h"
#include "app_cli.h"

#include <string.h>

/* argv[0] says which: stop, restart or rm.  */
int
mk_cmd_app_control (struct mk_global *g, int argc, char **argv)
{
  bool rm = strcmp (argv[0], "rm") == 0;
  struct mk_cli_app_name o = { .allow = rm ? "f" : "t", .time_s = 10 };
  mk_error *err = NULL;
  int status;
  if (!mk_cli_app_parse_name (g, argc, argv, &o, &status))
    return status;
  if ((rm ? mk_app_remove (g->root, o.name, o.force, &err)
          : mk_app_stop (g->root, o.name, o.time_s, &err))
      < 0)
    return mk_cli_fail (g, o.name, err);
  if (strcmp (argv[0], "restart") == 0)
    {
      char *args[] = { (char *)"start", (char *)o.name, NULL };
      return mk_cmd_app_start (g, 2, args);
    }
  return 0;
}
