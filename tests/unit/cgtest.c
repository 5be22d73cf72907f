/* tests/unit/cgtest.c: standalone test of libcontainer/cgroups on the host
 * it runs on (root needed).  Creates cgroups below our own, checks the
 * host's files, moves a child in, destroys, and checks nothing is left.
 *
 *   mkdir -p /tmp/cginc && touch /tmp/cginc/config.h
 *   gcc -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
 *     -Wno-missing-field-initializers -D_GNU_SOURCE -I libcontainer -I /tmp/cginc \
 *     -o /tmp/cgtest tests/unit/cgtest.c libcontainer/cgroups/[a-z]*.c \
 *     libcontainer/error.c libcontainer/utils.c -lyajl
 *   /tmp/cgtest  */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "utils.h"


static int failures, checks;

#define CHECK(cond, ...)                                                                           \
  do                                                                                               \
    {                                                                                              \
      checks++;                                                                                    \
      if (!(cond))                                                                                 \
        {                                                                                          \
          failures++;                                                                              \
          fprintf (stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                         \
          fprintf (stderr, __VA_ARGS__);                                                           \
          fputc ('\n', stderr);                                                                    \
        }                                                                                          \
    }                                                                                              \
  while (0)

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
  CHECK (d != NULL, "no dir for %s", ctrl);
  if (d == NULL)
    return;
  got = read_file (d->dir, file);
  CHECK (strcmp (got, want) == 0, "%s/%s = `%s`, want `%s`", d->dir, file, got, want);
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
  CHECK (r == NULL && err && strcmp (err->msg, want) == 0, "%s: got `%s`, want `%s`", json,
         err ? err->msg : "(no error)", want);
  mk_resources_free (r);
  mk_error_free (err);
}

static void
test_parse_errors (void)
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
  expect_error ("{\"devices\":[{\"allow\":true,\"type\":\"c\",\"access\":\"rwx\"}]}",
                "linux.resources.devices[0].access: unknown access `x` in `rwx` (expected r, w, m)");
  expect_error ("{\"devices\":[{\"type\":\"c\"}]}", "linux.resources.devices[0].allow: required");
  expect_error ("{\"hugepageLimits\":[{\"pageSize\":\"2M\",\"limit\":1}]}",
                "linux.resources.hugepageLimits[0].pageSize: invalid page size `2M` (expected e.g. 2MB, 1GB)");
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
}

