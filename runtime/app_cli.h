/* app_cli.h: what the app front end's commands share.  They are split by
 * group: app.c (`mkrun app`, the dispatch, --help), app_run.c (`mkrun -e`,
 * `app start`), app_ctl.c (stop, restart, rm), app_show.c (status, list,
 * logs, monitor) and yaml2oci.c.  */
#ifndef MK_APP_CLI_H
#define MK_APP_CLI_H

#include <stdbool.h>

#include "app/app.h"
#include "cli.h"

/* `mkrun app --help` */
extern const char mk_cli_app_help[];

/* mk_cli_getopt (its HELP: `mkrun app --help`), then one app NAME.  */
bool mk_cli_app_getopt (struct mk_global *g, int argc, char **argv, const char *shortopts,
                        const struct option *opts, mk_cli_opt_fn opt, void *ctx, const char **name,
                        int *status);

/* What stop, restart, rm and status take: NAME, and of --time, --json and
   --force those whose letter ('t', 'j', 'f') is in ALLOW.  */
struct mk_cli_app_name
{
  const char *allow;
  const char *name;
  unsigned time_s;
  bool json, force;
};
bool mk_cli_app_parse_name (struct mk_global *g, int argc, char **argv, struct mk_cli_app_name *o,
                            int *status);

/* Options of the commands that start an app.  */
struct mk_cli_app_start
{
  const char *exe, *config, *app_args, *name;
  bool detach;
  bool again; /* NAME is an exited app started again */
};

/* Parses the YAML (or an empty one), applies the command line, checks
   the host.  */
int mk_cli_app_load (const struct mk_cli_app_start *a, struct mk_app **out, mk_error **err);
/* P made absolute against the working directory (NULL stays NULL).  */
char *mk_cli_abs_path (const char *p);
/* The library's warnings and notices, to stderr.  */
void mk_cli_app_notice (enum mk_app_log_level level, const char *msg);

CMD (app_start);
CMD (app_control); /* stop, restart, rm: argv[0] says which */
CMD (app_status);
CMD (app_list);
CMD (app_logs);
CMD (app_monitor);

#endif
