/* fwq: fixed work quanta, after LLNL's FWQ (ASC Sequoia benchmarks).
 *
 *   fwq [-c CPUS] [-q US | -k UNITS] [-n SAMPLES] [-w WARMUP] [-T SECONDS] [-o FILE]
 *
 * One thread pinned to each CPU of CPUS (default: every CPU we may run on)
 * runs the same fixed amount of work (a "quantum") over and over and times
 * each one with CLOCK_MONOTONIC (vDSO: ~20 ns a read).  On a quiet core every
 * quantum takes the same time; whatever the kernel or another task takes from
 * the core shows up as quanta that took longer.  Per CPU it prints mean, std,
 * min, quartiles, p99 and max in microseconds and the noise fraction
 * sum(t - t_min) / sum(t): the share of the time that was not our work.
 *
 *   -c CPUS     CPUs to probe, e.g. 1 or 0,1 or 2-15 (default: our affinity)
 *   -q US       quantum in microseconds (default 100): the work is calibrated
 *               at start on the first CPU (fastest of 25 trials of >= 1 ms)
 *   -k UNITS    fixed work per quantum in units (skips calibration: use the
 *               count an earlier run printed to compare runs like for like)
 *   -n SAMPLES  measured quanta per CPU (default 50000)
 *   -w WARMUP   quanta per CPU before measuring (default 2000)
 *   -T SECONDS  stop measuring after this long even with fewer samples (a
 *               starved probe still reports what it saw; the samples column
 *               then says how many); the warm-up stops after T/10
 *   -o FILE     raw samples, one "CPU NS" line per quantum
 *
 * Why 100 us: the events we look for are the timer tick (1-4 ms apart), a
 * scheduler time slice given to another task (0.75-3 ms), an interrupt or
 * softirq (1-50 us).  A quantum much shorter than the gaps between them sees
 * each event alone, as one long sample, instead of averaging it into every
 * sample; one much longer than a clock read (20-30 ns here) keeps the
 * measurement's own cost and jitter under 0.1%.  At 100 us a 5 us interrupt
 * is a 5% outlier, 10,000 samples span a second (hundreds of ticks), and
 * 50,000 per CPU run 5 s.
 *
 * The output's last table row is the one to read: "all" pools every CPU's
 * samples when there are several.  Exit status 0, 1 on a failure, 2 on usage.
 */
#include "noise.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct probe
{
  int cpu;
  uint64_t units, warmup, n, limit_ns;
  uint64_t *samples;
  pthread_barrier_t *start;
  int err;
};

static void *
probe_main (void *arg)
{
  struct probe *p = arg;
  uint64_t x = (uint64_t)p->cpu + 1;
  if (noise_pin (p->cpu) < 0)
    p->err = errno;
  pthread_barrier_wait (p->start);
  if (p->err)
    return NULL;
  /* With -T the warm-up gets a tenth of the time at most. */
  uint64_t w0 = noise_now_ns ();
  for (uint64_t i = 0; i < p->warmup; i++)
    {
      x = noise_work (p->units, x);
      if (p->limit_ns && noise_now_ns () - w0 > p->limit_ns / 10)
        break;
    }
  /* Contiguous timestamps: the end of one quantum is the start of the next,
   * so no time between samples goes unseen. */
  uint64_t t0 = noise_now_ns (), t = t0;
  for (uint64_t i = 0; i < p->n; i++)
    {
      x = noise_work (p->units, x);
      uint64_t t1 = noise_now_ns ();
      p->samples[i] = t1 - t;
      t = t1;
      if (p->limit_ns && t1 - t0 > p->limit_ns)
        {
          p->n = i + 1;
          break;
        }
    }
  noise_sink = x;
  return NULL;
}

static void
usage (FILE *f)
{
  fprintf (f, "usage: fwq [-c CPUS] [-q US | -k UNITS] [-n SAMPLES] [-w WARMUP] [-T SECONDS] "
              "[-o FILE]\n");
}

static void
print_row (const char *name, const struct noise_stats *s)
{
  printf ("%-5s %8zu %9.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %9.2f %7.3f\n", name, s->n,
          s->mean / 1e3, s->std / 1e3, s->min / 1e3, s->p25 / 1e3, s->p50 / 1e3, s->p75 / 1e3,
          s->p99 / 1e3, s->max / 1e3, s->noise * 100);
}

