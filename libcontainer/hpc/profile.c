/* hpc/profile.c: the HPC profile (see profile.h): annotations, the
 * registry of what HPC containers hold, and amending their spec.  */
#include "config.h"

#include "hpc/profile.h"
#include "extension.h"
#include "hpc/gpu.h"
#include "cgroups/resources.h"
#include "cgroups/cgroup.h"
#include "state.h"
#include "hpc/cores.h"
#include "hpc/irq.h"
#include "hpc/partition.h"
#include "hpc/pages.h"
#include "spec.h"
#include "utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#ifndef PR_THP_DISABLE_EXCEPT_ADVISED
#define PR_THP_DISABLE_EXCEPT_ADVISED (1 << 1)
#endif

static const char *const annotations[] = {
  MK_HPC_PREFIX "cores", MK_HPC_PREFIX "hugepages", MK_HPC_PREFIX "thp",
  MK_HPC_PREFIX "numa",  MK_HPC_PREFIX "rt",        MK_HPC_PREFIX "gpus",
  MK_HPC_PREFIX "irq",   NULL,
};

/* ---- parsing ------------------------------------------------------------------- */

void
mk_hpc_free (struct mk_hpc *h)
{
  if (h == NULL)
    return;
  free (h->numa_nodes);
  free (h->gpus);
  free (h);
}

static int
parse_cores (struct mk_hpc *h, const char *v, mk_error **err)
{
  long long n;
  if (mk_parse_int64 (v, &n) == 0)
    {
      if (n < 1 || n > CPU_SETSIZE)
        return mk_error_set (err, 0, "annotations: " MK_HPC_PREFIX "cores: `%s` is not a "
                             "number of cores (1 or more)", v);
      h->n_cores = (unsigned)n;
      return 0;
    }
  if (mk_cpulist_parse (v, &h->core_set) < 0 || CPU_COUNT (&h->core_set) == 0)
    return mk_error_set (err, 0, "annotations: " MK_HPC_PREFIX "cores: `%s` is neither a "
                         "number of cores nor a cpu list like \"2-3,6\"", v);
  h->core_list = true;
  return 0;
}

static int
parse_pages (struct mk_hpc *h, const char *value, mk_error **err)
{
  _cleanup_free_ char *copy = xstrdup (value);
  char *save = NULL;
  for (char *tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      char *colon = strchr (tok, ':');
      long long count;
      uint64_t size;
      if (colon == NULL)
        goto bad;
      *colon = 0;
      if (strcasecmp (tok, "2M") == 0 || strcasecmp (tok, "2MB") == 0)
        size = 2ULL << 20;
      else if (strcasecmp (tok, "1G") == 0 || strcasecmp (tok, "1GB") == 0)
        size = 1ULL << 30;
      else
        goto bad;
      if (mk_parse_int64 (colon + 1, &count) < 0 || count < 1)
        goto bad;
      for (size_t i = 0; i < h->n_pages; i++)
        if (h->pages[i].size == size)
          goto bad;
      h->pages[h->n_pages].size = size;
      h->pages[h->n_pages++].count = (uint64_t)count;
    }
  if (h->n_pages)
    return 0;
bad:
  return mk_error_set (err, 0, "annotations: " MK_HPC_PREFIX "hugepages: `%s` is not "
                       "2M:COUNT[,1G:COUNT]", value);
}

static int
parse_rt (struct mk_hpc *h, const char *value, mk_error **err)
{
  const char *prio = value;
  long long p;
  h->rt_policy = SCHED_FIFO;
  if (strncmp (value, "fifo:", 5) == 0)
    prio = value + 5;
  else if (strncmp (value, "rr:", 3) == 0)
    {
      h->rt_policy = SCHED_RR;
      prio = value + 3;
    }
  if (mk_parse_int64 (prio, &p) < 0 || p < 1 || p > 99)
    return mk_error_set (err, 0, "annotations: " MK_HPC_PREFIX "rt: `%s` is not fifo:PRIO, "
                         "rr:PRIO or PRIO (1 to 99)", value);
  h->rt_priority = (int)p;
  return 0;
}

