/* tests/unit/cgtest.c: libcontainer/cgroups on the host it runs on.  Parses
 * good and bad linux.resources, creates cgroups below the one it was started
 * in (never elsewhere), checks the host's files, moves a child of its own
 * in, loads, freezes, updates, destroys, and checks that nothing is left.
 * Parts (check.h): parse (no root), lifecycle (root, v1 or hybrid: it
 * checks v1 files), paths, absolute (root; an absolute cgroupsPath, only
 * where this process's cgroup is the same in every hierarchy),
 * create-errors (root, hybrid), devices-bpf (root, a v2 hierarchy, cgroup
 * BPF device programs).  Built by make check as tests/bin/cgtest; run by
 * make check (tests/bats/unit.bats).  */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/files.h"
#include "cgroups/internal.h"
#include "utils.h"

#include "check.h"

static struct mk_resources *
parse (const char *json, mk_error **err)
{
  char ebuf[256];
  yajl_val node = yajl_tree_parse (json, ebuf, sizeof (ebuf));
  struct mk_resources *r = NULL;
  if (node == NULL)
    {
      fprintf (stderr, "bad test JSON: %s\n", ebuf);
      exit (2);
    }
  if (mk_resources_parse (node, "linux.resources", &r, err) < 0)
    r = NULL;
  yajl_tree_free (node);
  return r;
}

static char *
read_file (const char *dir, const char *file)
{
  _cleanup_free_ char *p = xasprintf ("%s/%s", dir, file);
  char *buf = NULL;
  size_t len;
  if (mk_read_file_at (AT_FDCWD, p, &buf, &len, NULL) < 0)
    return xstrdup ("<missing>");
  while (len && buf[len - 1] == '\n')
    buf[--len] = '\0';
  return buf;
}

static void
expect_file (const struct mk_cgroup *cg, const char *ctrl, const char *file, const char *want)
{
  const struct mk_cg_dir *d = mk_cg_dir_for (cg, ctrl);
  _cleanup_free_ char *got = NULL;
  CHECK_MSG (d != NULL, "no dir for %s", ctrl);
  if (d == NULL)
    return;
  got = read_file (d->dir, file);
  CHECK_MSG (strcmp (got, want) == 0, "%s/%s = `%s`, want `%s`", d->dir, file, got, want);
}

static bool
exists (const char *p)
{
  struct stat st;
  return stat (p, &st) == 0;
}

static void
expect_error (const char *json, const char *want)
{
  mk_error *err = NULL;
  struct mk_resources *r = parse (json, &err);
  CHECK_MSG (r == NULL && err && strcmp (err->msg, want) == 0, "%s: got `%s`, want `%s`", json,
             err ? err->msg : "(no error)", want);
  mk_resources_free (r);
  mk_error_free (err);
}

static const char *
part_parse (void)
{
  expect_error ("{\"memory\":{\"limit\":\"1G\"}}",
                "linux.resources.memory.limit: expected an integer");
  expect_error ("{\"memory\":[]}", "linux.resources.memory: expected an object");
  expect_error ("{\"cpu\":{\"shares\":-5}}",
                "linux.resources.cpu.shares: expected a non-negative integer");
  expect_error ("{\"cpu\":{\"cpus\":3}}", "linux.resources.cpu.cpus: expected a string");
  expect_error ("{\"memory\":{\"disableOOMKiller\":1}}",
                "linux.resources.memory.disableOOMKiller: expected a boolean");
  expect_error ("{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}",
                "linux.resources.devices[0].type: unknown device type `x` (expected a, b or c)");
  expect_error ("{\"devices\":[{\"allow\":true,\"type\":\"c\",\"access\":\"xa\"}]}",
                "linux.resources.devices[0].access: `xa` has none of r, w, m");
  expect_error ("{\"devices\":[{\"type\":\"c\"}]}", "linux.resources.devices[0].allow: required");
  expect_error ("{\"hugepageLimits\":[{\"pageSize\":\"2M\",\"limit\":1}]}",
                "linux.resources.hugepageLimits[0].pageSize: invalid page size `2M` (expected e.g. "
                "2MB, 1GB)");
  expect_error ("{\"blockIO\":{\"weight\":70000}}",
                "linux.resources.blockIO.weight: 70000 out of range (maximum 65535)");
  expect_error ("{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8}]}}",
                "linux.resources.blockIO.throttleReadBpsDevice[0]: major and minor are required");
  expect_error ("{\"unified\":{\"memory.max\":5}}",
                "linux.resources.unified.memory.max: expected a string");
  expect_error ("{\"unified\":{\"../x\":\"1\"}}",
                "linux.resources.unified: invalid file name `../x`");
  expect_error ("{\"pids\":{\"limit\":true}}", "linux.resources.pids.limit: expected an integer");
  expect_error ("{\"network\":{\"priorities\":[{\"name\":\"eth0\"}]}}",
                "linux.resources.network.priorities[0].priority: required");
  return NULL;
}

