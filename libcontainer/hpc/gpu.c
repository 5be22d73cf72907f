/* hpc/gpu.c: see gpu.h.  */
#include "config.h"

#include "cgroups/resources.h"
#include "extension.h"
#include "hpc/gpu.h"
#include "spec.h"
#include "utils.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define A MK_GPU_ANNOTATION

#define NV_MAJOR 195
#define NV_CTL_MINOR 255
#define NV_MODESET_MINOR 254

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define MULTIARCH "powerpc64le-linux-gnu"
#else
#define MULTIARCH "unknown-linux-gnu"
#endif

/* The driver's libraries a compute container gets (libnvidia-container's
   "utility" and "compute" sets): matched as NAME.VERSION and NAME.N links.  */
static const char *const driver_libs[] = {
  "libnvidia-ml.so",
  "libnvidia-cfg.so",
  "libnvidia-nscq.so",
  "libcuda.so",
  "libcudadebugger.so",
  "libnvidia-opencl.so",
  "libnvidia-gpucomp.so",
  "libnvidia-ptxjitcompiler.so",
  "libnvidia-fatbinaryloader.so",
  "libnvidia-allocator.so",
  "libnvidia-compiler.so",
  "libnvidia-pkcs11.so",
  "libnvidia-pkcs11-openssl3.so",
  "libnvidia-nvvm.so",
};

static const char *const driver_bins[] = {
  "nvidia-smi",
  "nvidia-debugdump",
  "nvidia-persistenced",
  "nvidia-cuda-mps-control",
  "nvidia-cuda-mps-server",
};

/* Searched in order; a directory that resolves to one already seen (merged
   /usr) is skipped, so each library is listed at its first path.  */
static const char *const lib_dirs[] = {
  "/usr/lib/" MULTIARCH, "/lib/" MULTIARCH, "/usr/lib64", "/lib64", "/usr/lib", "/lib",
};

static const char *const bin_dirs[] = {
  "/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin",
};

/* Control devices: path, major (195, or that of /proc/devices' MAJOR_NAME),
   minor; libnvidia-container lists nvidiactl always, the others if present.  */
static const struct
{
  const char *path;
  const char *major_name; /* NULL: major 195 */
  unsigned minor;
  bool always; /* listed even if the host has no node */
} control_devs[] = {
  { "/dev/nvidiactl", NULL, NV_CTL_MINOR, true },
  { "/dev/nvidia-modeset", NULL, NV_MODESET_MINOR, false },
  { "/dev/nvidia-uvm", "nvidia-uvm", 0, false },
  { "/dev/nvidia-uvm-tools", "nvidia-uvm", 1, false },
};

static char *
at_prefix (const char *prefix, const char *path)
{
  return xasprintf ("%s%s", prefix, path);
}

