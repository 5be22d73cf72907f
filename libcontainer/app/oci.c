/* app/oci.c: struct mk_app → config.json and the bundle's rootfs dir.  */
#include "config.h"

#include "app/minimal.h"
#include "app/oci.h"
#include "app/supervise.h"
#include "cgroups/cgroup.h"
#include "namespaces.h"
#include "net/netproxy.h"
#include "net/unixguard.h"
#include "utils.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yajl/yajl_gen.h>

#define CPU_PERIOD 100000

/* What the app's view replaces: never bound from the host.  */
static const char *const replaced[] = { "proc", "sys", "dev", "tmp", "run", "home", "root",
                                        "lost+found", NULL };

/* What Podman's default seccomp profile refuses (it allows a list; this
   refuses the complement that matters), EPERM.  clone3 answers ENOSYS so
   that libc falls back to clone, whose namespace flags are checked.  */
static const char *const denied_syscalls[] = {
  "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
  "delete_module", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick",
  "get_kernel_syms", "init_module", "io_uring_enter", "io_uring_register", "io_uring_setup",
  "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie",
  "mount", "mount_setattr", "move_mount", "name_to_handle_at", "nfsservctl",
  "open_by_handle_at", "open_tree", "perf_event_open", "pivot_root", "process_vm_readv",
  "process_vm_writev", "query_module", "quotactl", "quotactl_fd", "reboot", "request_key",
  "setns", "settimeofday", "stime", "swapoff", "swapon", "syslog", "sysfs", "_sysctl", "umount",
  "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vm86", "vm86old", NULL,
};

#define CLONE_NS_FLAGS 0x7E020000ULL /* CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET} */

static const char *const masked_paths[] = {
  "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
  NULL,
};
static const char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* ---- host facts --------------------------------------------------------------- */

static int
lookup_user (const char *spec, const char *where, uid_t *uid, gid_t *gid, char **name,
             mk_error **err)
{
  _cleanup_free_ char *u = xstrdup (spec);
  char *g = strchr (u, ':');
  long long n;
  struct passwd *pw = NULL;
  if (g)
    *g++ = 0;
  if (mk_parse_int64 (u, &n) == 0 && n >= 0 && n < UINT32_MAX)
    {
      *uid = (uid_t)n;
      pw = getpwuid (*uid);
      *gid = pw ? pw->pw_gid : (gid_t)n;
    }
  else if ((pw = getpwnam (u)))
    {
      *uid = pw->pw_uid;
      *gid = pw->pw_gid;
    }
  else
    return mk_error_set (err, 0, "%s: no user `%s` on this host", where, u);
  *name = pw ? xstrdup (pw->pw_name) : NULL;
  if (g)
    {
      struct group *gr;
      if (mk_parse_int64 (g, &n) == 0 && n >= 0 && n < UINT32_MAX)
        *gid = (gid_t)n;
      else if ((gr = getgrnam (g)))
        *gid = gr->gr_gid;
      else
        return mk_error_set (err, 0, "%s: no group `%s` on this host", where, g);
    }
  return 0;
}

/* Under sudo (root, SUDO_UID of another user): *UID and *GID are the
   user's; returns 1.  0 when not under sudo.  */
static int
sudo_user (uid_t *uid, gid_t *gid, mk_error **err)
{
  const char *sudo_uid = getenv ("SUDO_UID"), *sudo_gid = getenv ("SUDO_GID");
  struct passwd *pw;
  long long u, g = 0;
  if (getuid () != 0 || sudo_uid == NULL || *sudo_uid == '\0')
    return 0;
  if (mk_parse_int64 (sudo_uid, &u) < 0 || u < 0 || u >= UINT32_MAX
      || (sudo_gid && *sudo_gid && (mk_parse_int64 (sudo_gid, &g) < 0 || g < 0 || g >= UINT32_MAX)))
    return mk_error_set (err, 0, "SUDO_UID/SUDO_GID: not numbers");
  if (u == 0)
    return 0; /* root through sudo is root */
  *uid = (uid_t)u;
  pw = getpwuid (*uid);
  *gid = sudo_gid && *sudo_gid ? (gid_t)g : pw ? pw->pw_gid : (gid_t)u;
  return 1;
}