int
mk_hpc_parse (const struct mk_spec *spec, struct mk_hpc **out, mk_error **err)
{
  struct mk_hpc *h = NULL;
  unsigned seen = 0; /* bit K: annotations[K] was given */
  const char *cri = mk_spec_annotation (spec, "io.kubernetes.cri.container-type");
  const char *crio = mk_spec_annotation (spec, "io.kubernetes.cri-o.ContainerType");
  *out = NULL;
  /* A Kubernetes pod's annotations reach its sandbox (pause) container as
     well as its containers: the profile is the containers'.  */
  if ((cri && strcmp (cri, "sandbox") == 0) || (crio && strcmp (crio, "sandbox") == 0))
    return 0;
  for (size_t i = 0; i < spec->n_annotations; i++)
    {
      const char *key = spec->annotations[i].key, *v = spec->annotations[i].value;
      const char *name = key + strlen (MK_HPC_PREFIX);
      size_t k = 0;
      int r = 0;
      if (strncmp (key, MK_HPC_PREFIX, strlen (MK_HPC_PREFIX)) != 0)
        continue;
      if (h == NULL)
        h = xmalloc0 (sizeof (*h));
      while (annotations[k] && strcmp (key, annotations[k]) != 0)
        k++;
      /* A JSON object may repeat a key (and YAML a mapping's): which one
         counts would be a guess.  */
      if (annotations[k] && (seen & (1u << k)))
        r = mk_error_set (err, 0, "annotations: %s: given twice", key);
      else if (strcmp (name, "cores") == 0)
        r = parse_cores (h, v, err);
      else if (strcmp (name, "hugepages") == 0)
        r = parse_pages (h, v, err);
      else if (strcmp (name, "thp") == 0)
        {
          if (strcmp (v, "always") == 0)
            h->thp = MK_HPC_THP_ALWAYS;
          else if (strcmp (v, "madvise") == 0)
            h->thp = MK_HPC_THP_MADVISE;
          else if (strcmp (v, "never") == 0)
            h->thp = MK_HPC_THP_NEVER;
          else
            r = mk_error_set (err, 0, "annotations: %s: `%s` is not always, madvise or never",
                              key, v);
        }
      else if (strcmp (name, "numa") == 0)
        {
          cpu_set_t nodes;
          if (strcmp (v, "local") == 0)
            h->numa_local = true;
          else if (mk_cpulist_parse (v, &nodes) == 0 && CPU_COUNT (&nodes) > 0)
            h->numa_nodes = mk_cpulist_format (&nodes);
          else
            r = mk_error_set (err, 0, "annotations: %s: `%s` is not `local` or a node list "
                              "like \"0-1\"", key, v);
        }
      else if (strcmp (name, "rt") == 0)
        r = parse_rt (h, v, err);
      else if (strcmp (name, "gpus") == 0)
        h->gpus = xstrdup (v); /* checked against the host's GPUs (hpc/gpu.c) */
      else if (strcmp (name, "irq") == 0)
        {
          if (strcmp (v, "steer") == 0)
            h->irq_steer = true;
          else if (strcmp (v, "none") != 0)
            r = mk_error_set (err, 0, "annotations: %s: `%s` is not `steer` (or `none`)", key,
                              v);
        }
      else
        r = mk_error_set (err, 0, "annotations: %s: not an HPC profile key (known: cores, "
                          "hugepages, thp, numa, rt, gpus, irq)", key);
      if (annotations[k])
        seen |= 1u << k;
      if (r < 0)
        {
          mk_hpc_free (h);
          return -1;
        }
    }
  if (h && (h->n_pages || h->numa_local || h->irq_steer || h->rt_policy) && !h->n_cores
      && !h->core_list)
    {
      const char *what = h->n_pages      ? "hugepages"
                         : h->numa_local ? "numa=local"
                         : h->irq_steer  ? "irq"
                                         : "rt";
      mk_hpc_free (h);
      return mk_error_set (err, 0, "annotations: " MK_HPC_PREFIX "%s needs " MK_HPC_PREFIX
                           "cores (it works on the cores the container owns)", what);
    }
  *out = h;
  return 0;
}

/* ---- the registry -------------------------------------------------------------- */

static const char *
registry_dir (void)
{
  const char *d = getenv ("MKRUN_HPC_STATE");
  return d && *d ? d : "/run/mkrun-hpc";
}

static const char *
procfs (void)
{
  const char *d = getenv ("MKRUN_HPC_PROCFS"); /* tests only */
  return d && *d ? d : "/proc";
}

static const char *
sysfs (void)
{
  const char *d = getenv ("MKRUN_HPC_SYSFS"); /* tests only */
  return d && *d ? d : "/sys";
}

/* What one container holds.  */
struct holding
{
  char *root, *id;
  cpu_set_t cores;
  bool hpc; /* holds cores, else: only kept off them (narrowed) */
  struct
  {
    uint64_t size;
    int node;
    uint64_t count;
    /* Pending: the pool's size when the record was written, before a
       change of it that the record does not count yet (a reserve, a give
       back), as "pool".  Only the holder of the registry lock changes a
       pool, so the next holder that finds one pending (its writer was
       killed) knows what it holds: count + (pool now - pool then).  */
    bool pending;
    uint64_t pool;
  } pages[2 * MK_HPC_MAX_NODES];
  size_t n_pages;
  char *irq; /* irq=steer: the affinities it changed, "IRQ=LIST;..." (irq.h) */
  /* cgroup v2: the container's cpuset dir, the partition made of it
     ("isolated", "root") or why none, the ancestors' exclusive cpus
     added for it (partition.h).  */
  char *cgroup, *partition, *partition_note, *exclusive;
  char *gpus; /* org.mkrun.hpc.gpus: the GPUs given (UUIDs or indices) */
};

static char *
record_name (const char *root, const char *id)
{
  unsigned long h = 5381;
  for (const char *p = root; *p; p++)
    h = h * 33 + (unsigned char)*p;
  return xasprintf ("%s/%s@%08lx.json", registry_dir (), id, h & 0xffffffffUL);
}

static int
registry_lock (mk_error **err)
{
  _cleanup_free_ char *lock = xasprintf ("%s/lock", registry_dir ());
  int fd;
  if (mk_mkdir_p (registry_dir (), 0700, err) < 0)
    return -1;
  fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return mk_error_set (err, errno, "open `%s`", lock);
  if (flock (fd, LOCK_EX) < 0)
    {
      close (fd);
      return mk_error_set (err, errno, "lock `%s`", lock);
    }
  return fd;
}

/* The cores of the holders (but ROOT/ID) that steer interrupts away.  */
static void
steered_cpus (const struct holding *v, size_t n, const char *root, const char *id, cpu_set_t *set)
{
  CPU_ZERO (set);
  for (size_t i = 0; i < n; i++)
    if (v[i].irq && !(strcmp (v[i].root, root) == 0 && strcmp (v[i].id, id) == 0))
      CPU_OR (set, set, &v[i].cores);
}

static void
holding_free (struct holding *h)
{
  free (h->root);
  free (h->id);
  free (h->irq);
  free (h->cgroup);
  free (h->partition);
  free (h->partition_note);
  free (h->exclusive);
  free (h->gpus);
}

