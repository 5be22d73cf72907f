/* app/supervise.h: running an app, and the apps that run.
 *
 * Each app has a directory ROOT/.apps/NAME (ROOT is mkrun's --root; `list`
 * skips dot names) holding app.json (the record below, replaced by
 * rename), bundle/ (config.json, rootfs, the private tmp and run dirs),
 * and output.log when the YAML names no logging.file.  The container's id
 * is "app-NAME".
 *
 * A supervisor owns the app: it creates and starts the container with its
 * stdout/stderr on pipes, writes every line to the log with a timestamp
 * (write(2) per line: complete whatever happens to the program), waits
 * for the exit, reads the OOM count of the cgroup, deletes the container,
 * and restarts it as application.restart says (backoff 0.1 s doubling to
 * 10 s).  In the foreground (`mkrun -e`) mkrun itself is the supervisor and
 * also copies the output to its own stdout/stderr; detached (`app start`)
 * it is a forked process in its own session.  */
#ifndef MK_APP_SUPERVISE_H
#define MK_APP_SUPERVISE_H

#include <stdbool.h>
#include <sys/types.h>

#include "app/app.h"
#include "error.h"

struct mk_app_record
{
  char *name;
  char *config;     /* the YAML, absolute */
  char *executable; /* as overridden by -e (absolute), or NULL */
  char *app_args;   /* --app-args, or NULL */
  char *log;        /* where the output goes */
  char *status;     /* starting, running, restarting, exited, stopped */
  bool detached;
  pid_t supervisor;
  unsigned long long supervisor_start;
  pid_t pid;               /* the container's init, while running */
  long long started_ms;    /* when the current (or last) run started */
  long long finished_ms;
  int exit_code;           /* of the last run; 128+N for a signal */
  int signal;              /* that killed it, or 0 */
  bool oom;                /* the last run saw the OOM killer */
  int restarts;
  char **listen;      /* the unix sockets it listens on, in its view */
  char **listen_host; /* and their host paths */
};

struct mk_app_run_opts
{
  const char *root;    /* mkrun's state root */
  struct mk_app *app;  /* parsed and checked; name set */
  const char *config;  /* to record, for restart */
  const char *executable_override;
  const char *app_args;
  bool detach;
  bool again; /* NAME may be an exited app: start it again, keeping its directory and log */
  /* Shows a warning or a notice (the library never prints); called only
     for levels the app's logging.level lets through.  */
  void (*notice) (enum mk_app_log_level level, const char *msg);
};

/* Runs the app.  Foreground: until it ends for good; *exit_code is its
   status.  Detached: returns once the container runs (or failed to).
   Errors before the program ran leave nothing behind.  */
int mk_app_run (const struct mk_app_run_opts *o, int *exit_code, mk_error **err);

/* SIGTERM to the program, SIGKILL after TIMEOUT_S; no restart follows.
   Waits until the supervisor has recorded the exit.  */
int mk_app_stop (const char *root, const char *name, unsigned timeout_s, mk_error **err);
/* Removes a stopped app's directory (FORCE: stops it first).  */
int mk_app_remove (const char *root, const char *name, bool force, mk_error **err);

int mk_app_record_read (const char *root, const char *name, struct mk_app_record **out,
                        mk_error **err);
void mk_app_record_free (struct mk_app_record *r);
/* The record as JSON (for `app status --json`), with "uptime_s".  */
char *mk_app_record_json (const struct mk_app_record *r, bool pretty);
/* Is its supervisor still there?  */
bool mk_app_record_alive (const struct mk_app_record *r);

/* How an app is shown (`app status`, `app list`, --json): a record whose
   supervisor is gone reads "exited", or "stopped" when it was stopped.  */
struct mk_app_status
{
  const char *word; /* starting, running, restarting, exited, stopped (R's, or static) */
  bool alive;       /* its supervisor is there */
  bool running;     /* its program runs: its pid and uptime mean something */
};
struct mk_app_status mk_app_record_status (const struct mk_app_record *r);
/* The app names under ROOT, sorted.  */
int mk_app_list (const char *root, char ***names, mk_error **err);
/* ROOT/.apps/NAME */
char *mk_app_dir (const char *root, const char *name);
/* "app-NAME" */
char *mk_app_container_id (const char *name);
long long mk_app_now_ms (void);

#endif
