/* bsp: a bulk-synchronous kernel: R ranks, each superstep a fixed quantum of
 * work on every rank and then a barrier.
 *
 *   bsp [-c CPUS] [-r RANKS] [-q US | -k UNITS] [-s SUPERSTEPS] [-w WARMUP] [-T SECONDS]
 *       [-o FILE]
 *
 * Rank i is a thread pinned to the i-th CPU of CPUS (round robin if there are
 * more ranks than CPUs).  A superstep lasts as long as its slowest rank: one
 * rank that loses its core for a moment holds every other rank at the barrier,
 * which is how noise on one core becomes lost time for the whole job.  Rank 0
 * timestamps each barrier exit; it prints the superstep time's mean, min, p50,
 * p99 and max in microseconds, the share of time lost to supersteps slower
 * than the fastest, and the rate (supersteps per second).
 *
 *   -c CPUS        CPUs for the ranks (default: every CPU we may run on)
 *   -r RANKS       ranks (default: one per CPU of CPUS)
 *   -q US          work per rank per superstep in microseconds (default 100),
 *                  calibrated at start on the first CPU
 *   -k UNITS       fixed work in units (skips calibration; see fwq)
 *   -s SUPERSTEPS  measured supersteps (default 20000)
 *   -w WARMUP      supersteps before measuring (default 1000)
 *   -T SECONDS     stop after this long even with fewer supersteps (the
 *                  steps column then says how many)
 *   -o FILE        raw superstep times, one ns value per line
 *
 * The barrier spins (sense-reversing, one shared counter, "pause" while
 * waiting): a sleeping barrier (pthread_barrier_t, a futex) makes the last
 * rank to arrive wake the others with a system call, and each woken rank waits
 * for the scheduler and, if its core went idle, for the core to leave its idle
 * state: several to tens of microseconds per superstep that depend on the
 * kernel and the idle governor, not on the noise we want to see, and that
 * would hide a 5% effect on a 100 us superstep.  MPI's shared-memory barriers
 * poll for the same reason; on cores the job owns, spinning costs nothing.
 * With more ranks than CPUs spinning would starve the rank that has work, so
 * then waiting ranks yield the CPU (and the figures mean little).
 *
 * Exit status 0, 1 on a failure, 2 on usage.
 */
#include "noise.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct barrier
{
  _Alignas(64) atomic_uint count;
  _Alignas(64) atomic_uint sense;
  unsigned n;
  int yield;
  _Alignas(64) atomic_ulong stop_at; /* with -T: the last superstep + 1 */
};

static void
barrier_wait (struct barrier *b, unsigned *local_sense)
{
  unsigned s = *local_sense = !*local_sense;
  if (atomic_fetch_sub_explicit (&b->count, 1, memory_order_acq_rel) == 1)
    {
      atomic_store_explicit (&b->count, b->n, memory_order_relaxed);
      atomic_store_explicit (&b->sense, s, memory_order_release);
      return;
    }
  while (atomic_load_explicit (&b->sense, memory_order_acquire) != s)
    {
      if (b->yield)
        sched_yield ();
      else
        noise_cpu_relax ();
    }
}

struct rank
{
  int id, cpu;
  uint64_t units, warmup, steps, limit_ns;
  struct barrier *bar;
  uint64_t *times; /* rank 0 only */
  uint64_t elapsed;
  int err;
};

static void *
rank_main (void *arg)
{
  struct rank *r = arg;
  unsigned sense = 0;
  uint64_t x = (uint64_t)r->id + 1;
  if (noise_pin (r->cpu) < 0)
    r->err = errno;
  /* Every rank reaches this barrier, pinned or not, so none waits forever;
   * a failed pin is reported after the run. */
  barrier_wait (r->bar, &sense);
  for (uint64_t i = 0; i < r->warmup; i++)
    {
      x = noise_work (r->units, x);
      barrier_wait (r->bar, &sense);
    }
  uint64_t t0 = noise_now_ns (), t = t0;
  for (uint64_t i = 0; i < r->steps; i++)
    {
      x = noise_work (r->units, x);
      barrier_wait (r->bar, &sense);
      if (r->times)
        {
          uint64_t t1 = noise_now_ns ();
          r->times[i] = t1 - t;
          t = t1;
        }
      /* Rank 0 names a superstep all ranks stop after: set after barrier i
       * as i + 2, it is seen by every rank after barrier i + 1 at the latest
       * (rank 0 arrives there only after setting it), never too late. */
      unsigned long stop = atomic_load_explicit (&r->bar->stop_at, memory_order_relaxed);
      if (stop && i + 1 >= stop)
        {
          r->steps = i + 1;
          break;
        }
      if (r->times && r->limit_ns && !stop && t - t0 > r->limit_ns)
        atomic_store_explicit (&r->bar->stop_at, i + 2, memory_order_relaxed);
    }
  r->elapsed = t - t0;
  noise_sink = x;
  return NULL;
}

static void
usage (FILE *f)
{
  fprintf (f, "usage: bsp [-c CPUS] [-r RANKS] [-q US | -k UNITS] [-s SUPERSTEPS] [-w WARMUP] "
              "[-T SECONDS] [-o FILE]\n");
}