static void
gen_holding (yajl_gen g, const struct holding *h)
{
  _cleanup_free_ char *cores = mk_cpulist_format (&h->cores);
#define S(s) yajl_gen_string (g, (const unsigned char *)(s), strlen (s))
  yajl_gen_map_open (g);
  S ("root");
  S (h->root);
  S ("id");
  S (h->id);
  S ("hpc");
  yajl_gen_bool (g, h->hpc);
  S ("cores");
  S (cores);
  S ("hugepages");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < h->n_pages; i++)
    {
      yajl_gen_map_open (g);
      S ("size");
      yajl_gen_integer (g, (long long)h->pages[i].size);
      S ("node");
      yajl_gen_integer (g, h->pages[i].node == MK_HPC_MAX_NODES - 1 ? -1 : h->pages[i].node);
      S ("count");
      yajl_gen_integer (g, (long long)h->pages[i].count);
      if (h->pages[i].pending)
        {
          S ("pool");
          yajl_gen_integer (g, (long long)h->pages[i].pool);
        }
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  {
    const char *opt[][2] = { { "irq", h->irq },
                             { "cgroup", h->cgroup },
                             { "partition", h->partition },
                             { "partition_note", h->partition_note },
                             { "exclusive", h->exclusive },
                             { "gpus", h->gpus } };
    for (size_t i = 0; i < sizeof (opt) / sizeof (*opt); i++)
      if (opt[i][1])
        {
          S (opt[i][0]);
          S (opt[i][1]);
        }
  }
  yajl_gen_map_close (g);
#undef S
}

static char *
holding_json (const struct holding *h)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  gen_holding (g, h);
  return mk_json_gen_finish (g, true);
}

static int
holding_read (const char *path, struct holding *h)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  yajl_val t, v;
  memset (h, 0, sizeof (*h));
  if (mk_read_file_at (AT_FDCWD, path, &text, &len, NULL) < 0
      || (t = yajl_tree_parse (text, NULL, 0)) == NULL)
    return -1;
  v = mk_json_get (t, "root");
  h->root = YAJL_IS_STRING (v) ? xstrdup (YAJL_GET_STRING (v)) : NULL;
  v = mk_json_get (t, "id");
  h->id = YAJL_IS_STRING (v) ? xstrdup (YAJL_GET_STRING (v)) : NULL;
  h->hpc = YAJL_IS_TRUE (mk_json_get (t, "hpc"));
  v = mk_json_get (t, "cores");
  if (!YAJL_IS_STRING (v) || mk_cpulist_parse (YAJL_GET_STRING (v), &h->cores) < 0)
    CPU_ZERO (&h->cores);
  {
    struct
    {
      const char *key;
      char **field;
    } opt[] = { { "irq", &h->irq },
                { "cgroup", &h->cgroup },
                { "partition", &h->partition },
                { "partition_note", &h->partition_note },
                { "exclusive", &h->exclusive },
                { "gpus", &h->gpus } };
    for (size_t i = 0; i < sizeof (opt) / sizeof (*opt); i++)
      {
        v = mk_json_get (t, opt[i].key);
        *opt[i].field = YAJL_IS_STRING (v) ? xstrdup (YAJL_GET_STRING (v)) : NULL;
      }
  }
  v = mk_json_get (t, "hugepages");
  for (size_t i = 0; v && YAJL_IS_ARRAY (v) && i < v->u.array.len && i < 2 * MK_HPC_MAX_NODES;
       i++)
    {
      yajl_val e = v->u.array.values[i];
      yajl_val sz = mk_json_get (e, "size"), nd = mk_json_get (e, "node"),
               ct = mk_json_get (e, "count");
      if (!YAJL_IS_INTEGER (sz) || !YAJL_IS_INTEGER (nd) || !YAJL_IS_INTEGER (ct))
        continue;
      h->pages[h->n_pages].size = (uint64_t)YAJL_GET_INTEGER (sz);
      h->pages[h->n_pages].node
          = YAJL_GET_INTEGER (nd) < 0 ? MK_HPC_MAX_NODES - 1 : (int)YAJL_GET_INTEGER (nd);
      h->pages[h->n_pages].count = (uint64_t)YAJL_GET_INTEGER (ct);
      {
        /* A change pending when its writer was killed: what it holds.  */
        yajl_val pl = mk_json_get (e, "pool");
        uint64_t now;
        if (YAJL_IS_INTEGER (pl)
            && mk_pages_pool (sysfs (), h->pages[h->n_pages].size, h->pages[h->n_pages].node, &now)
                   == 0)
          {
            long long held = (long long)h->pages[h->n_pages].count + (long long)now
                             - (long long)YAJL_GET_INTEGER (pl);
            h->pages[h->n_pages].count = held > 0 ? (uint64_t)held : 0;
          }
      }
      h->n_pages++;
    }
  yajl_tree_free (t);
  if (h->root == NULL || h->id == NULL)
    {
      holding_free (h);
      return -1;
    }
  return 0;
}

/* Is the container of a record still there?  Its state.json says so; so
   does a state dir without one whose flock is held: a create (which holds
   it from before mk_hpc_acquire until the state is written) or a delete
   going on.  A record whose container went without delete (a reboot
   clears /run; a crash) holds nothing.  */
