/* foreground.h: waiting for a process the runtime started in the foreground
 * (run, exec): signals the runtime receives go to the process, a terminal's
 * output and input are relayed through the pty master, and the process's
 * status becomes the runtime's exit code.  */
#ifndef MK_FOREGROUND_H
#define MK_FOREGROUND_H

#include <signal.h>
#include <sys/types.h>

#include "error.h"

/* Blocks every signal that can be forwarded (all but the synchronous
   ones) and stores them in *ALL; *OLD, unless NULL, gets the previous
   mask.  Call it before starting the process, so no signal is lost in
   between.  */
void mk_foreground_block_signals (sigset_t *all, sigset_t *old);

/* Waits for PID (a child of ours), forwarding the signals in FWD to it and,
   when *MASTER_FD >= 0, relaying stdin -> master -> stdout (stdin in raw
   mode if it is a terminal; SIGWINCH resizes the pty).  *EXIT_CODE gets
   the exit status, or 128+N for signal N.  *MASTER_FD is closed.  */
int mk_foreground_wait (pid_t pid, int *master_fd, const sigset_t *fwd, int *exit_code,
                        mk_error **err);

#endif
