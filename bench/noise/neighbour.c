/* neighbour: a noisy neighbour for bench/noise, to run in its own container.
 *
 *   neighbour [-c CPUS] [-p PARTS] [-m MIB] [-d DIR] [-t US] [-T SECONDS]
 *
 * On every CPU of CPUS (default: every CPU we may run on) three threads
 * pinned there:
 *   - a memory walker: writes one byte per 64-byte line over a buffer of MIB
 *     (default: twice the L3 size, at least 32 MiB) again and again: always
 *     runnable, and it evicts caches and TLBs on the way;
 *   - an I/O loop: pwrite of 64 KiB then fsync of a file in DIR (default
 *     /tmp; use a disk-backed directory: fsync on tmpfs does nothing), so
 *     block-device interrupts and completions keep coming; the file is
 *     unlinked as soon as it is open, so nothing stays behind;
 *   - a timer loop: nanosleep(US) (default 2000 us) over and over: a high-
 *     resolution timer interrupt, a wakeup and a preemption 500 times a
 *     second per CPU.
 * Why not shorter sleeps: on the 6.18 kernel of our development VM (v1 cpu
 * cgroups), a thread that sleeps less than about 1 ms at a time next to the
 * walker starves a task in another cpu cgroup on that CPU (the probe got 0.2%
 * of the CPU, for minutes; with 2 ms sleeps about its share).  With all three
 * parts it starves even with 2 ms sleeps: the probe's thread stays runnable and
 * is not picked for minutes; any two parts leave it its share.  That is noise
 * too, but a probe that never finishes measures nothing: -p picks parts.
 * -p PARTS picks some of them: a list of mem, io, timer (default all three).
 * It runs until SIGTERM or SIGINT (or -T SECONDS), then prints what it did.
 */
#include "noise.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static atomic_int stop;

struct worker
{
  int cpu;
  size_t bytes;
  const char *dir;
  long sleep_ns;
  uint64_t count; /* passes, fsyncs, sleeps */
  int err;
  const char *what;
};

static void *
walker (void *arg)
{
  struct worker *w = arg;
  if (noise_pin (w->cpu) < 0)
    {
      w->err = errno;
      return NULL;
    }
  unsigned char *buf
      = mmap (NULL, w->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf == MAP_FAILED)
    {
      w->err = errno;
      w->what = "mmap";
      return NULL;
    }
  madvise (buf, w->bytes, MADV_NOHUGEPAGE); /* 4 KiB pages: TLB misses too */
  while (!atomic_load_explicit (&stop, memory_order_relaxed))
    {
      for (size_t i = 0; i < w->bytes; i += 64)
        buf[i]++;
      w->count++;
    }
  munmap (buf, w->bytes);
  return NULL;
}

static void *
writer (void *arg)
{
  struct worker *w = arg;
  if (noise_pin (w->cpu) < 0)
    {
      w->err = errno;
      return NULL;
    }
  char path[4096];
  snprintf (path, sizeof path, "%s/neighbour.XXXXXX", w->dir);
  int fd = mkstemp (path);
  if (fd < 0)
    {
      w->err = errno;
      w->what = w->dir;
      return NULL;
    }
  unlink (path);
  static const size_t chunk = 64 << 10, span = 4 << 20;
  char *data = malloc (chunk);
  if (!data)
    {
      w->err = errno;
      close (fd);
      return NULL;
    }
  memset (data, 0x5a, chunk);
  off_t off = 0;
  while (!atomic_load_explicit (&stop, memory_order_relaxed))
    {
      data[0]++;
      if (pwrite (fd, data, chunk, off) < 0 || fsync (fd) < 0)
        {
          w->err = errno;
          w->what = "write+fsync";
          break;
        }
      off = (off_t)((size_t)(off + (off_t)chunk) % span);
      w->count++;
    }
  free (data);
  close (fd);
  return NULL;
}

static void *
sleeper (void *arg)
{
  struct worker *w = arg;
  if (noise_pin (w->cpu) < 0)
    {
      w->err = errno;
      return NULL;
    }
  struct timespec ts = { 0, w->sleep_ns };
  while (!atomic_load_explicit (&stop, memory_order_relaxed))
    {
      nanosleep (&ts, NULL);
      w->count++;
    }
  return NULL;
}

/* Twice the L3 that CPU 0 sees (sysfs: the L3 a core shares; glibc's
 * sysconf may report the whole package's), at least 32 MiB. */
static uint64_t
default_mib (void)
{
  uint64_t kib = 0;
  FILE *f = fopen ("/sys/devices/system/cpu/cpu0/cache/index3/size", "r");
  if (f)
    {
      char unit = 'K';
      if (fscanf (f, "%" SCNu64 "%c", &kib, &unit) >= 1 && unit == 'M')
        kib <<= 10;
      fclose (f);
    }
  if (!kib)
    {
      long l3 = sysconf (_SC_LEVEL3_CACHE_SIZE);
      kib = l3 > 0 ? (uint64_t)l3 >> 10 : 0;
    }
  uint64_t mib = 2 * ((kib + 1023) >> 10);
  return mib < 32 ? 32 : mib;
}

