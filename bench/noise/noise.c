/* bench/noise: helpers shared by fwq, bsp and neighbour (see noise.h). */
#include "noise.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

volatile uint64_t noise_sink;

int
noise_parse_cpus (const char *s, cpu_set_t *set)
{
  CPU_ZERO (set);
  if (*s == '\0')
    return -1;
  while (*s)
    {
      char *end;
      errno = 0;
      long a = strtol (s, &end, 10), b;
      if (end == s || errno || a < 0 || a >= CPU_SETSIZE)
        return -1;
      b = a;
      s = end;
      if (*s == '-')
        {
          s++;
          b = strtol (s, &end, 10);
          if (end == s || errno || b < a || b >= CPU_SETSIZE)
            return -1;
          s = end;
        }
      for (long c = a; c <= b; c++)
        CPU_SET (c, set);
      if (*s == ',')
        s++;
      else if (*s)
        return -1;
    }
  return 0;
}

int
noise_cpu_list (const cpu_set_t *set, int *out, int max)
{
  int n = 0;
  for (int c = 0; c < CPU_SETSIZE && n < max; c++)
    if (CPU_ISSET (c, set))
      out[n++] = c;
  return n;
}

void
noise_format_cpus (const cpu_set_t *set, char *buf, size_t len)
{
  size_t off = 0;
  buf[0] = '\0';
  for (int c = 0; c < CPU_SETSIZE; c++)
    {
      if (!CPU_ISSET (c, set))
        continue;
      int e = c;
      while (e + 1 < CPU_SETSIZE && CPU_ISSET (e + 1, set))
        e++;
      int w = e > c ? snprintf (buf + off, len - off, "%s%d-%d", off ? "," : "", c, e)
                    : snprintf (buf + off, len - off, "%s%d", off ? "," : "", c);
      if (w < 0 || (size_t)w >= len - off)
        return;
      off += (size_t)w;
      c = e;
    }
}

int *
noise_cpus (const char *prog, const char *arg, cpu_set_t *set, int *ncpu)
{
  if (arg && noise_parse_cpus (arg, set) < 0)
    {
      fprintf (stderr, "%s: -c %s: want a CPU list like 1 or 0,2-5\n", prog, arg);
      exit (2);
    }
  if (!arg && sched_getaffinity (0, sizeof *set, set) < 0)
    {
      fprintf (stderr, "%s: sched_getaffinity: %s\n", prog, strerror (errno));
      exit (1);
    }
  *ncpu = CPU_COUNT (set);
  int *cpu = calloc ((size_t)*ncpu, sizeof *cpu);
  if (!cpu)
    {
      fprintf (stderr, "%s: %s\n", prog, strerror (errno));
      exit (1);
    }
  noise_cpu_list (set, cpu, *ncpu);
  return cpu;
}

int
noise_pin (int cpu)
{
  cpu_set_t set;
  CPU_ZERO (&set);
  CPU_SET (cpu, &set);
  int r = pthread_setaffinity_np (pthread_self (), sizeof set, &set);
  if (r)
    {
      errno = r;
      return -1;
    }
  return 0;
}

uint64_t
noise_calibrate (double quantum_ns)
{
  /* Grow a trial until it takes >= 1 ms (clock cost and timer granularity
   * then < 0.01%), then keep the fastest of 25 trials of that size. */
  uint64_t units = 1024, t;
  for (;;)
    {
      uint64_t t0 = noise_now_ns ();
      noise_sink = noise_work (units, t0);
      t = noise_now_ns () - t0;
      if (t >= 1000000 || units > (1ULL << 40))
        break;
      units *= 2;
    }
  uint64_t best = t;
  for (int i = 0; i < 25; i++)
    {
      uint64_t t0 = noise_now_ns ();
      noise_sink = noise_work (units, t0);
      t = noise_now_ns () - t0;
      if (t < best)
        best = t;
    }
  double per_ns = (double)units / (double)(best ? best : 1);
  uint64_t k = (uint64_t)(quantum_ns * per_ns + 0.5);
  return k ? k : 1;
}

static int
cmp_u64 (const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

double
noise_clock_cost_ns (void)
{
  enum
  {
    N = 1001
  };
  uint64_t d[N];
  for (int i = 0; i < N; i++)
    {
      uint64_t t0 = noise_now_ns ();
      for (int j = 0; j < 99; j++)
        (void)noise_now_ns ();
      d[i] = noise_now_ns () - t0;
    }
  qsort (d, N, sizeof d[0], cmp_u64);
  return (double)d[N / 2] / 100.0;
}

/* Nearest-rank percentile of sorted S[0..N). */
static double
pct (const uint64_t *s, size_t n, double p)
{
  size_t k = (size_t)ceil (p / 100.0 * (double)n);
  if (k < 1)
    k = 1;
  if (k > n)
    k = n;
  return (double)s[k - 1];
}

int
noise_stats (const uint64_t *v, size_t n, struct noise_stats *st)
{
  memset (st, 0, sizeof *st);
  if (n == 0)
    return -1;
  uint64_t *s = malloc (n * sizeof *s);
  if (!s)
    return -1;
  memcpy (s, v, n * sizeof *s);
  qsort (s, n, sizeof *s, cmp_u64);
  double sum = 0, sq = 0;
  for (size_t i = 0; i < n; i++)
    sum += (double)s[i];
  st->n = n;
  st->sum = sum;
  st->mean = sum / (double)n;
  for (size_t i = 0; i < n; i++)
    {
      double d = (double)s[i] - st->mean;
      sq += d * d;
    }
  st->std = n > 1 ? sqrt (sq / (double)(n - 1)) : 0;
  st->min = (double)s[0];
  st->max = (double)s[n - 1];
  st->p25 = pct (s, n, 25);
  st->p50 = pct (s, n, 50);
  st->p75 = pct (s, n, 75);
  st->p99 = pct (s, n, 99);
  st->noise = sum > 0 ? (sum - st->min * (double)n) / sum : 0;
  free (s);
  return 0;
}

double
noise_arg_double (const char *prog, char opt, const char *s, double min)
{
  char *end;
  errno = 0;
  double d = strtod (s, &end);
  if (end == s || *end || errno || !(d >= min))
    {
      fprintf (stderr, "%s: -%c %s: want a number >= %g\n", prog, opt, s, min);
      exit (2);
    }
  return d;
}

uint64_t
noise_arg_u64 (const char *prog, char opt, const char *s, uint64_t min)
{
  char *end;
  errno = 0;
  unsigned long long u = strtoull (s, &end, 10);
  if (end == s || *end || errno || *s == '-' || u < min)
    {
      fprintf (stderr, "%s: -%c %s: want an integer >= %llu\n", prog, opt, s,
               (unsigned long long)min);
      exit (2);
    }
  return u;
}
