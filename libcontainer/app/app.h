/* app/app.h: the app front end's YAML (`mkrun -e EXE --config FILE`),
 * parsed with libyaml and validated once into struct mk_app.
 *
 * Every error names FILE:LINE:COL and the key, with "did you mean" for a
 * near miss of a known key.  Relative host paths (executable, inputs,
 * outputs, logging.file) resolve against the YAML file's directory; the
 * caller resolves command-line paths against the current directory before
 * it overrides them.  Nothing here touches the system beyond reading the
 * file: checks that need the host (paths exist, packages installed) are
 * mk_app_check()'s.  */
#ifndef MK_APP_APP_H
#define MK_APP_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "spec.h"

enum mk_app_network
{
  MK_APP_NET_NONE, /* own network namespace, loopback only (the default) */
  MK_APP_NET_LIMITED,
  MK_APP_NET_FULL,
};

enum mk_app_restart
{
  MK_APP_RESTART_NO,
  MK_APP_RESTART_ON_FAILURE,
  MK_APP_RESTART_ALWAYS,
};

enum mk_app_log_level
{
  MK_APP_LOG_NONE,
  MK_APP_LOG_ERROR,
  MK_APP_LOG_WARN,
  MK_APP_LOG_INFO,
  MK_APP_LOG_DEBUG,
};

struct mk_app_socket
{
  char *path; /* absolute, in the app's view */
  bool listen;
};

struct mk_app
{
  char *file; /* the YAML, as given */
  char *dir;  /* its directory, absolute */

  char *name;
  char *executable; /* absolute host path once resolved */
  char **args;      /* application.args (without argv[0]) */
  char *user;       /* application.user, NULL: the invoking user */
  char *workdir;
  enum mk_app_restart restart;

  double cpu_cores;    /* 0: no limit */
  uint64_t mem_bytes;  /* 0: no limit */
  int io_priority;     /* -1: unset, else 0 low, 1 medium, 2 high */
  int64_t pids_limit;  /* 0: no limit */
  bool best_effort;    /* resources.best_effort: no cgroup to be had (an
                          ordinary user, nothing delegated) drops the
                          limits with a warning instead of failing */

  char **inputs;  /* absolute host paths, bound read-only */
  char **outputs; /* absolute host paths, bound read-write */
  bool root_minimal;

  enum mk_app_network network;
  char **endpoints; /* "host:port", for limited */
  struct mk_app_socket *sockets;
  size_t n_sockets;
  unsigned socket_timeout_ms; /* how long a connector waits for its listener */

  char **system_packages;
  char **nim_packages;

  struct mk_kv *env;
  size_t n_env;

  struct mk_kv *hpc; /* hpc: as org.mkrun.hpc.* annotations */
  size_t n_hpc;

  enum mk_app_log_level log_level;
  char *log_file; /* absolute, or NULL */

  /* Where each key was, for errors found after parsing (FILE:LINE:COL).  */
  struct mk_app_where *where;
  size_t n_where;
};

/* Parses and validates FILE.  */
int mk_app_parse (const char *file, struct mk_app **out, mk_error **err);
/* The same, from a string (FILE only names it in errors; DIR resolves
   relative paths).  */
int mk_app_parse_string (const char *file, const char *dir, const char *text, size_t len,
                         struct mk_app **out, mk_error **err);
void mk_app_free (struct mk_app *app);

/* "FILE:LINE:COL: KEY" of a key that was in the YAML, or "FILE: KEY".  */
char *mk_app_where (const struct mk_app *app, const char *key);

/* Checks against the host, before anything is made: the executable is an
   executable file, inputs exist, outputs are directories (or missing:
   they are created at start), system_packages are installed (dpkg).  */
int mk_app_check (const struct mk_app *app, mk_error **err);

/* Sets the executable from the command line (relative to the current
   directory; looked up on PATH when it has no slash).  */
int mk_app_set_executable (struct mk_app *app, const char *exe, mk_error **err);
/* Appends --app-args: split like a shell would (quotes and backslashes,
   no expansion).  */
int mk_app_add_args (struct mk_app *app, const char *line, mk_error **err);
int mk_app_split_args (const char *line, char ***out, mk_error **err);

/* Parses sizes ("100MB" decimal, "256MiB" or "1G" binary) and CPU counts
   ("1 core", "0.5 cores", "50%"); exposed for the tests.  */
int mk_app_parse_size (const char *s, uint64_t *out);
int mk_app_parse_cpus (const char *s, double *out);

const char *mk_app_log_level_name (enum mk_app_log_level l);

#endif
