/* cli.h: what every command of the mkrun CLI shares: the global options,
 * the one-line error report (stderr and --log), and the command table.
 * Commands parse their flags and call libcontainer; nothing else.  */
#ifndef MK_CLI_H
#define MK_CLI_H

#include <stdbool.h>

#include "error.h"

struct mk_global
{
  const char *root;
  const char *log;
  bool log_json;
  bool debug;
  bool systemd_cgroup;
  const char *command; /* for messages */
};

/* Prints "mkrun: CMD ID: MESSAGE" to stderr and the log; frees err; returns 1. */
int mk_cli_fail (const struct mk_global *g, const char *id, mk_error *err);
/* A usage error: "mkrun: CMD: MESSAGE" + a hint; returns 1.  */
int mk_cli_usage_error (const struct mk_global *g, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* --format/--log-format: "json" or OTHER ("table", "text").  Returns 0, or
   1 after printing the usage error.  */
int mk_cli_parse_format (const struct mk_global *g, const char *opt, const char *arg,
                         const char *other, bool *json);

struct option;
/* Takes an option a command's getopt_long found (C, its argument ARG):
   returns 0, or 1 after printing a usage error.  */
typedef int (*mk_cli_opt_fn) (struct mk_global *g, int c, const char *arg, void *ctx);
/* getopt_long over ARGV with SHORTOPTS and OPTS, whose -h/--help ('h')
   prints HELP; every other option goes to OPT.  Returns true with optind
   at the first operand, or false when the command is done: *STATUS is 0
   after --help, 1 after a usage error (an unknown or incomplete option, or
   OPT's).  */
bool mk_cli_getopt (struct mk_global *g, int argc, char **argv, const char *shortopts,
                    const struct option *opts, const char *help, mk_cli_opt_fn opt, void *ctx,
                    int *status);

#define CMD(name) int mk_cmd_##name (struct mk_global *g, int argc, char **argv)
CMD (create);
CMD (start);
CMD (state);
CMD (kill);
CMD (delete);
CMD (run);
CMD (list);
CMD (spec);
CMD (features);
CMD (pause);
CMD (resume);
CMD (ps);
CMD (exec);
CMD (update);
CMD (events);
CMD (checkpoint);
CMD (app);
CMD (app_sub);
CMD (app_exec);
CMD (yaml2oci);
CMD (hpc);
/* `mkrun start X` means an app (not OCI start) when --config/-e is given or
   X is an app and not a container.  */
bool mk_cli_start_is_app (struct mk_global *g, int argc, char **argv);

#endif