/* Why this process cannot create cgroups, or NULL.  */
static const char *
cannot_create_cgroups (void)
{
  if (geteuid () != 0)
    return check_skip ("needs root (it creates cgroups)");
  if (mk_cg_layout ()->n_hiers == 0)
    return check_skip ("no cgroup hierarchy is mounted");
  return NULL;
}

/* The hierarchy holding CONTROLLER on this host, or NULL.  */
static const struct mk_cg_hier *
hier_with (const char *controller)
{
  const struct mk_cg_layout *l = mk_cg_layout ();
  for (size_t i = 0; i < l->n_hiers; i++)
    if (mk_strv_contains (l->hiers[i].controllers, controller))
      return &l->hiers[i];
  return NULL;
}

static bool
has_v2 (void)
{
  const struct mk_cg_layout *l = mk_cg_layout ();
  for (size_t i = 0; i < l->n_hiers; i++)
    if (l->hiers[i].v2)
      return true;
  return false;
}

/* Whether DIR has a directory in it (another container's cgroup).  */
static bool
has_subdir (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  bool found = false;
  if (d == NULL)
    return false;
  while (!found && (de = readdir (d)) != NULL)
    found = de->d_type == DT_DIR && strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0;
  closedir (d);
  return found;
}

/* After a destroy: DIR is gone, and so is its parent where the
   container created the parent, unless another cgroup lives there now.  */
static void
expect_removed (const char *dir, size_t n_created)
{
  _cleanup_free_ char *parent = xstrdup (dir);
  *strrchr (parent, '/') = '\0';
  CHECK_MSG (!exists (dir), "%s left behind", dir);
  CHECK_MSG (n_created < 2 || !exists (parent) || has_subdir (parent), "%s left behind (empty)",
             parent);
}

/* Creation must fail with WANT and leave nothing behind.  */
static void
expect_create_error (const char *json, const char *id, const char *want_prefix)
{
  mk_error *err = NULL;
  struct mk_resources *r = parse (json, &err);
  struct mk_cgroup *cg = NULL, *plan = NULL;
  int ret;
  CHECK_MSG (r != NULL, "parse %s: %s", json, err ? err->msg : "");
  if (r == NULL)
    {
      mk_error_free (err);
      return;
    }
  /* Where it goes: plan creates nothing.  */
  if (mk_cgroup_plan (NULL, id, &plan, &err) < 0)
    {
      CHECK_MSG (0, "plan %s: %s", id, err->msg);
      mk_error_free (err);
      mk_resources_free (r);
      return;
    }
  ret = mk_cgroup_create (NULL, id, r, &cg, &err);
  CHECK_MSG (ret < 0 && err && strncmp (err->msg, want_prefix, strlen (want_prefix)) == 0,
             "create with %s: got `%s`, want `%s...`", json, err ? err->msg : "(success)",
             want_prefix);
  if (ret == 0)
    {
      mk_cgroup_destroy (cg, NULL);
      mk_cgroup_free (cg);
    }
  /* Rollback: what it created is gone in every hierarchy.  */
  for (size_t i = 0; i < plan->n_dirs; i++)
    expect_removed (plan->dirs[i].dir, plan->dirs[i].n_created);
  mk_cgroup_free (plan);
  mk_error_free (err);
  mk_resources_free (r);
}

static pid_t
spawn_sleep (int *go_fd)
{
  int p[2];
  pid_t pid;
  if (pipe (p) < 0)
    exit (2);
  pid = fork ();
  if (pid == 0)
    {
      char c;
      close (p[1]);
      if (read (p[0], &c, 1) != 1)
        _exit (3);
      execlp ("sleep", "sleep", "30", NULL);
      _exit (127);
    }
  close (p[0]);
  *go_fd = p[1];
  return pid;
}

