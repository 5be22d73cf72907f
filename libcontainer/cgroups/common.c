/* cgroups/common.c: layout detection, placement, the path string, and the
 * operations that are the same on v1 and v2 (enter, pids, destroy).
 * Resources are applied by v1.c / v2.c, per controller, on whichever
 * hierarchy holds the controller; the files of a directory are read and
 * written through files.c, which v1.c and v2.c use too.  */
#include "config.h"

#include "files.h"
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../log.h"
#include "../utils.h"

/* The only global state of the module: the host layout, read once.  */
static struct mk_cg_layout *layout_cache;

static void
strv_push (char ***v, size_t *n, char *s)
{
  *v = xrealloc (*v, sizeof (char *) * (*n + 2));
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

/* The v1 subsystems the kernel knows (first column of /proc/cgroups).  */
static char **
read_subsystems (void)
{
  _cleanup_free_ char *buf = NULL;
  char **v = NULL, *save = NULL;
  size_t n = 0;

  if (mk_read_file_at (AT_FDCWD, "/proc/cgroups", &buf, NULL, NULL) < 0)
    return NULL;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      if (line[0] == '#')
        continue;
      line[strcspn (line, " \t")] = '\0';
      strv_push (&v, &n, xstrdup (line));
    }
  return v;
}

static void
add_hier (struct mk_cg_layout *l, char *key, const char *mountpoint, const char *root,
          char **controllers, bool v2)
{
  struct mk_cg_hier *h;
  for (size_t i = 0; i < l->n_hiers; i++)
    if (strcmp (l->hiers[i].key, key) == 0)
      {
        /* The same hierarchy mounted twice: keep the first.  */
        free (key);
        mk_strv_free (controllers);
        return;
      }
  l->hiers = xrealloc (l->hiers, sizeof (*l->hiers) * (l->n_hiers + 1));
  h = &l->hiers[l->n_hiers++];
  h->key = key;
  h->mountpoint = xstrdup (mountpoint);
  h->root = xstrdup (root);
  h->controllers = controllers;
  h->v2 = v2;
}

static char **
read_v2_controllers (const char *mountpoint)
{
  _cleanup_free_ char *path = xasprintf ("%s/cgroup.controllers", mountpoint);
  _cleanup_free_ char *buf = NULL;
  char **v = xmalloc0 (sizeof (char *)), *save = NULL;
  size_t n = 0;

  if (mk_read_file_at (AT_FDCWD, path, &buf, NULL, NULL) < 0)
    return v;
  for (char *c = strtok_r (buf, " \n", &save); c; c = strtok_r (NULL, " \n", &save))
    strv_push (&v, &n, xstrdup (c));
  return v;
}

static struct mk_cg_layout *
detect_layout (void)
{
  struct mk_cg_layout *l = xmalloc0 (sizeof (*l));
  _cleanup_strv_ char **subsystems = read_subsystems ();
  _cleanup_free_ char *buf = NULL;
  char *save = NULL;
  bool has_v1_controllers = false;

  if (mk_read_file_at (AT_FDCWD, "/proc/self/mountinfo", &buf, NULL, NULL) < 0)
    return l;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[6] = { NULL }, *p = line, *sep, *fstype, *superopts, *tok, *s2 = NULL;
      char **ctrls = NULL;
      size_t nc = 0;

      for (int i = 0; i < 6 && p; i++)
        {
          f[i] = p;
          p = strchr (p, ' ');
          if (p)
            *p++ = '\0';
        }
      /* After the optional fields: " - fstype source superopts".  */
      sep = p ? strstr (p, "- ") : NULL;
      if (f[4] == NULL || sep == NULL)
        continue;
      fstype = sep + 2;
      p = strchr (fstype, ' ');
      if (p == NULL)
        continue;
      *p++ = '\0';
      superopts = strchr (p, ' ');
      superopts = superopts ? superopts + 1 : (char *)"";
      if (strcmp (fstype, "cgroup2") == 0)
        {
          mk_unescape_octal (f[3]);
          mk_unescape_octal (f[4]);
          add_hier (l, xstrdup ("unified"), f[4], f[3], read_v2_controllers (f[4]), true);
          continue;
        }
      if (strcmp (fstype, "cgroup") != 0)
        continue;
      for (tok = strtok_r (superopts, ",", &s2); tok; tok = strtok_r (NULL, ",", &s2))
        if (strncmp (tok, "name=", 5) == 0 || mk_strv_contains (subsystems, tok))
          strv_push (&ctrls, &nc, xstrdup (tok));
      if (nc == 0)
        continue;
      mk_unescape_octal (f[3]);
      mk_unescape_octal (f[4]);
      {
        /* The key is the controller list as /proc/self/cgroup spells it.  */
        size_t len = 0;
        char *key;
        for (size_t i = 0; i < nc; i++)
          len += strlen (ctrls[i]) + 1;
        key = xmalloc0 (len + 1);
        for (size_t i = 0; i < nc; i++)
          {
            if (i)
              strcat (key, ",");
            strcat (key, ctrls[i]);
            if (strncmp (ctrls[i], "name=", 5) != 0)
              has_v1_controllers = true;
          }
        add_hier (l, key, f[4], f[3], ctrls, false);
      }
    }

  if (has_v1_controllers)
    {
      bool has_v2 = false;
      for (size_t i = 0; i < l->n_hiers; i++)
        has_v2 |= l->hiers[i].v2;
      l->mode = has_v2 ? MK_CGROUP_HYBRID : MK_CGROUP_V1;
    }
  else
    {
      /* Only named v1 hierarchies (or none): every controller is in v2.  */
      size_t w = 0;
      for (size_t i = 0; i < l->n_hiers; i++)
        {
          if (l->hiers[i].v2 && w == 0)
            l->hiers[w++] = l->hiers[i];
          else
            {
              free (l->hiers[i].key);
              free (l->hiers[i].mountpoint);
              free (l->hiers[i].root);
              mk_strv_free (l->hiers[i].controllers);
            }
        }
      l->n_hiers = w;
      l->mode = w ? MK_CGROUP_V2 : MK_CGROUP_V1;
    }
  return l;
}

