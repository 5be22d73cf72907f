/* hpc/cores.c: see cores.h.  */
#include "config.h"

#include "hpc/cores.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
mk_cpulist_format (const cpu_set_t *set)
{
  char *out = xstrdup ("");
  for (int i = 0; i < CPU_SETSIZE; i++)
    {
      int j = i;
      char *n;
      if (!CPU_ISSET (i, set))
        continue;
      while (j + 1 < CPU_SETSIZE && CPU_ISSET (j + 1, set))
        j++;
      n = j > i ? xasprintf ("%s%s%d-%d", out, *out ? "," : "", i, j)
                : xasprintf ("%s%s%d", out, *out ? "," : "", i);
      free (out);
      out = n;
      i = j;
    }
  return out;
}

int
mk_cpulist_read (const char *path, cpu_set_t *set)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  CPU_ZERO (set);
  if (mk_read_file_at (AT_FDCWD, path, &text, &len, NULL) < 0)
    return -1;
  if (mk_cpulist_parse (text, set) < 0)
    {
      CPU_ZERO (set);
      return -1;
    }
  return 0;
}

/* The node of CPU, -1 if sysfs does not say (no NUMA: one node).  */
static int
cpu_node (const char *sysfs, int cpu)
{
  for (int node = 0; node < 64; node++)
    {
      _cleanup_free_ char *path = xasprintf ("%s/devices/system/node/node%d/cpulist", sysfs, node);
      cpu_set_t set;
      if (access (path, F_OK) < 0)
        {
          if (node == 0)
            return -1;
          continue;
        }
      mk_cpulist_read (path, &set);
      if (CPU_ISSET (cpu, &set))
        return node;
    }
  return -1;
}

char *
mk_cpus_nodes (const char *sysfs, const cpu_set_t *set)
{
  cpu_set_t nodes;
  CPU_ZERO (&nodes);
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET (i, set))
      {
        int n = cpu_node (sysfs, i);
        CPU_SET (n < 0 ? 0 : n, &nodes);
      }
  return mk_cpulist_format (&nodes);
}

struct cand
{
  int cpu, node, group; /* group: lowest cpu of its sibling set */
  int group_size;       /* free cpus of its group */
  bool isolated;
};

static int
cmp_cand (const void *a, const void *b)
{
  const struct cand *x = a, *y = b;
  if (x->isolated != y->isolated)
    return x->isolated ? -1 : 1;
  if (x->group != y->group)
    return y->group - x->group; /* high numbers first, a group together */
  return x->cpu - y->cpu;
}

int
mk_cores_pick (const char *sysfs, unsigned n, const cpu_set_t *avail, const cpu_set_t *held,
               cpu_set_t *out, mk_error **err)
{
  _cleanup_free_ struct cand *c = xmalloc0 (CPU_SETSIZE * sizeof (*c));
  cpu_set_t isolated, nohz, freeset;
  size_t nc = 0;
  int best_node = -2;
  unsigned n_avail = (unsigned)CPU_COUNT (avail);

  CPU_ZERO (out);
  {
    _cleanup_free_ char *p1 = xasprintf ("%s/devices/system/cpu/isolated", sysfs);
    _cleanup_free_ char *p2 = xasprintf ("%s/devices/system/cpu/nohz_full", sysfs);
    mk_cpulist_read (p1, &isolated);
    mk_cpulist_read (p2, &nohz);
    CPU_OR (&isolated, &isolated, &nohz);
  }
  CPU_ZERO (&freeset);
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET (i, avail) && !CPU_ISSET (i, held))
      CPU_SET (i, &freeset);
  /* At least one cpu stays for everything else mkrun runs.  */
  if (n == 0 || (unsigned)CPU_COUNT (&freeset) < n + 1)
    return mk_error_set (err, 0, "org.mkrun.hpc.cores: %u cores asked for, %d free of the %u "
                         "this mkrun may use (one always stays for other containers)",
                         n, CPU_COUNT (&freeset) > 0 ? CPU_COUNT (&freeset) - 1 : 0, n_avail);
  for (int i = 0; i < CPU_SETSIZE; i++)
    {
      _cleanup_free_ char *sib = NULL;
      cpu_set_t s;
      if (!CPU_ISSET (i, &freeset))
        continue;
      sib = xasprintf ("%s/devices/system/cpu/cpu%d/topology/thread_siblings_list", sysfs, i);
      mk_cpulist_read (sib, &s);
      CPU_SET (i, &s);
      CPU_AND (&s, &s, &freeset);
      c[nc].cpu = i;
      c[nc].node = cpu_node (sysfs, i);
      c[nc].isolated = CPU_ISSET (i, &isolated);
      c[nc].group_size = CPU_COUNT (&s);
      for (int j = 0; j < CPU_SETSIZE; j++)
        if (CPU_ISSET (j, &s))
          {
            c[nc].group = j;
            break;
          }
      nc++;
    }
  /* The node that holds N free cpus with the most isolated ones.  */
  {
    int best_iso = -1;
    for (size_t i = 0; i < nc; i++)
      {
        unsigned total = 0;
        int iso = 0;
        for (size_t j = 0; j < nc; j++)
          if (c[j].node == c[i].node)
            {
              total++;
              iso += c[j].isolated;
            }
        if (total >= n && (iso > best_iso || (iso == best_iso && c[i].node > best_node)))
          {
            best_iso = iso;
            best_node = c[i].node;
          }
      }
  }
  qsort (c, nc, sizeof (*c), cmp_cand);
  /* Whole sibling groups first (of the chosen node if one holds them all),
     then what is left.  */
  for (int pass = 0; pass < 3 && (unsigned)CPU_COUNT (out) < n; pass++)
    for (size_t i = 0; i < nc && (unsigned)CPU_COUNT (out) < n; i++)
      {
        unsigned need = n - (unsigned)CPU_COUNT (out);
        if (CPU_ISSET (c[i].cpu, out))
          continue;
        if (pass < 2 && best_node != -2 && c[i].node != best_node)
          continue;
        if (pass == 0)
          {
            if ((unsigned)c[i].group_size > need)
              continue;
            for (size_t j = 0; j < nc; j++)
              if (c[j].group == c[i].group)
                CPU_SET (c[j].cpu, out);
            continue;
          }
        CPU_SET (c[i].cpu, out);
      }
  return 0;
}
