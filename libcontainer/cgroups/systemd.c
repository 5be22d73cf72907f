/* cgroups/systemd.c: transient scopes through systemd's D-Bus API (see
 * systemd.h).  */
#define _GNU_SOURCE
#include "config.h"

#include "../utils.h"
#include "internal.h"
#include "resources.h"
#include "systemd.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define WHAT "--systemd-cgroup"
/* How long a job may take (a scope's start and stop are immediate; a
   stop whose processes ignore SIGTERM waits for systemd's timeout).  */
#define JOB_TIMEOUT_S 120

struct mk_systemd_scope
{
  pid_t placeholder;
};

/* libsystemd is loaded when the driver is used, not linked: its own
   libraries (gcrypt, lzma, zstd, lz4) would cost every mkrun command about
   2 ms at exec (measured: `mkrun --version`, 6 ms without, 8 with).  */
#define SD_FUNCS(X)                                                                                \
  X (sd_bus_new)                                                                                   \
  X (sd_bus_set_address)                                                                           \
  X (sd_bus_start)                                                                                 \
  X (sd_bus_unref)                                                                                 \
  X (sd_bus_flush_close_unref)                                                                     \
  X (sd_bus_open_user)                                                                             \
  X (sd_bus_open_system)                                                                           \
  X (sd_bus_call)                                                                                  \
  X (sd_bus_call_method)                                                                           \
  X (sd_bus_process)                                                                               \
  X (sd_bus_wait)                                                                                  \
  X (sd_bus_match_signal)                                                                          \
  X (sd_bus_slot_unref)                                                                            \
  X (sd_bus_error_free)                                                                            \
  X (sd_bus_error_has_name)                                                                        \
  X (sd_bus_message_new_method_call)                                                               \
  X (sd_bus_message_unref)                                                                         \
  X (sd_bus_message_read)                                                                          \
  X (sd_bus_message_append)                                                                        \
  X (sd_bus_message_append_array)                                                                  \
  X (sd_bus_message_open_container)                                                                \
  X (sd_bus_message_close_container)

#define SD_MEMBER(f) __typeof__ (f) *p_##f;
static struct
{
  void *handle;
  SD_FUNCS (SD_MEMBER)
} sd;