const struct mk_cg_layout *
mk_cg_layout (void)
{
  if (layout_cache == NULL)
    layout_cache = detect_layout ();
  return layout_cache;
}

enum mk_cgroup_mode
mk_cgroup_mode (void)
{
  return mk_cg_layout ()->mode;
}

const char *
mk_cgroup_v2_cpuset_dir (const struct mk_cgroup *cg, const char **mountpoint)
{
  const struct mk_cg_dir *d = mk_cg_v2_dir (cg);
  if (d == NULL || d->hier->controllers == NULL)
    return NULL;
  for (char **c = d->hier->controllers; *c; c++)
    if (strcmp (*c, "cpuset") == 0)
      {
        *mountpoint = d->hier->mountpoint;
        return d->dir;
      }
  return NULL;
}

/* The cgroup path of this process in hierarchy H, from /proc/self/cgroup.  */
static char *
self_cgroup (const struct mk_cg_hier *h, mk_error **err)
{
  _cleanup_free_ char *buf = NULL;
  char *save = NULL;

  if (mk_read_file_at (AT_FDCWD, "/proc/self/cgroup", &buf, NULL, err) < 0)
    return NULL;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *ctrls = strchr (line, ':'), *path;
      if (ctrls == NULL)
        continue;
      ctrls++;
      path = strchr (ctrls, ':');
      if (path == NULL)
        continue;
      *path++ = '\0';
      if (h->v2 ? (strncmp (line, "0:", 2) == 0 && ctrls[0] == '\0') : strcmp (ctrls, h->key) == 0)
        return xstrdup (path);
      if (!h->v2 && ctrls[0])
        {
          /* Same hierarchy if it shares a controller.  */
          char *s2 = NULL;
          for (char *c = strtok_r (ctrls, ",", &s2); c; c = strtok_r (NULL, ",", &s2))
            if (mk_strv_contains (h->controllers, c))
              return xstrdup (path);
        }
    }
  mk_error_set (err, 0, "no entry for cgroup hierarchy `%s` in /proc/self/cgroup", h->key);
  return NULL;
}

/* Joins and normalizes: one leading '/', no empty or trailing components.  */
static char *
join_path (const char *a, const char *b)
{
  _cleanup_free_ char *tmp = xasprintf ("%s/%s", a, b ? b : "");
  char *out = xmalloc0 (strlen (tmp) + 2), *w = out;
  for (const char *r = tmp; *r; r++)
    if (*r != '/' || (w > out && w[-1] != '/'))
      *w++ = *r;
  if (w > out && w[-1] == '/')
    w--;
  *w = '\0';
  if (out[0] == '\0')
    strcpy (out, "/");
  else if (out[0] != '/')
    {
      char *t = xasprintf ("/%s", out);
      free (out);
      out = t;
    }
  return out;
}

/* The host directory of cgroup PATH in hierarchy H.  */
static char *
host_dir (const struct mk_cg_hier *h, const char *path)
{
  size_t rl = strlen (h->root);
  if (strcmp (h->root, "/") == 0)
    return join_path (h->mountpoint, path);
  if (strncmp (path, h->root, rl) == 0 && (path[rl] == '/' || path[rl] == '\0'))
    return join_path (h->mountpoint, path + rl);
  /* Outside what the mount shows (a cgroup namespace): best effort.  */
  return join_path (h->mountpoint, path);
}