/* The first number of the "Cpus_allowed_list:"-style line KEY in
   /proc/self/status: a cpu (or memory node) this process may use.  */
static char *
first_allowed (const char *key)
{
  _cleanup_free_ char *buf = NULL;
  char *p;
  if (mk_read_file_at (AT_FDCWD, "/proc/self/status", &buf, NULL, NULL) < 0
      || (p = strstr (buf, key)) == NULL)
    return xstrdup ("0");
  p += strlen (key);
  p += strspn (p, " \t");
  return strndup (p, strspn (p, "0123456789"));
}

/* The numbers of a whole disk (/sys/block), a loop device only if there is
   nothing else; false when there is none.  */
static bool
find_disk (unsigned *major, unsigned *minor)
{
  DIR *d = opendir ("/sys/block");
  struct dirent *de;
  bool found = false;
  if (d == NULL)
    return false;
  while ((de = readdir (d)) != NULL)
    {
      _cleanup_free_ char *p = NULL, *dev = NULL;
      bool loop = strncmp (de->d_name, "loop", 4) == 0 || strncmp (de->d_name, "ram", 3) == 0;
      if (de->d_name[0] == '.' || (found && loop))
        continue;
      p = xasprintf ("/sys/block/%s/dev", de->d_name);
      if (mk_read_file_at (AT_FDCWD, p, &dev, NULL, NULL) < 0
          || sscanf (dev, "%u:%u", major, minor) != 2)
        continue;
      found = true;
      if (!loop)
        break;
    }
  closedir (d);
  return found;
}

