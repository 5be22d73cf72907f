/* app/supervise.c: the supervisor of an app, and the app records (see
 * supervise.h).  */
#include "config.h"

#include "app/hostfs.h"
#include "app/oci.h"
#include "app/sockets.h"
#include "app/supervise.h"
#include "cgroups/cgroup.h"
#include "cgroups/systemd.h"
#include "container.h"
#include "namespaces.h"
#include "spec.h"
#include "state.h"
#include "utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define LINE_MAX_BYTES 8192
#define BACKOFF_MAX_MS 10000

long long
mk_app_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
mk_app_dir (const char *root, const char *name)
{
  return xasprintf ("%s/.apps/%s", root, name);
}

char *
mk_app_container_id (const char *name)
{
  return xasprintf ("app-%s", name);
}

/* ---- records -------------------------------------------------------------------- */

void
mk_app_record_free (struct mk_app_record *r)
{
  if (r == NULL)
    return;
  free (r->name);
  free (r->config);
  free (r->executable);
  free (r->app_args);
  free (r->log);
  free (r->status);
  mk_strv_free (r->listen);
  mk_strv_free (r->listen_host);
  free (r);
}

static void
gkv (yajl_gen g, const char *k, const char *v)
{
  yajl_gen_string (g, (const unsigned char *)k, strlen (k));
  if (v)
    yajl_gen_string (g, (const unsigned char *)v, strlen (v));
  else
    yajl_gen_null (g);
}

static void
gki (yajl_gen g, const char *k, long long v)
{
  yajl_gen_string (g, (const unsigned char *)k, strlen (k));
  yajl_gen_integer (g, v);
}

static void
gkb (yajl_gen g, const char *k, bool v)
{
  yajl_gen_string (g, (const unsigned char *)k, strlen (k));
  yajl_gen_bool (g, v);
}

bool
mk_app_record_alive (const struct mk_app_record *r)
{
  return r->supervisor > 0 && mk_proc_start_time (r->supervisor) == r->supervisor_start;
}

/* R's status as shown, ALIVE saying whether its supervisor is there.  */
static struct mk_app_status
status_of (const struct mk_app_record *r, bool alive)
{
  struct mk_app_status st = { .word = r->status, .alive = alive };
  if (!alive) /* its supervisor is gone */
    st.word = strcmp (r->status, "stopped") == 0 ? "stopped" : "exited";
  st.running = strcmp (st.word, "running") == 0;
  return st;
}

struct mk_app_status
mk_app_record_status (const struct mk_app_record *r)
{
  return status_of (r, mk_app_record_alive (r));
}

/* The record as JSON.  DERIVED: as readers see it (a gone supervisor
   means exited; uptime), else as stored.  */
static char *
record_to_json (const struct mk_app_record *r, bool derived, bool pretty)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  struct mk_app_status st = status_of (r, !derived || mk_app_record_alive (r));
  if (pretty)
    yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_map_open (g);
  gkv (g, "name", r->name);
  gkv (g, "status", st.word);
  gki (g, "pid", st.running || !derived ? r->pid : 0);
  gki (g, "supervisor", st.alive ? r->supervisor : 0);
  gki (g, "supervisor_start", (long long)r->supervisor_start);
  gkv (g, "config", r->config);
  gkv (g, "executable", r->executable);
  gkv (g, "app_args", r->app_args);
  gkv (g, "log", r->log);
  gkb (g, "detached", r->detached);
  gki (g, "started_ms", r->started_ms);
  gki (g, "finished_ms", r->finished_ms);
  if (derived)
    gki (g, "uptime_s",
         st.running && r->started_ms ? (mk_app_now_ms () - r->started_ms) / 1000 : 0);
  gki (g, "exit_code", r->exit_code);
  gki (g, "signal", r->signal);
  gkb (g, "oom", r->oom);
  gki (g, "restarts", r->restarts);
  yajl_gen_string (g, (const unsigned char *)"listen", 6);
  yajl_gen_array_open (g);
  for (size_t i = 0; r->listen && r->listen[i]; i++)
    {
      yajl_gen_map_open (g);
      gkv (g, "path", r->listen[i]);
      gkv (g, "host", r->listen_host[i]);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  return mk_json_gen_finish (g, false);
}

char *
mk_app_record_json (const struct mk_app_record *r, bool pretty)
{
  return record_to_json (r, true, pretty);
}