static bool
valid_component_chars (const char *s)
{
  return strpbrk (s, ";#=\n") == NULL;
}

static bool
has_dot_component (const char *p)
{
  _cleanup_free_ char *c = xstrdup (p);
  char *save = NULL;
  for (char *t = strtok_r (c, "/", &save); t; t = strtok_r (NULL, "/", &save))
    if (strcmp (t, ".") == 0 || strcmp (t, "..") == 0)
      return true;
  return false;
}

static void
dir_clear (struct mk_cg_dir *d)
{
  free (d->path);
  free (d->dir);
  if (d->dirfd >= 0)
    close (d->dirfd);
  d->path = d->dir = NULL;
  d->dirfd = -1;
}

void
mk_cgroup_free (struct mk_cgroup *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; i < cg->n_dirs; i++)
    dir_clear (&cg->dirs[i]);
  free (cg->dirs);
  free (cg->state_path);
  free (cg);
}

/* The hierarchies a container uses in this mode.  */
static bool
use_hier (const struct mk_cg_layout *l, const struct mk_cg_hier *h)
{
  return l->mode == MK_CGROUP_V2 ? h->v2 : true;
}

static char *
format_entry (const struct mk_cg_dir *d)
{
  return xasprintf ("%s#%zu", d->path, d->n_created);
}

/* See cgroup.h: "PATH#N" for most hierarchies, then ";KEY=PATH#N" for each
   hierarchy that differs.  */
static char *
format_state_path (const struct mk_cgroup *cg)
{
  _cleanup_free_ char *def = NULL;
  size_t best = 0;
  char *out;

  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      _cleanup_free_ char *e = format_entry (&cg->dirs[i]);
      size_t count = 0;
      for (size_t j = 0; j < cg->n_dirs; j++)
        {
          _cleanup_free_ char *f = format_entry (&cg->dirs[j]);
          count += strcmp (e, f) == 0;
        }
      if (count > best)
        {
          best = count;
          free (def);
          def = steal_pointer (&e);
        }
    }
  out = xstrdup (def ? def : "/#0");
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      _cleanup_free_ char *e = format_entry (&cg->dirs[i]);
      if (strcmp (e, def) != 0)
        {
          char *t = xasprintf ("%s;%s=%s", out, cg->dirs[i].hier->key, e);
          free (out);
          out = t;
        }
    }
  return out;
}

/* Removes the N_CREATED trailing components of D's directory, deepest first,
   and anything the container created below the leaf.  */
static int
remove_dir_tree (const char *dir, bool retry_busy)
{
  DIR *dp = opendir (dir);
  struct timespec ts = { 0, 10 * 1000 * 1000 };

  if (dp == NULL)
    return errno == ENOENT ? 0 : -1;
  for (struct dirent *de; (de = readdir (dp));)
    if (de->d_type == DT_DIR && strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      {
        _cleanup_free_ char *sub = xasprintf ("%s/%s", dir, de->d_name);
        remove_dir_tree (sub, retry_busy);
      }
  closedir (dp);
  for (int i = 0; i < 100; i++)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY || !retry_busy)
        return -1;
      nanosleep (&ts, NULL);
    }
  return -1;
}

static int
destroy_dir (const struct mk_cg_dir *d, mk_error **err)
{
  _cleanup_free_ char *p = xstrdup (d->dir);

  if (d->n_created == 0)
    return 0;
  if (remove_dir_tree (p, true) < 0)
    return mk_error_set (err, errno, "remove cgroup `%s`", p);
  for (size_t i = 1; i < d->n_created; i++)
    {
      char *slash = strrchr (p, '/');
      if (slash == NULL || slash == p)
        break;
      *slash = '\0';
      /* An intermediate directory others now use stays.  */
      if (rmdir (p) < 0 && errno != ENOENT)
        break;
    }
  return 0;
}

int
mk_cgroup_destroy (const struct mk_cgroup *cg, mk_error **err)
{
  int ret = 0;
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (destroy_dir (&cg->dirs[i], err) < 0)
      ret = -1;
  return ret;
}

static int
open_dir (struct mk_cg_dir *d, mk_error **err)
{
  d->dirfd = open (d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d->dirfd < 0)
    return mk_error_set (err, errno, "open cgroup `%s`", d->dir);
  return 0;
}

/* mkdir -p below BASE_DIR for the components of REL; counts what it made.
   An intermediate directory found existing may be removed by the delete
   of its last other container before our mkdir below it (ENOENT): then
   the walk starts again.  */
