/* app/oci.h: struct mk_app → an OCI bundle (config.json + a rootfs dir).
 *
 * The app runs on an immutable view of the host: the bundle's rootfs is an
 * empty directory (plus the host's top-level symlinks, e.g. /bin → usr/bin)
 * on which every top-level directory of the host is bound recursively
 * read-only; /proc, /dev, /sys are fresh; /tmp and /run are private
 * directories of the bundle (so a socket an app listens on has a host
 * path another app can be given); /home and /root are empty tmpfs (the
 * user's home an empty writable tmpfs); inputs are bound read-only,
 * outputs read-write, and the executable's directory read-only.  The
 * program runs as the invoking user (SUDO_UID under sudo; root's apps as
 * nobody unless application.user says otherwise) without capabilities,
 * with no_new_privs and a seccomp filter that refuses what Podman's
 * default profile refuses; its environment is only the YAML's plus PATH,
 * HOME, TERM.  */
#ifndef MK_APP_OCI_H
#define MK_APP_OCI_H

#include <stdbool.h>
#include <sys/types.h>

#include "app/app.h"
#include "error.h"

/* What the translation takes from the host at run time.  */
struct mk_app_host
{
  uid_t uid; /* the app's user */
  gid_t gid;
  bool by_sudo;  /* root through sudo: the YAML is the user's, its paths opened with their rights */
  gid_t *groups; /* supplementary, of the user */
  size_t n_groups;
  char *home;
  char *term;
  char *net_allow; /* limited: "IP:PORT,..." (org.mkrun.network.allow) */
  int *socket_fd;  /* per app->sockets[i]: the listener's socket a connector binds (O_PATH,
                      checked by sockets.c), else -1 */
  size_t n_socket_fd;
  char **listeners; /* the container ids of the apps listening there (no repeats) */
  /* none/limited: the host's unix sockets out of reach.  unix_peers: the
     value of org.mkrun.network.unix (the listeners' containers), where the
     kernel can enforce it; else unix_denied: socket(AF_UNIX) (and datagram
     socketpairs) refused by the seccomp filter.  */
  char *unix_peers;
  char *unix_connect; /* else org.mkrun.network.unix.connect: the bound connect paths */
  bool unix_denied;
  char *tmp_dir; /* the host dirs of the app's /tmp and /run */
  char *run_dir;
  char **warnings;      /* for the caller to show (names that did not resolve) */
  char **minimal_files; /* filesystem.root: minimal: the host files bound, else NULL */
};

/* What the config takes from the host at start: for `limited`, resolves
   allowed_endpoints (names through the host's resolver) and adds the
   host's DNS servers (port 53) into h->net_allow (a name that does not
   resolve is a warning, not an error: its connections are refused like
   any other); for `root: minimal`, the files of the root
   (h->minimal_files, see minimal.h).  */
int mk_app_host_prepare (const struct mk_app *app, struct mk_app_host *h, mk_error **err);

/* How the app is kept from the host's unix sockets: h->unix_peers (from
   h->listeners) where the kernel runs BPF LSM programs; else
   h->unix_connect (its connect sockets that are bound, from
   h->socket_fd) where it has cgroup hooks on unix addresses (6.7+);
   else h->unix_denied, and an app that declares unix_sockets fails, saying
   why.  mk_app_host_prepare() calls it.  */
int mk_app_host_unix (const struct mk_app *app, struct mk_app_host *h, mk_error **err);

/* Adds the container of app NAME, which listens on a socket the app
   connects to, to h->listeners.  */
void mk_app_host_add_listener (struct mk_app_host *h, const char *name);

/* The app's user: application.user, else the invoking user (SUDO_UID/
   SUDO_GID when root runs through sudo), else for root "nobody" (65534):
   the read-only view of the host is for its programs and libraries, not
   for root's files (application.user: root opts out).  Under sudo
   application.user may only name the sudo user.  Home, groups, TERM.  */
int mk_app_host_user (const struct mk_app *app, struct mk_app_host *h, mk_error **err);
void mk_app_host_free (struct mk_app_host *h);

/* The config.json text.  ROOTFS is root.path as written.  */
int mk_app_oci_json (const struct mk_app *app, const struct mk_app_host *h, const char *rootfs,
                     char **json, mk_error **err);
/* The host path of socket PATH (under /tmp or /run of the app's view) of
   the app whose bundle is BUNDLE.  */
char *mk_app_socket_host_path (const char *bundle, const char *path);
/* Makes DIR/rootfs (empty, with the host's top-level symlinks), DIR/tmp and
   DIR/run (with the sockets' directories, and the empty files the
   listeners' sockets of h->socket_fd are bound on, see sockets.h), and
   writes DIR/config.json.  */
int mk_app_write_bundle (const struct mk_app *app, struct mk_app_host *h, const char *dir,
                         mk_error **err);

#endif
