/* hpc/irq.c: see irq.h.  */
#include "config.h"

#include "hpc/cores.h"
#include "hpc/irq.h"
#include "kernfs.h"
#include "utils.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* default_smp_affinity is a hex mask in 32-bit groups ("ff,ffffffff").  */
static int
mask_parse (const char *s, cpu_set_t *set)
{
  size_t n = strcspn (s, "\n");
  int bit = 0;
  CPU_ZERO (set);
  for (size_t i = n; i-- > 0;)
    {
      int v;
      if (s[i] == ',')
        continue;
      if (!isxdigit ((unsigned char)s[i]))
        return -1;
      v = isdigit ((unsigned char)s[i]) ? s[i] - '0' : tolower ((unsigned char)s[i]) - 'a' + 10;
      for (int b = 0; b < 4; b++, bit++)
        if ((v >> b) & 1 && bit < CPU_SETSIZE)
          CPU_SET (bit, set);
    }
  return 0;
}

static char *
mask_format (const cpu_set_t *set)
{
  int top = 0;
  char *out = xstrdup ("");
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET (i, set))
      top = i;
  for (int word = top / 32; word >= 0; word--)
    {
      unsigned v = 0;
      char *n;
      for (int b = 0; b < 32; b++)
        if (CPU_ISSET (word * 32 + b, set))
          v |= 1u << b;
      n = xasprintf ("%s%s%0*x", out, *out ? "," : "", *out ? 8 : 1, v);
      free (out);
      out = n;
    }
  return out;
}

/* The affinity of IRQ (a number, or "default"), as a cpu set.  */
static int
get_affinity (const char *procfs, const char *irq, cpu_set_t *set)
{
  bool dflt = strcmp (irq, "default") == 0;
  _cleanup_free_ char *path = dflt ? xasprintf ("%s/irq/default_smp_affinity", procfs)
                                   : xasprintf ("%s/irq/%s/smp_affinity_list", procfs, irq);
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (mk_read_file_at (AT_FDCWD, path, &text, &len, NULL) < 0)
    return -1;
  return dflt ? mask_parse (text, set) : mk_cpulist_parse (text, set);
}

static int
set_affinity (const char *procfs, const char *irq, const cpu_set_t *set)
{
  bool dflt = strcmp (irq, "default") == 0;
  _cleanup_free_ char *path = dflt ? xasprintf ("%s/irq/default_smp_affinity", procfs)
                                   : xasprintf ("%s/irq/%s/smp_affinity_list", procfs, irq);
  _cleanup_free_ char *v = dflt ? mask_format (set) : mk_cpulist_format (set);
  return mk_kernfs_write_host (path, v, NULL);
}

/* Every IRQ name: "default" and the numbered directories.  */
static char **
irq_names (const char *procfs)
{
  _cleanup_free_ char *dir = xasprintf ("%s/irq", procfs);
  DIR *d = opendir (dir);
  struct dirent *de;
  size_t n = 1;
  char **v = xmalloc0 (2 * sizeof (char *));
  v[0] = xstrdup ("default");
  if (d == NULL)
    return v;
  while ((de = readdir (d)))
    {
      if (!isdigit ((unsigned char)de->d_name[0]))
        continue;
      v = xrealloc (v, (n + 2) * sizeof (char *));
      v[n++] = xstrdup (de->d_name);
      v[n] = NULL;
    }
  closedir (d);
  return v;
}

int
mk_irq_steer (const char *procfs, const cpu_set_t *off, char **saved, mk_error **err)
{
  _cleanup_strv_ char **names = irq_names (procfs);
  char *out = xstrdup ("");
  size_t moved = 0;
  for (char **irq = names; *irq; irq++)
    {
      cpu_set_t cur, want;
      _cleanup_free_ char *old = NULL;
      char *n;
      if (get_affinity (procfs, *irq, &cur) < 0)
        continue;
      CPU_AND (&want, &cur, off);
      if (CPU_COUNT (&want) == 0)
        continue;                   /* not on the cores */
      CPU_XOR (&want, &cur, &want); /* cur less off */
      if (CPU_COUNT (&want) == 0)
        continue; /* only on the cores: leave it (it is the cores' own) */
      if (set_affinity (procfs, *irq, &want) < 0)
        {
          if (strcmp (*irq, "default") == 0)
            {
              free (out);
              return mk_error_set (err, errno,
                                   "org.mkrun.hpc.irq: write %s/irq/default_smp_"
                                   "affinity (steering needs root on a node you own)",
                                   procfs);
            }
          continue; /* per-cpu or kernel-managed: not movable */
        }
      old = mk_cpulist_format (&cur);
      n = xasprintf ("%s%s%s=%s", out, *out ? ";" : "", *irq, old);
      free (out);
      out = n;
      moved++;
    }
  *saved = out;
  return 0;
}

void
mk_irq_restore (const char *procfs, const char *saved, const cpu_set_t *still_off)
{
  _cleanup_free_ char *copy = xstrdup (saved ? saved : "");
  char *st = NULL;
  for (char *tok = strtok_r (copy, ";", &st); tok; tok = strtok_r (NULL, ";", &st))
    {
      char *eq = strchr (tok, '=');
      cpu_set_t set, keep;
      if (eq == NULL)
        continue;
      *eq = 0;
      if (mk_cpulist_parse (eq + 1, &set) < 0)
        continue;
      /* Not back onto cores another steering container still holds.  */
      CPU_AND (&keep, &set, still_off);
      CPU_XOR (&keep, &set, &keep);
      if (CPU_COUNT (&keep) > 0)
        set_affinity (procfs, tok, &keep);
    }
}