/* Creation must fail with WANT and leave no directory behind.  */
static void
expect_create_error (const char *json, const char *id, const char *want_prefix)
{
  mk_error *err = NULL;
  struct mk_resources *r = parse (json, &err);
  struct mk_cgroup *cg = NULL;
  int ret;
  CHECK (r != NULL, "parse %s: %s", json, err ? err->msg : "");
  if (r == NULL)
    {
      mk_error_free (err);
      return;
    }
  ret = mk_cgroup_create (NULL, id, r, &cg, &err);
  CHECK (ret < 0 && err && strncmp (err->msg, want_prefix, strlen (want_prefix)) == 0,
         "create with %s: got `%s`, want `%s...`", json, err ? err->msg : "(success)",
         want_prefix);
  if (ret == 0)
    {
      mk_cgroup_destroy (cg, NULL);
      mk_cgroup_free (cg);
    }
  /* Rollback: the leaf and mkrun/ must be gone in every hierarchy.  */
  {
    const struct mk_cg_layout *l = mk_cg_layout ();
    for (size_t i = 0; i < l->n_hiers; i++)
      {
        _cleanup_free_ char *p = xasprintf ("%s/mkrun/%s", l->hiers[i].mountpoint, id);
        CHECK (!exists (p), "%s left behind after a failed create", p);
      }
  }
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

static void
test_lifecycle (void)
{
  const char *json
      = "{\"memory\":{\"limit\":67108864,\"swap\":134217728,\"reservation\":33554432,"
        "\"swappiness\":10,\"disableOOMKiller\":true,\"kernel\":1,\"kernelTCP\":16777216},"
        "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"burst\":1000,\"cpus\":\"0\","
        "\"mems\":\"0\",\"idle\":0},"
        "\"pids\":{\"limit\":42},"
        "\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":254,\"minor\":0,\"rate\":1048576}]},"
        "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
        "\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
        "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"},"
        "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"r\"},"
        "{\"allow\":true,\"type\":\"c\",\"major\":136,\"access\":\"rw\"}],"
        "\"unified\":{\"hugetlb.1GB.max\":\"0\"}}";
  mk_error *err = NULL;
  struct mk_resources *r = parse (json, &err);
  struct mk_cgroup *cg = NULL, *loaded = NULL;
  _cleanup_free_ char *id = xasprintf ("cgt%d", getpid ());
  _cleanup_free_ char *saved = NULL;
  char **dirs = NULL;
  size_t n_dirs = 0;
  pid_t child;
  int go, status;

  CHECK (r != NULL, "parse: %s", err ? err->msg : "");
  if (mk_cgroup_create (NULL, id, r, &cg, &err) < 0)
    {
      CHECK (0, "create: %s", err->msg);
      exit (1);
    }
  saved = xstrdup (mk_cgroup_path (cg));
  printf ("state path: %s\n", saved);
  CHECK (strstr (saved, "/mkrun/") != NULL, "path %s", saved);
  CHECK (mk_cgroup_clone_fd (cg) == -1, "clone fd on hybrid");
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      CHECK (exists (cg->dirs[i].dir), "%s missing", cg->dirs[i].dir);
      dirs = xrealloc (dirs, sizeof (char *) * (n_dirs + 1));
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
  expect_file (cg, "cpuset", "cpuset.cpus", "0");
  expect_file (cg, "cpuset", "cpuset.mems", "0");
  expect_file (cg, "pids", "pids.max", "42");
  expect_file (cg, "blkio", "blkio.throttle.read_bps_device", "254:0 1048576");
  expect_file (cg, "devices", "devices.list", "c 1:3 rwm\nc 1:5 r\nc 136:* rw");
  {
    const struct mk_cg_dir *h = mk_cg_dir_for (cg, "hugetlb");
    CHECK (h != NULL, "no hugetlb");
    if (h && h->hier->v2)
      {
        expect_file (cg, "hugetlb", "hugetlb.2MB.max", "4194304");
        expect_file (cg, "hugetlb", "hugetlb.1GB.max", "0");
      }
    else if (h)
      expect_file (cg, "hugetlb", "hugetlb.2MB.limit_in_bytes", "4194304");
  }
  {
    _cleanup_free_ char *oc = read_file (mk_cg_dir_for (cg, "memory")->dir, "memory.oom_control");
    CHECK (strstr (oc, "oom_kill_disable 1") != NULL, "oom_control: %s", oc);
  }

  child = spawn_sleep (&go);
  if (mk_cgroup_enter (cg, child, false, &err) < 0)
    CHECK (0, "enter: %s", err->msg);
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
        _cleanup_free_ char *line = cg->dirs[i].hier->v2
                                        ? xasprintf ("0::%s\n", cg->dirs[i].path)
                                        : xasprintf (":%s:%s\n", cg->dirs[i].hier->key,
                                                     cg->dirs[i].path);
        CHECK (strstr (buf, line) != NULL, "child not in %s", line);
      }
  }
  {
    pid_t *pids = NULL;
    size_t n = 0;
    CHECK (mk_cgroup_pids (cg, &pids, &n, &err) == 0 && n == 1 && pids[0] == child,
           "pids: n=%zu", n);
    free (pids);
  }

  {
    char *js = NULL;
    CHECK (mk_cgroup_stats_json (cg, &js, &err) == 0 && strstr (js, "\"pids\":{\"current\":1,\"limit\":42}"),
           "stats: %s", js ? js : "");
    printf ("stats: %s\n", js ? js : "");
    free (js);
  }
  /* Load from the saved string and use that object from here on.  */
  if (mk_cgroup_load (saved, &loaded, &err) < 0)
    CHECK (0, "load: %s", err->msg);
  CHECK (loaded->n_dirs == cg->n_dirs, "load dirs");
  for (size_t i = 0; i < loaded->n_dirs && i < cg->n_dirs; i++)
    CHECK (strcmp (loaded->dirs[i].dir, cg->dirs[i].dir) == 0
               && loaded->dirs[i].n_created == cg->dirs[i].n_created,
           "load %s vs %s", loaded->dirs[i].dir, cg->dirs[i].dir);

  CHECK (mk_cgroup_freeze (loaded, true, &err) == 0, "freeze: %s", err ? err->msg : "");
  expect_file (loaded, "freezer", "freezer.state", "FROZEN");
  CHECK (mk_cgroup_freeze (loaded, false, &err) == 0, "thaw: %s", err ? err->msg : "");
  expect_file (loaded, "freezer", "freezer.state", "THAWED");

  /* update: a lower memory limit (memsw first) and checkBeforeUpdate.  */
  {
    struct mk_resources *u
        = parse ("{\"memory\":{\"limit\":33554432,\"swap\":67108864},\"pids\":{\"limit\":-1}}", &err);
    CHECK (u && mk_cgroup_update (loaded, u, &err) == 0, "update: %s", err ? err->msg : "");
    expect_file (loaded, "memory", "memory.limit_in_bytes", "33554432");
    expect_file (loaded, "memory", "memory.memsw.limit_in_bytes", "67108864");
    expect_file (loaded, "pids", "pids.max", "max");
    mk_resources_free (u);
    u = parse ("{\"memory\":{\"limit\":4096,\"checkBeforeUpdate\":true}}", &err);
    /* sleep uses more than 4 KiB: rejected.  */
    CHECK (u && mk_cgroup_update (loaded, u, &err) < 0 && err
               && strstr (err->msg, "linux.resources.memory.limit: rejecting") == err->msg,
           "checkBeforeUpdate: %s", err ? err->msg : "(success)");
    mk_error_free (err);
    err = NULL;
    mk_resources_free (u);
    u = parse ("{\"memory\":{\"limit\":4096,\"swap\":4096}}", &err);
    CHECK (u && mk_cgroup_update (loaded, u, &err) < 0 && err
               && strstr (err->msg, "linux.resources.memory.limit: write memory.limit_in_bytes: Device or resource busy") == err->msg,
           "limit below usage: %s", err ? err->msg : "(success)");
    printf ("error example: %s\n", err ? err->msg : "");
    mk_error_free (err);
    err = NULL;
    mk_resources_free (u);
  }

  kill (child, SIGKILL);
  waitpid (child, &status, 0);
  CHECK (mk_cgroup_destroy (loaded, &err) == 0, "destroy: %s", err ? err->msg : "");
  for (size_t i = 0; i < n_dirs; i++)
    {
      _cleanup_free_ char *parent = xstrdup (dirs[i]);
      *strrchr (parent, '/') = '\0';
      CHECK (!exists (dirs[i]), "%s left behind", dirs[i]);
      CHECK (!exists (parent), "%s left behind", parent);
      free (dirs[i]);
    }
  free (dirs);
  /* Destroy again: missing is fine.  */
  CHECK (mk_cgroup_destroy (loaded, &err) == 0, "second destroy: %s", err ? err->msg : "");
  mk_cgroup_free (loaded);
  mk_cgroup_free (cg);
  mk_resources_free (r);
  mk_error_free (err);
}