static bool
holding_live (const struct holding *h)
{
  _cleanup_free_ char *dir = xasprintf ("%s/%s", h->root, h->id);
  _cleanup_free_ char *state = xasprintf ("%s/state.json", dir);
  _cleanup_close_ int fd = -1;
  if (access (state, F_OK) == 0)
    return true;
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd >= 0 && flock (fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

/* Every record, live ones only (stale ones are given back and removed).  */
static void
registry_read (struct holding **out, size_t *n)
{
  DIR *d = opendir (registry_dir ());
  struct dirent *de;
  *out = NULL;
  *n = 0;
  if (d == NULL)
    return;
  while ((de = readdir (d)))
    {
      _cleanup_free_ char *path = NULL;
      struct holding h;
      size_t l = strlen (de->d_name);
      if (l < 6 || strcmp (de->d_name + l - 5, ".json") != 0)
        continue;
      path = xasprintf ("%s/%s", registry_dir (), de->d_name);
      if (holding_read (path, &h) < 0)
        continue;
      if (!holding_live (&h))
        {
          cpu_set_t none;
          CPU_ZERO (&none);
          for (size_t i = 0; i < h.n_pages; i++)
            mk_pages_give_back (sysfs (), h.pages[i].size, h.pages[i].node, h.pages[i].count,
                                NULL);
          if (h.irq)
            mk_irq_restore (procfs (), h.irq, &none);
          if (h.partition)
            mk_partition_undo (h.cgroup, h.exclusive);
          unlink (path);
          holding_free (&h);
          continue;
        }
      *out = xrealloc (*out, (*n + 1) * sizeof (**out));
      (*out)[(*n)++] = h;
    }
  closedir (d);
}

static void
registry_free (struct holding *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    holding_free (&v[i]);
  free (v);
}

/* No record at all (or no registry): nobody holds anything.  */
static bool
registry_empty (void)
{
  DIR *d = opendir (registry_dir ());
  struct dirent *de;
  bool empty = true;
  if (d == NULL)
    return true;
  while (empty && (de = readdir (d)))
    {
      size_t l = strlen (de->d_name);
      empty = !(l > 5 && strcmp (de->d_name + l - 5, ".json") == 0);
    }
  closedir (d);
  return empty;
}

static int
record_write (const struct holding *h, mk_error **err)
{
  _cleanup_free_ char *path = record_name (h->root, h->id);
  _cleanup_free_ char *tmp = xasprintf ("%s.tmp", path);
  _cleanup_free_ char *json = holding_json (h);
  if (mk_create_file_at (AT_FDCWD, tmp, json, 0600, err) < 0)
    return -1;
  if (rename (tmp, path) < 0)
    return mk_error_set (err, errno, "rename `%s`", tmp);
  return 0;
}

/* Writes H's record with its pages pending (the pools as they are now:
   struct holding), before changing them.  With P: H holds none yet, and
   gets a pending entry, count 0, for every pool that reserving P's pages
   on CORES' nodes may raise.  */
static int
record_pending (const struct holding *h, const struct mk_hpc *p, const cpu_set_t *cores,
                mk_error **err)
{
  struct holding w = *h;
  if (p)
    {
      _cleanup_free_ char *nodes = mk_cpus_nodes (sysfs (), cores);
      w.n_pages = 0;
      for (size_t i = 0; i < p->n_pages; i++)
        {
          int list[MK_HPC_MAX_NODES];
          size_t n = mk_pages_nodes (sysfs (), p->pages[i].size,
                                     p->numa_nodes ? p->numa_nodes : nodes, list);
          for (size_t k = 0; k < n && w.n_pages < 2 * MK_HPC_MAX_NODES; k++)
            {
              w.pages[w.n_pages].size = p->pages[i].size;
              w.pages[w.n_pages].node = list[k];
              w.pages[w.n_pages++].count = 0;
            }
        }
    }
  for (size_t i = 0; i < w.n_pages; i++)
    w.pages[i].pending
        = mk_pages_pool (sysfs (), w.pages[i].size, w.pages[i].node, &w.pages[i].pool) == 0;
  return record_write (&w, err);
}

/* The cpus mkrun may use: its own affinity.  */
static void
avail_cpus (cpu_set_t *set)
{
  if (sched_getaffinity (0, sizeof (*set), set) < 0)
    CPU_ZERO (set);
}

static void
held_cpus (const struct holding *v, size_t n, const char *root, const char *id, cpu_set_t *held)
{
  CPU_ZERO (held);
  for (size_t i = 0; i < n; i++)
    if (v[i].hpc && !(strcmp (v[i].root, root) == 0 && strcmp (v[i].id, id) == 0))
      CPU_OR (held, held, &v[i].cores);
}

/* Sets the cpuset of every container of ROOT kept off the cores (narrowed
   records) to AVAIL less HELD; with EXTRA, also the containers of ROOT
   that have no record yet (made before the HPC container): they get a
   narrowed record.  SELF is skipped.  Through the cgroup, without the
   containers' state locks (one of them may be in a create waiting for
   the registry lock we hold).  Errors are ignored: a container may be
   going away meanwhile.  */
static void
renarrow (const char *root, const char *self, struct holding *v, size_t n, const cpu_set_t *held,
          bool extra)
{
  cpu_set_t avail, allowed;
  _cleanup_free_ char *list = NULL;
  _cleanup_strv_ char **ids = NULL;
  struct mk_resources r = { 0 };

  avail_cpus (&avail);
  CPU_ZERO (&allowed);
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET (i, &avail) && !CPU_ISSET (i, held))
      CPU_SET (i, &allowed);
  if (CPU_COUNT (&allowed) == 0 || mk_state_list (root, &ids, NULL) < 0)
    return;
  for (char **id = ids; *id; id++)
    {
      bool known = false, narrowed = false;
      _cleanup_free_ char *dir = xasprintf ("%s/%s", root, *id);
      _cleanup_close_ int dfd = -1;
      struct mk_state *st = NULL;
      struct mk_cgroup *cg = NULL;
      if (strcmp (*id, self) == 0)
        continue;
      for (size_t j = 0; j < n; j++)
        if (strcmp (v[j].root, root) == 0 && strcmp (v[j].id, *id) == 0)
          {
            known = true;
            narrowed = !v[j].hpc;
          }
      if ((known && !narrowed) || (!known && !extra))
        continue;
      dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0 || mk_state_read (dfd, *id, &st, NULL) < 0)
        continue;
      /* Within the container's own cpus, if its config names some.  */
      {
        cpu_set_t own = allowed;
        if (st->cpus && mk_cpulist_parse (st->cpus, &own) == 0)
          CPU_AND (&own, &own, &allowed);
        list = CPU_COUNT (&own) ? mk_cpulist_format (&own) : NULL;
      }
      r.cpu_cpus = list;
      if (list && st->cgroup_path && mk_cgroup_load (st->cgroup_path, &cg, NULL) == 0
          && mk_cgroup_update (cg, &r, NULL) == 0 && !known)
        {
          struct holding h = { .root = (char *)root, .id = *id };
          record_write (&h, NULL);
        }
      free (list);
      list = NULL;
      mk_cgroup_free (cg);
      mk_state_free (st);
    }
}