int
mk_app_host_user (const struct mk_app *app, struct mk_app_host *h, mk_error **err)
{
  _cleanup_free_ char *name = NULL;
  const char *term = getenv ("TERM");
  uid_t sudo_uid = 0;
  gid_t sudo_gid = 0;
  struct passwd *pw;
  int sudo = sudo_user (&sudo_uid, &sudo_gid, err);

  if (sudo < 0)
    return -1;
  h->by_sudo = sudo == 1;
  if (app->user)
    {
      _cleanup_free_ char *w = mk_app_where (app, "application.user");
      if (lookup_user (app->user, w, &h->uid, &h->gid, &name, err) < 0)
        return -1;
      if (h->by_sudo && (h->uid != sudo_uid || h->gid != sudo_gid))
        return mk_error_set (err, 0,
                             "%s: `%s`: under sudo the app runs as the user who ran sudo "
                             "(uid %u, gid %u), not as another",
                             w, app->user, (unsigned)sudo_uid, (unsigned)sudo_gid);
    }
  else if (h->by_sudo)
    {
      h->uid = sudo_uid;
      h->gid = sudo_gid;
      pw = getpwuid (h->uid);
      name = pw ? xstrdup (pw->pw_name) : NULL;
    }
  else if (getuid () == 0)
    {
      /* Root's app: nobody, as Podman and systemd sandboxes do.  The view
         of the host is for programs and libraries, not for /etc/shadow or
         the ssh host keys (application.user: root opts out).  */
      pw = getpwnam ("nobody");
      h->uid = pw ? pw->pw_uid : 65534;
      h->gid = pw ? pw->pw_gid : 65534;
      name = pw ? xstrdup (pw->pw_name) : NULL;
    }
  else
    {
      h->uid = getuid ();
      h->gid = getgid ();
      pw = getpwuid (h->uid);
      name = pw ? xstrdup (pw->pw_name) : NULL;
    }
  pw = getpwuid (h->uid);
  h->home = xstrdup (pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : h->uid == 0 ? "/root" : "/");
  if (name && h->uid != 0)
    {
      int n = 32;
      h->groups = xmalloc0 (n * sizeof (gid_t));
      if (getgrouplist (name, h->gid, h->groups, &n) < 0)
        {
          h->groups = xrealloc (h->groups, n * sizeof (gid_t));
          if (getgrouplist (name, h->gid, h->groups, &n) < 0)
            n = 0;
        }
      h->n_groups = (size_t)n;
    }
  h->term = xstrdup (term && *term ? term : "xterm");
  return 0;
}

void
mk_app_host_free (struct mk_app_host *h)
{
  free (h->groups);
  free (h->home);
  free (h->term);
  free (h->net_allow);
  for (size_t i = 0; i < h->n_socket_fd; i++)
    if (h->socket_fd[i] >= 0)
      close (h->socket_fd[i]);
  free (h->socket_fd);
  mk_strv_free (h->listeners);
  free (h->unix_peers);
  free (h->unix_connect);
  free (h->tmp_dir);
  free (h->run_dir);
  mk_strv_free (h->warnings);
  mk_strv_free (h->minimal_files);
  memset (h, 0, sizeof (*h));
}

static void
add_warning (struct mk_app_host *h, char *msg)
{
  size_t n = mk_strv_len (h->warnings);
  h->warnings = xrealloc (h->warnings, (n + 2) * sizeof (char *));
  h->warnings[n] = msg;
  h->warnings[n + 1] = NULL;
}

static void
allow_add (char **allow, const struct sockaddr *sa, const char *port)
{
  char ip[INET6_ADDRSTRLEN];
  char *item, *joined;
  if (sa->sa_family == AF_INET)
    {
      inet_ntop (AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip, sizeof (ip));
      item = xasprintf ("%s:%s", ip, port);
    }
  else
    {
      inet_ntop (AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof (ip));
      item = xasprintf ("[%s]:%s", ip, port);
    }
  if (*allow && strstr (*allow, item))
    {
      free (item);
      return;
    }
  joined = xasprintf ("%s%s%s", *allow ? *allow : "", *allow ? "," : "", item);
  free (item);
  free (*allow);
  *allow = joined;
}