static const char *
part_lifecycle (void)
{
  static const char *const controllers[]
      = { "memory", "cpu", "cpuset", "pids", "blkio", "devices", "freezer", "hugetlb" };
  mk_error *err = NULL;
  struct mk_resources *r = NULL;
  struct mk_cgroup *cg = NULL, *loaded = NULL;
  _cleanup_free_ char *id = xasprintf ("cgt%d", getpid ());
  _cleanup_free_ char *saved = NULL, *json = NULL, *cpu = NULL, *mem = NULL;
  _cleanup_free_ char *want_throttle = NULL;
  const struct mk_cg_dir *hugetlb;
  const char *why = cannot_create_cgroups ();
  unsigned major, minor;
  char **dirs = NULL;
  size_t *created = NULL, n_dirs = 0;
  pid_t child;
  int go, status;

  if (why)
    return why;
  if (mk_cgroup_mode () == MK_CGROUP_V2)
    return check_skip ("checks the cgroup v1 files: this host is pure cgroup v2");
  for (size_t i = 0; i < MK_ARRAY_SIZE (controllers); i++)
    if (hier_with (controllers[i]) == NULL)
      return check_skip ("needs the %s cgroup controller", controllers[i]);
  if (access ("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) < 0)
    return check_skip ("needs 2 MB huge pages (hugepageLimits)");
  if (!find_disk (&major, &minor))
    return check_skip ("no block device for blockIO.throttleReadBpsDevice");
  cpu = first_allowed ("Cpus_allowed_list:");
  mem = first_allowed ("Mems_allowed_list:");
  want_throttle = xasprintf ("%u:%u 1048576", major, minor);
  /* hugetlb in the v2 mount (hybrid): unified overrides what the typed
     field wrote (the reserved limit), as in runc.  */
  json = xasprintf (
      "{\"memory\":{\"limit\":67108864,\"swap\":134217728,\"reservation\":33554432,"
      "\"swappiness\":10,\"disableOOMKiller\":true,\"kernel\":1,\"kernelTCP\":16777216},"
      "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"burst\":1000,\"cpus\":\"%s\","
      "\"mems\":\"%s\",\"idle\":0},"
      "\"pids\":{\"limit\":42},"
      "\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":%u,\"minor\":%u,\"rate\":1048576}]},"
      "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
      "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
      "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
      "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"r\"},"
      "{\"allow\":true,\"type\":\"c\",\"major\":136,\"access\":\"rw\"}]%s}",
      cpu, mem, major, minor,
      hier_with ("hugetlb")->v2 ? ",\"unified\":{\"hugetlb.2MB.rsvd.max\":\"0\"}" : "");
  r = parse (json, &err);
  CHECK_MSG (r != NULL, "parse: %s", err ? err->msg : "");
  if (r == NULL || mk_cgroup_create (NULL, id, r, &cg, &err) < 0)
    {
      CHECK_MSG (0, "create: %s", err ? err->msg : "");
      mk_error_free (err);
      mk_resources_free (r);
      return NULL;
    }
  saved = xstrdup (mk_cgroup_path (cg));
  printf ("state path: %s\n", saved);
  CHECK_MSG (strstr (saved, "/mkrun/") != NULL, "path %s", saved);
  /* clone3 goes into the v2 directory wherever there is one, hybrid too.  */
  CHECK_MSG (mk_cgroup_clone_fd (cg) == (mk_cg_v2_dir (cg) ? mk_cg_v2_dir (cg)->dirfd : -1),
             "clone fd %d", mk_cgroup_clone_fd (cg));
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      CHECK_MSG (exists (cg->dirs[i].dir), "%s missing", cg->dirs[i].dir);
      dirs = xrealloc (dirs, sizeof (char *) * (n_dirs + 1));
      created = xrealloc (created, sizeof (size_t) * (n_dirs + 1));
      created[n_dirs] = cg->dirs[i].n_created;
      dirs[n_dirs++] = xstrdup (cg->dirs[i].dir);
    }

  expect_file (cg, "memory", "memory.limit_in_bytes", "67108864");
  expect_file (cg, "memory", "memory.memsw.limit_in_bytes", "134217728");
  expect_file (cg, "memory", "memory.soft_limit_in_bytes", "33554432");
  expect_file (cg, "memory", "memory.swappiness", "10");
  expect_file (cg, "memory", "memory.kmem.tcp.limit_in_bytes", "16777216");
  expect_file (cg, "cpu", "cpu.shares", "512");
  expect_file (cg, "cpu", "cpu.cfs_quota_us", "50000");
  expect_file (cg, "cpu", "cpu.cfs_period_us", "100000");
  expect_file (cg, "cpu", "cpu.cfs_burst_us", "1000");
  expect_file (cg, "cpuset", "cpuset.cpus", cpu);
  expect_file (cg, "cpuset", "cpuset.mems", mem);
  expect_file (cg, "pids", "pids.max", "42");
  expect_file (cg, "blkio", "blkio.throttle.read_bps_device", want_throttle);
  expect_file (cg, "devices", "devices.list", "c 1:3 rwm\nc 1:5 r\nc 136:* rw");
  hugetlb = mk_cg_dir_for (cg, "hugetlb");
  if (hugetlb && hugetlb->hier->v2)
    {
      expect_file (cg, "hugetlb", "hugetlb.2MB.max", "4194304");
      expect_file (cg, "hugetlb", "hugetlb.2MB.rsvd.max", "0");
    }
  else if (hugetlb)
    expect_file (cg, "hugetlb", "hugetlb.2MB.limit_in_bytes", "4194304");
  {
    _cleanup_free_ char *oc = read_file (mk_cg_dir_for (cg, "memory")->dir, "memory.oom_control");
    CHECK_MSG (strstr (oc, "oom_kill_disable 1") != NULL, "oom_control: %s", oc);
  }

  child = spawn_sleep (&go);
  if (mk_cgroup_enter (cg, child, false, &err) < 0)
    CHECK_MSG (0, "enter: %s", err->msg);
  if (write (go, "x", 1) != 1)
    exit (2);
  close (go);
  /* Wait until the child runs sleep, so its memory is charged here.  */
  for (int i = 0; i < 500; i++)
    {
      _cleanup_free_ char *commp = xasprintf ("/proc/%d", child);
      _cleanup_free_ char *comm = read_file (commp, "comm");
      if (strcmp (comm, "sleep") == 0)
        break;
      usleep (10000);
    }
  {
    _cleanup_free_ char *pc = xasprintf ("/proc/%d/cgroup", child);
    _cleanup_free_ char *buf = NULL;
    mk_read_file_at (AT_FDCWD, pc, &buf, NULL, NULL);
    printf ("child cgroups:\n%s", buf);
    for (size_t i = 0; i < cg->n_dirs; i++)
      {
        _cleanup_free_ char *line
            = cg->dirs[i].hier->v2
                  ? xasprintf ("0::%s\n", cg->dirs[i].path)
                  : xasprintf (":%s:%s\n", cg->dirs[i].hier->key, cg->dirs[i].path);
        CHECK_MSG (strstr (buf, line) != NULL, "child not in %s", line);
      }
  }
  {
    pid_t *pids = NULL;
    size_t n = 0;
    CHECK_MSG (mk_cgroup_pids (cg, &pids, &n, &err) == 0 && n == 1 && pids[0] == child,
               "pids: n=%zu", n);
    free (pids);
  }

  {
    char *js = NULL;
    CHECK_MSG (mk_cgroup_stats_json (cg, &js, &err) == 0
                   && strstr (js, "\"pids\":{\"current\":1,\"limit\":42}"),
               "stats: %s", js ? js : "");
    printf ("stats: %s\n", js ? js : "");
    free (js);
  }
  /* Load from the saved string and use that object from here on.  */
  if (mk_cgroup_load (saved, &loaded, &err) < 0)
    {
      CHECK_MSG (0, "load: %s", err->msg);
      kill (child, SIGKILL);
      waitpid (child, &status, 0);
      mk_cgroup_destroy (cg, NULL);
      loaded = NULL;
      goto out;
    }
  CHECK_MSG (loaded->n_dirs == cg->n_dirs, "load dirs");
  for (size_t i = 0; i < loaded->n_dirs && i < cg->n_dirs; i++)
    CHECK_MSG (strcmp (loaded->dirs[i].dir, cg->dirs[i].dir) == 0
                   && loaded->dirs[i].n_created == cg->dirs[i].n_created,
               "load %s vs %s", loaded->dirs[i].dir, cg->dirs[i].dir);

  CHECK_MSG (mk_cgroup_freeze (loaded, true, &err) == 0, "freeze: %s", err ? err->msg : "");
  expect_file (loaded, "freezer", "freezer.state", "FROZEN");
  CHECK_MSG (mk_cgroup_freeze (loaded, false, &err) == 0, "thaw: %s", err ? err->msg : "");
  expect_file (loaded, "freezer", "freezer.state", "THAWED");

  /* update: a lower memory limit (memsw first) and checkBeforeUpdate.  */
  {
    struct mk_resources *u = parse (
        "{\"memory\":{\"limit\":33554432,\"swap\":67108864},\"pids\":{\"limit\":-1}}", &err);
    CHECK_MSG (u && mk_cgroup_update (loaded, u, &err) == 0, "update: %s", err ? err->msg : "");
    expect_file (loaded, "memory", "memory.limit_in_bytes", "33554432");
    expect_file (loaded, "memory", "memory.memsw.limit_in_bytes", "67108864");
    expect_file (loaded, "pids", "pids.max", "max");
    mk_resources_free (u);
    u = parse ("{\"memory\":{\"limit\":4096,\"checkBeforeUpdate\":true}}", &err);
    /* sleep uses more than 4 KiB: rejected.  */
    CHECK_MSG (u && mk_cgroup_update (loaded, u, &err) < 0 && err
                   && strstr (err->msg, "linux.resources.memory.limit: rejecting") == err->msg,
               "checkBeforeUpdate: %s", err ? err->msg : "(success)");
    mk_error_free (err);
    err = NULL;
    mk_resources_free (u);
    u = parse ("{\"memory\":{\"limit\":4096,\"swap\":4096}}", &err);
    CHECK_MSG (u && mk_cgroup_update (loaded, u, &err) < 0 && err
                   && strstr (err->msg, "linux.resources.memory.limit: write "
                                        "memory.limit_in_bytes: Device or resource busy")
                          == err->msg,
               "limit below usage: %s", err ? err->msg : "(success)");
    printf ("error example: %s\n", err ? err->msg : "");
    mk_error_free (err);
    err = NULL;
    mk_resources_free (u);
  }

  kill (child, SIGKILL);
  waitpid (child, &status, 0);
  CHECK_MSG (mk_cgroup_destroy (loaded, &err) == 0, "destroy: %s", err ? err->msg : "");
  for (size_t i = 0; i < n_dirs; i++)
    expect_removed (dirs[i], created[i]);
  /* Destroy again: missing is fine.  */
  CHECK_MSG (mk_cgroup_destroy (loaded, &err) == 0, "second destroy: %s", err ? err->msg : "");
out:
  for (size_t i = 0; i < n_dirs; i++)
    free (dirs[i]);
  free (dirs);
  free (created);
  mk_cgroup_free (loaded);
  mk_cgroup_free (cg);
  mk_resources_free (r);
  mk_error_free (err);
  return NULL;
}

/* Two containers below one parent that the first creates: destroying the
   first keeps the parent for the second, and the second, which did not
   create it, leaves it.  Relative paths: below this process's cgroup.  */
static const char *
part_paths (void)
{
  mk_error *err = NULL;
  struct mk_cgroup *a = NULL, *b = NULL, *c = NULL;
  _cleanup_free_ char *top = xasprintf ("mkrun-cgt%d", getpid ());
  _cleanup_free_ char *pa = xasprintf ("%s/a", top), *pb = xasprintf ("%s/b", top);
  _cleanup_free_ char *suffix = xasprintf ("/%s/a", top);
  const char *why = cannot_create_cgroups ();

  if (why)
    return why;
  CHECK_MSG (mk_cgroup_create (pa, "a", NULL, &a, &err) == 0, "create a: %s", err ? err->msg : "");
  CHECK_MSG (mk_cgroup_create (pb, "b", NULL, &b, &err) == 0, "create b: %s", err ? err->msg : "");
  if (a == NULL || b == NULL)
    goto out;
  printf ("relative: %s | %s\n", mk_cgroup_path (a), mk_cgroup_path (b));
  for (size_t i = 0; i < a->n_dirs; i++)
    {
      const char *p = a->dirs[i].path;
      CHECK_MSG (strlen (p) >= strlen (suffix)
                     && strcmp (p + strlen (p) - strlen (suffix), suffix) == 0,
                 "relative path %s", p);
      CHECK_MSG (a->dirs[i].n_created == 2 && b->dirs[i].n_created == 1,
                 "%s: a created %zu, b %zu components", a->dirs[i].dir, a->dirs[i].n_created,
                 b->dirs[i].n_created);
    }
  CHECK_MSG (mk_cgroup_destroy (a, &err) == 0, "destroy a: %s", err ? err->msg : "");
  for (size_t i = 0; i < b->n_dirs; i++)
    {
      _cleanup_free_ char *parent = xstrdup (b->dirs[i].dir);
      *strrchr (parent, '/') = '\0';
      CHECK_MSG (!exists (a->dirs[i].dir), "%s left behind", a->dirs[i].dir);
      CHECK_MSG (exists (parent), "shared parent %s removed while in use", parent);
    }
  CHECK_MSG (mk_cgroup_destroy (b, &err) == 0, "destroy b: %s", err ? err->msg : "");
  for (size_t i = 0; i < b->n_dirs; i++)
    {
      _cleanup_free_ char *parent = xstrdup (b->dirs[i].dir);
      *strrchr (parent, '/') = '\0';
      CHECK_MSG (!exists (b->dirs[i].dir), "%s left behind", b->dirs[i].dir);
      CHECK_MSG (exists (parent), "b did not create %s but removed it", parent);
      rmdir (parent);
    }
out:
  mk_cgroup_free (a);
  mk_cgroup_free (b);
  mk_error_free (err);
  err = NULL;
  /* Refused before anything is made.  */
  CHECK_MSG (mk_cgroup_create ("/a;b", "x", NULL, &c, &err) < 0 && err
                 && strcmp (err->msg, "linux.cgroupsPath: invalid path `/a;b`") == 0,
             "bad path: %s", err ? err->msg : "(ok)");
  mk_error_free (err);
  err = NULL;
  CHECK_MSG (mk_cgroup_create ("/x/../..", "x", NULL, &c, &err) < 0, "dot path");
  mk_error_free (err);
  return NULL;
}

/* This process's cgroup when it is the same in every hierarchy, else NULL
   and *WHY says how they differ.  */
static char *
same_own_cgroup (char **why)
{
  _cleanup_free_ char *buf = NULL, *first = NULL;
  char *own = NULL, *save = NULL;

  *why = NULL;
  if (mk_read_file_at (AT_FDCWD, "/proc/self/cgroup", &buf, NULL, NULL) < 0)
    {
      *why = xstrdup ("cannot read /proc/self/cgroup");
      return NULL;
    }
  /* Lines "ID:CONTROLLERS:PATH".  */
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *path = strchr (line, ':');
      path = path ? strchr (path + 1, ':') : NULL;
      if (path == NULL)
        continue;
      *path++ = '\0';
      if (own == NULL)
        {
          own = xstrdup (path);
          first = xstrdup (line);
        }
      else if (strcmp (own, path) != 0)
        {
          *why = xasprintf ("%s: %s, %s: %s", first, own, line, path);
          free (own);
          return NULL;
        }
    }
  return own;
}

