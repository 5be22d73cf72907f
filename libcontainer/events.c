/* events.c: `mkrun events`: the container's cgroup statistics in runc's
 * JSON, once (--stats) or every interval, and an "oom" event each time the
 * kernel's OOM killer kills in the container's cgroup (the oom_kill count
 * of memory.events on v2, memory.oom_control on v1, polled every 100 ms),
 * until the container stops.  */
#include "config.h"

#include "cgroups/cgroup.h"
#include "container.h"
#include "procstats.h"
#include "state.h"
#include "utils.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#define POLL_MS 100

static char *
event_json (const char *type, const char *id, const char *data)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;
  char *out;

  yajl_gen_map_open (g);
  yajl_gen_string (g, (const unsigned char *)"type", 4);
  yajl_gen_string (g, (const unsigned char *)type, strlen (type));
  yajl_gen_string (g, (const unsigned char *)"id", 2);
  yajl_gen_string (g, (const unsigned char *)id, strlen (id));
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  /* The data object is ours already: splice it in before the last brace. */
  if (data)
    out = xasprintf ("%.*s,\"data\":%s}", (int)len - 1, buf, data);
  else
    out = xasprintf ("%.*s", (int)len, buf);
  yajl_gen_free (g);
  return out;
}

/* The statistics of the cgroup CG, or without one (NULL: an unprivileged
   container) those /proc gives of the processes of INIT's pid namespace.  */
static int
emit_stats (const struct mk_cgroup *cg, pid_t init, const char *id, mk_event_fn fn, void *arg,
            mk_error **err)
{
  _cleanup_free_ char *data = NULL, *line = NULL;
  if ((cg ? mk_cgroup_stats_json (cg, &data, err) : mk_proc_stats_json (init, &data, err)) < 0)
    return -1;
  line = event_json ("stats", id, data);
  fn (line, arg);
  return 0;
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
mk_container_events (const char *root, const char *id, bool once, unsigned interval_ms,
                     mk_event_fn fn, void *arg, mk_error **err)
{
  struct mk_state *st = NULL;
  struct mk_cgroup *cg = NULL;
  int dirfd = -1, ret = -1;
  uint64_t ooms = 0;
  long long next;

  if (mk_state_load (root, id, false, &dirfd, &st, err) < 0)
    return -1;
  if (mk_state_status (dirfd, st) == MK_STATUS_STOPPED)
    {
      mk_error_set (err, 0, "container `%s` is not running", id);
      goto out;
    }
  /* Not holding the lock while we watch: delete must not wait for us. */
  close (dirfd);
  dirfd = -1;
  /* No cgroup of its own (unprivileged): /proc's figures, and no OOM
     events (no cgroup counts them).  */
  if (st->cgroup_path && st->cgroup_path[0] && mk_cgroup_load (st->cgroup_path, &cg, err) < 0)
    goto out;
  if (once)
    {
      ret = emit_stats (cg, st->pid, id, fn, arg, err);
      goto out;
    }
  if (cg == NULL || mk_cgroup_oom_kill_count (cg, &ooms, NULL) < 0)
    ooms = 0;
  next = now_ms ();
  for (;;)
    {
      uint64_t n = 0;
      unsigned long long start = mk_proc_start_time (st->pid);
      if (cg && mk_cgroup_oom_kill_count (cg, &n, NULL) == 0)
        for (; ooms < n; ooms++)
          {
            _cleanup_free_ char *line = event_json ("oom", id, NULL);
            fn (line, arg);
          }
      if (start == 0 || start != st->start_time)
        break; /* the container has stopped */
      if (now_ms () >= next)
        {
          if (emit_stats (cg, st->pid, id, fn, arg, err) < 0)
            goto out;
          next += interval_ms;
        }
      {
        long long wait = next - now_ms ();
        struct timespec ts;
        if (wait > POLL_MS)
          wait = POLL_MS;
        if (wait < 1)
          wait = 1;
        ts.tv_sec = wait / 1000;
        ts.tv_nsec = (wait % 1000) * 1000000;
        nanosleep (&ts, NULL);
      }
    }
  ret = 0;
out:
  if (dirfd >= 0)
    close (dirfd);
  mk_cgroup_free (cg);
  mk_state_free (st);
  return ret;
}