static int
make_dir (struct mk_cg_dir *d, size_t base_len, mk_error **err)
{
  _cleanup_free_ char *p = xstrdup (d->dir);
  int tries = 0;
  for (char *s = p + base_len + 1;; s++)
    {
      if (*s == '/' || *s == '\0')
        {
          char c = *s;
          *s = '\0';
          if (mkdir (p, 0755) == 0)
            d->n_created++;
          else if (errno == ENOENT && d->n_created == 0 && ++tries < 5)
            {
              *s = c;
              s = p + base_len; /* s++ brings it to the first component */
              continue;
            }
          else if (errno != EEXIST)
            return mk_error_set (err, errno, "create cgroup `%s`", p);
          else if (d->n_created > 0)
            return mk_error_set (err, EEXIST, "create cgroup `%s`", p);
          *s = c;
          if (c == '\0')
            break;
        }
    }
  return 0;
}

static int apply_resources (const struct mk_cgroup *cg, const struct mk_resources *r, bool update,
                            mk_error **err);

/* How many trailing components of D's directory do not exist now: what
   make_dir would create.  */
static size_t
count_missing (const struct mk_cg_dir *d, size_t base_len)
{
  _cleanup_free_ char *p = xstrdup (d->dir);
  size_t missing = 0;
  while (strlen (p) > base_len && access (p, F_OK) < 0)
    {
      char *slash = strrchr (p, '/');
      missing++;
      if (slash == NULL || slash == p)
        break;
      *slash = '\0';
    }
  return missing;
}

int
mk_cgroup_plan (const char *cgroups_path, const char *id, struct mk_cgroup **out, mk_error **err)
{
  const struct mk_cg_layout *l = mk_cg_layout ();
  _cleanup_free_ char *rel = NULL;
  struct mk_cgroup *cg;
  bool absolute;

  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    rel = xasprintf ("mkrun/%s", id);
  else
    rel = xstrdup (cgroups_path);
  absolute = rel[0] == '/';
  if (!valid_component_chars (rel) || has_dot_component (rel))
    return mk_error_set (err, 0, "linux.cgroupsPath: invalid path `%s`", rel);
  {
    _cleanup_free_ char *norm = join_path ("/", rel);
    if (strcmp (norm, "/") == 0)
      return mk_error_set (err, 0, "linux.cgroupsPath: refusing to use the root cgroup");
  }
  if (l->n_hiers == 0)
    return mk_error_set (err, 0, "cgroups: no cgroup hierarchy is mounted");

  cg = xmalloc0 (sizeof (*cg));
  cg->mode = l->mode;
  cg->clone_fd = -1;
  cg->dirs = xmalloc0 (sizeof (*cg->dirs) * l->n_hiers);
  for (size_t i = 0; i < l->n_hiers; i++)
    {
      const struct mk_cg_hier *h = &l->hiers[i];
      struct mk_cg_dir *d;
      _cleanup_free_ char *base = NULL, *base_dir = NULL;

      if (!use_hier (l, h))
        continue;
      d = &cg->dirs[cg->n_dirs++];
      d->hier = h;
      d->dirfd = -1;
      base = absolute ? xstrdup (h->root) : self_cgroup (h, err);
      if (base == NULL)
        {
          mk_cgroup_free (cg);
          return -1;
        }
      d->path = join_path (base, rel);
      d->dir = host_dir (h, d->path);
      base_dir = host_dir (h, base);
      d->base_len = strcmp (base_dir, "/") == 0 ? 0 : strlen (base_dir);
      d->n_created = count_missing (d, d->base_len);
    }
  cg->state_path = format_state_path (cg);
  *out = cg;
  return 0;
}

/* A cgroup that was there before us (as runc does): a frozen one is
   refused, the container would hang in it; processes already in it are a
   warning (*WARNED: said once, not for each hierarchy).  */
static int
check_existing (const struct mk_cg_dir *d, bool *warned, mk_error **err)
{
  _cleanup_free_ char *freezer = NULL, *procs = NULL;
  size_t n = 0;

  if (d->hier->v2)
    {
      if (mk_cg_read (d, "cgroup.freeze", &freezer, NULL) == 0 && strcmp (freezer, "0") != 0)
        goto frozen;
    }
  else if (mk_strv_contains (d->hier->controllers, "freezer")
           && mk_cg_read (d, "freezer.state", &freezer, NULL) == 0
           && strcmp (freezer, "THAWED") != 0)
    goto frozen;
  if (*warned || mk_cg_read (d, "cgroup.procs", &procs, NULL) < 0)
    return 0;
  for (char *p = procs; *p; p++)
    n += *p == '\n' || (p[1] == '\0' && *p != '\n');
  if (n > 0)
    {
      mk_warn ("container's cgroup is not empty: %zu process%s already in `%s`", n,
               n == 1 ? "" : "es", d->dir);
      *warned = true;
    }
  return 0;

frozen:
  return mk_error_set (err, 0,
                       "container's cgroup unexpectedly frozen: `%s` (thaw it, or use another "
                       "linux.cgroupsPath)",
                       d->dir);
}

