/* state.c: see state.h.  */
#include "config.h"

#include "namespaces.h"
#include "state.h"
#include "utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

static const char *const status_names[] = { "creating", "created", "running", "stopped", "paused" };

const char *
mk_status_name (enum mk_status s)
{
  return status_names[s];
}

static int
check_id (const char *id, mk_error **err)
{
  if (id == NULL || id[0] == '\0')
    return mk_error_set (err, 0, "container id must not be empty");
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0 || strchr (id, '/') || strlen (id) > 1024)
    return mk_error_set (err, 0, "invalid container id `%s`", id);
  for (const char *p = id; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
          || *p == '_' || *p == '-' || *p == '.' || *p == '+'))
      return mk_error_set (err, 0, "invalid container id `%s`", id);
  return 0;
}

const char *
mk_state_default_root (void)
{
  static char *root;
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  if (root == NULL)
    root = mk_ns_unprivileged () && xdg && xdg[0] == '/' ? xasprintf ("%s/mkrun", xdg)
                                                         : xstrdup ("/run/mkrun");
  return root;
}

int
mk_state_dir_create (const char *root, const char *id, int *dirfd, mk_error **err)
{
  _cleanup_close_ int rootfd = -1;
  int fd;

  if (check_id (id, err) < 0)
    return -1;
  if (mkdir (root, 0700) < 0 && errno != EEXIST)
    {
      if (errno != ENOENT || mk_mkdir_p (root, 0700, err) < 0)
        return mk_error_set (err, errno, "create state root `%s`", root);
    }
  rootfd = open (root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (rootfd < 0)
    return mk_error_set (err, errno, "open state root `%s`", root);
  if (mkdirat (rootfd, id, 0700) < 0)
    {
      if (errno == EEXIST)
        return mk_error_set (err, 0, "container `%s` already exists", id);
      return mk_error_set (err, errno, "create state directory `%s/%s`", root, id);
    }
  fd = openat (rootfd, id, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0 || flock (fd, LOCK_EX) < 0)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      unlinkat (rootfd, id, AT_REMOVEDIR);
      return mk_error_set (err, e, "open state directory `%s/%s`", root, id);
    }
  *dirfd = fd;
  return 0;
}

