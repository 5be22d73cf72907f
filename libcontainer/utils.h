/* utils.h: small helpers shared by every file: cleanup attributes, full reads
   and writes, file helpers.  Nothing here knows about containers.  */
#ifndef MK_UTILS_H
#define MK_UTILS_H

#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "error.h"

static inline void
mk_freep (void *p)
{
  free (*(void **)p);
}
static inline void
mk_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}
void mk_strvfreep (char ***v);

#define _cleanup_free_ __attribute__ ((cleanup (mk_freep)))
#define _cleanup_close_ __attribute__ ((cleanup (mk_closep)))
#define _cleanup_strv_ __attribute__ ((cleanup (mk_strvfreep)))

/* Moves ownership out of a cleanup variable.  */
#define steal_pointer(pp)                                                                          \
  ({                                                                                               \
    __typeof__ (*(pp)) _p = *(pp);                                                                 \
    *(pp) = NULL;                                                                                  \
    _p;                                                                                            \
  })
#define steal_fd(fdp)                                                                              \
  ({                                                                                               \
    int _fd = *(fdp);                                                                              \
    *(fdp) = -1;                                                                                   \
    _fd;                                                                                           \
  })

#define MK_ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

void *xmalloc0 (size_t size);
void *xrealloc (void *p, size_t size);
char *xstrdup (const char *s);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
char *xvasprintf (const char *fmt, va_list ap) __attribute__ ((format (printf, 1, 0)));
/* Now, as runtime-spec's state and the log write it: 2006-01-02T15:04:05.999999999Z.  */
char *mk_now_rfc3339 (void);
/* "0-3,8" (the kernel's list format: cpus, NUMA nodes) → SET; -1 if
   malformed or past CPU_SETSIZE.  */
int mk_cpulist_parse (const char *s, cpu_set_t *set);
void mk_strv_free (char **v);
size_t mk_strv_len (char *const *v);
/* Whether the NULL-terminated V (may be NULL) holds S.  */
bool mk_strv_contains (char *const *v, const char *s);

/* Full reads/writes, retrying on EINTR and short counts.  Return the count or -1.  */
ssize_t mk_write_all (int fd, const void *buf, size_t len);
ssize_t mk_read_all (int fd, void *buf, size_t len);

/* Reads a whole file (relative to dirfd, or AT_FDCWD) into a NUL-terminated
   buffer.  Returns 0, or -1 with *err set.  */
int mk_read_file_at (int dirfd, const char *path, char **out, size_t *len, mk_error **err);
/* Writes buf to an existing file (O_WRONLY|O_TRUNC unless append).  */
int mk_write_file_at (int dirfd, const char *path, const void *buf, size_t len, mk_error **err);
/* Writes a string to a file; the error names the file.  */
int mk_write_string_at (int dirfd, const char *path, const char *s, mk_error **err);
/* Creates (or truncates) PATH with S, MODE; no symlink followed.  */
int mk_create_file_at (int dirfd, const char *path, const char *s, mode_t mode, mk_error **err);

/* --pid-file: PATH gets PID (mode 0644) atomically: written to a temp
   file of a unique name beside it, renamed over it.  */
int mk_write_pid_file (const char *path, pid_t pid, mk_error **err);

/* mkdir -p, mode for every created component.  */
int mk_mkdir_p (const char *path, mode_t mode, mk_error **err);
/* Undoes mountinfo's octal escapes (\040 for a space) in place.  */
void mk_unescape_octal (char *s);

/* Opens PATH relative to DIRFD (AT_FDCWD: the cwd; an absolute PATH starts
   at "/") following no symlink in any component, the last one included
   (openat2 RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS; a walk with
   O_NOFOLLOW on kernels without openat2).  BENEATH: PATH must also stay
   below DIRFD (no absolute path, no ".." above it: EXDEV).  For paths a
   less privileged user can change: whatever they plant there is refused
   (ELOOP), not followed.  Returns the fd, or -1 with errno set.  */
int mk_open_no_symlinks (int dirfd, const char *path, int flags, mode_t mode, bool beneath);
/* mkdir -p of the absolute PATH following no symlink (each existing
   component must be a directory), mode for every created component.
   Returns an O_PATH fd of PATH, or -1 with *err set.  */
int mk_mkdir_p_no_symlinks (const char *path, mode_t mode, mk_error **err);
/* Is PATH DIR or below it (by components: /tmpx is not under /tmp)?  */
bool mk_path_under (const char *path, const char *dir);

/* Parses a base-10 integer; returns -1 unless the whole string is a number in range.  */
int mk_parse_int64 (const char *s, long long *out);

/* Reads /proc/PID/stat's field 22 (start time); 0 if the process is gone.  */
unsigned long long mk_proc_start_time (pid_t pid);
/* pidfd_open(2) (glibc 2.36 has no wrapper here).  */
int mk_pidfd_open (pid_t pid);

/* Closes every descriptor from FIRST up but those in KEEP (N of them, at
   most 16; negative ones are ignored).  */
void mk_close_fds_from (int first, const int *keep, size_t n);

/* Looks up a signal by name ("KILL", "SIGKILL", "kill") or number (0: none,
   as kill(2) takes it to ask whether a process is alive).  -1 if unknown.  */
int mk_signal_parse (const char *s);

#endif