static int
sd_load (mk_error **err)
{
  if (sd.handle)
    return 0;
  sd.handle = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (sd.handle == NULL)
    return mk_error_set (err, 0, WHAT ": load libsystemd.so.0 (package libsystemd0): %s",
                         dlerror ());
#define SD_SYM(f)                                                                                  \
  if ((sd.p_##f = (__typeof__ (f) *)dlsym (sd.handle, #f)) == NULL)                                \
    return mk_error_set (err, 0, WHAT ": libsystemd.so.0 lacks %s", #f);
  SD_FUNCS (SD_SYM)
#undef SD_SYM
  return 0;
}

/* From here on the names call through the table.  */
#define SD_ALIAS(f) sd.p_##f
#define sd_bus_new SD_ALIAS (sd_bus_new)
#define sd_bus_set_address SD_ALIAS (sd_bus_set_address)
#define sd_bus_start SD_ALIAS (sd_bus_start)
#define sd_bus_unref SD_ALIAS (sd_bus_unref)
#define sd_bus_flush_close_unref SD_ALIAS (sd_bus_flush_close_unref)
#define sd_bus_open_user SD_ALIAS (sd_bus_open_user)
#define sd_bus_open_system SD_ALIAS (sd_bus_open_system)
#define sd_bus_call SD_ALIAS (sd_bus_call)
#define sd_bus_call_method SD_ALIAS (sd_bus_call_method)
#define sd_bus_process SD_ALIAS (sd_bus_process)
#define sd_bus_wait SD_ALIAS (sd_bus_wait)
#define sd_bus_match_signal SD_ALIAS (sd_bus_match_signal)
#define sd_bus_slot_unref SD_ALIAS (sd_bus_slot_unref)
#define sd_bus_error_free SD_ALIAS (sd_bus_error_free)
#define sd_bus_error_has_name SD_ALIAS (sd_bus_error_has_name)
#define sd_bus_message_new_method_call SD_ALIAS (sd_bus_message_new_method_call)
#define sd_bus_message_unref SD_ALIAS (sd_bus_message_unref)
#define sd_bus_message_read SD_ALIAS (sd_bus_message_read)
#define sd_bus_message_append SD_ALIAS (sd_bus_message_append)
#define sd_bus_message_append_array SD_ALIAS (sd_bus_message_append_array)
#define sd_bus_message_open_container SD_ALIAS (sd_bus_message_open_container)
#define sd_bus_message_close_container SD_ALIAS (sd_bus_message_close_container)

static inline void
bus_unrefp (sd_bus **b)
{
  if (*b)
    sd_bus_flush_close_unref (*b);
}
#define _cleanup_bus_ __attribute__ ((cleanup (bus_unrefp)))

static inline void
msg_unrefp (sd_bus_message **m)
{
  if (*m)
    sd_bus_message_unref (*m);
}
#define _cleanup_msg_ __attribute__ ((cleanup (msg_unrefp)))

static inline void
slot_unrefp (sd_bus_slot **s)
{
  if (*s)
    sd_bus_slot_unref (*s);
}
#define _cleanup_slot_ __attribute__ ((cleanup (slot_unrefp)))

/* The user's runtime directory, or NULL.  */
static const char *
runtime_dir (void)
{
  const char *d = getenv ("XDG_RUNTIME_DIR");
  return d && d[0] == '/' ? d : NULL;
}

/* systemd's private socket for USER: what systemctl uses as root, and
   with --user; malloc'ed, NULL when there is none to try.  Only plain
   characters: a D-Bus address would need them escaped.  */
static char *
private_socket (bool user)
{
  const char *d = user ? runtime_dir () : "/run";
  char *path;
  if (d == NULL)
    return NULL;
  path = xasprintf ("%s/systemd/private", d);
  if (strspn (path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_.-")
          != strlen (path)
      || access (path, F_OK) < 0)
    {
      free (path);
      return NULL;
    }
  return path;
}

bool
mk_systemd_available (bool user)
{
  _cleanup_free_ char *bus = NULL;
  if (!user)
    return access ("/run/systemd/system", F_OK) == 0;
  if (runtime_dir () == NULL)
    return false;
  bus = xasprintf ("%s/bus", runtime_dir ());
  _cleanup_free_ char *priv = private_socket (true);
  return priv != NULL || access (bus, F_OK) == 0 || getenv ("DBUS_SESSION_BUS_ADDRESS");
}

/* Connects to the systemd of USER: its private socket first (no bus
   daemon needed), else the system or session bus.  *DIRECT says which.  */
static int
bus_open (bool user, sd_bus **out, bool *direct, mk_error **err)
{
  _cleanup_free_ char *priv = private_socket (user);
  sd_bus *b = NULL;
  int r;

  if (sd_load (err) < 0)
    return -1;
  if (priv)
    {
      _cleanup_free_ char *addr = xasprintf ("unix:path=%s", priv);
      if (sd_bus_new (&b) >= 0 && sd_bus_set_address (b, addr) >= 0 && sd_bus_start (b) >= 0)
        {
          *out = b;
          *direct = true;
          return 0;
        }
      if (b)
        sd_bus_unref (b);
      b = NULL;
    }
  *direct = false;
  r = user ? sd_bus_open_user (&b) : sd_bus_open_system (&b);
  if (r < 0)
    return mk_error_set (err, -r, WHAT ": connect to %s systemd",
                         user ? "the user's" : "the system's");
  *out = b;
  return 0;
}

int
mk_systemd_unit_names (const char *cgroups_path, const char *id, bool user, char **slice,
                       char **unit, mk_error **err)
{
  static const char unit_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789:-_.\\@";
  _cleanup_free_ char *path = NULL;
  char *prefix, *name, *c2;
  size_t len;

  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    path = xasprintf (":mkrun:%s", id);
  else
    path = xstrdup (cgroups_path);
  prefix = strchr (path, ':');
  c2 = prefix ? strchr (prefix + 1, ':') : NULL;
  if (c2 == NULL || strchr (c2 + 1, ':') || c2[1] == '\0')
    return mk_error_set (err, 0,
                         "linux.cgroupsPath: expected \"slice:prefix:name\" with the systemd "
                         "cgroup driver, got `%s`",
                         path);
  *prefix++ = '\0';
  *c2 = '\0';
  name = c2 + 1;
  len = strlen (path);
  if (len && (len < 7 || strcmp (path + len - 6, ".slice") != 0 || strchr (path, '/')))
    return mk_error_set (err, 0, "linux.cgroupsPath: `%s` is not a systemd slice (NAME.slice)",
                         path);
  if (strlen (name) > 6 && strcmp (name + strlen (name) - 6, ".slice") == 0)
    return mk_error_set (err, 0,
                         "linux.cgroupsPath: `%s`: a slice as the container's own unit is not "
                         "supported (mkrun makes a scope: give its name)",
                         name);
  *slice = xstrdup (len ? path : user ? "user.slice" : "system.slice");
  *unit = prefix[0] ? xasprintf ("%s-%s.scope", prefix, name) : xasprintf ("%s.scope", name);
  if (strspn (*slice, unit_chars) != strlen (*slice) || strspn (*unit, unit_chars) != strlen (*unit)
      || strlen (*unit) > 255)
    {
      mk_error_set (err, 0, "linux.cgroupsPath: `%s` or `%s` is not a valid systemd unit name",
                    *slice, *unit);
      free (*slice);
      free (*unit);
      *slice = *unit = NULL;
      return -1;
    }
  return 0;
}

/* The D-Bus error as one line.  */
static const char *
bus_msg (const sd_bus_error *e, int r)
{
  if (e && e->message)
    return e->message;
  return strerror (r < 0 ? -r : r);
}

/* A failed call (R, *E freed after) as "--systemd-cgroup: WHAT: why".  */
static int
call_error (mk_error **err, int r, sd_bus_error *e, const char *what)
{
  mk_error_set (err, -r, WHAT ": %s: %s", what, bus_msg (e, r));
  sd_bus_error_free (e);
  return -1;
}

/* ---- jobs ---------------------------------------------------------------- */

struct job_wait
{
  const char *path; /* the job to wait for; NULL until the call returns */
  char *result;
};

static int
on_job_removed (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  struct job_wait *w = userdata;
  uint32_t id;
  const char *path, *unit, *result;
  (void)ret_error;
  if (sd_bus_message_read (m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->path && w->result == NULL && strcmp (path, w->path) == 0)
    w->result = xstrdup (result);
  return 0;
}

/* Sends M (a method that returns a job), then waits for that job's
   JobRemoved.  Returns 0 when its result is "done"; 1 when the call failed
   with the D-Bus error TOLERATED (NULL: none); else an error.  */
static int
run_job (sd_bus *bus, bool direct, sd_bus_message *m, const char *what, const char *tolerated,
         mk_error **err)
{
  _cleanup_slot_ sd_bus_slot *slot = NULL;
  _cleanup_msg_ sd_bus_message *reply = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  struct job_wait w = { 0 };
  const char *job;
  struct timespec t0, now;
  int r;

  /* The match first: the signal may come before the reply.  The sender is
     known only on a bus (a direct connection has none).  */
  r = sd_bus_match_signal (bus, &slot, direct ? NULL : SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved",
                           on_job_removed, &w);
  if (r < 0)
    return mk_error_set (err, -r, WHAT ": %s: watch systemd's jobs", what);
  r = sd_bus_call_method (bus, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", &e, NULL, NULL);
  if (r < 0 && !sd_bus_error_has_name (&e, "org.freedesktop.systemd1.AlreadySubscribed"))
    return call_error (err, r, &e, what);
  sd_bus_error_free (&e);
  r = sd_bus_call (bus, m, 0, &e, &reply);
  if (r < 0)
    {
      if (tolerated && sd_bus_error_has_name (&e, tolerated))
        {
          sd_bus_error_free (&e);
          return 1;
        }
      return call_error (err, r, &e, what);
    }
  r = sd_bus_message_read (reply, "o", &job);
  if (r < 0)
    return mk_error_set (err, -r, WHAT ": %s: systemd's reply", what);
  w.path = job;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  while (w.result == NULL)
    {
      r = sd_bus_process (bus, NULL);
      if (r < 0)
        return mk_error_set (err, -r, WHAT ": %s: wait for the job", what);
      if (r > 0)
        continue;
      clock_gettime (CLOCK_MONOTONIC, &now);
      if (now.tv_sec - t0.tv_sec > JOB_TIMEOUT_S)
        return mk_error_set (err, ETIMEDOUT, WHAT ": %s: the job %s did not end", what, job);
      r = sd_bus_wait (bus, 1000000);
      if (r < 0 && r != -EINTR)
        return mk_error_set (err, -r, WHAT ": %s: wait for the job", what);
    }
  if (strcmp (w.result, "done") != 0)
    {
      mk_error_set (err, 0, WHAT ": %s: systemd's job ended `%s`", what, w.result);
      free (w.result);
      return -1;
    }
  free (w.result);
  return 0;
}

/* ---- properties ---------------------------------------------------------- */

/* LIST ("0-3,8") as systemd's CPU/NUMA mask: byte i bit j is number 8i+j.  */
static int
append_mask (sd_bus_message *m, const char *prop, const char *list, mk_error **err)
{
  cpu_set_t set;
  uint8_t bytes[CPU_SETSIZE / 8] = { 0 };
  size_t n = 0;
  if (mk_cpulist_parse (list, &set) < 0)
    return mk_error_set (err, 0, "%s: malformed list `%s`", prop, list);
  for (size_t i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET (i, &set))
      {
        bytes[i / 8] |= 1u << (i % 8);
        n = i / 8 + 1;
      }
  if (sd_bus_message_open_container (m, 'r', "sv") < 0 || sd_bus_message_append (m, "s", prop) < 0
      || sd_bus_message_open_container (m, 'v', "ay") < 0
      || sd_bus_message_append_array (m, 'y', bytes, n) < 0
      || sd_bus_message_close_container (m) < 0 || sd_bus_message_close_container (m) < 0)
    return mk_error_set (err, ENOMEM, "%s", prop);
  return 0;
}

static int
append_u64 (sd_bus_message *m, const char *prop, uint64_t v)
{
  return sd_bus_message_append (m, "(sv)", prop, "t", v);
}

/* R's limits that systemd owns, as properties (the rest, and these again,
   are written to the cgroup's files by the cgroupfs code).  -1 is
   "infinity" (UINT64_MAX).  */
static int
append_resources (sd_bus_message *m, const struct mk_resources *r, mk_error **err)
{
  int q = 0;
  if (r == NULL)
    return 0;
  if (r->has_mem_limit && r->mem_limit != 0)
    q |= append_u64 (m, "MemoryMax", r->mem_limit < 0 ? UINT64_MAX : (uint64_t)r->mem_limit);
  if (r->has_mem_reservation && r->mem_reservation > 0)
    q |= append_u64 (m, "MemoryLow", r->mem_reservation);
  if (r->has_mem_swap && r->has_mem_limit && r->mem_limit > 0
      && (r->mem_swap == -1 || r->mem_swap >= r->mem_limit))
    q |= append_u64 (m, "MemorySwapMax",
                     r->mem_swap == -1 ? UINT64_MAX : (uint64_t)(r->mem_swap - r->mem_limit));
  if (r->has_cpu_shares && r->cpu_shares != 0)
    q |= append_u64 (m, "CPUWeight", mk_cg_shares_to_weight (r->cpu_shares));
  if (r->has_cpu_period && r->cpu_period)
    q |= append_u64 (m, "CPUQuotaPeriodUSec", r->cpu_period);
  if (r->has_cpu_quota && r->cpu_quota != 0)
    {
      uint64_t period = r->has_cpu_period && r->cpu_period ? r->cpu_period : 100000, per_sec;
      if (r->cpu_quota < 0)
        per_sec = UINT64_MAX;
      else
        {
          /* systemd takes quota per second in 10 ms steps: rounded up (the
             exact cpu.max is written after).  */
          per_sec = (uint64_t)r->cpu_quota * 1000000 / period;
          per_sec = (per_sec + 9999) / 10000 * 10000;
        }
      q |= append_u64 (m, "CPUQuotaPerSecUSec", per_sec);
    }
  if (r->has_pids_limit && r->pids_limit != 0)
    q |= append_u64 (m, "TasksMax", r->pids_limit < 0 ? UINT64_MAX : (uint64_t)r->pids_limit);
  if (r->has_blkio_weight && r->blkio_weight)
    q |= append_u64 (m, "IOWeight", mk_cg_blkio_to_io_weight (r->blkio_weight));
  if (q < 0)
    return mk_error_set (err, ENOMEM, "systemd properties");
  if (r->cpu_cpus && r->cpu_cpus[0] && append_mask (m, "AllowedCPUs", r->cpu_cpus, err) < 0)
    return -1;
  if (r->cpu_mems && r->cpu_mems[0] && append_mask (m, "AllowedMemoryNodes", r->cpu_mems, err) < 0)
    return -1;
  return 0;
}

/* ---- the scope ----------------------------------------------------------- */

/* The placeholder: a child that waits to be killed, holding nothing of
   ours (its parent's death kills it too).  */
static pid_t
placeholder_start (void)
{
  pid_t parent = getpid ();
  pid_t pid = fork ();
  if (pid != 0)
    return pid;
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != parent)
    _exit (0);
  {
    int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0)
      for (int fd = 0; fd < 3; fd++)
        dup2 (null, fd);
  }
  mk_close_fds_from (3, NULL, 0);
  for (;;)
    pause ();
}

/* The unified hierarchy's cgroup of PID ("0::PATH"), malloc'ed.  */
static char *
unified_cgroup_of (pid_t pid)
{
  _cleanup_free_ char *path = xasprintf ("/proc/%d/cgroup", (int)pid), *text = NULL;
  mk_error *e = NULL;
  char *line, *save = NULL;
  if (mk_read_file_at (AT_FDCWD, path, &text, NULL, &e) < 0)
    {
      mk_error_free (e);
      return NULL;
    }
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (strncmp (line, "0::", 3) == 0)
      return xstrdup (line + 3);
  return NULL;
}

static int
new_call (sd_bus *bus, const char *method, sd_bus_message **m, mk_error **err)
{
  int r = sd_bus_message_new_method_call (bus, m, SD_DEST, SD_PATH, SD_MANAGER, method);
  if (r < 0)
    return mk_error_set (err, -r, WHAT ": %s", method);
  return 0;
}

static int
start_transient (sd_bus *bus, bool direct, const char *slice, const char *unit, const char *id,
                 pid_t pid, const struct mk_resources *res, mk_error **err)
{
  _cleanup_msg_ sd_bus_message *m = NULL;
  _cleanup_free_ char *desc = xasprintf ("mkrun container %s", id);
  _cleanup_free_ char *what = xasprintf ("start unit %s", unit);
  int r;

  if (new_call (bus, "StartTransientUnit", &m, err) < 0)
    return -1;
  r = sd_bus_message_append (m, "ss", unit, "fail");
  if (r >= 0)
    r = sd_bus_message_open_container (m, 'a', "(sv)");
  if (r >= 0)
    r = sd_bus_message_append (m, "(sv)(sv)(sv)(sv)(sv)", "Description", "s", desc, "Slice", "s",
                               slice, "Delegate", "b", 1, "PIDs", "au", 1, (uint32_t)pid,
                               "DefaultDependencies", "b", 0);
  if (r >= 0)
    r = sd_bus_message_append (m, "(sv)(sv)(sv)(sv)(sv)", "MemoryAccounting", "b", 1,
                               "CPUAccounting", "b", 1, "TasksAccounting", "b", 1, "IOAccounting",
                               "b", 1, "CollectMode", "s", "inactive-or-failed");
  if (r < 0)
    return mk_error_set (err, -r, WHAT ": %s", what);
  if (append_resources (m, res, err) < 0)
    return mk_error_prefix (err, WHAT ": %s", what);
  r = sd_bus_message_close_container (m);
  if (r >= 0)
    r = sd_bus_message_append (m, "a(sa(sv))", 0);
  if (r < 0)
    return mk_error_set (err, -r, WHAT ": %s", what);
  return run_job (bus, direct, m, what, "org.freedesktop.systemd1.UnitExists", err);
}

int
mk_systemd_scope_start (bool user, const char *slice, const char *unit, const char *id,
                        const struct mk_resources *r, struct mk_systemd_scope **out, char **cgroup,
                        mk_error **err)
{
  _cleanup_bus_ sd_bus *bus = NULL;
  struct mk_systemd_scope *s;
  bool direct;
  int ret;

  if (bus_open (user, &bus, &direct, err) < 0)
    return -1;
  s = xmalloc0 (sizeof (*s));
  s->placeholder = placeholder_start ();
  if (s->placeholder < 0)
    {
      free (s);
      return mk_error_set (err, errno, WHAT ": fork");
    }
  ret = start_transient (bus, direct, slice, unit, id, s->placeholder, r, err);
  /* A unit of that name: a failed one is reset and the start tried again,
     one still stopping (the container of that name just ended: an app's
     restart) waited for, up to a second; one that runs is another
     container's.  */
  for (int i = 0; ret == 1 && i < 20; i++)
    {
      struct timespec ts = { 0, 50 * 1000 * 1000 };
      sd_bus_call_method (bus, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit", NULL, NULL, "s",
                          unit);
      ret = start_transient (bus, direct, slice, unit, id, s->placeholder, r, err);
      if (ret == 1)
        nanosleep (&ts, NULL);
    }
  if (ret == 1)
    ret = mk_error_set (err, 0,
                        WHAT ": start unit %s: it exists already (another container's "
                             "cgroupsPath?)",
                        unit);
  if (ret == 0)
    {
      _cleanup_free_ char *suffix = xasprintf ("/%s", unit);
      char *cg = unified_cgroup_of (s->placeholder);
      size_t n = cg ? strlen (cg) : 0;
      if (cg == NULL || n <= strlen (suffix) || strcmp (cg + n - strlen (suffix), suffix) != 0)
        {
          ret = mk_error_set (err, 0,
                              WHAT ": systemd started %s, but its process is in `%s` (no cgroup "
                                   "v2 hierarchy?)",
                              unit, cg ? cg : "?");
          free (cg);
        }
      else
        *cgroup = cg;
    }
  if (ret < 0)
    {
      mk_systemd_scope_release (s);
      return -1;
    }
  *out = s;
  return 0;
}

void
mk_systemd_scope_release (struct mk_systemd_scope *s)
{
  if (s == NULL)
    return;
  if (s->placeholder > 0)
    {
      kill (s->placeholder, SIGKILL);
      while (waitpid (s->placeholder, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  free (s);
}

int
mk_systemd_attach (bool user, const char *unit, pid_t pid, mk_error **err)
{
  return mk_systemd_attach_sub (user, unit, NULL, pid, err);
}

int
mk_systemd_attach_sub (bool user, const char *unit, const char *sub, pid_t pid, mk_error **err)
{
  _cleanup_free_ char *subcg = sub && sub[0] ? xasprintf ("/%s", sub) : xstrdup ("");
  _cleanup_bus_ sd_bus *bus = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  bool direct;
  int r;

  if (bus_open (user, &bus, &direct, err) < 0)
    return -1;
  r = sd_bus_call_method (bus, SD_DEST, SD_PATH, SD_MANAGER, "AttachProcessesToUnit", &e, NULL,
                          "ssau", unit, subcg, 1, (uint32_t)pid);
  if (r < 0)
    {
      _cleanup_free_ char *what = xasprintf ("move the init into %s", unit);
      return call_error (err, r, &e, what);
    }
  return 0;
}

int
mk_systemd_set_properties (bool user, const char *unit, const struct mk_resources *r,
                           mk_error **err)
{
  _cleanup_bus_ sd_bus *bus = NULL;
  _cleanup_msg_ sd_bus_message *m = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  bool direct;
  int ret;

  if (bus_open (user, &bus, &direct, err) < 0 || new_call (bus, "SetUnitProperties", &m, err) < 0)
    return -1;
  ret = sd_bus_message_append (m, "sb", unit, 1);
  if (ret >= 0)
    ret = sd_bus_message_open_container (m, 'a', "(sv)");
  if (ret < 0)
    return mk_error_set (err, -ret, WHAT ": set properties of %s", unit);
  if (append_resources (m, r, err) < 0)
    return mk_error_prefix (err, WHAT ": set properties of %s", unit);
  ret = sd_bus_message_close_container (m);
  if (ret >= 0)
    ret = sd_bus_call (bus, m, 0, &e, NULL);
  if (ret < 0)
    {
      _cleanup_free_ char *what = xasprintf ("set properties of %s", unit);
      return call_error (err, ret, &e, what);
    }
  return 0;
}

int
mk_systemd_stop (bool user, const char *unit, mk_error **err)
{
  _cleanup_bus_ sd_bus *bus = NULL;
  _cleanup_msg_ sd_bus_message *m = NULL;
  _cleanup_free_ char *what = xasprintf ("stop unit %s", unit);
  bool direct;
  int r;

  if (bus_open (user, &bus, &direct, err) < 0 || new_call (bus, "StopUnit", &m, err) < 0)
    return -1;
  r = sd_bus_message_append (m, "ss", unit, "replace");
  if (r < 0)
    return mk_error_set (err, -r, WHAT ": %s", what);
  r = run_job (bus, direct, m, what, "org.freedesktop.systemd1.NoSuchUnit", err);
  return r < 0 ? -1 : 0;
}

char *
mk_systemd_unit_of_path (const char *cgroup_path)
{
  size_t n;
  _cleanup_free_ char *first = xstrdup (cgroup_path);
  const char *base;
  first[strcspn (first, ";#")] = '\0';
  base = strrchr (first, '/');
  base = base ? base + 1 : first;
  n = strlen (base);
  if (n <= 6 || strcmp (base + n - 6, ".scope") != 0)
    return NULL;
  return xstrdup (base);
}