/* An absolute cgroupsPath is taken from each hierarchy's root.  Below this
   process's cgroup only, so only where that is one path everywhere.  */
static const char *
part_absolute (void)
{
  mk_error *err = NULL;
  struct mk_cgroup *cg = NULL;
  _cleanup_free_ char *differ = NULL, *own = same_own_cgroup (&differ), *path = NULL;
  const char *why = cannot_create_cgroups ();

  if (why)
    return why;
  if (own == NULL)
    return check_skip ("this process's cgroup differs between hierarchies (%s): an absolute "
                       "cgroupsPath below it in all of them would create cgroups outside it",
                       differ);
  path = xasprintf ("%s/mkrun-cgt%d-abs/x", strcmp (own, "/") == 0 ? "" : own, getpid ());
  CHECK_MSG (mk_cgroup_create (path, "x", NULL, &cg, &err) == 0, "create %s: %s", path,
             err ? err->msg : "");
  if (cg == NULL)
    {
      mk_error_free (err);
      return NULL;
    }
  printf ("absolute: %s\n", mk_cgroup_path (cg));
  for (size_t i = 0; i < cg->n_dirs; i++)
    CHECK_MSG (strcmp (cg->dirs[i].path, path) == 0 && cg->dirs[i].n_created == 2,
               "absolute path %s (%zu created), want %s (2)", cg->dirs[i].path,
               cg->dirs[i].n_created, path);
  CHECK_MSG (mk_cgroup_destroy (cg, &err) == 0, "destroy: %s", err ? err->msg : "");
  for (size_t i = 0; i < cg->n_dirs; i++)
    expect_removed (cg->dirs[i].dir, cg->dirs[i].n_created);
  mk_cgroup_free (cg);
  mk_error_free (err);
  return NULL;
}