static void
test_absolute_and_shared_parent (void)
{
  mk_error *err = NULL;
  struct mk_cgroup *a = NULL, *b = NULL, *c = NULL;
  _cleanup_free_ char *pa = xasprintf ("/mkrun-cgt%d/a", getpid ());
  _cleanup_free_ char *pb = xasprintf ("/mkrun-cgt%d/b", getpid ());
  _cleanup_free_ char *top = NULL;

  CHECK (mk_cgroup_create (pa, "a", NULL, &a, &err) == 0, "create a: %s", err ? err->msg : "");
  CHECK (mk_cgroup_create (pb, "b", NULL, &b, &err) == 0, "create b: %s", err ? err->msg : "");
  if (a == NULL || b == NULL)
    return;
  printf ("absolute: %s | %s\n", mk_cgroup_path (a), mk_cgroup_path (b));
  top = xasprintf ("%s/mkrun-cgt%d", mk_cg_dir_for (a, "memory")->hier->mountpoint, getpid ());
  CHECK (strcmp (mk_cg_dir_for (a, "memory")->path, pa) == 0, "absolute path %s",
         mk_cg_dir_for (a, "memory")->path);
  /* b shares the parent a created: destroying a keeps it for b.  */
  CHECK (mk_cgroup_destroy (a, &err) == 0, "destroy a");
  CHECK (exists (top), "shared parent removed while in use");
  CHECK (mk_cgroup_destroy (b, &err) == 0, "destroy b");
  CHECK (exists (top), "b did not create the parent but removed it");
  /* Relative path given explicitly, then clean up the absolute top by hand.  */
  CHECK (mk_cgroup_create ("rel/x", "x", NULL, &c, &err) == 0, "create rel: %s",
         err ? err->msg : "");
  if (c)
    {
      CHECK (strstr (mk_cg_dir_for (c, "memory")->path, "/rel/x") != NULL, "rel");
      mk_cgroup_destroy (c, NULL);
      CHECK (!exists (mk_cg_dir_for (c, "memory")->dir), "rel left");
    }
  mk_cgroup_destroy (a, NULL);
  {
    const struct mk_cg_layout *l = mk_cg_layout ();
    for (size_t i = 0; i < l->n_hiers; i++)
      {
        _cleanup_free_ char *p = xasprintf ("%s/mkrun-cgt%d", l->hiers[i].mountpoint, getpid ());
        rmdir (p);
      }
  }
  mk_cgroup_free (a);
  mk_cgroup_free (b);
  mk_cgroup_free (c);
  mk_error_free (err);
  err = NULL;
  CHECK (mk_cgroup_create ("/a;b", "x", NULL, &c, &err) < 0 && err
             && strcmp (err->msg, "linux.cgroupsPath: invalid path `/a;b`") == 0,
         "bad path: %s", err ? err->msg : "(ok)");
  mk_error_free (err);
  err = NULL;
  CHECK (mk_cgroup_create ("/x/../..", "x", NULL, &c, &err) < 0, "dot path");
  mk_error_free (err);
}

