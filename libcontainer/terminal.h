/* terminal.h: process.terminal.  The runtime connects to --console-socket;
 * the init opens a pty inside the container and sends its master over that
 * socket with SCM_RIGHTS (as runc does), then makes the slave its
 * controlling terminal and stdio.  */
#ifndef MK_TERMINAL_H
#define MK_TERMINAL_H

#include <stdbool.h>

#include <sys/types.h>

#include "error.h"

int mk_console_connect (const char *path, int *fd, mk_error **err);
/* The socket the init sends its pty master over: CONSOLE_SOCKET when given
   (*RUNTIME_FD stays -1), else one end of a socketpair for the runtime
   itself (*RUNTIME_FD, to receive the master for run/exec in the
   foreground).  *CHILD_FD is for the init.  */
int mk_console_socket (const char *console_socket, int *runtime_fd, int *child_fd, mk_error **err);
/* After /dev/pts is mounted and the root pivoted, as session leader: a
   pty from the container's /dev/ptmx, its master sent over CONSOLE_FD, the
   other end (owned by P's uid, sized as P says) made the controlling
   terminal and stdio; CONSOLE (the init):
   also bound on /dev/console.  */
struct mk_process;
int mk_terminal_setup (int console_fd, const struct mk_process *p, bool console, mk_error **err);
/* --pidfd-socket PATH (runc's): a pidfd of PID sent (SCM_RIGHTS, with the
   name "pidfd") to the unix socket at PATH, so the caller can wait for and
   signal that very process, whatever pid reuse follows.  */
int mk_send_pidfd (const char *path, pid_t pid, mk_error **err);
/* Receives a pty master sent over SOCK (by an init): for `run` in the
   foreground without --console-socket.  */
int mk_terminal_recv_master (int sock, int *master, mk_error **err);

#endif