static void
strv_add (char ***v, size_t *n, char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* ---- /proc/driver/nvidia ------------------------------------------------ */

/* "Key:   \t value" lines of an information file: the value of KEY, trimmed
   (malloc'ed), or NULL.  */
static char *
info_field (const char *text, const char *key)
{
  size_t kl = strlen (key);
  for (const char *l = text; l && *l; l = strchr (l, '\n') ? strchr (l, '\n') + 1 : NULL)
    {
      if (strncmp (l, key, kl) != 0 || l[kl] != ':')
        continue;
      const char *v = l + kl + 1, *end;
      while (*v == ' ' || *v == '\t')
        v++;
      end = strchrnul (v, '\n');
      while (end > v && isspace ((unsigned char)end[-1]))
        end--;
      return strndup (v, end - v);
    }
  return NULL;
}

/* Bus id "DDDD:BB:DD.F" as a number, for ordering; -1 if it is not one.  */
static long long
bus_key (const char *bus)
{
  unsigned dom, b, d, f;
  char tail;
  if (sscanf (bus, "%x:%x:%x.%x%c", &dom, &b, &d, &f, &tail) != 4)
    return -1;
  return ((long long)dom << 24) | (b << 16) | (d << 8) | f;
}

static int
cmp_gpu (const void *a, const void *b)
{
  const struct mk_gpu *x = a, *y = b;
  long long kx = bus_key (x->bus_id), ky = bus_key (y->bus_id);
  if (kx >= 0 && ky >= 0 && kx != ky)
    return kx < ky ? -1 : 1;
  return strcasecmp (x->bus_id, y->bus_id);
}

static int
read_gpus (const char *prefix, struct mk_gpu_host *h, mk_error **err)
{
  _cleanup_free_ char *dir = at_prefix (prefix, "/proc/driver/nvidia/gpus");
  DIR *d = opendir (dir);
  struct dirent *de;
  int ret = -1;

  if (d == NULL && errno != ENOENT && errno != ENOTDIR)
    return mk_error_set (err, errno, A ": read /proc/driver/nvidia/gpus");
  while (d && (de = readdir (d)))
    {
      if (de->d_name[0] == '.')
        continue;
      _cleanup_free_ char *path = xasprintf ("%s/%s/information", dir, de->d_name);
      _cleanup_free_ char *text = NULL;
      _cleanup_free_ char *minor = NULL;
      mk_error *e = NULL;
      long long m;
      struct mk_gpu *g;

      if (mk_read_file_at (AT_FDCWD, path, &text, NULL, &e) < 0)
        {
          mk_error_set (err, e->errnum, A ": read /proc/driver/nvidia/gpus/%s/information",
                        de->d_name);
          mk_error_free (e);
          goto out;
        }
      minor = info_field (text, "Device Minor");
      if (minor == NULL || mk_parse_int64 (minor, &m) < 0 || m < 0 || m >= NV_MODESET_MINOR)
        {
          mk_error_set (err, 0,
                        A ": /proc/driver/nvidia/gpus/%s/information: no valid "
                          "\"Device Minor:\" line",
                        de->d_name);
          goto out;
        }
      h->gpus = xrealloc (h->gpus, (h->n_gpus + 1) * sizeof (*h->gpus));
      g = &h->gpus[h->n_gpus++];
      g->minor = (unsigned)m;
      g->bus_id = xstrdup (de->d_name);
      g->uuid = info_field (text, "GPU UUID");
      g->model = info_field (text, "Model");
    }
  if (h->n_gpus == 0)
    {
      mk_error_set (err, 0,
                    A ": no NVIDIA GPU on this host "
                      "(/proc/driver/nvidia/gpus is empty or missing)");
      goto out;
    }
  qsort (h->gpus, h->n_gpus, sizeof (*h->gpus), cmp_gpu);
  ret = 0;
out:
  if (d)
    closedir (d);
  return ret;
}

/* "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug ..."
   (or "... Open Kernel Module for x86_64  535.104.05  Release Build ..."):
   the first word of the first line made of digits and dots.  */
static int
read_driver_version (const char *prefix, char **out, mk_error **err)
{
  _cleanup_free_ char *path = at_prefix (prefix, "/proc/driver/nvidia/version");
  _cleanup_free_ char *text = NULL;
  mk_error *e = NULL;
  char *p;

  if (mk_read_file_at (AT_FDCWD, path, &text, NULL, &e) < 0)
    {
      mk_error_set (err, e->errnum, A ": read the driver version (/proc/driver/nvidia/version)");
      mk_error_free (e);
      return -1;
    }
  p = strchr (text, '\n');
  if (p)
    *p = '\0';
  for (p = text; *p;)
    {
      size_t l;
      p += strspn (p, " \t");
      l = strcspn (p, " \t");
      if (l && isdigit ((unsigned char)p[0]) && strspn (p, "0123456789.") == l
          && memchr (p, '.', l))
        {
          *out = strndup (p, l);
          return 0;
        }
      p += l;
    }
  return mk_error_set (err, 0, A ": no driver version in /proc/driver/nvidia/version");
}

/* Major of a character driver in /proc/devices; -1 if absent.  */
static long long
proc_devices_major (const char *prefix, const char *name)
{
  _cleanup_free_ char *path = at_prefix (prefix, "/proc/devices");
  _cleanup_free_ char *text = NULL;
  mk_error *e = NULL;
  bool chars = false;

  if (mk_read_file_at (AT_FDCWD, path, &text, NULL, &e) < 0)
    {
      mk_error_free (e);
      return -1;
    }
  for (char *l = strtok (text, "\n"); l; l = strtok (NULL, "\n"))
    {
      long long major;
      char dev[64];
      if (strncmp (l, "Character devices:", 18) == 0)
        chars = true;
      else if (strncmp (l, "Block devices:", 14) == 0)
        chars = false;
      else if (chars && sscanf (l, "%lld %63s", &major, dev) == 2 && strcmp (dev, name) == 0)
        return major;
    }
  return -1;
}

/* ---- files --------------------------------------------------------------- */

/* Is DIR (under PREFIX) the same directory as one of SEEN's?  Adds it.  */
static bool
dir_seen (const char *prefix, const char *dir, char ***seen, size_t *n_seen)
{
  _cleanup_free_ char *p = at_prefix (prefix, dir);
  char *real = realpath (p, NULL);
  if (real == NULL)
    return true; /* missing: nothing to list */
  for (size_t i = 0; i < *n_seen; i++)
    if (strcmp ((*seen)[i], real) == 0)
      {
        free (real);
        return true;
      }
  strv_add (seen, n_seen, real);
  return false;
}

/* NAME is one of the driver's libraries, versioned (NAME.VERSION) or a
   soname (NAME.N...), not the bare development link NAME.  */
static bool
is_driver_lib (const char *name)
{
  for (size_t i = 0; i < MK_ARRAY_SIZE (driver_libs); i++)
    {
      size_t l = strlen (driver_libs[i]);
      if (strncmp (name, driver_libs[i], l) == 0 && name[l] == '.'
          && isdigit ((unsigned char)name[l + 1]))
        return true;
    }
  return false;
}

/* The libraries of DIR: files named after the driver version, and links
   that resolve to one of those (the sonames, libcuda.so.1).  */
static void
scan_lib_dir (const char *prefix, const char *dir, const char *version, char ***out, size_t *n)
{
  _cleanup_free_ char *pdir = at_prefix (prefix, dir);
  DIR *d = opendir (pdir);
  struct dirent *de;

  if (d == NULL)
    return;
  while ((de = readdir (d)))
    {
      _cleanup_free_ char *path = NULL;
      _cleanup_free_ char *real = NULL;
      const char *base;
      size_t bl, vl = strlen (version);
      struct stat st;

      if (!is_driver_lib (de->d_name))
        continue;
      path = xasprintf ("%s/%s", pdir, de->d_name);
      real = realpath (path, NULL);
      if (real == NULL || stat (real, &st) < 0 || !S_ISREG (st.st_mode))
        continue; /* dangling link, or not a file */
      base = strrchr (real, '/') + 1;
      bl = strlen (base);
      /* The file (or the link's target) is the one of this driver.  */
      if (bl <= vl + 1 || strcmp (base + bl - vl, version) != 0 || base[bl - vl - 1] != '.'
          || !is_driver_lib (base))
        continue;
      strv_add (out, n, xasprintf ("%s/%s", dir, de->d_name));
    }
  closedir (d);
}

static void
find_libraries (const char *prefix, struct mk_gpu_host *h)
{
  _cleanup_strv_ char **seen = NULL;
  size_t n_seen = 0, n = 0;

  for (size_t i = 0; i < MK_ARRAY_SIZE (lib_dirs); i++)
    if (!dir_seen (prefix, lib_dirs[i], &seen, &n_seen))
      scan_lib_dir (prefix, lib_dirs[i], h->driver_version, &h->libraries, &n);
  if (n)
    qsort (h->libraries, n, sizeof (char *), cmp_str);
}

static void
find_binaries (const char *prefix, struct mk_gpu_host *h)
{
  _cleanup_strv_ char **seen = NULL;
  size_t n_seen = 0, n = 0;
  bool found[MK_ARRAY_SIZE (driver_bins)] = { false };

  for (size_t i = 0; i < MK_ARRAY_SIZE (bin_dirs); i++)
    {
      if (dir_seen (prefix, bin_dirs[i], &seen, &n_seen))
        continue;
      for (size_t j = 0; j < MK_ARRAY_SIZE (driver_bins); j++)
        {
          _cleanup_free_ char *p = NULL;
          struct stat st;
          if (found[j])
            continue;
          p = xasprintf ("%s%s/%s", prefix, bin_dirs[i], driver_bins[j]);
          if (stat (p, &st) == 0 && S_ISREG (st.st_mode))
            {
              found[j] = true;
              strv_add (&h->binaries, &n, xasprintf ("%s/%s", bin_dirs[i], driver_bins[j]));
            }
        }
    }
}

/* /lib/firmware/nvidia/VERSION/gsp*.bin (GSP firmware, drivers >= 525).  */
static void
find_firmware (const char *prefix, struct mk_gpu_host *h)
{
  _cleanup_free_ char *dir = xasprintf ("/lib/firmware/nvidia/%s", h->driver_version);
  _cleanup_free_ char *pdir = at_prefix (prefix, dir);
  DIR *d = opendir (pdir);
  struct dirent *de;
  size_t n = 0;

  if (d == NULL)
    return;
  while ((de = readdir (d)))
    if (fnmatch ("gsp*.bin", de->d_name, 0) == 0)
      strv_add (&h->firmware, &n, xasprintf ("%s/%s", dir, de->d_name));
  closedir (d);
  if (n)
    qsort (h->firmware, n, sizeof (char *), cmp_str);
}

static void
find_control_devices (const char *prefix, struct mk_gpu_host *h)
{
  size_t n = 0;
  for (size_t i = 0; i < MK_ARRAY_SIZE (control_devs); i++)
    {
      _cleanup_free_ char *p = at_prefix (prefix, control_devs[i].path);
      if (control_devs[i].always || access (p, F_OK) == 0)
        strv_add (&h->control_devices, &n, xstrdup (control_devs[i].path));
    }
}

/* major:minor of a control device: the node's own where it is one (the
   host), else the driver's numbers (a fake tree's plain files).  */
static int
control_device_number (const char *prefix, const char *path, int64_t *major, int64_t *minor,
                       mk_error **err)
{
  _cleanup_free_ char *p = at_prefix (prefix, path);
  struct stat st;

  if (stat (p, &st) == 0 && S_ISCHR (st.st_mode))
    {
      *major = major (st.st_rdev);
      *minor = minor (st.st_rdev);
      return 0;
    }
  for (size_t i = 0; i < MK_ARRAY_SIZE (control_devs); i++)
    if (strcmp (control_devs[i].path, path) == 0)
      {
        *major = control_devs[i].major_name
                     ? proc_devices_major (prefix, control_devs[i].major_name)
                     : NV_MAJOR;
        *minor = control_devs[i].minor;
        if (*major < 0)
          return mk_error_set (err, 0, A ": %s: no \"%s\" in /proc/devices", path,
                               control_devs[i].major_name);
        return 0;
      }
  return mk_error_set (err, 0, A ": %s: unknown device", path);
}

int
mk_gpu_discover (const char *prefix, struct mk_gpu_host *h, mk_error **err)
{
  memset (h, 0, sizeof (*h));
  if (prefix == NULL)
    prefix = "";
  if (read_gpus (prefix, h, err) < 0 || read_driver_version (prefix, &h->driver_version, err) < 0)
    {
      mk_gpu_host_free (h);
      return -1;
    }
  find_libraries (prefix, h);
  find_binaries (prefix, h);
  find_firmware (prefix, h);
  find_control_devices (prefix, h);
  return 0;
}

void
mk_gpu_host_free (struct mk_gpu_host *h)
{
  for (size_t i = 0; i < h->n_gpus; i++)
    {
      free (h->gpus[i].uuid);
      free (h->gpus[i].bus_id);
      free (h->gpus[i].model);
    }
  free (h->gpus);
  free (h->driver_version);
  mk_strv_free (h->control_devices);
  mk_strv_free (h->libraries);
  mk_strv_free (h->binaries);
  mk_strv_free (h->firmware);
  memset (h, 0, sizeof (*h));
}

/* ---- selection ----------------------------------------------------------- */

/* The GPU whose UUID is ITEM or starts with it ("GPU-" optional, any case).  */
static int
match_uuid (const struct mk_gpu_host *h, const char *item, size_t *out, mk_error **err)
{
  size_t hits = 0;
  size_t il = strlen (item);

  for (size_t i = 0; i < h->n_gpus; i++)
    {
      const char *u = h->gpus[i].uuid;
      if (u == NULL)
        continue;
      if (strncasecmp (u, item, il) == 0
          || (strncasecmp (u, "GPU-", 4) == 0 && strncasecmp (u + 4, item, il) == 0))
        {
          if (strcasecmp (u, item) == 0
              || (strncasecmp (u, "GPU-", 4) == 0 && strcasecmp (u + 4, item) == 0))
            {
              *out = i; /* an exact match wins */
              return 0;
            }
          *out = i;
          hits++;
        }
    }
  if (hits == 1)
    return 0;
  if (hits > 1)
    return mk_error_set (err, 0, A ": `%s` is the start of more than one GPU's UUID", item);
  return mk_error_set (err, 0, A ": no GPU with UUID `%s` on this host", item);
}

static int
cmp_size (const void *a, const void *b)
{
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

int
mk_gpu_select (const struct mk_gpu_host *h, const char *value, size_t **idx, size_t *n,
               mk_error **err)
{
  _cleanup_free_ char *copy = NULL;
  _cleanup_free_ size_t *v = NULL;
  _cleanup_free_ char *given = NULL; /* item that selected each GPU */
  size_t k = 0;
  char *save = NULL;

  if (value == NULL || value[0] == '\0')
    return mk_error_set (err, 0,
                         A ": empty value (want `all`, or GPU indices and/or UUIDs "
                           "separated by commas)");
  if (strcmp (value, "all") == 0)
    {
      v = xmalloc0 ((h->n_gpus + 1) * sizeof (size_t));
      for (size_t i = 0; i < h->n_gpus; i++)
        v[k++] = i;
      *idx = steal_pointer (&v);
      *n = k;
      return 0;
    }
  if (value[strlen (value) - 1] == ',' || value[0] == ',' || strstr (value, ",,"))
    return mk_error_set (err, 0, A ": `%s`: an empty item in the list", value);
  copy = xstrdup (value);
  v = xmalloc0 ((h->n_gpus + 1) * sizeof (size_t));
  given = xmalloc0 (h->n_gpus + 1);
  for (char *item = strtok_r (copy, ",", &save); item; item = strtok_r (NULL, ",", &save))
    {
      long long i;
      size_t sel = 0;

      item += strspn (item, " \t");
      for (char *e = item + strlen (item); e > item && (e[-1] == ' ' || e[-1] == '\t');)
        *--e = '\0';
      if (item[0] == '\0')
        return mk_error_set (err, 0, A ": `%s`: an empty item in the list", value);
      if (strcmp (item, "all") == 0)
        return mk_error_set (err, 0, A ": `%s`: `all` cannot be combined with other GPUs", value);
      if (isdigit ((unsigned char)item[0]) && strspn (item, "0123456789") == strlen (item))
        {
          if (mk_parse_int64 (item, &i) < 0 || i < 0 || (unsigned long long)i >= h->n_gpus)
            return mk_error_set (err, 0, A ": no GPU with index %s (this host has %zu: 0 to %zu)",
                                 item, h->n_gpus, h->n_gpus - 1);
          sel = (size_t)i;
        }
      else if (isalnum ((unsigned char)item[0])
               && strspn (item, "0123456789abcdefABCDEF-GPUgpu") == strlen (item))
        {
          if (match_uuid (h, item, &sel, err) < 0)
            return -1;
        }
      else
        return mk_error_set (err, 0,
                             A ": `%s` is neither a GPU index nor a UUID (want `all`, "
                               "or indices and/or UUIDs separated by commas)",
                             item);
      if (given[sel])
        return mk_error_set (err, 0, A ": GPU %zu (%s) is listed twice", sel,
                             h->gpus[sel].uuid ? h->gpus[sel].uuid : h->gpus[sel].bus_id);
      given[sel] = 1;
      v[k++] = sel;
    }
  qsort (v, k, sizeof (size_t), cmp_size);
  *idx = steal_pointer (&v);
  *n = k;
  return 0;
}

/* ---- the spec ------------------------------------------------------------ */

static void
add_device (struct mk_spec *spec, const char *path, int64_t major, int64_t minor)
{
  struct mk_device *d;
  for (size_t i = 0; i < spec->n_devices; i++)
    if (strcmp (spec->devices[i].path, path) == 0)
      return; /* the config's own entry stands */
  spec->devices = xrealloc (spec->devices, (spec->n_devices + 1) * sizeof (*spec->devices));
  d = &spec->devices[spec->n_devices++];
  memset (d, 0, sizeof (*d));
  d->path = xstrdup (path);
  d->type = 'c';
  d->major = major;
  d->minor = minor;
  d->file_mode = 0666;
  d->has_file_mode = true;
}

/* An allow rule, where the config restricts devices at all (with no rule
   every device is allowed already).  */
static void
add_device_rule (struct mk_spec *spec, int64_t major, int64_t minor)
{
  struct mk_resources *r = spec->resources;
  struct mk_device_rule *rule;
  if (r == NULL || r->n_devices == 0)
    return;
  r->devices = xrealloc (r->devices, (r->n_devices + 1) * sizeof (*r->devices));
  rule = &r->devices[r->n_devices++];
  memset (rule, 0, sizeof (*rule));
  rule->allow = true;
  rule->type = 'c';
  rule->major = major;
  rule->minor = minor;
  strcpy (rule->access, "rwm");
}

static int
add_bind (struct mk_spec *spec, const char *prefix, const char *path, mk_error **err)
{
  static const char *const opts[] = { "bind", "nosuid", "nodev", "ro", NULL };
  _cleanup_free_ char *src = at_prefix (prefix, path);
  char *real = realpath (src, NULL);
  struct mk_mount *m;
  char where[64];

  if (real == NULL)
    return mk_error_set (err, errno, A ": %s", path);
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (strcmp (spec->mounts[i].destination, path) == 0)
      {
        free (real);
        return 0; /* the config mounts something there itself */
      }
  spec->mounts = xrealloc (spec->mounts, (spec->n_mounts + 1) * sizeof (*spec->mounts));
  m = &spec->mounts[spec->n_mounts];
  memset (m, 0, sizeof (*m));
  snprintf (where, sizeof (where), "mounts[%zu]", spec->n_mounts);
  spec->n_mounts++;
  m->destination = xstrdup (path);
  m->type = xstrdup ("bind");
  m->source = real;
  m->options = xmalloc0 (MK_ARRAY_SIZE (opts) * sizeof (char *));
  for (size_t i = 0; opts[i]; i++)
    m->options[i] = xstrdup (opts[i]);
  return mk_mount_parse_options (m, where, err);
}

/* Sets KEY=VALUE in ENV, replacing an existing KEY unless KEEP.  */
static void
set_env (struct mk_process *p, const char *key, const char *value, bool keep)
{
  size_t kl = strlen (key), n = 0;
  for (char **e = p->env; e && *e; e++, n++)
    if (strncmp (*e, key, kl) == 0 && (*e)[kl] == '=')
      {
        if (keep)
          return;
        free (*e);
        *e = xasprintf ("%s=%s", key, value);
        return;
      }
  strv_add (&p->env, &n, xasprintf ("%s=%s", key, value));
}

/* Sets the variables; *HELD (malloc'ed) gets NVIDIA_VISIBLE_DEVICES' value.  */
static void
set_visible_env (struct mk_spec *spec, const struct mk_gpu_host *h, const size_t *idx, size_t n,
                 char **held)
{
  _cleanup_free_ char *nvidia = xstrdup ("");
  _cleanup_free_ char *cuda = xstrdup ("");

  for (size_t i = 0; i < n; i++)
    {
      const struct mk_gpu *g = &h->gpus[idx[i]];
      char *t;
      /* A GPU the driver has not initialized may report no UUID: its index.  */
      if (g->uuid && strncmp (g->uuid, "GPU-", 4) == 0 && !strchr (g->uuid, '?'))
        t = xasprintf ("%s%s%s", nvidia, i ? "," : "", g->uuid);
      else
        t = xasprintf ("%s%s%zu", nvidia, i ? "," : "", idx[i]);
      free (nvidia);
      nvidia = t;
      t = xasprintf ("%s%s%zu", cuda, i ? "," : "", i);
      free (cuda);
      cuda = t;
    }
  free (*held);
  *held = xstrdup (nvidia);
  if (spec->process == NULL)
    return;
  set_env (spec->process, "NVIDIA_VISIBLE_DEVICES", nvidia, false);
  set_env (spec->process, "CUDA_VISIBLE_DEVICES", cuda, false);
  set_env (spec->process, "CUDA_DEVICE_ORDER", "PCI_BUS_ID", true);
}

static void
mask_other_gpus (struct mk_spec *spec, const struct mk_gpu_host *h, const size_t *idx, size_t n)
{
  size_t len = mk_strv_len (spec->masked_paths);
  for (size_t i = 0, j = 0; i < h->n_gpus; i++)
    {
      if (j < n && idx[j] == i)
        {
          j++;
          continue;
        }
      strv_add (&spec->masked_paths, &len,
                xasprintf ("/proc/driver/nvidia/gpus/%s", h->gpus[i].bus_id));
    }
}

static int
bind_all (struct mk_spec *spec, const char *prefix, char **paths, mk_error **err)
{
  for (char **p = paths; p && *p; p++)
    if (add_bind (spec, prefix, *p, err) < 0)
      return -1;
  return 0;
}

/* mk_gpu_apply, *HELD (malloc'ed) getting the selected GPUs (as
   NVIDIA_VISIBLE_DEVICES lists them).  */
static int
amend (struct mk_spec *spec, const char *value, char **held, mk_error **err)
{
  const char *prefix = getenv (MK_GPU_ROOT_ENV);
  struct mk_gpu_host h;
  _cleanup_free_ size_t *idx = NULL;
  size_t n = 0;
  int ret = -1;

  if (prefix == NULL)
    prefix = "";
  if (value == NULL || value[0] == '\0')
    return mk_error_set (err, 0,
                         A ": empty value (want `all`, or GPU indices and/or UUIDs "
                           "separated by commas)");
  if (mk_gpu_discover (prefix, &h, err) < 0)
    return -1;
  if (mk_gpu_select (&h, value, &idx, &n, err) < 0)
    goto out;
  for (size_t i = 0; i < n; i++)
    {
      _cleanup_free_ char *path = xasprintf ("/dev/nvidia%u", h.gpus[idx[i]].minor);
      add_device (spec, path, NV_MAJOR, h.gpus[idx[i]].minor);
      add_device_rule (spec, NV_MAJOR, h.gpus[idx[i]].minor);
    }
  for (char **p = h.control_devices; p && *p; p++)
    {
      int64_t major = 0, minor = 0;
      if (control_device_number (prefix, *p, &major, &minor, err) < 0)
        goto out;
      add_device (spec, *p, major, minor);
      add_device_rule (spec, major, minor);
    }
  if (bind_all (spec, prefix, h.libraries, err) < 0 || bind_all (spec, prefix, h.binaries, err) < 0
      || bind_all (spec, prefix, h.firmware, err) < 0)
    goto out;
  set_visible_env (spec, &h, idx, n, held);
  mask_other_gpus (spec, &h, idx, n);
  ret = 0;
out:
  mk_gpu_host_free (&h);
  return ret;
}

int
mk_gpu_apply (struct mk_spec *spec, const char *value, mk_error **err)
{
  _cleanup_free_ char *held = NULL;
  return amend (spec, value, &held, err);
}

/* ---- the extension (extension.h) ------------------------------------------------- */

struct request
{
  char *value; /* the annotation's */
  char *held;  /* once prepared: the GPUs selected */
};

static int
gpu_parse (const struct mk_spec *spec, void **data, mk_error **err)
{
  const char *v = mk_spec_annotation (spec, MK_GPU_ANNOTATION);
  struct request *r;
  if (v == NULL)
    return 0;
  r = xmalloc0 (sizeof (*r));
  r->value = xstrdup (v);
  *data = r;
  return 0;
}

static void
gpu_free (void *data)
{
  struct request *r = data;
  free (r->value);
  free (r->held);
  free (r);
}

static int
gpu_prepare (const struct mk_ext_ctx *x, void *data, mk_error **err)
{
  struct request *r = data;
  return amend (x->spec, r->value, &r->held, err);
}

const struct mk_extension mk_ext_gpu = {
  .name = "gpu",
  .parse = gpu_parse,
  .free = gpu_free,
  .prepare = gpu_prepare,
};

const char *
mk_gpu_held (const struct mk_spec *spec)
{
  const struct request *r = mk_spec_ext (spec, &mk_ext_gpu);
  return r ? r->held : NULL;
}
