/* bench/noise: what fwq, bsp and neighbour share (noise.c).
 *
 * The probes are built -static so that they run in any rootfs (a busybox one
 * in bench/noise/run).  No dependency beyond libc and pthreads.
 */
#ifndef MKRUN_BENCH_NOISE_H
#define MKRUN_BENCH_NOISE_H

#define _GNU_SOURCE
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The fixed work: a chain of dependent multiply-adds (an LCG step) kept in a
 * register.  Each step depends on the one before, so the compiler can neither
 * vectorise nor shorten the loop (the empty asm makes x opaque), and the time
 * per step is the multiplier's latency: no memory, no branches that could
 * mispredict, nothing the neighbour can change but the CPU time we get. */
static inline uint64_t
noise_work (uint64_t units, uint64_t x)
{
  for (uint64_t i = 0; i < units; i++)
    {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      __asm__ volatile("" : "+r"(x));
    }
  return x;
}

static inline uint64_t
noise_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* What a spinning waiter does between two looks at shared memory. */
static inline void
noise_cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#elif defined(__aarch64__)
  __asm__ volatile("yield" ::: "memory");
#else
  __asm__ volatile("" ::: "memory");
#endif
}

/* Sink for results of noise_work, so that it is never optimised away. */
extern volatile uint64_t noise_sink;

/* Parse "0,2-5,7" into SET; fails (-1) on syntax or a CPU >= CPU_SETSIZE. */
int noise_parse_cpus (const char *s, cpu_set_t *set);
/* The CPUs of SET in order into OUT (at most MAX); returns how many. */
int noise_cpu_list (const cpu_set_t *set, int *out, int max);
/* "0-1,3" for SET into BUF. */
void noise_format_cpus (const cpu_set_t *set, char *buf, size_t len);
/* The CPUs of option -c ARG, or every CPU we may run on if ARG is NULL, into
 * SET and, in order, a new array (*NCPU long).  Exits with a message on a
 * bad list (2) or a failure (1): for main () only. */
int *noise_cpus (const char *prog, const char *arg, cpu_set_t *set, int *ncpu);
/* Pin the calling thread to CPU; -1 with errno on failure. */
int noise_pin (int cpu);

/* Work units that take about QUANTUM_NS on the calling thread: the fastest
 * of many timed trials (noise only ever makes a trial slower). */
uint64_t noise_calibrate (double quantum_ns);
/* Cost of one clock read in ns (median of a burst). */
double noise_clock_cost_ns (void);

struct noise_stats
{
  size_t n;
  double mean, std, min, p25, p50, p75, p99, max;
  double noise; /* sum(t - min) / sum(t) */
  double sum;
};
/* Statistics of V[0..N) (ns); sorts a copy. */
int noise_stats (const uint64_t *v, size_t n, struct noise_stats *st);

/* Strict number parsers for options: exit with a message on bad input. */
double noise_arg_double (const char *prog, char opt, const char *s, double min);
uint64_t noise_arg_u64 (const char *prog, char opt, const char *s, uint64_t min);

#endif
