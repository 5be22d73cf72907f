/* state.h: a container's state directory: ROOT/ID/{state.json,config.json,exec.fifo}.
 * state.json is written once at create (atomically, by rename) and read by
 * every other command under the directory's flock.  */
#ifndef MK_STATE_H
#define MK_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* What a create has made so far (pid, start_time, cgroup_path; the rest of
   the state as far as known), in state.json's format, until state.json is
   written.  Only a delete reads it: a create that was killed leaves the
   state dir without state.json, which no other command sees.  */
#define MK_STATE_CREATING_FILE "creating.json"

enum mk_status
{
  MK_STATUS_CREATING,
  MK_STATUS_CREATED,
  MK_STATUS_RUNNING,
  MK_STATUS_STOPPED,
  MK_STATUS_PAUSED,
};

struct mk_state
{
  char *id;
  pid_t pid;
  unsigned long long start_time; /* /proc/PID/stat field 22, to spot pid reuse */
  char *bundle;
  char *rootfs;
  char *cgroup_path;
  char *freezer_file; /* v1 freezer.state or v2 cgroup.freeze, for `paused` */
  char *created; /* RFC 3339 */
  uid_t owner;
  bool systemd_cgroup;
  struct mk_kv *annotations;
  size_t n_annotations;
  /* What later commands need of the config as create ran it, so that none
     re-derives it: the process's environment with what the extensions
     added (the GPUs'), for exec; the cpus linux.resources asked for before
     anything narrowed them (the HPC profile widens them back).  NULL if
     none.  */
  char **env;
  char *cpus;
};

const char *mk_status_name (enum mk_status s);

/* mkdir ROOT (0700) and ROOT/ID; fails with "container `ID` already exists".
   Returns an O_DIRECTORY fd of ROOT/ID, flock'ed exclusively.  */
int mk_state_dir_create (const char *root, const char *id, int *dirfd, mk_error **err);
/* The state root without --root: /run/mkrun, or for an unprivileged caller
   (mk_ns_unprivileged) with XDG_RUNTIME_DIR set, $XDG_RUNTIME_DIR/mkrun
   (runc's and crun's rule).  */
const char *mk_state_default_root (void);
/* Opens and locks ROOT/ID ("container `ID` does not exist").  */
int mk_state_dir_open (const char *root, const char *id, bool exclusive, int *dirfd,
                       mk_error **err);
/* A state dir without state.json: a create killed before it wrote it (its
   MK_STATE_CREATING_FILE says what it had made), or a delete killed while
   removing the dir.  Opens and locks ROOT/ID exclusively and returns 0 when
   it is one (*dirfd set), 1 when state.json is there (a create finished
   meanwhile: load it as usual), -1 with "container `ID` does not exist"
   when there is no such dir.  */
int mk_state_dir_open_abandoned (const char *root, const char *id, int *dirfd, mk_error **err);
/* rm -r ROOT/ID (it holds only files), state.json last.  */
int mk_state_dir_remove (const char *root, const char *id, mk_error **err);

int mk_state_write (int dirfd, const struct mk_state *st, mk_error **err);
int mk_state_read (int dirfd, const char *id, struct mk_state **out, mk_error **err);
/* What mk_state_read does with the text of state.json (JSON, NUL-terminated)
   of container ID.  */
int mk_state_parse (const char *json, const char *id, struct mk_state **out, mk_error **err);
/* The same for another file of the state dir (MK_STATE_CREATING_FILE).  */
int mk_state_write_as (int dirfd, const char *name, const struct mk_state *st, mk_error **err);
int mk_state_read_as (int dirfd, const char *name, const char *id, struct mk_state **out,
                      mk_error **err);
void mk_state_free (struct mk_state *st);

/* The status a reader sees now: stopped when the init is gone (or its pid
   was reused), created while the exec fifo exists, paused when frozen.  */
enum mk_status mk_state_status (int dirfd, const struct mk_state *st);

/* The runtime-spec state document (ociVersion, id, status, pid, bundle,
   annotations), as `state` prints it and hooks receive it.  When pretty,
   with runc's extra fields (rootfs, created, owner).  */
char *mk_state_json (const struct mk_state *st, enum mk_status status, bool pretty);

/* mk_state_dir_open + mk_state_read: *dirfd (locked) and *st, or -1.  */
int mk_state_load (const char *root, const char *id, bool exclusive, int *dirfd,
                   struct mk_state **st, mk_error **err);
/* The config.json create saved in the state dir, parsed (not its
   extensions' annotations: mk_ext_parse does those).  A missing or damaged one is an
   error: "container `ID`: its saved config.json: ...".  */
int mk_state_saved_spec (int dirfd, const struct mk_state *st, struct mk_spec **spec,
                         mk_error **err);

/* Lists the ids under ROOT (sorted).  */
int mk_state_list (const char *root, char ***ids, mk_error **err);

#endif