/* ---- acquire and release --------------------------------------------------------- */

static struct mk_resources *
resources_of (struct mk_spec *spec)
{
  if (spec->resources == NULL)
    spec->resources = xmalloc0 (sizeof (*spec->resources));
  return spec->resources;
}

static void
set_str (char **field, const char *v)
{
  free (*field);
  *field = xstrdup (v);
}

/* The spec's own cpus less HELD, or AVAIL less HELD.  */
static int
keep_off (struct mk_spec *spec, const cpu_set_t *held, mk_error **err)
{
  struct mk_resources *r = resources_of (spec);
  cpu_set_t want;
  _cleanup_free_ char *list = NULL;
  if (r->cpu_cpus && *r->cpu_cpus)
    {
      if (mk_cpulist_parse (r->cpu_cpus, &want) < 0)
        return 0; /* the cgroup code reports it */
    }
  else
    avail_cpus (&want);
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET (i, held))
      CPU_CLR (i, &want);
  if (CPU_COUNT (&want) == 0)
    return mk_error_set (err, 0, "linux.resources.cpu.cpus: every cpu of `%s` is held by "
                         "HPC containers (see `mkrun hpc status`)", r->cpu_cpus);
  list = mk_cpulist_format (&want);
  set_str (&r->cpu_cpus, list);
  return 0;
}

static int
take_cores (struct mk_hpc *p, const cpu_set_t *held, cpu_set_t *cores, mk_error **err)
{
  cpu_set_t avail;
  avail_cpus (&avail);
  if (!p->core_list)
    return mk_cores_pick (sysfs (), p->n_cores, &avail, held, cores, err);
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET (i, &p->core_set) && (!CPU_ISSET (i, &avail) || CPU_ISSET (i, held)))
      {
        _cleanup_free_ char *want = mk_cpulist_format (&p->core_set);
        return mk_error_set (err, 0, MK_HPC_PREFIX "cores: cpu %d of `%s` is %s", i, want,
                             CPU_ISSET (i, held) ? "held by another HPC container (see `mkrun "
                                                   "hpc status`)"
                                                 : "not one this mkrun may use");
      }
  {
    cpu_set_t rest;
    CPU_OR (&rest, held, &p->core_set);
    CPU_XOR (&rest, &rest, &avail);
    CPU_AND (&rest, &rest, &avail);
    if (CPU_COUNT (&rest) == 0)
      return mk_error_set (err, 0, MK_HPC_PREFIX "cores: taking every free cpu leaves none for "
                           "other containers");
  }
  *cores = p->core_set;
  return 0;
}

/* Does a v1 cpu hierarchy have real-time group scheduling (where a new
   cgroup gets no RT time unless given some)?  */
static bool
rt_group_sched (void)
{
  glob_t g;
  bool yes = glob ("/sys/fs/cgroup/cpu*/cpu.rt_runtime_us", 0, NULL, &g) == 0;
  if (yes)
    globfree (&g);
  return yes;
}

/* The spec's amendments for the cores and pages taken.  */
static int
amend (struct mk_spec *spec, struct mk_hpc *p, const cpu_set_t *cores, mk_error **err)
{
  struct mk_resources *r = resources_of (spec);
  _cleanup_free_ char *list = mk_cpulist_format (cores);
  set_str (&r->cpu_cpus, list);
  if (p->numa_local)
    {
      _cleanup_free_ char *nodes = mk_cpus_nodes (sysfs (), cores);
      set_str (&r->cpu_mems, nodes);
    }
  else if (p->numa_nodes)
    set_str (&r->cpu_mems, p->numa_nodes);
  for (size_t i = 0; i < p->n_pages; i++)
    {
      struct mk_hugepage_limit *l;
      const char *name = mk_pages_cgroup_name (p->pages[i].size);
      char opt[32];
      const char *opts[] = { "nosuid", "nodev", "mode=1777", opt, NULL };
      const char *dest = i == 0 ? "/dev/hugepages" : "/dev/hugepages-1G";
      snprintf (opt, sizeof (opt), "pagesize=%s", p->pages[i].size == (1ULL << 30) ? "1G" : "2M");
      r->hugepage_limits = xrealloc (r->hugepage_limits,
                                     (r->n_hugepage_limits + 1) * sizeof (*l));
      l = &r->hugepage_limits[r->n_hugepage_limits++];
      l->page_size = xstrdup (name);
      l->limit = p->pages[i].size * p->pages[i].count;
      if (mk_spec_add_mount (spec, dest, "hugetlbfs", "hugetlbfs", opts, err) < 0)
        return -1;
    }
  if (p->rt_policy && rt_group_sched ())
    {
      /* Real-time group scheduling (v1 cpu.rt_runtime_us): the
         container's share of the host's RT time, by its cores.  */
      long ncpu = sysconf (_SC_NPROCESSORS_ONLN);
      r->has_cpu_rt_runtime = true;
      r->cpu_rt_runtime = 950000LL * CPU_COUNT (cores) / (ncpu > 0 ? ncpu : 1);
    }
  if (p->rt_policy && spec->process)
    {
      struct mk_process *pr = spec->process;
      size_t i;
      for (i = 0; i < pr->n_rlimits && pr->rlimits[i].resource != RLIMIT_MEMLOCK; i++)
        ;
      if (i == pr->n_rlimits)
        {
          pr->rlimits = xrealloc (pr->rlimits, (pr->n_rlimits + 1) * sizeof (*pr->rlimits));
          pr->n_rlimits++;
        }
      /* Unlimited where we may raise it (CAP_SYS_RESOURCE: trying on
         ourselves tells), else as far as the hard limit goes.  */
      {
        struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
        if (setrlimit (RLIMIT_MEMLOCK, &rl) < 0 && getrlimit (RLIMIT_MEMLOCK, &rl) == 0)
          rl.rlim_cur = rl.rlim_max;
        pr->rlimits[i].resource = RLIMIT_MEMLOCK;
        pr->rlimits[i].soft = rl.rlim_cur;
        pr->rlimits[i].hard = rl.rlim_max;
      }
    }
  return 0;
}

