/* container.h: the lifecycle operations the CLI calls, one per command.
 * Each validates, does its work, and on failure leaves nothing behind.  */
#ifndef MK_CONTAINER_H
#define MK_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "state.h"

struct mk_create_opts
{
  const char *root;
  const char *id;
  const char *bundle; /* NULL: the current directory */
  const char *config; /* NULL: BUNDLE/config.json */
  const char *console_socket;
  const char *pid_file;
  const char *pidfd_socket; /* send the init's pidfd there */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool systemd_cgroup;
  bool detach; /* run only */
  bool keep;   /* run only: a foreground run leaves the stopped container */
};

/* A container's state dir (locked) and state, and its status when opened.  */
struct mk_opened
{
  int dirfd;
  struct mk_state *st;
  enum mk_status status;
};
#define MK_IN(status) (1u << (status))
/* Loads container ID and checks its status is in WANT (MK_IN bits); else
   fails with REFUSAL, a format given the id and the status's name
   ("container `%s` is %s, not paused").  mk_container_close frees *C.  */
int mk_container_open (const char *root, const char *id, bool exclusive, unsigned want,
                       const char *refusal, struct mk_opened *c, mk_error **err);
void mk_container_close (struct mk_opened *c);

int mk_container_create (const struct mk_create_opts *o, mk_error **err);
/* create + start.  In the foreground, waits and sets *exit_code to the
   container's exit status (128+N for signal N), then deletes it (unless
   O->keep).  */
int mk_container_run (const struct mk_create_opts *o, int *exit_code, mk_error **err);
int mk_container_start (const char *root, const char *id, mk_error **err);
int mk_container_state (const char *root, const char *id, char **json, mk_error **err);
int mk_container_kill (const char *root, const char *id, int sig, bool all, mk_error **err);
int mk_container_delete (const char *root, const char *id, bool force, mk_error **err);

/* exec: a new process in a created or running container (exec.c).  */
struct mk_exec_opts
{
  const char *root;
  const char *id;
  const char *process_file; /* --process: a process JSON; the flags below are then ignored */
  char **args;              /* the command, NULL-terminated */
  const char *cwd;
  char **env;               /* KEY=VALUE, added to (or replacing in) the container's */
  const char *user;         /* "UID[:GID]" */
  const char *additional_gids; /* comma-separated, added */
  char **caps;              /* CAP_X added to the bounding, effective, permitted sets */
  bool no_new_privs;
  int tty;                  /* -1: as the process JSON says (false without one) */
  const char *console_socket;
  bool detach;
  const char *pid_file;
  const char *pidfd_socket; /* send the process's pidfd there */
  int preserve_fds;
  const char *process_label;
  const char *apparmor;
  char **cgroups;           /* --cgroup [CONTROLLERS:]PATH, each below the container's */
  bool ignore_paused;       /* a paused container is not refused */
};
/* In the foreground, waits and sets *exit_code to the process's status
   (128+N for signal N); detached, returns once it runs.  */
int mk_container_exec (const struct mk_exec_opts *o, int *exit_code, mk_error **err);

/* Changes the container's cgroup limits: RESOURCES_JSON (a linux.resources
   object, or NULL), then FLAGS ("memory=64m", runc's update flag names
   without dashes) on top.  Device rules are never changed.  */
int mk_container_update (const char *root, const char *id, const char *resources_json,
                         char *const *flags, mk_error **err);

/* Statistics and events (events.c).  FN gets each event as one line of
   JSON: {"type":"stats","id":ID,"data":{...}} (runc's shape) or
   {"type":"oom","id":ID}.  ONCE: one stats event and return.  Otherwise
   stats every INTERVAL_MS and oom events as they happen, until the
   container stops.  */
typedef void (*mk_event_fn) (const char *json, void *arg);
int mk_container_events (const char *root, const char *id, bool once, unsigned interval_ms,
                         mk_event_fn fn, void *arg, mk_error **err);

/* Freezes (pause) or thaws (resume) every process of the container.  */
int mk_container_pause (const char *root, const char *id, bool pause, mk_error **err);
/* The pids of the container's processes (its cgroup), malloc'ed.  */
int mk_container_pids (const char *root, const char *id, pid_t **pids, size_t *n, mk_error **err);

struct mk_container_info
{
  char *id;
  pid_t pid;
  enum mk_status status;
  char *bundle;
  char *created;
  uid_t owner;
};
int mk_container_list (const char *root, struct mk_container_info **out, size_t *n,
                       mk_error **err);
void mk_container_info_free (struct mk_container_info *v, size_t n);

#endif
