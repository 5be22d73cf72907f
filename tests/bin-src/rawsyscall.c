/* rawsyscall NR [ARG...]: makes system call NR with the integer ARGs and
   prints what it returned: the value, or -ERRNO ("-38" for ENOSYS).  For
   the seccomp tests: syscalls no libc wrapper reaches.  */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  long a[6] = { 0 }, r;

  if (argc < 2 || argc > 8)
    {
      fprintf (stderr, "usage: rawsyscall NR [ARG...]\n");
      return 2;
    }
  for (int i = 2; i < argc; i++)
    a[i - 2] = strtol (argv[i], NULL, 0);
  r = syscall (strtol (argv[1], NULL, 0), a[0], a[1], a[2], a[3], a[4], a[5]);
  printf ("%ld\n", r < 0 ? -(long)errno : r);
  return 0;
}