static int
resolve_endpoints (const struct mk_app *app, struct mk_app_host *h, mk_error **err)
{
  _cleanup_free_ char *resolv = NULL;
  char *allow = NULL;
  size_t len;
  if (app->network != MK_APP_NET_LIMITED)
    return 0;
  for (size_t i = 0; app->endpoints && app->endpoints[i]; i++)
    {
      _cleanup_free_ char *host = xstrdup (app->endpoints[i]);
      char *port = strrchr (host, ':');
      struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
      int r;
      *port++ = 0;
      if (host[0] == '[' && host[strlen (host) - 1] == ']')
        {
          memmove (host, host + 1, strlen (host));
          host[strlen (host) - 1] = 0;
        }
      r = getaddrinfo (host, NULL, &hints, &res);
      if (r != 0)
        {
          _cleanup_free_ char *key = xasprintf ("network.allowed_endpoints[%zu]", i);
          _cleanup_free_ char *w = mk_app_where (app, key);
          add_warning (h, xasprintf ("%s: `%s` does not resolve (%s): its connections will be "
                                     "refused", w, host, gai_strerror (r)));
          continue;
        }
      for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
          allow_add (&allow, ai->ai_addr, port);
      freeaddrinfo (res);
    }
  /* DNS to the host's resolvers.  */
  if (mk_read_file_at (AT_FDCWD, "/etc/resolv.conf", &resolv, &len, NULL) == 0)
    {
      char *save = NULL;
      for (char *line = strtok_r (resolv, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        {
          char ip[64];
          struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
          struct sockaddr_in a4 = { .sin_family = AF_INET };
          if (sscanf (line, " nameserver %63s", ip) != 1)
            continue;
          if (inet_pton (AF_INET, ip, &a4.sin_addr) == 1)
            allow_add (&allow, (struct sockaddr *)&a4, "53");
          else if (inet_pton (AF_INET6, ip, &a6.sin6_addr) == 1)
            allow_add (&allow, (struct sockaddr *)&a6, "53");
        }
    }
  free (h->net_allow);
  h->net_allow = allow ? allow : xstrdup ("");
  (void)err;
  return 0;
}

/* Whether the app's socket I connects to a listener's socket that is
   bound in its view (sockets.c; the fd is closed once it is bound, after
   the bundle is written).  */
static bool
socket_bound (const struct mk_app_host *h, size_t i)
{
  return h->socket_fd && i < h->n_socket_fd && h->socket_fd[i] >= 0;
}

void
mk_app_host_add_listener (struct mk_app_host *h, const char *name)
{
  _cleanup_free_ char *id = mk_app_container_id (name);
  size_t n = mk_strv_len (h->listeners);
  for (size_t i = 0; i < n; i++)
    if (strcmp (h->listeners[i], id) == 0)
      return;
  h->listeners = xrealloc (h->listeners, (n + 2) * sizeof (char *));
  h->listeners[n] = steal_pointer (&id);
  h->listeners[n + 1] = NULL;
}

int
mk_app_host_unix (const struct mk_app *app, struct mk_app_host *h, mk_error **err)
{
  _cleanup_free_ char *why = NULL, *why2 = NULL;
  char *peers;

  free (h->unix_peers);
  free (h->unix_connect);
  h->unix_peers = h->unix_connect = NULL;
  h->unix_denied = false;
  if (app->network == MK_APP_NET_FULL)
    return 0;
  if (!mk_unixguard_available (&why) && mk_unixguard_paths_available (&why2))
    {
      /* By address: only the connect sockets bound in the view (mount
         points, see gen_socket_dirs), not paths the app could replace.  */
      char *paths = xstrdup ("");
      for (size_t i = 0; i < app->n_sockets; i++)
        if (!app->sockets[i].listen && socket_bound (h, i))
          {
            char *joined = xasprintf ("%s%s%s", paths, *paths ? "," : "", app->sockets[i].path);
            free (paths);
            paths = joined;
          }
      h->unix_connect = paths;
      return 0;
    }
  if (why2)
    {
      _cleanup_free_ char *w = NULL;
      if (app->n_sockets == 0)
        {
          h->unix_denied = true;
          return 0;
        }
      w = mk_app_where (app, "network.unix_sockets");
      return mk_error_set (err, 0,
                           "%s: this kernel cannot keep the host's unix sockets out of "
                           "the app's reach: %s; and %s",
                           w, why, why2);
    }
  peers = xstrdup ("");
  for (char **l = h->listeners; l && *l; l++)
    {
      char *joined = xasprintf ("%s%s%s", peers, *peers ? "," : "", *l);
      free (peers);
      peers = joined;
    }
  h->unix_peers = peers;
  return 0;
}

int
mk_app_host_prepare (const struct mk_app *app, struct mk_app_host *h, mk_error **err)
{
  if (resolve_endpoints (app, h, err) < 0 || mk_app_host_unix (app, h, err) < 0)
    return -1;
  mk_strv_free (h->minimal_files);
  h->minimal_files = NULL;
  if (app->root_minimal && mk_app_minimal_files (app, &h->minimal_files, err) < 0)
    {
      _cleanup_free_ char *w = mk_app_where (app, "filesystem.root");
      return mk_error_prefix (err, "%s: minimal", w);
    }
  return 0;
}

/* ---- JSON helpers ----------------------------------------------------------------- */

static void
gs (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *)s, strlen (s));
}

static void
gkv (yajl_gen g, const char *k, const char *v)
{
  gs (g, k);
  gs (g, v);
}

static void
gki (yajl_gen g, const char *k, long long v)
{
  gs (g, k);
  yajl_gen_integer (g, v);
}