/* On a hybrid host: what only v2 has, a missing controller, values the
   kernel refuses; each create must fail and leave nothing.  */
static const char *
part_create_errors (void)
{
  _cleanup_free_ char *id = xasprintf ("bad%d", getpid ());
  const char *why = cannot_create_cgroups ();

  if (why)
    return why;
  if (mk_cgroup_mode () != MK_CGROUP_HYBRID)
    return check_skip ("its errors are a hybrid host's (v1 controllers, a v2 mount)");
  expect_create_error (
      "{\"unified\":{\"memory.max\":\"1\"}}", id,
      "linux.resources.unified.memory.max: invalid configuration: the memory controller is not "
      "on this host's cgroup v2 hierarchy (it is on v1)");
  if (hier_with ("net_cls") == NULL)
    expect_create_error (
        "{\"network\":{\"classID\":5}}", id,
        "linux.resources.network.classID: the net_cls cgroup controller is not available");
  expect_create_error ("{\"cpu\":{\"cpus\":\"999\"}}", id,
                       "linux.resources.cpu.cpus: write cpuset.cpus: Numerical result out of "
                       "range (value `999`)");
  expect_create_error ("{\"memory\":{\"swappiness\":200}}", id,
                       "linux.resources.memory.swappiness: 200 out of range (0-100)");
  return NULL;
}