/* The v2 device program, attached to our v2 cgroup on this hybrid host
   (the kernel runs cgroup BPF device programs whatever the v1 devices
   controller says).  */
static void
test_devices_bpf (void)
{
  const char *json = "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
                     "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rw\"},"
                     "{\"allow\":true,\"type\":\"c\",\"major\":1,\"access\":\"r\"},"
                     "{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":8,\"access\":\"r\"}]}";
  mk_error *err = NULL;
  struct mk_resources *r = parse (json, &err);
  struct mk_cgroup *cg = NULL;
  const struct mk_cg_dir *d;
  _cleanup_free_ char *id = xasprintf ("bpf%d", getpid ());
  pid_t child;
  int status;

  if (mk_cgroup_create (NULL, id, NULL, &cg, &err) < 0)
    {
      CHECK (0, "create: %s", err->msg);
      return;
    }
  d = mk_cg_v2_dir (cg);
  CHECK (d != NULL, "no v2 dir");
  if (d && mk_cg_devices_bpf_apply (d->dirfd, r->devices, r->n_devices, &err) < 0)
    CHECK (0, "bpf: %s", err->msg);
  /* Apply again (as update does): replaces, does not stack.  */
  if (d && mk_cg_devices_bpf_apply (d->dirfd, r->devices, r->n_devices, &err) < 0)
    CHECK (0, "bpf again: %s", err->msg);
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
  CHECK (WIFEXITED (status) && WEXITSTATUS (status) == 0, "bpf device checks: status %d",
         WIFEXITED (status) ? WEXITSTATUS (status) : -1);
  CHECK (mk_cgroup_destroy (cg, &err) == 0, "destroy: %s", err ? err->msg : "");
  mk_cgroup_free (cg);
  mk_resources_free (r);
  mk_error_free (err);
}

int
main (void)
{
  const char *modes[] = { "v1", "hybrid", "v2" };
  _cleanup_free_ char *id = xasprintf ("bad%d", getpid ());

  printf ("mode: %s\n", modes[mk_cgroup_mode ()]);
  test_parse_errors ();
  if (geteuid () != 0)
    {
      printf ("not root: skipping the cgroup tests\n");
      return failures ? 1 : 0;
    }
  test_lifecycle ();
  test_absolute_and_shared_parent ();
  if (mk_cgroup_mode () == MK_CGROUP_HYBRID)
    {
      expect_create_error ("{\"unified\":{\"memory.max\":\"1\"}}", id,
                           "linux.resources.unified.memory.max: write memory.max: No such file or directory");
      expect_create_error ("{\"network\":{\"classID\":5}}", id,
                           "linux.resources.network.classID: the net_cls cgroup controller is not available");
      expect_create_error ("{\"cpu\":{\"cpus\":\"999\"}}", id,
                           "linux.resources.cpu.cpus: write cpuset.cpus: Numerical result out of range (value `999`)");
      expect_create_error ("{\"memory\":{\"swappiness\":200}}", id,
                           "linux.resources.memory.swappiness: 200 out of range (0-100)");
      test_devices_bpf ();
    }
  printf ("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