static int
record_write (const char *dir, const struct mk_app_record *r, mk_error **err)
{
  _cleanup_free_ char *json = record_to_json (r, false, false);
  _cleanup_free_ char *tmp = xasprintf ("%s/app.json.tmp", dir);
  _cleanup_free_ char *dst = xasprintf ("%s/app.json", dir);
  if (mk_create_file_at (AT_FDCWD, tmp, json, 0644, err) < 0)
    return -1;
  if (rename (tmp, dst) < 0)
    return mk_error_set (err, errno, "rename `%s`", tmp);
  return 0;
}

int
mk_app_record_read (const char *root, const char *name, struct mk_app_record **out,
                    mk_error **err)
{
  _cleanup_free_ char *dir = mk_app_dir (root, name);
  _cleanup_free_ char *path = xasprintf ("%s/app.json", dir);
  _cleanup_free_ char *text = NULL;
  size_t len;
  yajl_val tree, v;
  struct mk_app_record *r;
  if (mk_read_file_at (AT_FDCWD, path, &text, &len, NULL) < 0)
    return mk_error_set (err, 0, "app `%s` does not exist", name);
  tree = yajl_tree_parse (text, NULL, 0);
  if (tree == NULL)
    return mk_error_set (err, 0, "app `%s`: %s is not JSON", name, path);
  r = xmalloc0 (sizeof (*r));
#define S(key) ((v = mk_json_get (tree, key)) && YAJL_IS_STRING (v) ? xstrdup (YAJL_GET_STRING (v)) : NULL)
#define I(key) ((v = mk_json_get (tree, key)) && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0)
  r->name = S ("name");
  r->config = S ("config");
  r->executable = S ("executable");
  r->app_args = S ("app_args");
  r->log = S ("log");
  r->status = S ("status");
  r->pid = (pid_t)I ("pid");
  r->supervisor = (pid_t)I ("supervisor");
  r->supervisor_start = (unsigned long long)I ("supervisor_start");
  r->started_ms = I ("started_ms");
  r->finished_ms = I ("finished_ms");
  r->exit_code = (int)I ("exit_code");
  r->signal = (int)I ("signal");
  r->restarts = (int)I ("restarts");
  r->oom = YAJL_IS_TRUE (mk_json_get (tree, "oom"));
  r->detached = YAJL_IS_TRUE (mk_json_get (tree, "detached"));
  v = mk_json_get (tree, "listen");
  if (v && YAJL_IS_ARRAY (v))
    {
      size_t n = 0;
      r->listen = xmalloc0 ((v->u.array.len + 1) * sizeof (char *));
      r->listen_host = xmalloc0 ((v->u.array.len + 1) * sizeof (char *));
      for (size_t i = 0; i < v->u.array.len; i++)
        {
          yajl_val path = mk_json_get (v->u.array.values[i], "path");
          yajl_val host = mk_json_get (v->u.array.values[i], "host");
          if (!YAJL_IS_STRING (path) || !YAJL_IS_STRING (host))
            continue;
          r->listen[n] = xstrdup (YAJL_GET_STRING (path));
          r->listen_host[n++] = xstrdup (YAJL_GET_STRING (host));
        }
    }
#undef S
#undef I
  yajl_tree_free (tree);
  if (r->name == NULL || r->status == NULL)
    {
      mk_app_record_free (r);
      return mk_error_set (err, 0, "app `%s`: %s is incomplete", name, path);
    }
  *out = r;
  return 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

int
mk_app_list (const char *root, char ***names, mk_error **err)
{
  _cleanup_free_ char *dir = xasprintf ("%s/.apps", root);
  DIR *d = opendir (dir);
  struct dirent *de;
  size_t n = 0;
  char **v = xmalloc0 (sizeof (char *));
  if (d == NULL)
    {
      *names = v;
      return errno == ENOENT ? 0 : mk_error_set (err, errno, "open `%s`", dir);
    }
  while ((de = readdir (d)))
    {
      if (de->d_name[0] == '.')
        continue;
      v = xrealloc (v, (n + 2) * sizeof (char *));
      v[n++] = xstrdup (de->d_name);
      v[n] = NULL;
    }
  closedir (d);
  qsort (v, n, sizeof (char *), cmp_str);
  *names = v;
  return 0;
}

static int
rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)ftw;
  if (flag == FTW_DP || flag == FTW_D)
    rmdir (path);
  else if (unlink (path) < 0 && errno == EBUSY && umount2 (path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
    unlink (path); /* a connector's socket, bound in its supervisor's namespace */
  return 0;
}

/* rm -r DIR, staying on its filesystem and never following links.  */
static void
remove_tree (const char *dir)
{
  nftw (dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* ---- the log -------------------------------------------------------------------- */

struct logger
{
  int fd;                      /* the log file, or -1 */
  enum mk_app_log_level level; /* of mkrun's own lines */
  int tee[2];                  /* foreground: our stdout/stderr, else -1 */
  char buf[2][LINE_MAX_BYTES];
  size_t len[2];
};

static void
timestamp (char *out, size_t n)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  snprintf (out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static void
log_write_line (struct logger *l, const char *tag, const char *data, size_t n)
{
  char ts[40];
  size_t tl;
  _cleanup_free_ char *line = NULL;
  if (l->fd < 0)
    return;
  timestamp (ts, sizeof (ts));
  tl = strlen (ts) + strlen (tag) + 2;
  line = xmalloc0 (tl + n + 2);
  snprintf (line, tl + 1, "%s %s ", ts, tag);
  memcpy (line + tl, data, n);
  line[tl + n] = '\n';
  mk_write_all (l->fd, line, tl + n + 1);
}

static void
log_event (struct logger *l, enum mk_app_log_level level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
log_event (struct logger *l, enum mk_app_log_level level, const char *fmt, ...)
{
  _cleanup_free_ char *msg = NULL;
  _cleanup_free_ char *tag = NULL;
  va_list ap;
  if (level > l->level)
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg == NULL)
    return;
  tag = xasprintf ("mkrun %s:", mk_app_log_level_name (level));
  if (l->fd >= 0)
    log_write_line (l, tag, msg, strlen (msg));
  else if (l->tee[1] >= 0)
    dprintf (l->tee[1], "mkrun: %s\n", msg);
}

/* Output of the program on stream I (0 stdout, 1 stderr): copied as is to
   the terminal, and line by line to the log.  N == 0: end of stream.  */
static void
log_output (struct logger *l, int i, const char *data, size_t n)
{
  static const char *const tags[] = { "stdout", "stderr" };
  if (n && l->tee[i] >= 0)
    mk_write_all (l->tee[i], data, n);
  if (l->fd < 0)
    return;
  for (size_t k = 0; k < n; k++)
    {
      if (data[k] == '\n' || l->len[i] == LINE_MAX_BYTES)
        {
          log_write_line (l, tags[i], l->buf[i], l->len[i]);
          l->len[i] = 0;
          if (data[k] == '\n')
            continue;
        }
      l->buf[i][l->len[i]++] = data[k];
    }
  if (n == 0 && l->len[i])
    {
      log_write_line (l, tags[i], l->buf[i], l->len[i]);
      l->len[i] = 0;
    }
}

/* ---- one run of the container ------------------------------------------------------ */

/* Signals reach the supervisor through a self-pipe rather than a blocked
   mask and signalfd: the container's init copies the supervisor's mask,
   and the program must not start with SIGTERM blocked.  */
static int sig_pipe[2] = { -1, -1 };

static void
on_signal (int sig)
{
  unsigned char c = (unsigned char)sig;
  int saved = errno;
  if (write (sig_pipe[1], &c, 1) < 0)
    {
      /* full: a signal is already waiting to be read */
    }
  errno = saved;
}

static int
catch_signals (const int *sigs, size_t n, mk_error **err)
{
  struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
  if (sig_pipe[0] < 0 && pipe2 (sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
    return mk_error_set (err, errno, "pipe");
  sigemptyset (&sa.sa_mask);
  for (size_t i = 0; i < n; i++)
    sigaction (sigs[i], &sa, NULL);
  return 0;
}

struct sup
{
  const struct mk_app_run_opts *o;
  struct mk_app_record rec;
  char *dir, *bundle, *id, *stop_file;
  struct logger log;
  bool capture;     /* stdout/stderr through pipes */
  int sigfd; /* sig_pipe[0] */
  int ready_fd; /* detached: told "0" once the first run started */
  bool stop;        /* stop asked: no restart */
  char *old_record; /* started again: the exited app's app.json, put back on failure */
};

/* A start that failed: nothing of it stays.  An app started again keeps
   its directory (and default log) with its old record.  */
static void
sup_undo (struct sup *s)
{
  if (s->old_record == NULL)
    {
      remove_tree (s->dir);
      return;
    }
  remove_tree (s->bundle);
  {
    _cleanup_free_ char *path = xasprintf ("%s/app.json", s->dir);
    mk_create_file_at (AT_FDCWD, path, s->old_record, 0644, NULL);
  }
}

static void
sup_record (struct sup *s)
{
  mk_error *e = NULL;
  if (record_write (s->dir, &s->rec, &e) < 0)
    {
      log_event (&s->log, MK_APP_LOG_ERROR, "record the app's state: %s", e->msg);
      mk_error_free (e);
    }
}

static void
set_status (struct sup *s, const char *status)
{
  free (s->rec.status);
  s->rec.status = xstrdup (status);
  sup_record (s);
}

static bool
stop_requested (struct sup *s)
{
  if (!s->stop && access (s->stop_file, F_OK) == 0)
    s->stop = true;
  return s->stop;
}

/* Handles the signals the supervisor gets while the program runs: in the
   foreground they go to the program; detached, SIGTERM/SIGINT mean stop.  */
static void
handle_signal (struct sup *s, int sig, pid_t pid)
{
  if (sig == SIGCHLD)
    return;
  if (!s->o->detach)
    {
      if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT)
        s->stop = true;
      if (pid > 0)
        kill (pid, sig);
      return;
    }
  if (sig == SIGTERM || sig == SIGINT)
    {
      s->stop = true;
      if (pid > 0)
        kill (pid, SIGTERM);
    }
}

/* Creates and starts the container with the output on pipes; waits for
   its end while logging.  *STATUS: the wait status.  */
static int
run_once (struct sup *s, int *status, mk_error **err)
{
  /* An ordinary user's app gets a cgroup from the user's own systemd
     where one runs (limits apply, monitor reads them); else none, as
     without the driver.  */
  struct mk_create_opts co
      = { .root = s->o->root,
          .id = s->id,
          .bundle = s->bundle,
          .detach = true,
          .systemd_cgroup = mk_ns_unprivileged () && mk_systemd_available (true) };
  int out[2] = { -1, -1 }, errp[2] = { -1, -1 };
  int saved[2] = { -1, -1 };
  _cleanup_close_ int dirfd = -1;
  struct mk_state *st = NULL;
  int ret = -1, open_pipes, code = 0;
  pid_t pid = 0;
  bool reaped = false;

  if (s->capture)
    {
      if (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (errp, O_CLOEXEC) < 0)
        {
          mk_error_set (err, errno, "pipe");
          goto out;
        }
      saved[0] = fcntl (1, F_DUPFD_CLOEXEC, 3);
      saved[1] = fcntl (2, F_DUPFD_CLOEXEC, 3);
      dup2 (out[1], 1);
      dup2 (errp[1], 2);
    }
  ret = mk_container_run (&co, &code, err);
  if (s->capture)
    {
      dup2 (saved[0], 1);
      dup2 (saved[1], 2);
      close (saved[0]);
      close (saved[1]);
      close (out[1]);
      close (errp[1]);
      out[1] = errp[1] = -1;
    }
  if (ret < 0)
    goto out;
  ret = -1;
  if (mk_state_load (s->o->root, s->id, false, &dirfd, &st, err) < 0)
    goto out;
  pid = st->pid;
  close (dirfd);
  dirfd = -1;

  s->rec.pid = pid;
  s->rec.started_ms = mk_app_now_ms ();
  set_status (s, "running");
  log_event (&s->log, MK_APP_LOG_INFO, "started %s (pid %d): %s", s->o->app->name, (int)pid,
             s->o->app->executable);
  if (s->ready_fd >= 0)
    {
      mk_write_all (s->ready_fd, "0", 1);
      close (s->ready_fd);
      s->ready_fd = -1;
    }

  open_pipes = s->capture ? 2 : 0;
  while (!reaped || open_pipes > 0)
    {
      struct pollfd p[3] = { { s->sigfd, POLLIN, 0 }, { out[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
      int r;
      if (!reaped)
        {
          pid_t w = waitpid (pid, status, WNOHANG);
          if (w == pid)
            {
              reaped = true;
              continue;
            }
        }
      r = poll (p, 3, reaped ? 1000 : -1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r == 0 && reaped)
        break; /* a grandchild kept the pipes: stop waiting for it */
      if (p[0].revents & POLLIN)
        {
          unsigned char sig;
          while (read (s->sigfd, &sig, 1) == 1)
            handle_signal (s, sig, reaped ? 0 : pid);
        }
      for (int i = 0; i < 2; i++)
        if (p[i + 1].revents & (POLLIN | POLLHUP | POLLERR))
          {
            char buf[16384];
            int fd = i ? errp[0] : out[0];
            ssize_t n = read (fd, buf, sizeof (buf));
            if (n > 0)
              log_output (&s->log, i, buf, (size_t)n);
            else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
              {
                log_output (&s->log, i, NULL, 0);
                close (fd);
                if (i)
                  errp[0] = -1;
                else
                  out[0] = -1;
                open_pipes--;
              }
          }
    }
  ret = 0;
out:
  for (int i = 0; i < 2; i++)
    {
      if (out[i] >= 0)
        close (out[i]);
      if (errp[i] >= 0)
        close (errp[i]);
    }
  if (s->capture && out[0] >= 0)
    log_output (&s->log, 0, NULL, 0);
  if (st)
    {
      /* Gone: how, and did the OOM killer do it?  Then delete.  */
      struct mk_cgroup *cg = NULL;
      uint64_t ooms = 0;
      if (st->cgroup_path && mk_cgroup_load (st->cgroup_path, &cg, NULL) == 0)
        {
          if (mk_cgroup_oom_kill_count (cg, &ooms, NULL) < 0)
            ooms = 0;
          mk_cgroup_free (cg);
        }
      s->rec.oom = ooms > 0;
      if (!reaped && pid > 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, status, 0);
        }
      mk_state_free (st);
    }
  {
    mk_error *e = NULL;
    if (mk_container_delete (s->o->root, s->id, true, &e) < 0 && ret == 0)
      log_event (&s->log, MK_APP_LOG_WARN, "delete the container: %s", e->msg);
    mk_error_free (e);
  }
  return ret;
}

/* Records and logs how the run ended.  */
static void
ended (struct sup *s, int status)
{
  s->rec.pid = 0;
  s->rec.finished_ms = mk_app_now_ms ();
  if (WIFSIGNALED (status))
    {
      s->rec.signal = WTERMSIG (status);
      s->rec.exit_code = 128 + s->rec.signal;
    }
  else
    {
      s->rec.signal = 0;
      s->rec.exit_code = WEXITSTATUS (status);
    }
  /* The init reports a signal as 128+N: name it.  */
  if (!s->rec.signal && s->rec.exit_code > 128 && s->rec.exit_code < 128 + NSIG)
    s->rec.signal = s->rec.exit_code - 128;
  if (s->rec.oom)
    log_event (&s->log, MK_APP_LOG_ERROR, "%s was killed by the OOM killer (memory limit "
               "reached), exit code %d", s->o->app->name, s->rec.exit_code);
  else if (s->rec.signal)
    log_event (&s->log, s->stop ? MK_APP_LOG_INFO : MK_APP_LOG_WARN,
               "%s was killed by signal %d (%s), exit code %d", s->o->app->name, s->rec.signal,
               strsignal (s->rec.signal), s->rec.exit_code);
  else
    log_event (&s->log, s->rec.exit_code ? MK_APP_LOG_WARN : MK_APP_LOG_INFO,
               "%s exited with code %d", s->o->app->name, s->rec.exit_code);
}

static bool
wants_restart (struct sup *s)
{
  if (stop_requested (s))
    return false;
  switch (s->o->app->restart)
    {
    case MK_APP_RESTART_ALWAYS:
      return true;
    case MK_APP_RESTART_ON_FAILURE:
      return s->rec.exit_code != 0;
    default:
      return false;
    }
}

/* Sleeps MS unless a stop comes first.  */
static void
backoff (struct sup *s, int ms)
{
  long long until = mk_app_now_ms () + ms;
  while (!stop_requested (s))
    {
      long long left = until - mk_app_now_ms ();
      struct pollfd p = { s->sigfd, POLLIN, 0 };
      if (left <= 0)
        break;
      if (poll (&p, 1, left > 100 ? 100 : (int)left) > 0)
        {
          unsigned char sig;
          while (read (s->sigfd, &sig, 1) == 1)
            handle_signal (s, sig, 0);
        }
    }
}

/* The supervisor's whole life.  READY_FD (detached) gets "0" once the
   first run started, or the error.  */
static int
supervise (struct sup *s, int *exit_code, mk_error **err)
{
  int backoff_ms = 100;
  for (;;)
    {
      int status = 0;
      mk_error *e = NULL;
      if (run_once (s, &status, &e) < 0)
        {
          if (s->rec.restarts == 0 && s->rec.started_ms == 0)
            {
              /* The first start failed: the caller reports it.  */
              *err = e;
              return -1;
            }
          log_event (&s->log, MK_APP_LOG_ERROR, "restart %s: %s", s->o->app->name, e->msg);
          mk_error_free (e);
          s->rec.exit_code = 1;
          set_status (s, "exited");
          *exit_code = 1;
          return 0;
        }
      ended (s, status);
      *exit_code = s->rec.exit_code;
      if (!wants_restart (s))
        break;
      if (mk_app_now_ms () - s->rec.started_ms > 10000)
        backoff_ms = 100;
      s->rec.restarts++;
      set_status (s, "restarting");
      log_event (&s->log, MK_APP_LOG_WARN, "restarting %s in %d ms (restart %d, policy %s)",
                 s->o->app->name, backoff_ms, s->rec.restarts,
                 s->o->app->restart == MK_APP_RESTART_ALWAYS ? "always" : "on-failure");
      backoff (s, backoff_ms);
      if (stop_requested (s))
        break;
      backoff_ms = backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff_ms * 2;
    }
  set_status (s, s->stop ? "stopped" : "exited");
  return 0;
}

/* ---- entry points --------------------------------------------------------------- */

static void
sup_free (struct sup *s)
{
  mk_strv_free (s->rec.listen);
  mk_strv_free (s->rec.listen_host);
  free (s->rec.name);
  free (s->rec.config);
  free (s->rec.executable);
  free (s->rec.app_args);
  free (s->rec.log);
  free (s->rec.status);
  free (s->dir);
  free (s->bundle);
  free (s->id);
  free (s->stop_file);
  free (s->old_record);
  if (s->log.fd >= 0)
    close (s->log.fd);
}

/* Fails if an app NAME (directory DIR) exists, unless AGAIN and it has
   exited.  */
static int
check_free (const char *root, const char *name, const char *dir, bool again, mk_error **err)
{
  struct mk_app_record *r = NULL;
  if (access (dir, F_OK) < 0 && errno == ENOENT)
    return 0;
  if (mk_app_record_read (root, name, &r, NULL) == 0)
    {
      bool alive = mk_app_record_alive (r);
      mk_app_record_free (r);
      if (alive)
        return mk_error_set (err, 0, "app `%s` is already running (see `mkrun app status %s`)",
                             name, name);
      if (again)
        return 0;
      return mk_error_set (err, 0, "app `%s` already exists (exited): remove it with `mkrun "
                           "app rm %s`, or start it again with `mkrun app start %s`",
                           name, name, name);
    }
  /* A directory without a record: a start that died half way.  */
  return mk_error_set (err, 0, "app `%s`: `%s` exists without a record; remove it", name, dir);
}

/* Claims ROOT/.apps/NAME: fails if an app of that name exists.  To start
   an exited app again (o->again) it keeps the directory: *OLD_RECORD gets
   its app.json.  */
static int
claim (const struct mk_app_run_opts *o, const char *dir, char **old_record, mk_error **err)
{
  _cleanup_free_ char *apps = xasprintf ("%s/.apps", o->root);
  _cleanup_free_ char *record = xasprintf ("%s/app.json", dir);
  size_t len;
  if (mk_mkdir_p (apps, 0700, err) < 0)
    return -1;
  if (mkdir (dir, 0700) == 0)
    return 0;
  if (errno != EEXIST)
    return mk_error_set (err, errno, "mkdir `%s`", dir);
  if (check_free (o->root, o->app->name, dir, o->again, err) < 0)
    return -1;
  if (!o->again || mk_read_file_at (AT_FDCWD, record, old_record, &len, err) < 0)
    return mk_error_set (err, 0, "app `%s`: `%s` appeared while starting", o->app->name, dir);
  {
    _cleanup_free_ char *stop = xasprintf ("%s/stop", dir);
    _cleanup_free_ char *bundle = xasprintf ("%s/bundle", dir);
    unlink (stop);
    remove_tree (bundle);
  }
  return 0;
}

int
mk_app_run (const struct mk_app_run_opts *o, int *exit_code, mk_error **err)
{
  struct mk_app *app = o->app;
  struct sup s = { .o = o, .sigfd = -1, .ready_fd = -1, .log = { .fd = -1, .tee = { -1, -1 } } };
  struct mk_app_host h = { 0 };
  int ready[2] = { -1, -1 };
  int ret = -1;
  bool claimed = false;

  s.dir = mk_app_dir (o->root, app->name);
  s.bundle = xasprintf ("%s/bundle", s.dir);
  s.id = mk_app_container_id (app->name);
  s.stop_file = xasprintf ("%s/stop", s.dir);
  s.log.level = app->log_level;
  if (mk_app_host_user (app, &h, err) < 0)
    goto out;
  /* A connector waits for its listeners before it claims its name, so
     that nothing is left behind if it is interrupted.  */
  if (app->n_sockets
      && (check_free (o->root, app->name, s.dir, o->again, err) < 0
          || mk_app_host_unix (app, &h, err) < 0
          || mk_app_wait_for_listeners (o->root, app, &h, o->notice, err) < 0))
    goto out;
  if (claim (o, s.dir, &s.old_record, err) < 0)
    goto out;
  claimed = true;
  for (size_t i = 0; i < app->n_sockets; i++)
    if (app->sockets[i].listen)
      {
        size_t n = mk_strv_len (s.rec.listen);
        s.rec.listen = xrealloc (s.rec.listen, (n + 2) * sizeof (char *));
        s.rec.listen_host = xrealloc (s.rec.listen_host, (n + 2) * sizeof (char *));
        s.rec.listen[n] = xstrdup (app->sockets[i].path);
        s.rec.listen_host[n] = mk_app_socket_host_path (s.bundle, app->sockets[i].path);
        s.rec.listen[n + 1] = s.rec.listen_host[n + 1] = NULL;
      }

  /* Outputs exist before the container binds them; the user owns them.  */
  if (mk_app_make_outputs (app, &h, err) < 0)
    goto out;
  if (mk_app_write_bundle (app, &h, s.bundle, err) < 0
      || mk_app_bind_sockets (app, &h, s.bundle, err) < 0)
    goto out;
  for (char **w = h.warnings; o->notice && w && *w; w++)
    if (app->log_level >= MK_APP_LOG_WARN)
      o->notice (MK_APP_LOG_WARN, *w);

  s.capture = o->detach || app->log_file;
  if ((app->log_file || o->detach)
      && (s.log.fd = mk_app_open_log (app, &h, s.dir, &s.rec.log, err)) < 0)
    goto out;
  if (!o->detach)
    {
      s.log.tee[0] = s.capture ? 1 : -1;
      s.log.tee[1] = 2;
    }
  s.rec.name = xstrdup (app->name);
  s.rec.config = o->config ? xstrdup (o->config) : NULL;
  s.rec.executable = o->executable_override ? xstrdup (o->executable_override) : NULL;
  s.rec.app_args = o->app_args ? xstrdup (o->app_args) : NULL;
  s.rec.detached = o->detach;
  s.rec.status = xstrdup ("starting");
  s.rec.supervisor = getpid ();
  s.rec.supervisor_start = mk_proc_start_time (s.rec.supervisor);

  if (o->detach)
    {
      pid_t child;
      if (pipe2 (ready, O_CLOEXEC) < 0)
        {
          mk_error_set (err, errno, "pipe");
          goto out;
        }
      child = fork ();
      if (child < 0)
        {
          mk_error_set (err, errno, "fork the supervisor");
          goto out;
        }
      if (child == 0)
        {
          int fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
          mk_error *e = NULL;
          int code = 0;
          close (ready[0]);
          s.ready_fd = ready[1];
          setsid ();
          if (fd >= 0)
            {
              dup2 (fd, 0);
              dup2 (fd, 1);
              dup2 (fd, 2);
            }
          s.rec.supervisor = getpid ();
          s.rec.supervisor_start = mk_proc_start_time (s.rec.supervisor);
          static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
          if (catch_signals (sigs, MK_ARRAY_SIZE (sigs), &e) == 0)
            s.sigfd = sig_pipe[0];
          sup_record (&s);
          if (e || supervise (&s, &code, &e) < 0)
            {
              mk_write_all (ready[1], e->msg, strlen (e->msg));
              log_event (&s.log, MK_APP_LOG_ERROR, "start %s: %s", app->name, e->msg);
              mk_error_free (e);
              sup_undo (&s);
              _exit (1);
            }
          remove_tree (s.bundle);
          _exit (0);
        }
      close (ready[1]);
      ready[1] = -1;
      {
        char msg[4096];
        ssize_t n = mk_read_all (ready[0], msg, sizeof (msg) - 1);
        if (n == 1 && msg[0] == '0')
          {
            *exit_code = 0;
            claimed = false; /* the supervisor owns it now */
            ret = 0;
          }
        else
          {
            msg[n > 0 ? n : 0] = 0;
            mk_error_set (err, 0, "%s", n > 0 ? msg : "the supervisor died before the app started");
            claimed = false; /* the supervisor removed it */
            waitpid (child, NULL, WNOHANG);
          }
      }
      goto out;
    }

  /* Foreground: we are the supervisor.  */
  {
    static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
    if (catch_signals (sigs, MK_ARRAY_SIZE (sigs), err) < 0)
      goto out;
    s.sigfd = sig_pipe[0];
  }
  sup_record (&s);
  if (supervise (&s, exit_code, err) == 0)
    ret = 0;
out:
  if (ready[0] >= 0)
    close (ready[0]);
  if (ready[1] >= 0)
    close (ready[1]);
  if (claimed && ret < 0)
    sup_undo (&s);
  else if (claimed && !o->detach)
    remove_tree (s.dir);
  mk_app_host_free (&h);
  sup_free (&s);
  return ret;
}

int
mk_app_stop (const char *root, const char *name, unsigned timeout_s, mk_error **err)
{
  _cleanup_free_ char *dir = mk_app_dir (root, name);
  _cleanup_free_ char *stop = xasprintf ("%s/stop", dir);
  _cleanup_free_ char *id = mk_app_container_id (name);
  struct mk_app_record *r = NULL;
  long long deadline;
  bool killed = false;

  if (mk_app_record_read (root, name, &r, err) < 0)
    return -1;
  if (!mk_app_record_alive (r))
    {
      mk_app_record_free (r);
      return 0; /* not running: nothing to do (like podman stop) */
    }
  if (mk_create_file_at (AT_FDCWD, stop, "", 0644, err) < 0)
    {
      mk_app_record_free (r);
      return -1;
    }
  {
    mk_error *e = NULL;
    mk_container_kill (root, id, SIGTERM, false, &e);
    mk_error_free (e);
  }
  deadline = mk_app_now_ms () + (long long)timeout_s * 1000;
  for (;;)
    {
      struct timespec ts = { 0, 20000000 };
      bool alive = mk_app_record_alive (r);
      if (!alive)
        break;
      if (!killed && mk_app_now_ms () >= deadline)
        {
          mk_error *e = NULL;
          mk_container_kill (root, id, SIGKILL, true, &e);
          mk_error_free (e);
          killed = true;
          deadline = mk_app_now_ms () + 10000;
        }
      else if (killed && mk_app_now_ms () >= deadline)
        {
          mk_app_record_free (r);
          return mk_error_set (err, 0, "app `%s`: its supervisor did not finish", name);
        }
      nanosleep (&ts, NULL);
    }
  mk_app_record_free (r);
  return 0;
}

int
mk_app_remove (const char *root, const char *name, bool force, mk_error **err)
{
  _cleanup_free_ char *dir = mk_app_dir (root, name);
  struct mk_app_record *r = NULL;
  bool alive;
  if (mk_app_record_read (root, name, &r, err) < 0)
    return -1;
  alive = mk_app_record_alive (r);
  mk_app_record_free (r);
  if (alive && !force)
    return mk_error_set (err, 0, "app `%s` is running: stop it first, or use --force", name);
  if (alive && mk_app_stop (root, name, 10, err) < 0)
    return -1;
  remove_tree (dir);
  return 0;
}
