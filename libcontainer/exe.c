/* exe.c: see exe.h.  */
#include "config.h"

#include "exe.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int
mk_exe_ensure_sealed (char **argv, char **envp)
{
  _cleanup_close_ int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  _cleanup_close_ int mem = -1;
  struct stat st;
  off_t off = 0;
  int seals;

  if (self < 0)
    return -1;
  seals = fcntl (self, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS)
    return 0;
  if (fstat (self, &st) < 0)
    return -1;
  mem = memfd_create ("mkrun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mem < 0)
    return -1;
  /* read/write, not sendfile: sendfile's splice can leave the memfd's pages
     referenced for a moment, and F_SEAL_WRITE then fails with EBUSY.  */
  while (off < st.st_size)
    {
      char buf[65536];
      ssize_t n = pread (self, buf, sizeof (buf), off);
      if (n <= 0 || mk_write_all (mem, buf, (size_t)n) != n)
        return -1;
      off += n;
    }
  /* F_SEAL_WRITE fails with EBUSY while some page of the memfd is still
     referenced beyond its mapping (the LRU's per-cpu batches hold fresh
     pages for a moment; seen under load): the kernel waits a little, then
     gives up.  Try again a few times.  */
  for (int i = 0; fcntl (mem, F_ADD_SEALS, SEALS) < 0; i++)
    {
      struct timespec ts = { 0, 20 * 1000 * 1000 };
      if (errno != EBUSY || i == 20)
        return -1;
      nanosleep (&ts, NULL);
    }
  syscall (SYS_execveat, mem, "", argv, envp, AT_EMPTY_PATH);
  return -1;
}