/* Opens and locks ROOT/ID (*PATH: its path): the fd, or -1.  */
static int
open_locked (const char *root, const char *id, bool exclusive, char **path, mk_error **err)
{
  int fd;

  if (check_id (id, err) < 0)
    return -1;
  *path = xasprintf ("%s/%s", root, id);
  fd = open (*path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return mk_error_set (err, 0, "container `%s` does not exist", id);
      return mk_error_set (err, errno, "open `%s`", *path);
    }
  if (flock (fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
    {
      int e = errno;
      close (fd);
      return mk_error_set (err, e, "lock `%s`", *path);
    }
  return fd;
}

int
mk_state_dir_open (const char *root, const char *id, bool exclusive, int *dirfd, mk_error **err)
{
  _cleanup_free_ char *path = NULL;
  int fd = open_locked (root, id, exclusive, &path, err);

  if (fd < 0)
    return -1;
  /* A delete may have removed it while we waited for the lock.  */
  if (faccessat (fd, "state.json", F_OK, 0) < 0)
    {
      close (fd);
      return mk_error_set (err, 0, "container `%s` does not exist", id);
    }
  *dirfd = fd;
  return 0;
}

int
mk_state_dir_open_abandoned (const char *root, const char *id, int *dirfd, mk_error **err)
{
  _cleanup_free_ char *path = NULL;
  struct stat a, b;
  /* A create going on holds the lock until it has written state.json or
     undone everything.  */
  int fd = open_locked (root, id, true, &path, err);

  if (fd < 0)
    return -1;
  if (faccessat (fd, "state.json", F_OK, 0) == 0)
    {
      close (fd);
      return 1;
    }
  /* Removed (by a create's rollback, a delete) while we waited.  */
  if (fstat (fd, &a) < 0 || stat (path, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
    {
      close (fd);
      return mk_error_set (err, 0, "container `%s` does not exist", id);
    }
  *dirfd = fd;
  return 0;
}

int
mk_state_dir_remove (const char *root, const char *id, mk_error **err)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", root, id);
  _cleanup_close_ int fd = open (path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  DIR *d;
  struct dirent *de;

  if (fd < 0)
    return errno == ENOENT ? 0 : mk_error_set (err, errno, "open `%s`", path);
  d = fdopendir (dup (fd));
  if (d == NULL)
    return mk_error_set (err, errno, "read `%s`", path);
  /* state.json last: while it exists the container does (a delete killed
     here leaves a directory whose next delete removes the rest).  */
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0
          || strcmp (de->d_name, "state.json") == 0)
        continue;
      unlinkat (fd, de->d_name, 0);
    }
  closedir (d);
  unlinkat (fd, "state.json", 0);
  if (rmdir (path) < 0 && errno != ENOENT)
    return mk_error_set (err, errno, "remove `%s`", path);
  return 0;
}

#define GEN_STR(g, s) yajl_gen_string (g, (const unsigned char *)(s), strlen (s))

static void
gen_state (yajl_gen g, const struct mk_state *st, const char *status, bool full)
{
  yajl_gen_map_open (g);
  GEN_STR (g, "ociVersion");
  GEN_STR (g, MK_OCI_VERSION);
  GEN_STR (g, "id");
  GEN_STR (g, st->id);
  if (status)
    {
      GEN_STR (g, "status");
      GEN_STR (g, status);
      GEN_STR (g, "pid");
      yajl_gen_integer (g, strcmp (status, "stopped") == 0 ? 0 : st->pid);
    }
  else
    {
      GEN_STR (g, "pid");
      yajl_gen_integer (g, st->pid);
    }
  GEN_STR (g, "bundle");
  GEN_STR (g, st->bundle);
  if (full)
    {
      GEN_STR (g, "rootfs");
      GEN_STR (g, st->rootfs);
      GEN_STR (g, "created");
      GEN_STR (g, st->created);
      GEN_STR (g, "owner");
      GEN_STR (g, st->owner == 0 ? "root" : "");
    }
  if (st->n_annotations || full)
    {
      GEN_STR (g, "annotations");
      yajl_gen_map_open (g);
      for (size_t i = 0; i < st->n_annotations; i++)
        {
          GEN_STR (g, st->annotations[i].key);
          GEN_STR (g, st->annotations[i].value);
        }
      yajl_gen_map_close (g);
    }
}

char *
mk_state_json (const struct mk_state *st, enum mk_status status, bool pretty)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (pretty)
    {
      yajl_gen_config (g, yajl_gen_beautify, 1);
      yajl_gen_config (g, yajl_gen_indent_string, "  ");
    }
  gen_state (g, st, mk_status_name (status), pretty);
  yajl_gen_map_close (g);
  return mk_json_gen_finish (g, false);
}

int
mk_state_write (int dirfd, const struct mk_state *st, mk_error **err)
{
  return mk_state_write_as (dirfd, "state.json", st, err);
}

int
mk_state_write_as (int dirfd, const char *name, const struct mk_state *st, mk_error **err)
{
  _cleanup_free_ char *tmp = xasprintf ("%s.tmp", name);
  yajl_gen g = yajl_gen_alloc (NULL);
  _cleanup_free_ char *buf = NULL;
  _cleanup_close_ int fd = -1;

  gen_state (g, st, NULL, true);
  GEN_STR (g, "start_time");
  yajl_gen_integer (g, (long long)st->start_time);
  GEN_STR (g, "cgroup_path");
  GEN_STR (g, st->cgroup_path ? st->cgroup_path : "");
  GEN_STR (g, "freezer_file");
  GEN_STR (g, st->freezer_file ? st->freezer_file : "");
  GEN_STR (g, "owner_uid");
  yajl_gen_integer (g, st->owner);
  GEN_STR (g, "systemd_cgroup");
  yajl_gen_bool (g, st->systemd_cgroup);
  if (st->env)
    {
      GEN_STR (g, "process_env");
      yajl_gen_array_open (g);
      for (char **e = st->env; *e; e++)
        GEN_STR (g, *e);
      yajl_gen_array_close (g);
    }
  if (st->cpus)
    {
      GEN_STR (g, "config_cpus");
      GEN_STR (g, st->cpus);
    }
  yajl_gen_map_close (g);
  buf = mk_json_gen_finish (g, false);

  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || mk_write_all (fd, buf, strlen (buf)) < 0)
    return mk_error_set (err, errno, "write %s", name);
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    return mk_error_set (err, errno, "write %s", name);
  return 0;
}

int
mk_state_read (int dirfd, const char *id, struct mk_state **out, mk_error **err)
{
  return mk_state_read_as (dirfd, "state.json", id, out, err);
}

static int state_parse_as (const char *json, const char *name, const char *id,
                           struct mk_state **out, mk_error **err);

int
mk_state_read_as (int dirfd, const char *name, const char *id, struct mk_state **out,
                  mk_error **err)
{
  _cleanup_free_ char *buf = NULL;

  if (mk_read_file_at (dirfd, name, &buf, NULL, err) < 0)
    return -1;
  return state_parse_as (buf, name, id, out, err);
}

int
mk_state_parse (const char *json, const char *id, struct mk_state **out, mk_error **err)
{
  return state_parse_as (json, "state.json", id, out, err);
}