int
mk_cgroup_make (struct mk_cgroup *cg, const struct mk_resources *r, mk_error **err)
{
  bool warned = false;
  for (size_t i = 0; i < cg->n_dirs; i++)
    cg->dirs[i].n_created = 0;
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      struct mk_cg_dir *d = &cg->dirs[i];
      const struct mk_cg_hier *h = d->hier;

      if (make_dir (d, d->base_len, err) < 0 || open_dir (d, err) < 0)
        goto fail;
      /* (A systemd scope holds the driver's placeholder: not a warning.)  */
      if (cg->systemd_scope)
        warned = true;
      if (d->n_created == 0 && check_existing (d, &warned, err) < 0)
        goto fail;
      if (!h->v2 && mk_strv_contains (h->controllers, "cpuset") && mk_cg_v1_copy_cpuset (d, err) < 0)
        goto fail;
      if (h->v2 && mk_cg_v2_enable_controllers (d, r, err) < 0)
        goto fail;
    }
  if (mk_cg_v2_dir (cg))
    cg->clone_fd = mk_cg_v2_dir (cg)->dirfd;
  if (r != NULL && apply_resources (cg, r, false, err) < 0)
    goto fail;
  free (cg->state_path);
  cg->state_path = format_state_path (cg);
  return 0;

fail:
  mk_cgroup_destroy (cg, NULL);
  return -1;
}

int
mk_cgroup_create (const char *cgroups_path, const char *id, const struct mk_resources *r,
                  struct mk_cgroup **out, mk_error **err)
{
  struct mk_cgroup *cg;
  if (mk_cgroup_plan (cgroups_path, id, &cg, err) < 0)
    return -1;
  if (mk_cgroup_make (cg, r, err) < 0)
    {
      mk_cgroup_free (cg);
      return -1;
    }
  *out = cg;
  return 0;
}

static bool
needs (const char *controller, bool cond, const struct mk_cgroup *cg, const char *field,
       mk_error **err)
{
  if (!cond || mk_cg_dir_for (cg, controller) != NULL)
    return true;
  mk_error_set (err, 0, "%s: the %s cgroup controller is not available on this host", field,
                controller);
  return false;
}

static int
apply_resources (const struct mk_cgroup *cg, const struct mk_resources *r, bool update,
                 mk_error **err)
{
  bool v2 = cg->mode == MK_CGROUP_V2;

  if (r == NULL)
    return 0;
  /* Settings whose controller no hierarchy holds are errors, not ignored.  */
  if (!needs ("net_cls", r->has_net_class_id, cg, "linux.resources.network.classID", err)
      || !needs ("net_prio", r->n_net_priorities > 0, cg, "linux.resources.network.priorities", err)
      || !needs ("pids", r->has_pids_limit, cg, "linux.resources.pids.limit", err)
      || !needs ("hugetlb", r->n_hugepage_limits > 0, cg, "linux.resources.hugepageLimits", err)
      || !needs (v2 ? "io" : "blkio",
                 r->has_blkio_weight || r->has_blkio_leaf_weight || r->n_blkio_weight_device
                     || r->n_throttle_read_bps || r->n_throttle_write_bps || r->n_throttle_read_iops
                     || r->n_throttle_write_iops,
                 cg, "linux.resources.blockIO", err)
      || !needs ("cpuset", r->cpu_cpus || r->cpu_mems, cg, "linux.resources.cpu", err)
      || !needs ("cpu",
                 r->has_cpu_shares || r->has_cpu_quota || r->has_cpu_period || r->has_cpu_burst
                     || r->has_cpu_rt_period || r->has_cpu_rt_runtime || r->has_cpu_idle,
                 cg, "linux.resources.cpu", err)
      || !needs ("memory",
                 r->has_mem_limit || r->has_mem_reservation || r->has_mem_swap
                     || r->has_mem_swappiness || r->has_disable_oom_killer || r->has_use_hierarchy,
                 cg, "linux.resources.memory", err))
    return -1;
  if (r->n_unified > 0 && mk_cg_v2_dir (cg) == NULL)
    return mk_error_set (err, 0,
                         "linux.resources.unified: requires cgroup v2 (this host has only v1)");
  if (r->n_devices > 0 && mk_cg_dir_for (cg, "devices") == NULL && mk_cg_v2_dir (cg) == NULL)
    return mk_error_set (
        err, 0,
        "linux.resources.devices: the devices cgroup controller is not available on this host");

  if (cg->mode != MK_CGROUP_V2 && mk_cg_v1_apply (cg, r, update, err) < 0)
    return -1;
  if (mk_cg_v2_dir (cg) != NULL && mk_cg_v2_apply (cg, r, update, err) < 0)
    return -1;
  return 0;
}