int
mk_hpc_acquire (const char *root, const char *id, struct mk_spec *spec, bool *narrowed,
                mk_error **err)
{
  struct mk_hpc *p = mk_spec_ext (spec, &mk_ext_hpc);
  const char *gpus = mk_gpu_held (spec);
  struct holding *v = NULL, mine = { 0 };
  size_t n = 0;
  cpu_set_t held, cores;
  int lock, ret = -1;
  _cleanup_free_ char *abs_root = realpath (root, NULL);

  *narrowed = false;
  if (abs_root == NULL)
    abs_root = xstrdup (root);
  if (p && p->thp == MK_HPC_THP_ALWAYS)
    {
      /* A process can only narrow THP use: "always" needs the host's mode.  */
      _cleanup_free_ char *path = xasprintf ("%s/kernel/mm/transparent_hugepage/enabled", sysfs ());
      _cleanup_free_ char *mode = NULL;
      size_t len;
      if (mk_read_file_at (AT_FDCWD, path, &mode, &len, NULL) < 0 || !strstr (mode, "[always]"))
        return mk_error_set (err, 0, MK_HPC_PREFIX "thp: always: the host's THP mode is not "
                             "always (%s), and a process can only ask for less",
                             mode ? strtok (mode, "\n") : "no THP");
    }
  /* Nothing held and nothing asked: no lock (the common case).  */
  if ((p == NULL || (!p->n_cores && !p->core_list)) && gpus == NULL && registry_empty ())
    return 0;
  lock = registry_lock (err);
  if (lock < 0)
    return -1;
  registry_read (&v, &n);
  held_cpus (v, n, abs_root, id, &held);
  mine.gpus = (char *)gpus; /* shown by hpc status */
  if (p == NULL || (!p->n_cores && !p->core_list))
    {
      ret = 0;
      if (CPU_COUNT (&held) == 0 && mine.gpus == NULL)
        goto out;
      if (CPU_COUNT (&held) > 0 && keep_off (spec, &held, err) < 0)
        {
          ret = -1;
          goto out;
        }
      mine.root = abs_root;
      mine.id = (char *)id;
      ret = record_write (&mine, err);
      *narrowed = ret == 0 && CPU_COUNT (&held) > 0;
      goto out;
    }
  if (take_cores (p, &held, &cores, err) < 0)
    goto out;
  mine.root = abs_root;
  mine.id = (char *)id;
  mine.hpc = true;
  mine.cores = cores;
  if (p->n_pages && record_pending (&mine, p, &cores, err) < 0)
    goto out;
  for (size_t i = 0; i < p->n_pages; i++)
    {
      uint64_t per_node[MK_HPC_MAX_NODES];
      _cleanup_free_ char *nodes = mk_cpus_nodes (sysfs (), &cores);
      if (mk_pages_reserve (sysfs (), p->pages[i].size, p->pages[i].count,
                            p->numa_nodes ? p->numa_nodes : nodes, per_node, err) < 0)
        goto undo;
      for (int nd = 0; nd < MK_HPC_MAX_NODES; nd++)
        if (per_node[nd])
          {
            mine.pages[mine.n_pages].size = p->pages[i].size;
            mine.pages[mine.n_pages].node = nd;
            mine.pages[mine.n_pages++].count = per_node[nd];
          }
    }
  if (p->irq_steer && mk_irq_steer (procfs (), &cores, &mine.irq, err) < 0)
    goto undo;
  if (amend (spec, p, &cores, err) < 0 || record_write (&mine, err) < 0)
    goto undo;
  CPU_OR (&held, &held, &cores);
  renarrow (abs_root, id, v, n, &held, true);
  ret = 0;
  goto out;
undo:
  if (mine.n_pages)
    record_pending (&mine, NULL, NULL, NULL);
  for (size_t i = 0; i < mine.n_pages; i++)
    mk_pages_give_back (sysfs (), mine.pages[i].size, mine.pages[i].node, mine.pages[i].count,
                        NULL);
  if (p->n_pages)
    {
      _cleanup_free_ char *path = record_name (abs_root, id);
      unlink (path);
    }
  if (mine.irq)
    {
      cpu_set_t others;
      steered_cpus (v, n, abs_root, id, &others);
      mk_irq_restore (procfs (), mine.irq, &others);
    }
out:
  free (mine.irq);
  registry_free (v, n);
  close (lock);
  return ret;
}

/* The registry lock, taken only if ROOT/ID has a record (*PATH): -2 when
   it has none, -1 on error.  */
static int
lock_record (const char *root, const char *id, char **path, mk_error **err)
{
  _cleanup_free_ char *abs_root = realpath (root, NULL);
  _cleanup_free_ char *tmp = NULL;
  *path = record_name (abs_root ? abs_root : root, id);
  tmp = xasprintf ("%s.tmp", *path);
  /* A record_write killed before its rename leaves the .tmp: the delete
     removes it (mk_hpc_release).  */
  if (access (*path, F_OK) < 0 && access (tmp, F_OK) < 0)
    return -2;
  return registry_lock (err);
}

