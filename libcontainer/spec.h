/* spec.h: config.json as typed structs, parsed and validated once.
 *
 * Everything downstream reads these structs; nothing re-reads config.json.
 * Sub-trees that belong to one module (linux.resources, linux.seccomp) are
 * handed to that module's own parser as yajl nodes (see cgroups/resources.h,
 * seccomp.h) and kept here already parsed.  */
#ifndef MK_SPEC_H
#define MK_SPEC_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "error.h"
#include "netdev.h"

struct mk_resources;
struct mk_seccomp;
struct mk_extension;

struct mk_kv
{
  char *key;
  char *value;
};

struct mk_mount
{
  char *destination;
  char *type;
  char *source;
  char **options;           /* as written, for features/debug */
  unsigned long flags;      /* MS_* to set */
  unsigned long clear;      /* MS_* the options cleared (rw, suid, dev, exec, atime...) */
  unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) */
  unsigned long long attr_set, attr_clr; /* MOUNT_ATTR_* for recursive r* options */
  bool bind;                /* bind or rbind */
  bool recursive;           /* rbind */
  bool idmap;               /* idmap/ridmap, or uidMappings given */
  char *data;               /* the options that are not flags, comma-joined */
  struct mk_idmap *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
};

struct mk_idmap
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct mk_namespace
{
  int type;   /* CLONE_NEW* */
  char *path; /* join this one instead of creating; NULL to create */
};

struct mk_rlimit
{
  int resource;
  uint64_t soft, hard;
};

struct mk_hook
{
  char *path;
  char **args;
  char **env;
  int timeout; /* seconds, 0 = none */
};

enum mk_hook_kind
{
  MK_HOOK_PRESTART,
  MK_HOOK_CREATE_RUNTIME,
  MK_HOOK_CREATE_CONTAINER,
  MK_HOOK_START_CONTAINER,
  MK_HOOK_POSTSTART,
  MK_HOOK_POSTSTOP,
  MK_HOOK_COUNT
};

struct mk_hooks
{
  struct mk_hook *list;
  size_t n;
};

struct mk_device
{
  char *path;
  char type; /* 'c', 'u', 'b', 'p' */
  int64_t major, minor;
  mode_t file_mode;
  bool has_file_mode;
  uid_t uid;
  gid_t gid;
  bool has_uid, has_gid;
};

/* One capability set: cap values (libcap's cap_value_t are ints).  */
struct mk_capset
{
  int *caps;
  size_t n;
  bool given; /* the set was present in config.json */
};

enum mk_capset_kind
{
  MK_CAP_BOUNDING,
  MK_CAP_EFFECTIVE,
  MK_CAP_INHERITABLE,
  MK_CAP_PERMITTED,
  MK_CAP_AMBIENT,
  MK_CAP_COUNT
};

struct mk_process
{
  bool terminal;
  unsigned short console_height, console_width;
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  bool has_umask;
  mode_t umask;
  char **args;
  char **env;
  char *cwd;
  struct mk_capset caps[MK_CAP_COUNT];
  bool has_caps;
  struct mk_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *apparmor_profile;
  char *selinux_label;
  bool has_io_priority;
  int io_priority_class; /* IOPRIO_CLASS_* */
  int io_priority;
  /* execCPUAffinity (exec's processes only, as runtime-spec says): the
     cpus while joining the container, and then the program's.  */
  bool has_affinity_initial, has_affinity_final;
  cpu_set_t affinity_initial, affinity_final;
  bool has_scheduler;
  int sched_policy;
  int sched_nice, sched_priority;
  uint64_t sched_flags, sched_runtime, sched_deadline, sched_period;
};

struct mk_time_offset
{
  int clock; /* CLOCK_MONOTONIC or CLOCK_BOOTTIME */
  int64_t secs;
  uint32_t nanosecs;
};

struct mk_spec
{
  char *oci_version;
  char *root_path; /* absolute: resolved against the bundle */
  bool root_readonly;
  char *hostname;
  char *domainname;
  struct mk_mount *mounts;
  size_t n_mounts;
  struct mk_process *process; /* may be NULL only where the caller allows it */
  struct mk_hooks hooks[MK_HOOK_COUNT];
  struct mk_kv *annotations;
  size_t n_annotations;
  /* What the extensions' parsers made (extension.h), in their table's
     order; only those asked for.  */
  struct mk_spec_ext
  {
    const struct mk_extension *ext;
    void *data;
  } *ext;
  size_t n_ext;
  bool init_shim; /* annotation org.mkrun.init: an init runs the program as its child */