int
main (int argc, char **argv)
{
  double quantum_us = 100;
  uint64_t units = 0, n = 50000, warmup = 2000;
  double limit_s = 0;
  const char *cpus_arg = NULL, *out = NULL;
  int o;
  while ((o = getopt (argc, argv, "c:q:k:n:w:T:o:h")) != -1)
    switch (o)
      {
      case 'c':
        cpus_arg = optarg;
        break;
      case 'q':
        quantum_us = noise_arg_double ("fwq", 'q', optarg, 0.1);
        break;
      case 'k':
        units = noise_arg_u64 ("fwq", 'k', optarg, 1);
        break;
      case 'n':
        n = noise_arg_u64 ("fwq", 'n', optarg, 1);
        break;
      case 'w':
        warmup = noise_arg_u64 ("fwq", 'w', optarg, 0);
        break;
      case 'T':
        limit_s = noise_arg_double ("fwq", 'T', optarg, 0);
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
  int ncpu, *cpu = noise_cpus ("fwq", cpus_arg, &set, &ncpu);
  struct probe *p = calloc ((size_t)ncpu, sizeof *p);
  pthread_t *tid = calloc ((size_t)ncpu, sizeof *tid);
  if (!p || !tid)
    {
      perror ("fwq");
      return 1;
    }

  /* Calibrate on the first CPU, the same work for all: fixed work. */
  if (noise_pin (cpu[0]) < 0)
    {
      fprintf (stderr, "fwq: cannot run on CPU %d: %s\n", cpu[0], strerror (errno));
      return 1;
    }
  double clock_ns = noise_clock_cost_ns ();
  const char *how = "given with -k";
  if (!units)
    {
      units = noise_calibrate (quantum_us * 1e3);
      how = "calibrated";
    }

  pthread_barrier_t start;
  pthread_barrier_init (&start, NULL, (unsigned)ncpu);
  for (int i = 0; i < ncpu; i++)
    {
      p[i] = (struct probe){ .cpu = cpu[i],
                             .units = units,
                             .warmup = warmup,
                             .n = n,
                             .limit_ns = (uint64_t)(limit_s * 1e9),
                             .start = &start };
      p[i].samples = malloc (n * sizeof (uint64_t));
      if (!p[i].samples)
        {
          perror ("fwq");
          return 1;
        }
      memset (p[i].samples, 0, n * sizeof (uint64_t)); /* fault the pages in now */
      int r = pthread_create (&tid[i], NULL, probe_main, &p[i]);
      if (r)
        {
          fprintf (stderr, "fwq: pthread_create: %s\n", strerror (r));
          return 1;
        }
    }
  int failed = 0;
  for (int i = 0; i < ncpu; i++)
    {
      pthread_join (tid[i], NULL);
      if (p[i].err)
        {
          fprintf (stderr, "fwq: cannot run on CPU %d: %s\n", p[i].cpu, strerror (p[i].err));
          failed = 1;
        }
    }
  if (failed)
    return 1;

  char list[256];
  noise_format_cpus (&set, list, sizeof list);
  printf ("fwq: %d thread(s) on CPU(s) %s; quantum %" PRIu64 " work units (%s), "
          "%" PRIu64 " warm-up + %" PRIu64 " samples per CPU; clock read %.0f ns\n",
          ncpu, list, units, how, warmup, n, clock_ns);
  printf ("fwq: work units %" PRIu64 "\n", units);
  printf ("%-5s %8s %9s %8s %8s %8s %8s %8s %8s %9s %7s\n", "cpu", "samples", "mean_us", "std_us",
          "min_us", "p25_us", "p50_us", "p75_us", "p99_us", "max_us", "noise%");
  uint64_t *all = ncpu > 1 ? malloc ((size_t)ncpu * n * sizeof (uint64_t)) : NULL;
  size_t nall = 0;
  for (int i = 0; i < ncpu; i++)
    {
      struct noise_stats s;
      char name[16];
      noise_stats (p[i].samples, p[i].n, &s);
      snprintf (name, sizeof name, "%d", p[i].cpu);
      print_row (name, &s);
      if (all)
        memcpy (all + nall, p[i].samples, p[i].n * sizeof (uint64_t));
      nall += p[i].n;
    }
  if (all)
    {
      struct noise_stats s;
      noise_stats (all, nall, &s);
      print_row ("all", &s);
    }
  if (nall < (size_t)ncpu * n)
    printf ("fwq: stopped by -T %g s with %zu of %" PRIu64 " samples\n", limit_s, nall,
            (uint64_t)ncpu * n);

  if (out)
    {
      FILE *f = fopen (out, "w");
      if (!f)
        {
          fprintf (stderr, "fwq: %s: %s\n", out, strerror (errno));
          return 1;
        }
      for (int i = 0; i < ncpu; i++)
        for (uint64_t j = 0; j < p[i].n; j++)
          fprintf (f, "%d %" PRIu64 "\n", p[i].cpu, p[i].samples[j]);
      if (fclose (f))
        {
          fprintf (stderr, "fwq: %s: %s\n", out, strerror (errno));
          return 1;
        }
    }
  return 0;
}