int
mk_hpc_release (const char *root, const char *id, mk_error **err)
{
  _cleanup_free_ char *abs_root = realpath (root, NULL);
  _cleanup_free_ char *path = NULL;
  struct holding mine, *v = NULL;
  size_t n = 0;
  int lock, ret = 0;

  if (abs_root == NULL)
    abs_root = xstrdup (root);
  lock = lock_record (root, id, &path, err);
  if (lock < 0)
    return lock == -2 ? 0 : -1;
  {
    /* Under the lock, a .tmp is one a killed writer left.  */
    _cleanup_free_ char *tmp = xasprintf ("%s.tmp", path);
    unlink (tmp);
  }
  if (holding_read (path, &mine) == 0)
    {
      /* Killed from here to the unlink, the next delete gives back what
         is left (the record is pending: see struct holding).  */
      if (mine.n_pages)
        record_pending (&mine, NULL, NULL, NULL);
      for (size_t i = 0; i < mine.n_pages; i++)
        if (mk_pages_give_back (sysfs (), mine.pages[i].size, mine.pages[i].node,
                                mine.pages[i].count, err) < 0)
          ret = -1;
      unlink (path);
      /* The cgroup is normally gone (rmdir ends the partition); the
         ancestors' exclusive cpus go back after it.  */
      if (mine.partition)
        mk_partition_undo (mine.cgroup, mine.exclusive);
      if (mine.hpc)
        {
          cpu_set_t held;
          registry_read (&v, &n);
          if (mine.irq)
            {
              cpu_set_t others;
              steered_cpus (v, n, abs_root, id, &others);
              mk_irq_restore (procfs (), mine.irq, &others);
            }
          held_cpus (v, n, abs_root, id, &held);
          renarrow (abs_root, id, v, n, &held, false);
          registry_free (v, n);
        }
      holding_free (&mine);
    }
  else
    unlink (path);
  close (lock);
  return ret;
}

int
mk_hpc_partition (const char *root, const char *id, const struct mk_cgroup *cg, mk_error **err)
{
  _cleanup_free_ char *path = NULL;
  const char *mount = NULL, *dir = mk_cgroup_v2_cpuset_dir (cg, &mount);
  struct holding mine;
  int lock, ret = 0;

  if (dir == NULL)
    return 0; /* v1 cpuset: pinned, and the others narrowed */
  lock = lock_record (root, id, &path, err);
  if (lock < 0)
    return lock == -2 ? 0 : -1;
  if (holding_read (path, &mine) == 0)
    {
      if (mine.hpc && mine.cgroup == NULL)
        {
          /* The ancestors' exclusive cpus change under the lock: two
             creates would otherwise overwrite each other's.  */
          mine.cgroup = xstrdup (dir);
          mine.partition = mk_partition_make (mount, dir, &mine.cores, &mine.exclusive,
                                              &mine.partition_note);
          if (record_write (&mine, err) < 0)
            {
              if (mine.partition)
                mk_partition_undo (mine.cgroup, mine.exclusive);
              ret = -1;
            }
        }
      holding_free (&mine);
    }
  close (lock);
  return ret;
}

int
mk_hpc_recheck (const char *root, const char *id, struct mk_spec *spec,
                const struct mk_cgroup *cg, mk_error **err)
{
  _cleanup_free_ char *abs_root = NULL;
  _cleanup_free_ char *path = NULL;
  struct holding *v = NULL, mine = { 0 };
  size_t n = 0;
  cpu_set_t held;
  int lock, ret = 0;

  if (registry_empty ())
    return 0;
  abs_root = realpath (root, NULL);
  if (abs_root == NULL)
    abs_root = xstrdup (root);
  path = record_name (abs_root, id);
  if (holding_read (path, &mine) == 0)
    {
      bool holds_cores = mine.hpc;
      holding_free (&mine);
      if (holds_cores)
        return 0;
    }
  memset (&mine, 0, sizeof (mine));
  lock = registry_lock (err);
  if (lock < 0)
    return -1;
  registry_read (&v, &n);
  held_cpus (v, n, abs_root, id, &held);
  if (CPU_COUNT (&held) > 0)
    {
      struct mk_resources r = { 0 };
      ret = keep_off (spec, &held, err);
      r.cpu_cpus = spec->resources->cpu_cpus;
      if (ret == 0)
        ret = mk_cgroup_update (cg, &r, err);
      mine.root = abs_root;
      mine.id = (char *)id;
      mine.gpus = (char *)mk_gpu_held (spec);
      if (ret == 0)
        ret = record_write (&mine, err);
    }
  registry_free (v, n);
  close (lock);
  return ret;
}

int
mk_hpc_check_cpus (const char *root, const char *id, const char *cpus, mk_error **err)
{
  _cleanup_free_ char *abs_root = NULL;
  struct holding *v = NULL;
  size_t n = 0;
  cpu_set_t want;
  int lock, ret = 0;

  if (cpus == NULL || *cpus == '\0' || registry_empty () || mk_cpulist_parse (cpus, &want) < 0)
    return 0; /* a bad list: the cgroup code reports it */
  abs_root = realpath (root, NULL);
  if (abs_root == NULL)
    abs_root = xstrdup (root);
  lock = registry_lock (err);
  if (lock < 0)
    return -1;
  registry_read (&v, &n);
  for (size_t i = 0; i < n && ret == 0; i++)
    {
      if (!v[i].hpc || (strcmp (v[i].root, abs_root) == 0 && strcmp (v[i].id, id) == 0))
        continue;
      for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET (c, &want) && CPU_ISSET (c, &v[i].cores))
          {
            ret = mk_error_set (err, 0, "cpu %d of `%s` is held by HPC container `%s` (see "
                                "`mkrun hpc status`)", c, cpus, v[i].id);
            break;
          }
    }
  registry_free (v, n);
  close (lock);
  return ret;
}