static void
gstrv (yajl_gen g, const char *key, const char *const *v)
{
  gs (g, key);
  yajl_gen_array_open (g);
  for (; v && *v; v++)
    gs (g, *v);
  yajl_gen_array_close (g);
}

/* One mount: OPTIONS is NULL-terminated.  */
static void
gmount (yajl_gen g, const char *dest, const char *type, const char *source,
        const char *const *options)
{
  yajl_gen_map_open (g);
  gkv (g, "destination", dest);
  gkv (g, "type", type);
  gkv (g, "source", source);
  gstrv (g, "options", options);
  yajl_gen_map_close (g);
}

/* Is PATH hidden in the view (under a replaced top-level directory) and
   not brought back by an input or output?  */
static bool
hidden (const struct mk_app *app, const char *path)
{
  bool h = false;
  for (size_t i = 0; replaced[i] && !h; i++)
    {
      char top[64];
      snprintf (top, sizeof (top), "/%s", replaced[i]);
      h = mk_path_under (path, top);
    }
  for (char **v = app->inputs; h && v && *v; v++)
    h = !mk_path_under (path, *v);
  for (char **v = app->outputs; h && v && *v; v++)
    h = !mk_path_under (path, *v);
  return h;
}

static void
host_root_mounts (yajl_gen g)
{
  static const char *const ro[] = { "rbind", "rro", "nosuid", "nodev", NULL };
  DIR *d = opendir ("/");
  struct dirent *de;
  if (d == NULL)
    return;
  while ((de = readdir (d)))
    {
      char path[NAME_MAX + 2];
      struct stat st;
      bool skip = de->d_name[0] == '.';
      for (size_t i = 0; replaced[i] && !skip; i++)
        skip = strcmp (de->d_name, replaced[i]) == 0;
      snprintf (path, sizeof (path), "/%s", de->d_name);
      if (skip || lstat (path, &st) < 0 || !S_ISDIR (st.st_mode))
        continue;
      gmount (g, path, "bind", path, ro);
    }
  closedir (d);
}