int
main (int argc, char **argv)
{
  double quantum_us = 100;
  uint64_t units = 0, steps = 20000, warmup = 1000, nranks = 0;
  double limit_s = 0;
  const char *cpus_arg = NULL, *out = NULL;
  int o;
  while ((o = getopt (argc, argv, "c:r:q:k:s:w:T:o:h")) != -1)
    switch (o)
      {
      case 'c':
        cpus_arg = optarg;
        break;
      case 'r':
        nranks = noise_arg_u64 ("bsp", 'r', optarg, 1);
        break;
      case 'q':
        quantum_us = noise_arg_double ("bsp", 'q', optarg, 0.1);
        break;
      case 'k':
        units = noise_arg_u64 ("bsp", 'k', optarg, 1);
        break;
      case 's':
        steps = noise_arg_u64 ("bsp", 's', optarg, 1);
        break;
      case 'w':
        warmup = noise_arg_u64 ("bsp", 'w', optarg, 0);
        break;
      case 'T':
        limit_s = noise_arg_double ("bsp", 'T', optarg, 0);
        break;
      case 'o':
        out = optarg;
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

  cpu_set_t set;
  int ncpu, *cpu = noise_cpus ("bsp", cpus_arg, &set, &ncpu);
  if (!nranks)
    nranks = (uint64_t)ncpu;
  if (nranks > 4096)
    {
      fprintf (stderr, "bsp: -r %" PRIu64 ": at most 4096 ranks\n", nranks);
      return 2;
    }
  struct rank *rk = calloc (nranks, sizeof *rk);
  pthread_t *tid = calloc (nranks, sizeof *tid);
  uint64_t *times = calloc (steps, sizeof *times);
  struct barrier *bar = aligned_alloc (64, sizeof *bar);
  if (!rk || !tid || !times || !bar)
    {
      perror ("bsp");
      return 1;
    }

  if (noise_pin (cpu[0]) < 0)
    {
      fprintf (stderr, "bsp: cannot run on CPU %d: %s\n", cpu[0], strerror (errno));
      return 1;
    }
  const char *how = "given with -k";
  if (!units)
    {
      units = noise_calibrate (quantum_us * 1e3);
      how = "calibrated";
    }

  memset (bar, 0, sizeof *bar);
  bar->n = (unsigned)nranks;
  bar->yield = nranks > (uint64_t)ncpu;
  atomic_init (&bar->count, bar->n);
  atomic_init (&bar->sense, 0);
  atomic_init (&bar->stop_at, 0);
  for (uint64_t i = 0; i < nranks; i++)
    {
      rk[i] = (struct rank){ .id = (int)i,
                             .cpu = cpu[i % (uint64_t)ncpu],
                             .units = units,
                             .warmup = warmup,
                             .steps = steps,
                             .bar = bar,
                             .limit_ns = (uint64_t)(limit_s * 1e9),
                             .times = i == 0 ? times : NULL };
      int r = pthread_create (&tid[i], NULL, rank_main, &rk[i]);
      if (r)
        {
          fprintf (stderr, "bsp: pthread_create: %s\n", strerror (r));
          return 1;
        }
    }
  int failed = 0;
  for (uint64_t i = 0; i < nranks; i++)
    {
      pthread_join (tid[i], NULL);
      if (rk[i].err)
        {
          fprintf (stderr, "bsp: rank %" PRIu64 " cannot run on CPU %d: %s\n", i, rk[i].cpu,
                   strerror (rk[i].err));
          failed = 1;
        }
    }
  if (failed)
    return 1;

  uint64_t asked = steps;
  steps = rk[0].steps;
  struct noise_stats s;
  noise_stats (times, steps, &s);
  char list[256];
  noise_format_cpus (&set, list, sizeof list);
  printf ("bsp: %" PRIu64 " rank(s) on CPU(s) %s%s; %" PRIu64 " work units a superstep (%s), "
          "%" PRIu64 " warm-up + %" PRIu64 " supersteps; spin barrier\n",
          nranks, list, bar->yield ? " (oversubscribed: waiting ranks yield)" : "", units, how,
          warmup, steps);
  printf ("bsp: work units %" PRIu64 "\n", units);
  printf ("%5s %9s %8s %8s %8s %8s %9s %7s %11s\n", "ranks", "steps", "mean_us", "min_us", "p50_us",
          "p99_us", "max_us", "lost%", "steps_per_s");
  printf ("%5" PRIu64 " %9" PRIu64 " %8.2f %8.2f %8.2f %8.2f %9.2f %7.3f %11.1f\n", nranks, steps,
          s.mean / 1e3, s.min / 1e3, s.p50 / 1e3, s.p99 / 1e3, s.max / 1e3, s.noise * 100,
          rk[0].elapsed ? (double)steps * 1e9 / (double)rk[0].elapsed : 0.0);

  if (steps < asked)
    printf ("bsp: stopped by -T %g s after %" PRIu64 " of %" PRIu64 " supersteps\n", limit_s, steps,
            asked);

  if (out)
    {
      FILE *f = fopen (out, "w");
      if (!f)
        {
          fprintf (stderr, "bsp: %s: %s\n", out, strerror (errno));
          return 1;
        }
      for (uint64_t j = 0; j < steps; j++)
        fprintf (f, "%" PRIu64 "\n", times[j]);
      if (fclose (f))
        {
          fprintf (stderr, "bsp: %s: %s\n", out, strerror (errno));
          return 1;
        }
    }
  return 0;
}