static void
usage (FILE *f)
{
  fprintf (f, "usage: neighbour [-c CPUS] [-p mem,io,timer] [-m MIB] [-d DIR] [-t US] "
              "[-T SECONDS]\n");
}

int
main (int argc, char **argv)
{
  const char *cpus_arg = NULL, *dir = "/tmp", *parts = "mem,io,timer";
  uint64_t mib = 0, secs = 0;
  double sleep_us = 2000;
  int o;
  while ((o = getopt (argc, argv, "c:p:m:d:t:T:h")) != -1)
    switch (o)
      {
      case 'c':
        cpus_arg = optarg;
        break;
      case 'p':
        parts = optarg;
        break;
      case 'm':
        mib = noise_arg_u64 ("neighbour", 'm', optarg, 1);
        break;
      case 'd':
        dir = optarg;
        break;
      case 't':
        sleep_us = noise_arg_double ("neighbour", 't', optarg, 0);
        break;
      case 'T':
        secs = noise_arg_u64 ("neighbour", 'T', optarg, 1);
        break;
      case 'h':
        usage (stdout);
        return 0;
      default:
        usage (stderr);
        return 2;
      }
  if (optind != argc)
    {
      usage (stderr);
      return 2;
    }
  if (!mib)
    mib = default_mib ();
  static const char *const part_name[3] = { "mem", "io", "timer" };
  int want[3] = { 0, 0, 0 };
  for (const char *q = parts; *q;)
    {
      size_t len = strcspn (q, ",");
      int k = 0;
      while (k < 3 && (strlen (part_name[k]) != len || strncmp (q, part_name[k], len)))
        k++;
      if (k == 3)
        {
          fprintf (stderr, "neighbour: -p %s: want a list of mem, io, timer\n", parts);
          return 2;
        }
      want[k] = 1;
      q += len + (q[len] == ',');
    }

  cpu_set_t set;
  int ncpu, *cpu = noise_cpus ("neighbour", cpus_arg, &set, &ncpu);
  struct worker *w = calloc ((size_t)ncpu * 3, sizeof *w);
  pthread_t *tid = calloc ((size_t)ncpu * 3, sizeof *tid);
  if (!w || !tid)
    {
      perror ("neighbour");
      return 1;
    }

  /* Signals go to this thread alone: block them before the workers exist. */
  sigset_t sigs;
  sigemptyset (&sigs);
  sigaddset (&sigs, SIGTERM);
  sigaddset (&sigs, SIGINT);
  sigaddset (&sigs, SIGALRM);
  pthread_sigmask (SIG_BLOCK, &sigs, NULL);

  void *(*fn[3]) (void *) = { walker, writer, sleeper };
  for (int i = 0; i < ncpu * 3; i++)
    {
      w[i] = (struct worker){ .cpu = cpu[i / 3],
                              .bytes = (size_t)mib << 20,
                              .dir = dir,
                              .sleep_ns = (long)(sleep_us * 1e3) };
      if (!want[i % 3])
        continue;
      int r = pthread_create (&tid[i], NULL, fn[i % 3], &w[i]);
      if (r)
        {
          fprintf (stderr, "neighbour: pthread_create: %s\n", strerror (r));
          return 1;
        }
    }
  char list[256];
  noise_format_cpus (&set, list, sizeof list);
  printf ("neighbour: on CPU(s) %s, per CPU:", list);
  if (want[0])
    printf (" a walker over %" PRIu64 " MiB;", mib);
  if (want[1])
    printf (" write+fsync in %s;", dir);
  if (want[2])
    printf (" nanosleep(%g us)", sleep_us);
  printf ("\n");
  fflush (stdout);

  if (secs)
    alarm ((unsigned)secs);
  uint64_t t0 = noise_now_ns ();
  int sig;
  sigwait (&sigs, &sig);
  atomic_store (&stop, 1);
  double dt = (double)(noise_now_ns () - t0) / 1e9;
  int failed = 0;
  uint64_t sum[3] = { 0, 0, 0 };
  for (int i = 0; i < ncpu * 3; i++)
    {
      if (!want[i % 3])
        continue;
      pthread_join (tid[i], NULL);
      sum[i % 3] += w[i].count;
      if (w[i].err)
        {
          fprintf (stderr, "neighbour: CPU %d: %s: %s\n", w[i].cpu, w[i].what ? w[i].what : "pin",
                   strerror (w[i].err));
          failed = 1;
        }
    }
  printf ("neighbour: %.1f s: %.1f buffer passes/s, %.0f write+fsync/s, %.0f sleeps/s\n", dt,
          (double)sum[0] / dt, (double)sum[1] / dt, (double)sum[2] / dt);
  return failed;
}