int
mk_cgroup_update (const struct mk_cgroup *cg, const struct mk_resources *r, mk_error **err)
{
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (cg->dirs[i].dirfd < 0)
      return mk_error_set (err, ENOENT, "open cgroup `%s`", cg->dirs[i].dir);
  return apply_resources (cg, r, true, err);
}

int
mk_cgroup_clone_fd (const struct mk_cgroup *cg)
{
  return cg->clone_fd;
}

int
mk_cgroup_enter_self_v1 (const struct mk_cgroup *cg, mk_error **err)
{
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      const struct mk_cg_dir *d = &cg->dirs[i];
      if (d->hier->v2)
        continue;
      /* "0" in v1's tasks moves the calling thread without the global
         threadgroup lock that a cgroup.procs write takes (and waits an RCU
         grace period for): the caller must be single-threaded.  */
      if (mk_cg_write (d, "tasks", "0", NULL, err) < 0)
        return mk_error_prefix (err, "join cgroup `%s`", d->dir);
    }
  return 0;
}

int
mk_cgroup_enter (const struct mk_cgroup *cg, pid_t pid, bool cloned_into_v2, mk_error **err)
{
  char buf[32];
  snprintf (buf, sizeof (buf), "%d", (int)pid);
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      const struct mk_cg_dir *d = &cg->dirs[i];
      if (d->hier->v2 && cloned_into_v2)
        continue;
      if (mk_cg_write (d, "cgroup.procs", buf, NULL, err) < 0)
        return mk_error_prefix (err, "join cgroup `%s`", d->dir);
    }
  return 0;
}

const char *
mk_cgroup_path (const struct mk_cgroup *cg)
{
  return cg->state_path;
}

/* Parses "PATH#N" into D.  */
static int
parse_entry (const char *e, struct mk_cg_dir *d, const char *all, mk_error **err)
{
  _cleanup_free_ char *p = xstrdup (e);
  char *hash = strrchr (p, '#');
  long long n = 1;

  if (p[0] != '/')
    return mk_error_set (err, 0, "cgroup path `%s`: expected an absolute path", all);
  if (hash)
    {
      *hash = '\0';
      if (mk_parse_int64 (hash + 1, &n) < 0 || n < 0 || n > 4096)
        return mk_error_set (err, 0, "cgroup path `%s`: bad count in `%s`", all, e);
    }
  if (has_dot_component (p))
    return mk_error_set (err, 0, "cgroup path `%s`: invalid path", all);
  d->path = join_path ("/", p);
  d->n_created = n;
  return 0;
}

struct mk_cgroup *
mk_cgroup_none (void)
{
  struct mk_cgroup *cg = xmalloc0 (sizeof (*cg));
  cg->mode = mk_cg_layout ()->mode;
  cg->clone_fd = -1;
  cg->state_path = xstrdup ("");
  return cg;
}

bool
mk_cgroup_is_none (const struct mk_cgroup *cg)
{
  return cg->n_dirs == 0;
}

