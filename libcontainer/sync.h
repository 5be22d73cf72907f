/* sync.h: messages between the runtime and the container's init over a
 * SOCK_SEQPACKET socketpair: one byte of kind, an optional payload and an
 * optional fd (SCM_RIGHTS).  An init that fails sends MK_SYNC_ERROR with the
 * error and exits; the runtime reports it as its own.  */
#ifndef MK_SYNC_H
#define MK_SYNC_H

#include <stddef.h>

#include "error.h"

enum mk_sync_kind
{
  /* runtime -> init */
  MK_SYNC_IDMAPS_DONE = 'M',  /* uid/gid maps written */
  MK_SYNC_CGROUP_DONE = 'C',  /* init is in its cgroup */
  MK_SYNC_HOOKS_DONE = 'h',   /* prestart/createRuntime ran */
  MK_SYNC_GO = 'G',           /* run: exec now */
  MK_SYNC_SOURCE = 'o',       /* payload: a mount's index (uint32); fd: its bind source */
  MK_SYNC_SOURCES_DONE = 'O', /* no more sources */
  /* init -> runtime */
  MK_SYNC_WANT_IDMAPS = 'U',  /* init made its user namespace: write its maps */
  MK_SYNC_RUN_HOOKS = 'H',    /* run prestart/createRuntime now (before pivot_root) */
  MK_SYNC_WANT_SOURCES = 'S', /* in its user and mount namespaces: open the bind sources */
  MK_SYNC_READY = 'R',        /* set up; fd: the seccomp listener or none */
  MK_SYNC_ERROR = 'E',        /* payload: the error */
};

/* One sendmsg of DATA with PASSFD (if >= 0) attached by SCM_RIGHTS.  */
int mk_send_with_fd (int sock, const void *data, size_t len, int passfd);
/* Turns an MK_SYNC_ERROR payload (NUL-terminated) into *err; returns -1.  */
int mk_sync_error (const char *buf, int n, mk_error **err);
int mk_sync_send (int fd, char kind, const void *payload, size_t len, int passfd);
/* Receives one message.  *passfd gets an fd or -1.  Returns the payload
   length, or -1 with *err set ("container init exited" on EOF).  */
int mk_sync_recv (int fd, char *kind, void *buf, size_t cap, int *passfd, mk_error **err);
/* Receives one message and checks its kind; an MK_SYNC_ERROR becomes *err.  */
int mk_sync_expect (int fd, char kind, int *passfd, mk_error **err);
/* In the init: reports ERR and exits.  */
void mk_sync_fail (int fd, mk_error *err) __attribute__ ((noreturn));

#endif