static void
gen_process (yajl_gen g, const struct mk_app *app, const struct mk_app_host *h)
{
  static const char *const none[] = { NULL };
  char *dir;
  bool have_path = false, have_home = false, have_term = false;

  gs (g, "process");
  yajl_gen_map_open (g);
  gs (g, "terminal");
  yajl_gen_bool (g, 0);
  gs (g, "user");
  yajl_gen_map_open (g);
  gki (g, "uid", h->uid);
  gki (g, "gid", h->gid);
  /* An unprivileged app keeps the groups it has (setgroups is denied in
     its user namespace).  */
  if (h->n_groups && !mk_ns_unprivileged ())
    {
      gs (g, "additionalGids");
      yajl_gen_array_open (g);
      for (size_t i = 0; i < h->n_groups; i++)
        yajl_gen_integer (g, h->groups[i]);
      yajl_gen_array_close (g);
    }
  yajl_gen_map_close (g);

  gs (g, "args");
  yajl_gen_array_open (g);
  gs (g, app->executable);
  for (char **a = app->args; a && *a; a++)
    gs (g, *a);
  yajl_gen_array_close (g);

  gs (g, "env");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < app->n_env; i++)
    {
      _cleanup_free_ char *kv = xasprintf ("%s=%s", app->env[i].key, app->env[i].value);
      have_path |= strcmp (app->env[i].key, "PATH") == 0;
      have_home |= strcmp (app->env[i].key, "HOME") == 0;
      have_term |= strcmp (app->env[i].key, "TERM") == 0;
      gs (g, kv);
    }
  if (!have_path)
    gs (g, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  if (!have_home)
    {
      _cleanup_free_ char *kv = xasprintf ("HOME=%s", h->home);
      gs (g, kv);
    }
  if (!have_term)
    {
      _cleanup_free_ char *kv = xasprintf ("TERM=%s", h->term);
      gs (g, kv);
    }
  yajl_gen_array_close (g);

  /* The working directory: workdir, else the executable's directory.  */
  dir = xstrdup (app->workdir ? app->workdir : app->executable);
  if (!app->workdir)
    *strrchr (dir, '/') = 0;
  gkv (g, "cwd", *dir ? dir : "/");
  free (dir);

  gs (g, "capabilities");
  yajl_gen_map_open (g);
  gstrv (g, "bounding", none);
  gstrv (g, "effective", none);
  gstrv (g, "permitted", none);
  gstrv (g, "inheritable", none);
  gstrv (g, "ambient", none);
  yajl_gen_map_close (g);
  gs (g, "noNewPrivileges");
  yajl_gen_bool (g, 1);
  if (app->io_priority >= 0)
    {
      /* best effort: high 0, medium 4, low 7 */
      static const int level[] = { 7, 4, 0 };
      gs (g, "ioPriority");
      yajl_gen_map_open (g);
      gkv (g, "class", "IOPRIO_CLASS_BE");
      gki (g, "priority", level[app->io_priority]);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

/* org.mkrun.network.unix.connect allows a connect socket by its path: each
   directory between /tmp (or /run) and the socket becomes a mount point
   (bound on itself) before the socket is bound, so that the app cannot
   rename it away and put something else at that path.  Not twice.  */
static void
gen_socket_dirs (yajl_gen g, const struct mk_app *app, const struct mk_app_host *h, size_t i,
                 const char *const *opts)
{
  const char *path = app->sockets[i].path;
  const char *host_dir = mk_path_under (path, "/tmp") ? h->tmp_dir : h->run_dir;
  _cleanup_free_ char *dir = xstrdup (path);

  for (char *slash = strchr (dir + 5, '/'); slash; slash = strchr (slash + 1, '/'))
    {
      bool done = false;
      *slash = '\0';
      for (size_t j = 0; j < i && !done; j++)
        if (socket_bound (h, j) && mk_path_under (app->sockets[j].path, dir)
            && strcmp (app->sockets[j].path, dir) != 0)
          done = true;
      if (!done)
        {
          _cleanup_free_ char *src = xasprintf ("%s%s", host_dir, dir + 4);
          gmount (g, dir, "bind", src, opts);
        }
      *slash = '/';
    }
}

/* Whether APP gets a network namespace of its own: none (loopback only),
   and limited for an ordinary user (the proxy's, net/netproxy.h).  */
static bool
own_netns (const struct mk_app *app)
{
  return app->network == MK_APP_NET_NONE
         || (app->network == MK_APP_NET_LIMITED && mk_ns_unprivileged ());
}

static void
gen_mounts (yajl_gen g, const struct mk_app *app, const struct mk_app_host *h)
{
  static const char *const proc_o[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const dev_o[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  static const char *const pts_o[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                       "mode=0620", NULL };
  static const char *const shm_o[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k",
                                       NULL };
  static const char *const sys_o[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  /* rbind: a connector's socket is bound below the bundle's tmp/ or run/
     by its supervisor (sockets.c), never by a path resolved here.  */
  static const char *const priv_o[] = { "rbind", "nosuid", "nodev", NULL };
  static const char *const hide_o[] = { "nosuid", "nodev", "noexec", "mode=755", "size=1m", NULL };
  static const char *const in_o[] = { "rbind", "rro", "nosuid", "nodev", NULL };
  static const char *const out_o[] = { "rbind", "rw", "nosuid", "nodev", NULL };
  static const char *const file_o[] = { "bind", "ro", "nosuid", "nodev", NULL };

  gs (g, "mounts");
  yajl_gen_array_open (g);
  if (!app->root_minimal)
    host_root_mounts (g);
  gmount (g, "/proc", "proc", "proc", proc_o);
  gmount (g, "/dev", "tmpfs", "tmpfs", dev_o);
  gmount (g, "/dev/pts", "devpts", "devpts", pts_o);
  gmount (g, "/dev/shm", "tmpfs", "shm", shm_o);
  gmount (g, "/dev/mqueue", "mqueue", "mqueue", proc_o);
  if (mk_ns_unprivileged () && !own_netns (app))
    {
      /* sysfs takes a network namespace the user namespace owns: the
         host's, read-only, instead.  */
      static const char *const sysbind_o[] = { "rbind", "rro", "nosuid", "noexec", "nodev", NULL };
      gmount (g, "/sys", "bind", "/sys", sysbind_o);
    }
  else
    gmount (g, "/sys", "sysfs", "sysfs", sys_o);
  gmount (g, "/tmp", "bind", h->tmp_dir, priv_o);
  gmount (g, "/run", "bind", h->run_dir, priv_o);
  gmount (g, "/home", "tmpfs", "tmpfs", hide_o);
  gmount (g, "/root", "tmpfs", "tmpfs", hide_o);
  if (hidden (app, h->home) && strcmp (h->home, "/") != 0 && !mk_path_under (h->home, "/tmp")
      && !mk_path_under (h->home, "/run"))
    {
      /* The user's home: empty, writable, the user's, gone at exit.  */
      _cleanup_free_ char *uid = xasprintf ("uid=%u", (unsigned)h->uid);
      _cleanup_free_ char *gid = xasprintf ("gid=%u", (unsigned)h->gid);
      const char *home_o[] = { "nosuid", "nodev", "mode=700", uid, gid, NULL };
      gmount (g, h->home, "tmpfs", "tmpfs", home_o);
    }
  for (char **f = h->minimal_files; app->root_minimal && f && *f; f++)
    gmount (g, *f, "bind", *f, file_o);
  if (!app->root_minimal && hidden (app, app->executable))
    {
      _cleanup_free_ char *dir = xstrdup (app->executable);
      *strrchr (dir, '/') = 0;
      gmount (g, dir, "bind", dir, in_o);
    }
  for (char **v = app->inputs; v && *v; v++)
    gmount (g, *v, "bind", *v, in_o);
  for (char **v = app->outputs; v && *v; v++)
    gmount (g, *v, "bind", *v, out_o);
  for (size_t i = 0; i < app->n_sockets; i++)
    if (h->unix_connect && socket_bound (h, i))
      gen_socket_dirs (g, app, h, i, priv_o);
  yajl_gen_array_close (g);
}

/* One rule: SYSCALL fails with EPERM when every {index, mask, value}
   matches (SCMP_CMP_MASKED_EQ: the kernel reads int arguments' low 32 bits
   only, so a plain compare of the 64-bit register could be dodged).  */
static void
gen_deny_masked (yajl_gen g, const char *syscall, const unsigned (*args)[3], size_t n)
{
  yajl_gen_map_open (g);
  gs (g, "names");
  yajl_gen_array_open (g);
  gs (g, syscall);
  yajl_gen_array_close (g);
  gkv (g, "action", "SCMP_ACT_ERRNO");
  gki (g, "errnoRet", EPERM);
  gs (g, "args");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    {
      yajl_gen_map_open (g);
      gki (g, "index", args[i][0]);
      gki (g, "value", args[i][1]);
      gki (g, "valueTwo", args[i][2]);
      gkv (g, "op", "SCMP_CMP_MASKED_EQ");
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
}

static void
gen_seccomp (yajl_gen g, const struct mk_app_host *h)
{
  gs (g, "seccomp");
  yajl_gen_map_open (g);
  gkv (g, "defaultAction", "SCMP_ACT_ALLOW");
  gs (g, "architectures");
  yajl_gen_array_open (g);
  gs (g, "SCMP_ARCH_X86_64");
  gs (g, "SCMP_ARCH_X86");
  gs (g, "SCMP_ARCH_X32");
  yajl_gen_array_close (g);
  gs (g, "syscalls");
  yajl_gen_array_open (g);

  yajl_gen_map_open (g);
  gstrv (g, "names", denied_syscalls);
  gkv (g, "action", "SCMP_ACT_ERRNO");
  gki (g, "errnoRet", EPERM);
  yajl_gen_map_close (g);

  yajl_gen_map_open (g);
  gs (g, "names");
  yajl_gen_array_open (g);
  gs (g, "clone3");
  yajl_gen_array_close (g);
  gkv (g, "action", "SCMP_ACT_ERRNO");
  gki (g, "errnoRet", ENOSYS);
  yajl_gen_map_close (g);

  /* clone with a namespace flag (x86-64: the flags are argument 0): one
     rule per flag, as a rule's argument checks all have to match.  */
  for (int bit = 0; bit < 64; bit++)
    if (CLONE_NS_FLAGS & (1ULL << bit))
      {
        yajl_gen_map_open (g);
        gs (g, "names");
        yajl_gen_array_open (g);
        gs (g, "clone");
        yajl_gen_array_close (g);
        gkv (g, "action", "SCMP_ACT_ERRNO");
        gki (g, "errnoRet", EPERM);
        gs (g, "args");
        yajl_gen_array_open (g);
        yajl_gen_map_open (g);
        gki (g, "index", 0);
        gki (g, "value", (long long)(1ULL << bit));
        gki (g, "valueTwo", (long long)(1ULL << bit));
        gkv (g, "op", "SCMP_CMP_MASKED_EQ");
        yajl_gen_map_close (g);
        yajl_gen_array_close (g);
        yajl_gen_map_close (g);
      }

  if (h->unix_denied)
    {
      /* No unix socket but connected stream pairs: a datagram pair
         (SOCK_DGRAM, or SOCK_RAW, which AF_UNIX makes a datagram socket)
         could still sendto(2) any path.  32-bit programs: libseccomp
         refuses socketcall(SYS_SOCKET) whatever the family.  */
      static const unsigned sock[][3] = { { 0, 0xffffffff, AF_UNIX } };
      static const unsigned dgram[][3] = { { 0, 0xffffffff, AF_UNIX }, { 1, 0xf, SOCK_DGRAM } };
      static const unsigned raw[][3] = { { 0, 0xffffffff, AF_UNIX }, { 1, 0xf, SOCK_RAW } };
      gen_deny_masked (g, "socket", sock, 1);
      gen_deny_masked (g, "socketpair", dgram, 2);
      gen_deny_masked (g, "socketpair", raw, 2);
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
}

static void
gen_resources (yajl_gen g, const struct mk_app *app)
{
  gs (g, "resources");
  yajl_gen_map_open (g);
  if (app->cpu_cores > 0)
    {
      gs (g, "cpu");
      yajl_gen_map_open (g);
      gki (g, "quota", (long long)(app->cpu_cores * CPU_PERIOD + 0.5));
      gki (g, "period", CPU_PERIOD);
      yajl_gen_map_close (g);
    }
  if (app->mem_bytes)
    {
      gs (g, "memory");
      yajl_gen_map_open (g);
      gki (g, "limit", (long long)app->mem_bytes);
      yajl_gen_map_close (g);
    }
  if (app->pids_limit)
    {
      gs (g, "pids");
      yajl_gen_map_open (g);
      gki (g, "limit", app->pids_limit);
      yajl_gen_map_close (g);
    }
  /* io_priority is the process's I/O priority (ioPriority, which every
     kernel has); the cgroup's I/O weight only where the host has one.  */
  if (app->io_priority >= 0 && mk_cgroup_io_weight_available ())
    {
      static const int weight[] = { 100, 500, 1000 };
      gs (g, "blockIO");
      yajl_gen_map_open (g);
      gki (g, "weight", weight[app->io_priority]);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

int
mk_app_oci_json (const struct mk_app *app, const struct mk_app_host *h, const char *rootfs,
                 char **json, mk_error **err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  const unsigned char *buf;
  size_t len;

  if (app->executable == NULL)
    {
      yajl_gen_free (g);
      return mk_error_set (err, 0, "%s: no program to run: give -e EXE or application.executable",
                           app->file);
    }
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "\t");
  yajl_gen_map_open (g);
  gkv (g, "ociVersion", MK_OCI_VERSION);
  gen_process (g, app, h);
  gs (g, "root");
  yajl_gen_map_open (g);
  gkv (g, "path", rootfs);
  gs (g, "readonly");
  yajl_gen_bool (g, 1);
  yajl_gen_map_close (g);
  gkv (g, "hostname", app->name ? app->name : "mkrun-app");
  gen_mounts (g, app, h);

  gs (g, "annotations");
  yajl_gen_map_open (g);
  gkv (g, "org.mkrun.init", "true");
  if (app->best_effort)
    gkv (g, MK_ANNOTATION_CGROUP_BEST_EFFORT, "true");
  if (app->name)
    gkv (g, "org.mkrun.app.name", app->name);
  /* Limited: root's allow list is a cgroup BPF program; an ordinary
     user's app gets a network namespace of its own and a proxy to the
     endpoints (net/netproxy.h).  */
  if (app->network == MK_APP_NET_LIMITED)
    gkv (g, mk_ns_unprivileged () ? MK_NETPROXY_ANNOTATION : "org.mkrun.network.allow",
         h->net_allow ? h->net_allow : "");
  if (h->unix_peers)
    gkv (g, MK_UNIXGUARD_ANNOTATION, h->unix_peers);
  if (h->unix_connect)
    gkv (g, MK_UNIXGUARD_PATHS_ANNOTATION, h->unix_connect);
  for (size_t i = 0; i < app->n_hpc; i++)
    gkv (g, app->hpc[i].key, app->hpc[i].value);
  yajl_gen_map_close (g);

  gs (g, "linux");
  yajl_gen_map_open (g);
  gs (g, "namespaces");
  yajl_gen_array_open (g);
  {
    static const char *const ns[] = { "pid", "mount", "ipc", "uts", "cgroup", "network" };
    size_t n = own_netns (app) ? 6 : 5;
    for (size_t i = 0; i < n; i++)
      {
        yajl_gen_map_open (g);
        gkv (g, "type", ns[i]);
        yajl_gen_map_close (g);
      }
    if (mk_ns_unprivileged ())
      {
        yajl_gen_map_open (g);
        gkv (g, "type", "user");
        yajl_gen_map_close (g);
      }
  }
  yajl_gen_array_close (g);
  if (mk_ns_unprivileged ())
    {
      /* An ordinary user's app: its own uid and gid, and nothing else,
         mapped (what a user may map itself), so it runs as that user.  */
      const char *keys[] = { "uidMappings", "gidMappings" };
      for (int k = 0; k < 2; k++)
        {
          gs (g, keys[k]);
          yajl_gen_array_open (g);
          yajl_gen_map_open (g);
          gki (g, "containerID", k ? h->gid : h->uid);
          gki (g, "hostID", k ? h->gid : h->uid);
          gki (g, "size", 1);
          yajl_gen_map_close (g);
          yajl_gen_array_close (g);
        }
    }
  gen_resources (g, app);
  gen_seccomp (g, h);
  gstrv (g, "maskedPaths", masked_paths);
  gstrv (g, "readonlyPaths", readonly_paths);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);

  yajl_gen_get_buf (g, &buf, &len);
  *json = xmalloc0 (len + 2);
  memcpy (*json, buf, len);
  if (len == 0 || (*json)[len - 1] != '\n')
    (*json)[len] = '\n';
  yajl_gen_free (g);
  return 0;
}

/* ---- the bundle dir ---------------------------------------------------------------- */

static int
make_rootfs (const char *dir, bool minimal, mk_error **err)
{
  _cleanup_free_ char *rootfs = xasprintf ("%s/rootfs", dir);
  _cleanup_close_ int rfd = -1;
  DIR *d;
  struct dirent *de;
  if (mkdir (rootfs, 0755) < 0 && errno != EEXIST)
    return mk_error_set (err, errno, "mkdir `%s`", rootfs);
  rfd = open (rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0)
    return mk_error_set (err, errno, "open `%s`", rootfs);
  /* The host's top-level symlinks (merged /usr: bin → usr/bin, ...).  */
  d = opendir ("/");
  if (d == NULL)
    return mk_error_set (err, errno, "read /");
  while ((de = readdir (d)))
    {
      char target[PATH_MAX];
      ssize_t n;
      if (de->d_type != DT_LNK)
        continue;
      n = readlinkat (dirfd (d), de->d_name, target, sizeof (target) - 1);
      if (n <= 0)
        continue;
      target[n] = 0;
      if (symlinkat (target, rfd, de->d_name) < 0 && errno != EEXIST)
        {
          closedir (d);
          return mk_error_set (err, errno, "symlink `%s/%s`", rootfs, de->d_name);
        }
      /* A minimal root has no host directories bound: make the targets
         (usr/lib, ...) that the files' mount points go below.  */
      if (minimal && target[0] != '/' && strstr (target, "..") == NULL)
        {
          _cleanup_free_ char *t = xasprintf ("%s/%s", rootfs, target);
          if (mk_mkdir_p (t, 0755, err) < 0)
            {
              closedir (d);
              return -1;
            }
        }
    }
  closedir (d);
  return 0;
}

char *
mk_app_socket_host_path (const char *bundle, const char *path)
{
  return xasprintf ("%s%s", bundle, path);
}

/* In the bundle's tmp/run dirs: each socket's directory (the user's), and
   for a connector an empty file its listener's socket is bound on.  */
static int
make_socket_places (const struct mk_app *app, const struct mk_app_host *h, const char *dir,
                    mk_error **err)
{
  for (size_t i = 0; i < app->n_sockets; i++)
    {
      _cleanup_free_ char *host = mk_app_socket_host_path (dir, app->sockets[i].path);
      char *slash = strrchr (host, '/');
      *slash = 0;
      if (mk_mkdir_p (host, 0755, err) < 0)
        return -1;
      if (strcmp (host + strlen (dir), "/tmp") != 0 && chown (host, h->uid, h->gid) < 0)
        return mk_error_set (err, errno, "chown `%s`", host);
      *slash = '/';
      if (!app->sockets[i].listen && socket_bound (h, i))
        {
          _cleanup_close_ int fd
              = open (host, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
          if (fd < 0)
            return mk_error_set (err, errno, "create `%s`", host);
        }
    }
  return 0;
}

int
mk_app_write_bundle (const struct mk_app *app, struct mk_app_host *h, const char *dir,
                     mk_error **err)
{
  _cleanup_free_ char *json = NULL;
  _cleanup_close_ int dfd = -1;

  free (h->tmp_dir);
  free (h->run_dir);
  h->tmp_dir = xasprintf ("%s/tmp", dir);
  h->run_dir = xasprintf ("%s/run", dir);
  if (mk_mkdir_p (dir, 0755, err) < 0)
    return -1;
  if (make_rootfs (dir, app->root_minimal, err) < 0)
    return -1;
  if ((mkdir (h->tmp_dir, 01777) < 0 && errno != EEXIST) || chmod (h->tmp_dir, 01777) < 0)
    return mk_error_set (err, errno, "mkdir `%s`", h->tmp_dir);
  if ((mkdir (h->run_dir, 0755) < 0 && errno != EEXIST)
      || chown (h->run_dir, h->uid, h->gid) < 0)
    return mk_error_set (err, errno, "mkdir `%s`", h->run_dir);
  if (make_socket_places (app, h, dir, err) < 0)
    return -1;
  if (mk_app_host_prepare (app, h, err) < 0)
    return -1;
  if (mk_app_oci_json (app, h, "rootfs", &json, err) < 0)
    return -1;
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return mk_error_set (err, errno, "open `%s`", dir);
  return mk_create_file_at (dfd, "config.json", json, 0644, err);
}