int
mk_cgroup_load (const char *path, struct mk_cgroup **out, mk_error **err)
{
  const struct mk_cg_layout *l = mk_cg_layout ();
  _cleanup_free_ char *copy = xstrdup (path);
  char *save = NULL, *def;
  struct mk_cgroup *cg;

  if (path[0] == '\0')
    {
      *out = mk_cgroup_none ();
      return 0;
    }
  def = strtok_r (copy, ";", &save);
  if (def == NULL)
    return mk_error_set (err, 0, "cgroup path `%s`: empty", path);
  cg = xmalloc0 (sizeof (*cg));
  cg->mode = l->mode;
  cg->clone_fd = -1;
  cg->state_path = xstrdup (path);
  cg->dirs = xmalloc0 (sizeof (*cg->dirs) * (l->n_hiers + 1));
  for (size_t i = 0; i < l->n_hiers; i++)
    {
      const struct mk_cg_hier *h = &l->hiers[i];
      struct mk_cg_dir *d;
      const char *entry = def;
      _cleanup_free_ char *rest = xstrdup (save ? save : ""), *found = NULL;
      char *s2 = NULL;

      if (!use_hier (l, h))
        continue;
      /* "KEY=PATH#N": KEY may hold '=' (name=systemd), PATH starts with '/'.  */
      for (char *t = strtok_r (rest, ";", &s2); t; t = strtok_r (NULL, ";", &s2))
        {
          char *slash = strchr (t, '/');
          if (slash && slash > t && slash[-1] == '=' && (size_t)(slash - 1 - t) == strlen (h->key)
              && strncmp (t, h->key, slash - 1 - t) == 0)
            {
              entry = found = xstrdup (slash);
              break;
            }
        }
      d = &cg->dirs[cg->n_dirs++];
      d->hier = h;
      d->dirfd = -1;
      if (parse_entry (entry, d, path, err) < 0)
        {
          mk_cgroup_free (cg);
          return -1;
        }
      d->dir = host_dir (h, d->path);
      /* A directory already gone is not an error here: delete must work.  */
      d->dirfd = open (d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      /* As at create: clone3 into the v2 directory, on hybrid hosts too. */
      if (h->v2 && d->dirfd >= 0)
        cg->clone_fd = d->dirfd;
    }
  *out = cg;
  return 0;
}

int
mk_cgroup_sub (struct mk_cgroup *cg, const char *controllers, const char *sub, mk_error **err)
{
  _cleanup_strv_ char **want = NULL;
  bool found = false;

  if (sub[0] == '\0' || strstr (sub, "..") || strchr (sub, ';') || strchr (sub, '#'))
    return mk_error_set (
        err, 0, "%s is not a sub cgroup path (expected a path below the container's cgroup)", sub);
  if (controllers)
    {
      _cleanup_free_ char *copy = xstrdup (controllers);
      char *save = NULL;
      size_t n = 0;
      want = xmalloc0 (sizeof (char *) * (strlen (controllers) + 2));
      for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
        want[n++] = xstrdup (t);
    }
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      struct mk_cg_dir *d = &cg->dirs[i];
      bool match = want == NULL;
      char *path, *dir;
      int fd;

      for (size_t k = 0; want && want[k] && !match; k++)
        match
            = mk_strv_contains (d->hier->controllers, want[k]) || strcmp (d->hier->key, want[k]) == 0;
      if (!match)
        continue;
      path = join_path (d->path, sub);
      dir = host_dir (d->hier, path);
      fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        {
          mk_error_set (err, errno, "cgroup `%s`", dir);
          free (path);
          free (dir);
          return -1;
        }
      if (cg->clone_fd == d->dirfd)
        cg->clone_fd = fd;
      if (d->dirfd >= 0)
        close (d->dirfd);
      free (d->path);
      free (d->dir);
      d->path = path;
      d->dir = dir;
      d->dirfd = fd;
      d->n_created = 0;
      found = true;
    }
  if (!found)
    return mk_error_set (err, 0, "no cgroup hierarchy has the controller `%s`", controllers);
  return 0;
}

int
mk_cgroup_pids (const struct mk_cgroup *cg, pid_t **pids, size_t *n, mk_error **err)
{
  const struct mk_cg_dir *d = NULL;
  _cleanup_free_ char *buf = NULL;
  char *save = NULL;
  size_t count = 0, cap = 16;
  pid_t *v;

  if (cg->mode == MK_CGROUP_V2)
    d = mk_cg_v2_dir (cg);
  if (d == NULL)
    d = mk_cg_dir_for (cg, "pids");
  if (d == NULL)
    d = mk_cg_dir_for (cg, "memory");
  if (d == NULL && cg->n_dirs > 0)
    d = &cg->dirs[0];
  if (d == NULL)
    return mk_error_set (err, 0, "cgroups: no hierarchy");
  if (d->dirfd < 0)
    return mk_error_set (err, ENOENT, "open cgroup `%s`", d->dir);
  if (mk_cg_read (d, "cgroup.procs", &buf, err) < 0)
    return mk_error_prefix (err, "cgroup `%s`", d->dir);
  v = xmalloc0 (sizeof (*v) * cap);
  for (char *t = strtok_r (buf, "\n", &save); t; t = strtok_r (NULL, "\n", &save))
    {
      long long p;
      if (mk_parse_int64 (t, &p) < 0)
        continue;
      if (count == cap)
        {
          cap *= 2;
          v = xrealloc (v, sizeof (*v) * cap);
        }
      v[count++] = (pid_t)p;
    }
  *pids = v;
  *n = count;
  return 0;
}

int
mk_cgroup_signal_all (const struct mk_cgroup *cg, int sig)
{
  int n = 0;
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      const struct mk_cg_dir *d = &cg->dirs[i];
      _cleanup_free_ char *buf = NULL;
      char *save = NULL;
      if (d->dirfd < 0 || mk_cg_read (d, "cgroup.procs", &buf, NULL) < 0)
        continue;
      for (char *t = strtok_r (buf, "\n", &save); t; t = strtok_r (NULL, "\n", &save))
        {
          long long p;
          if (mk_parse_int64 (t, &p) == 0 && p > 0 && kill ((pid_t)p, sig) == 0)
            n++;
        }
    }
  return n;
}

