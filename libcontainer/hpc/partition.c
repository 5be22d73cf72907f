/* hpc/partition.c: see partition.h.  */
#include "config.h"

#include "hpc/partition.h"
#include "hpc/cores.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* FILE of DIR as a cpu set; -1 when it cannot be read (absent).  */
static int
read_cpus (const char *dir, const char *file, cpu_set_t *set)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, file);
  return mk_cpulist_read (path, set);
}

/* Writes TEXT to FILE of DIR; errno tells why not.  */
static int
write_text (const char *dir, const char *file, const char *text)
{
  _cleanup_free_ char *path = xasprintf ("%s/%s", dir, file);
  /* An empty cpu list is written as a newline.  */
  return mk_write_string_at (AT_FDCWD, path, *text ? text : "\n", NULL);
}

/* Adds (or, REMOVE, takes out) CPUS to DIR's cpuset.cpus.exclusive.  */
static int
change_exclusive (const char *dir, const cpu_set_t *cpus, bool remove)
{
  cpu_set_t cur;
  _cleanup_free_ char *list = NULL;
  if (read_cpus (dir, "cpuset.cpus.exclusive", &cur) < 0)
    return -1;
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET (i, cpus))
      {
        if (remove)
          CPU_CLR (i, &cur);
        else
          CPU_SET (i, &cur);
      }
  list = mk_cpulist_format (&cur);
  return write_text (dir, "cpuset.cpus.exclusive", list);
}

void
mk_partition_undo (const char *dir, const char *added)
{
  _cleanup_free_ char *copy = added ? xstrdup (added) : NULL;
  if (dir && access (dir, F_OK) == 0)
    write_text (dir, "cpuset.cpus.partition", "member");
  /* "DIR=LIST;..." is top down: the last entry first.  */
  while (copy && *copy)
    {
      char *semi = strrchr (copy, ';');
      char *entry = semi ? semi + 1 : copy;
      char *eq = strrchr (entry, '=');
      cpu_set_t cpus;
      if (eq)
        {
          *eq = '\0';
          if (mk_cpulist_parse (eq + 1, &cpus) == 0)
            change_exclusive (entry, &cpus, true);
        }
      if (semi == NULL)
        break;
      *semi = '\0';
    }
}

/* Appends "DIR=LIST" to *ADDED.  */
static void
note_added (char **added, const char *dir, const cpu_set_t *cpus)
{
  _cleanup_free_ char *list = mk_cpulist_format (cpus);
  char *n = xasprintf ("%s%s%s=%s", *added ? *added : "", *added ? ";" : "", dir, list);
  free (*added);
  *added = n;
}

/* The ancestors' exclusive cpus (Linux 6.7+): every directory from the
   mount's child down to DIR's parent gets CORES.  On failure *WHY says
   where.  */
static int
add_exclusive (const char *mount, const char *dir, const cpu_set_t *cores, char **added,
               char **why)
{
  size_t ml = strlen (mount);
  _cleanup_free_ char *path = xstrdup (dir);
  for (char *p = path + ml + 1; (p = strchr (p, '/')) != NULL; p++)
    {
      cpu_set_t cur, missing;
      *p = '\0';
      if (read_cpus (path, "cpuset.cpus.exclusive", &cur) < 0)
        {
          *p = '/';
          return 0; /* before 6.7: local partitions only */
        }
      CPU_ZERO (&missing);
      for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET (i, cores) && !CPU_ISSET (i, &cur))
          CPU_SET (i, &missing);
      if (CPU_COUNT (&missing))
        {
          if (change_exclusive (path, &missing, false) < 0)
            {
              *why = xasprintf ("%s/cpuset.cpus.exclusive: %s", path, strerror (errno));
              return -1;
            }
          note_added (added, path, &missing);
        }
      *p = '/';
    }
  return 0;
}

char *
mk_partition_make (const char *mount, const char *dir, const cpu_set_t *cores, char **added,
                   char **why)
{
  static const char *const types[] = { "isolated", "root" };
  _cleanup_free_ char *file = xasprintf ("%s/cpuset.cpus.partition", dir);
  *added = NULL;
  *why = NULL;
  if (access (file, F_OK) < 0)
    {
      *why = xstrdup ("no cgroup v2 cpuset here (v1 has no partitions)");
      return NULL;
    }
  if (strncmp (dir, mount, strlen (mount)) != 0 || dir[strlen (mount)] != '/')
    {
      *why = xasprintf ("%s is not below %s", dir, mount);
      return NULL;
    }
  if (add_exclusive (mount, dir, cores, added, why) < 0)
    goto undo;
  for (size_t i = 0; i < sizeof (types) / sizeof (*types); i++)
    {
      _cleanup_free_ char *state = NULL;
      size_t len;
      if (write_text (dir, "cpuset.cpus.partition", types[i]) < 0)
        {
          /* EINVAL: a kernel without this type; anything else: refused.  */
          if (errno == EINVAL && i + 1 < sizeof (types) / sizeof (*types))
            continue;
          *why = xasprintf ("cpuset.cpus.partition: %s", strerror (errno));
          goto undo;
        }
      if (mk_read_file_at (AT_FDCWD, file, &state, &len, NULL) < 0)
        state = xstrdup ("unreadable");
      state[strcspn (state, "\n")] = '\0';
      if (strcmp (state, types[i]) == 0)
        return xstrdup (types[i]);
      *why = xstrdup (state); /* "isolated invalid (Parent is not a partition root)" */
      goto undo;
    }
undo:
  mk_partition_undo (dir, *added);
  free (*added);
  *added = NULL;
  return NULL;
}