  /* linux */
  struct mk_namespace *namespaces;
  size_t n_namespaces;
  struct mk_idmap *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
  struct mk_time_offset *time_offsets;
  size_t n_time_offsets;
  struct mk_device *devices;
  size_t n_devices;
  char *cgroups_path;
  struct mk_resources *resources; /* NULL if absent */
  unsigned long rootfs_propagation; /* 0 = default (rslave) */
  char **masked_paths;
  char **readonly_paths;
  struct mk_kv *sysctl;
  size_t n_sysctl;
  struct mk_seccomp *seccomp; /* NULL if absent */
  bool has_personality;
  unsigned long personality;
  /* linux.memoryPolicy (runtime-spec 1.3): set_mempolicy's mode with its
     MPOL_F_* flags, and the nodes.  */
  bool has_memory_policy;
  int memory_policy;
  cpu_set_t memory_nodes;
  char *mount_label;
  /* linux.netDevices (runtime-spec 1.3): host devices to move in.  */
  struct mk_netdev *net_devices;
  size_t n_net_devices;

  yajl_val tree; /* the parsed document, owned */
};

/* Reads BUNDLE/config.json.  The error names the field:
   "process.args: expected an array of strings".  */
int mk_spec_load (const char *bundle, struct mk_spec **out, mk_error **err);
/* Parses a document already in memory.  bundle resolves root.path.  */
int mk_spec_parse (const char *json, const char *bundle, struct mk_spec **out, mk_error **err);
/* Parses one "process" object (also exec's --process FILE).  */
int mk_spec_parse_process (yajl_val node, const char *where, struct mk_process **out,
                           mk_error **err);
void mk_process_free (struct mk_process *p);
/* Sets M's flags, clear, propagation, attr_* and data from M->options (as
   for a mounts[] entry of config.json); for code that adds mounts to a spec.  */
int mk_mount_parse_options (struct mk_mount *m, const char *where, mk_error **err);
void mk_spec_free (struct mk_spec *spec);

/* Appends a mount, its OPTIONS parsed as config.json's are (for the
   profiles that amend a spec).  */
int mk_spec_add_mount (struct mk_spec *spec, const char *destination, const char *type,
                       const char *source, const char *const *options, mk_error **err);

/* The namespace entry of that CLONE_NEW* type, or NULL.  */
const struct mk_namespace *mk_spec_namespace (const struct mk_spec *spec, int type);

/* mkrun's own annotations (see docs/DESIGN.md).  */
#define MK_ANNOTATION_INIT "org.mkrun.init"
/* "true": an unprivileged container that may not make a cgroup runs
   without its limits (with a warning) instead of failing.  */
#define MK_ANNOTATION_CGROUP_BEST_EFFORT "org.mkrun.cgroups.best-effort"

/* The runtime-spec version mkrun implements: state, features, `spec`.  */
#define MK_OCI_VERSION "1.3.0"

/* Looks up an annotation; NULL if absent.  */
const char *mk_spec_annotation (const struct mk_spec *spec, const char *key);

/* The default config.json of `mkrun spec` (rootless when asked).  */
char *mk_spec_default (bool rootless);

/* Names, for messages and `features`.  */
const char *mk_hook_kind_name (enum mk_hook_kind k);
const char *mk_namespace_name (int type);
const char *const *mk_namespace_names (void);
const char *const *mk_spec_mount_options (void);
/* linux.memoryPolicy's mode names, or with FLAGS its flag names.  */
const char *const *mk_spec_memory_policy_names (bool flags);

/* Small yajl accessors that produce field-named errors; used by every parser
   of a config sub-tree.  WHERE is the dotted path of NODE.  */
int mk_json_string (yajl_val node, const char *where, char **out, mk_error **err);
int mk_json_bool (yajl_val node, const char *where, bool *out, mk_error **err);
int mk_json_int64 (yajl_val node, const char *where, int64_t *out, mk_error **err);
int mk_json_uint64 (yajl_val node, const char *where, uint64_t *out, mk_error **err);
int mk_json_strv (yajl_val node, const char *where, char ***out, mk_error **err);
/* A string member of the object G is in.  */
void mk_json_gen_kv (yajl_gen g, const char *key, const char *value);
/* The text a generator made (with a final newline if NEWLINE); frees G.  */
char *mk_json_gen_finish (yajl_gen g, bool newline);
/* Child of an object by key; NULL if absent; error if NODE is not an object.  */
yajl_val mk_json_get (yajl_val node, const char *key);

#endif
