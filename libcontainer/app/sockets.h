/* app/sockets.h: unix sockets between apps (network.unix_sockets).
 *
 * A listener's socket is a file in its private /tmp or /run, which are its
 * bundle's tmp/ and run/ on the host: the listening app changes what is
 * there at will.  It could leave a symlink in its socket's place (to a host
 * socket, or to a root-only file), or swap one in between a check and a
 * use.  So a connector's supervisor opens the socket O_PATH beneath the
 * listener's private dir following no symlink (openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS), requires a socket (fstat), and binds that very
 * inode, through the descriptor (open_tree + move_mount), on an empty file
 * in its own bundle's tmp/ or run/.  The bind is made in a mount namespace
 * of the supervisor's own (the host never sees it; it goes with the
 * supervisor), and the container takes it with its rbind of those dirs:
 * no path of the listener is resolved again, by anyone.  */
#ifndef MK_APP_SOCKETS_H
#define MK_APP_SOCKETS_H

#include "app/app.h"
#include "app/oci.h"
#include "error.h"

/* For each socket APP connects to: waits (network.unix_sockets.timeout)
   for a live app under ROOT listing that path with type listen, and for
   its socket; h->socket_fd[i] gets it (O_PATH).  What is there but a
   socket (a symlink, a file) is refused at once.  NOTICE, if any, is told
   once that it waits.  An app that connects moves the calling process
   (the supervisor-to-be: its containers are cloned from it) to a mount
   namespace of its own first, where the sockets will be bound.  */
int mk_app_wait_for_listeners (const char *root, const struct mk_app *app, struct mk_app_host *h,
                               void (*notice) (enum mk_app_log_level, const char *),
                               mk_error **err);

/* Binds each socket of h->socket_fd on its empty file in BUNDLE (made by
   mk_app_write_bundle), in that namespace, and closes the fds.  Does
   nothing for an app that connects to none.  */
int mk_app_bind_sockets (const struct mk_app *app, struct mk_app_host *h, const char *bundle,
                         mk_error **err);

#endif