static int
state_parse_as (const char *json, const char *name, const char *id, struct mk_state **out,
                mk_error **err)
{
  char errbuf[128];
  yajl_val tree, v;
  struct mk_state *st;

  tree = yajl_tree_parse (json, errbuf, sizeof (errbuf));
  if (tree == NULL || !YAJL_IS_OBJECT (tree))
    {
      if (tree)
        yajl_tree_free (tree);
      return mk_error_set (err, 0, "%s of `%s` is corrupt", name, id);
    }
  st = xmalloc0 (sizeof (*st));
  st->id = xstrdup (id);
#define S(key)                                                                                     \
  ((v = mk_json_get (tree, key)) && YAJL_IS_STRING (v) ? xstrdup (YAJL_GET_STRING (v))             \
                                                       : xstrdup (""))
#define I(key) ((v = mk_json_get (tree, key)) && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0)
  st->pid = (pid_t)I ("pid");
  st->start_time = (unsigned long long)I ("start_time");
  st->owner = (uid_t)I ("owner_uid");
  st->bundle = S ("bundle");
  st->rootfs = S ("rootfs");
  st->created = S ("created");
  st->cgroup_path = S ("cgroup_path");
  st->freezer_file = S ("freezer_file");
  st->systemd_cgroup = YAJL_IS_TRUE (mk_json_get (tree, "systemd_cgroup"));
  if ((v = mk_json_get (tree, "config_cpus")) && YAJL_IS_STRING (v))
    st->cpus = xstrdup (YAJL_GET_STRING (v));
  if ((v = mk_json_get (tree, "process_env"))
      && mk_json_strv (v, "process_env", &st->env, NULL) < 0)
    st->env = NULL;
#undef S
#undef I
  v = mk_json_get (tree, "annotations");
  if (v && YAJL_IS_OBJECT (v))
    {
      st->annotations = xmalloc0 (v->u.object.len * sizeof (struct mk_kv));
      for (size_t i = 0; i < v->u.object.len; i++)
        if (YAJL_IS_STRING (v->u.object.values[i]))
          {
            st->annotations[st->n_annotations].key = xstrdup (v->u.object.keys[i]);
            st->annotations[st->n_annotations++].value
                = xstrdup (YAJL_GET_STRING (v->u.object.values[i]));
          }
    }
  yajl_tree_free (tree);
  *out = st;
  return 0;
}

void
mk_state_free (struct mk_state *st)
{
  if (st == NULL)
    return;
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->cgroup_path);
  free (st->freezer_file);
  free (st->created);
  free (st->cpus);
  mk_strv_free (st->env);
  for (size_t i = 0; i < st->n_annotations; i++)
    {
      free (st->annotations[i].key);
      free (st->annotations[i].value);
    }
  free (st->annotations);
  free (st);
}

static bool
frozen (const struct mk_state *st)
{
  char buf[64];
  _cleanup_close_ int fd = -1;
  ssize_t n;

  if (st->freezer_file == NULL || st->freezer_file[0] == '\0')
    return false;
  fd = open (st->freezer_file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  n = read (fd, buf, sizeof (buf) - 1);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  /* v1 freezer.state says FROZEN/FREEZING; v2 cgroup.freeze says 1.  */
  return strncmp (buf, "FROZEN", 6) == 0 || strncmp (buf, "FREEZING", 8) == 0 || buf[0] == '1';
}

enum mk_status
mk_state_status (int dirfd, const struct mk_state *st)
{
  unsigned long long start;
  if (st->pid <= 0)
    return MK_STATUS_STOPPED;
  start = mk_proc_start_time (st->pid);
  if (start == 0 || (st->start_time && start != st->start_time))
    return MK_STATUS_STOPPED;
  if (faccessat (dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return MK_STATUS_CREATED;
  if (frozen (st))
    return MK_STATUS_PAUSED;
  return MK_STATUS_RUNNING;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

int
mk_state_list (const char *root, char ***ids, mk_error **err)
{
  DIR *d = opendir (root);
  struct dirent *de;
  size_t n = 0, cap = 16;
  char **v = xmalloc0 (cap * sizeof (char *));

  if (d == NULL)
    {
      if (errno == ENOENT)
        {
          *ids = v;
          return 0;
        }
      free (v);
      return mk_error_set (err, errno, "open `%s`", root);
    }
  while ((de = readdir (d)))
    {
      if (de->d_name[0] == '.')
        continue;
      if (faccessat (dirfd (d), de->d_name, F_OK, 0) < 0)
        continue;
      if (n + 2 > cap)
        v = xrealloc (v, (cap *= 2) * sizeof (char *));
      v[n++] = xstrdup (de->d_name);
      v[n] = NULL;
    }
  closedir (d);
  qsort (v, n, sizeof (char *), cmp_str);
  *ids = v;
  return 0;
}

int
mk_state_load (const char *root, const char *id, bool exclusive, int *dirfd, struct mk_state **st,
               mk_error **err)
{
  if (mk_state_dir_open (root, id, exclusive, dirfd, err) < 0)
    return -1;
  if (mk_state_read (*dirfd, id, st, err) < 0)
    {
      close (*dirfd);
      *dirfd = -1;
      return -1;
    }
  return 0;
}

int
mk_state_saved_spec (int dirfd, const struct mk_state *st, struct mk_spec **spec, mk_error **err)
{
  _cleanup_free_ char *json = NULL;
  *spec = NULL;
  if (mk_read_file_at (dirfd, "config.json", &json, NULL, err) < 0
      || mk_spec_parse (json, st->bundle, spec, err) < 0)
    {
      mk_spec_free (*spec);
      *spec = NULL;
      return mk_error_prefix (err, "container `%s`: its saved config.json", st->id);
    }
  return 0;
}