/* ---- in the init ------------------------------------------------------------------ */

int
mk_hpc_apply_process (const struct mk_hpc *h, mk_error **err)
{
  if (h == NULL)
    return 0;
  switch (h->thp)
    {
    case MK_HPC_THP_NEVER:
      if (prctl (PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0)
        return mk_error_set (err, errno, MK_HPC_PREFIX "thp: never");
      break;
    case MK_HPC_THP_MADVISE:
      /* Linux 6.18: THP only where the program asks for it.  */
      if (prctl (PR_SET_THP_DISABLE, 1, PR_THP_DISABLE_EXCEPT_ADVISED, 0, 0) < 0)
        return mk_error_set (err, errno, MK_HPC_PREFIX "thp: madvise: this kernel cannot "
                             "limit THP to madvised memory per process");
      break;
    default:
      break;
    }
  if (h->rt_policy)
    {
      struct sched_param sp = { .sched_priority = h->rt_priority };
      if (sched_setscheduler (0, h->rt_policy, &sp) < 0)
        return mk_error_set (err, errno, MK_HPC_PREFIX "rt: %s priority %d",
                             h->rt_policy == SCHED_RR ? "SCHED_RR" : "SCHED_FIFO",
                             h->rt_priority);
    }
  return 0;
}

/* ---- the extension (extension.h) ------------------------------------------------- */

static int
hpc_parse (const struct mk_spec *spec, void **data, mk_error **err)
{
  return mk_hpc_parse (spec, (struct mk_hpc **)data, err);
}

static void
hpc_free (void *data)
{
  mk_hpc_free (data);
}

static int
hpc_acquire (const struct mk_ext_ctx *x, void *data, mk_error **err)
{
  bool narrowed;
  return mk_hpc_acquire (x->root, x->id, x->spec, &narrowed, err);
}

static int
hpc_partition (const struct mk_ext_ctx *x, void *data, mk_error **err)
{
  return mk_hpc_partition (x->root, x->id, x->cg, err);
}

static int
hpc_recheck (const struct mk_ext_ctx *x, void *data, mk_error **err)
{
  return mk_hpc_recheck (x->root, x->id, x->spec, x->cg, err);
}

static int
hpc_apply (const struct mk_ext_ctx *x, void *data, mk_error **err)
{
  return mk_hpc_apply_process (data, err);
}

static int
hpc_release (const struct mk_ext_ctx *x, void *data, mk_error **err)
{
  return mk_hpc_release (x->root, x->id, err);
}

static int
hpc_update (const struct mk_ext_ctx *x, void *data, mk_error **err)
{
  return mk_hpc_check_cpus (x->root, x->id, x->update->cpu_cpus, err);
}

/* Each key understood (values in hpc/profile.h).  */
static void
hpc_features (yajl_gen g)
{
  for (const char *const *a = annotations; *a; a++)
    mk_json_gen_kv (g, *a, "true");
}

const struct mk_extension mk_ext_hpc = {
  .name = "hpc",
  .parse = hpc_parse,
  .free = hpc_free,
  .acquire = hpc_acquire,
  .cgroup = hpc_partition,
  .created = hpc_recheck,
  .apply = hpc_apply,
  .release = hpc_release,
  .update = hpc_update,
  .features = hpc_features,
};

/* ---- hpc status ---------------------------------------------------------------- */

/* HOLDER as the CLI sees H: H's strings (H outlives it), and a cpu list
   and pages of its own.  */
static void
holder_of (const struct holding *h, struct mk_hpc_holder *holder)
{
  holder->root = h->root;
  holder->id = h->id;
  holder->hpc = h->hpc;
  holder->cores = mk_cpulist_format (&h->cores);
  holder->pages = xmalloc0 ((h->n_pages ? h->n_pages : 1) * sizeof (*holder->pages));
  for (size_t i = 0; i < h->n_pages; i++)
    holder->pages[i] = (struct mk_hpc_holder_pages){
      .size = h->pages[i].size,
      .node = h->pages[i].node == MK_HPC_MAX_NODES - 1 ? -1 : h->pages[i].node,
      .count = h->pages[i].count,
    };
  holder->n_pages = h->n_pages;
  holder->irq = h->irq;
  holder->cgroup = h->cgroup;
  holder->partition = h->partition;
  holder->partition_note = h->partition_note;
  holder->exclusive = h->exclusive;
  holder->gpus = h->gpus;
}

int
mk_hpc_status (struct mk_hpc_status **out, mk_error **err)
{
  struct holding *v = NULL;
  size_t n = 0;
  int lock = registry_lock (err);
  struct mk_hpc_status *st;
  if (lock < 0)
    return -1;
  registry_read (&v, &n);
  close (lock);
  st = xmalloc0 (sizeof (*st));
  st->records = xmalloc0 ((n ? n : 1) * sizeof (*st->records));
  st->holders = xmalloc0 ((n ? n : 1) * sizeof (*st->holders));
  for (size_t i = 0; i < n; i++)
    if (v[i].hpc || v[i].gpus)
      {
        st->records[st->n] = v[i];
        holder_of (&st->records[st->n], &st->holders[st->n]);
        st->n++;
      }
    else
      holding_free (&v[i]);
  free (v);
  *out = st;
  return 0;
}

char *
mk_hpc_status_json (const struct mk_hpc_status *st)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < st->n; i++)
    gen_holding (g, &st->records[i]);
  yajl_gen_array_close (g);
  return mk_json_gen_finish (g, true);
}

void
mk_hpc_status_free (struct mk_hpc_status *st)
{
  if (st == NULL)
    return;
  for (size_t i = 0; i < st->n; i++)
    {
      free (st->holders[i].cores);
      free (st->holders[i].pages);
    }
  registry_free (st->records, st->n);
  free (st->holders);
  free (st);
}
