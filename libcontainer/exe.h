/* exe.h: CVE-2019-5736.  A process in the container can reach the binary
 * that created it through /proc/PID/exe (e.g. /bin/sh being
 * "#!/proc/self/exe") and, once it exits, open it for writing.  Commands
 * that start processes in a container therefore run from a sealed,
 * read-only memfd copy of the binary: the host's file is never the
 * container's /proc/self/exe.  */
#ifndef MK_EXE_H
#define MK_EXE_H

/* Re-executes from a sealed memfd unless already running from one.
   Returns only if it could not (with errno set) or if already sealed (0). */
int mk_exe_ensure_sealed (char **argv, char **envp);

#endif