static int
freeze_v1 (const struct mk_cg_dir *d, bool freeze, mk_error **err)
{
  const char *want = freeze ? "FROZEN" : "THAWED";
  struct timespec ts = { 0, 1000 * 1000 };

  for (int i = 0; i < 10000; i++)
    {
      _cleanup_free_ char *state = NULL;
      /* Rewriting FROZEN retries a freeze the kernel gave up on.  */
      if (i % 100 == 0 && mk_cg_write (d, "freezer.state", want, NULL, err) < 0)
        return -1;
      if (mk_cg_read (d, "freezer.state", &state, err) < 0)
        return -1;
      if (strcmp (state, want) == 0)
        return 0;
      nanosleep (&ts, NULL);
    }
  if (freeze)
    mk_cg_write (d, "freezer.state", "THAWED", NULL, NULL);
  return mk_error_set (err, ETIMEDOUT, "%s cgroup `%s`", freeze ? "freeze" : "thaw", d->dir);
}

int
mk_cgroup_freeze (const struct mk_cgroup *cg, bool freeze, mk_error **err)
{
  const struct mk_cg_dir *d = cg->mode == MK_CGROUP_V2 ? NULL : mk_cg_dir_for (cg, "freezer");
  if (d != NULL)
    {
      if (d->dirfd < 0)
        return mk_error_set (err, ENOENT, "open cgroup `%s`", d->dir);
      return freeze_v1 (d, freeze, err);
    }
  d = mk_cg_v2_dir (cg);
  if (d == NULL)
    return mk_error_set (err, 0, "the freezer cgroup controller is not available on this host");
  if (d->dirfd < 0)
    return mk_error_set (err, ENOENT, "open cgroup `%s`", d->dir);
  return mk_cg_v2_freeze (d, freeze, err);
}

int
mk_cgroup_oom_kill_count (const struct mk_cgroup *cg, uint64_t *count, mk_error **err)
{
  const struct mk_cg_dir *d = mk_cg_dir_for (cg, "memory");
  _cleanup_free_ char *buf = NULL;
  char *p;

  *count = 0;
  if (d == NULL)
    return mk_error_set (err, 0, "the memory cgroup controller is not available on this host");
  if (mk_cg_read (d, d->hier->v2 ? "memory.events" : "memory.oom_control", &buf, err) < 0)
    return -1;
  p = strstr (buf, "oom_kill ");
  if (p)
    *count = strtoull (p + 9, NULL, 10);
  return 0;
}

char *
mk_cgroup_freezer_file (const struct mk_cgroup *cg)
{
  const struct mk_cg_dir *d = mk_cg_dir_for (cg, "freezer");
  if (d && !d->hier->v2)
    return xasprintf ("%s/freezer.state", d->dir);
  d = mk_cg_v2_dir (cg);
  if (d && cg->mode == MK_CGROUP_V2)
    return xasprintf ("%s/cgroup.freeze", d->dir);
  return NULL;
}

/* True if DIR or, since the kernel leaves them off the root cgroup, a
   directory right below it has one of FILES.  */
static bool
dir_or_child_has (const char *dir, const char *const *files)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  bool found = false;

  if (d == NULL)
    return false;
  for (const char *const *f = files; *f && !found; f++)
    found = faccessat (dirfd (d), *f, F_OK, 0) == 0;
  while (!found && (de = readdir (d)) != NULL)
    {
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      for (const char *const *f = files; *f && !found; f++)
        {
          _cleanup_free_ char *p = xasprintf ("%s/%s", de->d_name, *f);
          found = faccessat (dirfd (d), p, F_OK, 0) == 0;
        }
    }
  closedir (d);
  return found;
}

bool
mk_cgroup_io_weight_available (void)
{
  static const char *const v1_files[] = { "blkio.weight", "blkio.bfq.weight", NULL };
  static const char *const v2_files[] = { "io.bfq.weight", "io.weight", NULL };
  const struct mk_cg_layout *l = mk_cg_layout ();

  for (size_t i = 0; i < l->n_hiers; i++)
    {
      const struct mk_cg_hier *h = &l->hiers[i];
      _cleanup_free_ char *own = NULL, *dir = NULL;
      if (!mk_strv_contains (h->controllers, h->v2 ? "io" : "blkio"))
        continue;
      own = self_cgroup (h, NULL);
      dir = host_dir (h, own ? own : "/");
      return dir_or_child_has (dir, h->v2 ? v2_files : v1_files);
    }
  return false;
}

void
mk_cgroup_set_systemd_scope (struct mk_cgroup *cg)
{
  cg->systemd_scope = true;
}