/* Why this kernel cannot load a cgroup BPF device program, or NULL.  */
static const char *
bpf_device_unsupported (void)
{
  struct bpf_insn prog[] = {
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
    { .code = BPF_JMP | BPF_EXIT },
  };
  union bpf_attr attr;
  int fd;

  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)prog;
  attr.insn_cnt = MK_ARRAY_SIZE (prog);
  attr.license = (uint64_t)(uintptr_t) "Apache";
  fd = syscall (SYS_bpf, BPF_PROG_LOAD, &attr, sizeof (attr));
  if (fd < 0)
    return check_skip ("this kernel cannot load a cgroup BPF device program: %s", strerror (errno));
  close (fd);
  return NULL;
}

/* The v2 device program, attached to our v2 cgroup (on a hybrid host too:
   the kernel runs cgroup BPF device programs whatever the v1 devices
   controller says).  */
static const char *
part_devices_bpf (void)
{
  const char *json = "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                     "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"},"
                     "{\"allow\":true,\"type\":\"c\",\"major\":1,\"access\":\"r\"},"
                     "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":8,\"access\":\"r\"}]}";
  mk_error *err = NULL;
  struct mk_resources *r = NULL;
  struct mk_cgroup *cg = NULL;
  const struct mk_cg_dir *d;
  _cleanup_free_ char *id = xasprintf ("bpf%d", getpid ());
  pid_t child;
  int status;
  const char *why = cannot_create_cgroups ();

  if (why)
    return why;
  if (!has_v2 ())
    return check_skip ("needs a cgroup v2 hierarchy (this host has only v1)");
  why = bpf_device_unsupported ();
  if (why)
    return why;
  r = parse (json, &err);
  if (mk_cgroup_create (NULL, id, NULL, &cg, &err) < 0)
    {
      CHECK_MSG (0, "create: %s", err->msg);
      mk_error_free (err);
      mk_resources_free (r);
      return NULL;
    }
  d = mk_cg_v2_dir (cg);
  CHECK_MSG (d != NULL, "no v2 dir");
  if (d && mk_cg_devices_bpf_apply (d->dirfd, r->devices, r->n_devices, &err) < 0)
    CHECK_MSG (0, "bpf: %s", err->msg);
  /* Apply again (as update does): replaces, does not stack.  */
  if (d && mk_cg_devices_bpf_apply (d->dirfd, r->devices, r->n_devices, &err) < 0)
    CHECK_MSG (0, "bpf again: %s", err->msg);
  child = fork ();
  if (child == 0)
    {
      int rc = 0;
      mk_error *e = NULL;
      if (mk_cgroup_enter (cg, getpid (), false, &e) < 0)
        _exit (100);
      /* /dev/null rw ok; /dev/zero (1:5) r ok, w denied; /dev/random (1:8) r denied;
         /dev/tty (5:0) denied.  */
      if (open ("/dev/null", O_RDWR) < 0)
        rc |= 1;
      if (open ("/dev/zero", O_RDONLY) < 0)
        rc |= 2;
      if (open ("/dev/zero", O_WRONLY) >= 0 || errno != EPERM)
        rc |= 4;
      if (open ("/dev/random", O_RDONLY) >= 0 || errno != EPERM)
        rc |= 8;
      if (open ("/dev/tty", O_RDWR) >= 0 || errno != EPERM)
        rc |= 16;
      _exit (rc);
    }
  waitpid (child, &status, 0);
  CHECK_MSG (WIFEXITED (status) && WEXITSTATUS (status) == 0, "bpf device checks: status %d",
             WIFEXITED (status) ? WEXITSTATUS (status) : -1);
  CHECK_MSG (mk_cgroup_destroy (cg, &err) == 0, "destroy: %s", err ? err->msg : "");
  for (size_t i = 0; i < cg->n_dirs; i++)
    expect_removed (cg->dirs[i].dir, cg->dirs[i].n_created);
  mk_cgroup_free (cg);
  mk_resources_free (r);
  mk_error_free (err);
  return NULL;
}

int
main (int argc, char **argv)
{
  static const struct check_part parts[] = {
    { "parse", part_parse },
    { "lifecycle", part_lifecycle },
    { "paths", part_paths },
    { "absolute", part_absolute },
    { "create-errors", part_create_errors },
    { "devices-bpf", part_devices_bpf },
  };
  static const char *const modes[] = { "v1", "hybrid", "v2" };

  printf ("cgroup mode: %s\n", modes[mk_cgroup_mode ()]);
  return check_main (argc, argv, parts, MK_ARRAY_SIZE (parts));
}
