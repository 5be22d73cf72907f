/* tests/unit/gpu_test.c: libcontainer/hpc/gpu.c against a fake host tree
 * (/proc/driver/nvidia, /proc/devices, /dev, libraries, tools, firmware)
 * that it builds in a temporary directory: discovery, selection, the spec
 * it amends, and the errors.  No GPU and no root needed.  Built by `make`
 * as tests/bin/gpu_test; tests/bats/hpc_gpu.bats runs it.  Exit 0 = pass.  */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/resources.h"
#include "error.h"
#include "hpc/gpu.h"
#include "spec.h"
#include "utils.h"

#include "check.h"

#define CHECK_STR(got, want)                                                                       \
  do                                                                                               \
    {                                                                                              \
      const char *_g = (got), *_w = (want);                                                        \
      if (_g == NULL || strcmp (_g, _w) != 0)                                                      \
        {                                                                                          \
          fprintf (stderr, "%s:%d: got `%s`, want `%s`\n", __FILE__, __LINE__, _g ? _g : "(null)", \
                   _w);                                                                            \
          failures++;                                                                              \
        }                                                                                          \
    }                                                                                              \
  while (0)

#define DRV_VERSION "535.104.05"
#define UUID_A "GPU-5f1c0e3a-1111-2222-3333-444455556666" /* 0000:06:00.0, minor 2 */
#define UUID_B "GPU-9b2d7c10-aaaa-bbbb-cccc-ddddeeeeffff" /* 0000:3b:00.0, minor 0 */
#define UUID_C "GPU-9b2e0000-0000-0000-0000-000000000001" /* 0000:81:00.0, minor 1 */

static char root[64];

static void
put (const char *content, const char *fmt, ...)
{
  va_list ap;
  char rel[512], path[600];
  va_start (ap, fmt);
  vsnprintf (rel, sizeof (rel), fmt, ap);
  va_end (ap);
  snprintf (path, sizeof (path), "%s%s", root, rel);
  {
    _cleanup_free_ char *dir = xstrdup (path);
    mk_error *e = NULL;
    *strrchr (dir, '/') = '\0';
    if (mk_mkdir_p (dir, 0755, &e) < 0)
      {
        fprintf (stderr, "%s\n", e->msg);
        exit (2);
      }
  }
  FILE *f = fopen (path, "w");
  if (f == NULL || fputs (content, f) < 0 || fclose (f) != 0)
    {
      perror (path);
      exit (2);
    }
}

static void
link_ (const char *target, const char *rel)
{
  char path[600];
  snprintf (path, sizeof (path), "%s%s", root, rel);
  if (symlink (target, path) < 0)
    {
      perror (path);
      exit (2);
    }
}

static void
gpu (const char *bus, const char *model, const char *uuid, int minor)
{
  char text[1024];
  snprintf (text, sizeof (text),
            "Model: \t\t %s\nIRQ:   \t\t 40\nGPU UUID: \t %s\nVideo BIOS: \t 96.00.30.00.01\n"
            "Bus Type: \t PCIe\nDMA Size: \t 47 bits\nDMA Mask: \t 0x7fffffffffff\n"
            "Bus Location: \t %s\nDevice Minor: \t %d\nGPU Excluded:\t No\n",
            model, uuid, bus, minor);
  put (text, "/proc/driver/nvidia/gpus/%s/information", bus);
}

/* Three GPUs whose directory order, bus order and minors all differ.  */
static void
make_tree (void)
{
  gpu ("0000:81:00.0", "NVIDIA H100 80GB HBM3", UUID_C, 1);
  gpu ("0000:06:00.0", "NVIDIA H100 80GB HBM3", UUID_A, 2);
  gpu ("0000:3b:00.0", "NVIDIA H100 80GB HBM3", UUID_B, 0);
  put ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  " DRV_VERSION
       "  Release Build  (dvs-builder@U16-I3-B03-4-3)  Tue Aug 22 2023\n"
       "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n",
       "/proc/driver/nvidia/version");
  put ("Character devices:\n  1 mem\n195 nvidia-frontend\n508 nvidia-uvm\n509 nvidia-caps\n\n"
       "Block devices:\n  7 loop\n",
       "/proc/devices");
  for (int i = 0; i < 3; i++)
    put ("", "/dev/nvidia%d", i);
  put ("", "/dev/nvidiactl");
  put ("", "/dev/nvidia-uvm");
  put ("", "/dev/nvidia-uvm-tools");
  /* Libraries in /usr/lib64; /lib64 is the same directory (merged /usr).  */
  put ("libcuda", "/usr/lib64/libcuda.so." DRV_VERSION);
  link_ ("libcuda.so." DRV_VERSION, "/usr/lib64/libcuda.so.1");
  link_ ("libcuda.so.1", "/usr/lib64/libcuda.so"); /* dev link: not listed */
  put ("old", "/usr/lib64/libcuda.so.470.57.02");  /* another driver's */
  put ("ml", "/usr/lib64/libnvidia-ml.so." DRV_VERSION);
  link_ ("libnvidia-ml.so." DRV_VERSION, "/usr/lib64/libnvidia-ml.so.1");
  put ("ptx", "/usr/lib64/libnvidia-ptxjitcompiler.so." DRV_VERSION);
  link_ ("libnvidia-ptxjitcompiler.so." DRV_VERSION, "/usr/lib64/libnvidia-ptxjitcompiler.so.1");
  link_ ("libnvidia-cfg.so.999", "/usr/lib64/libnvidia-cfg.so.1"); /* dangling */
  put ("foo", "/usr/lib64/libfoo.so.1");                           /* not the driver's */
  put ("nvvm", "/usr/lib64/libnvidia-nvvm.so." DRV_VERSION);
  link_ ("libnvidia-nvvm.so." DRV_VERSION, "/usr/lib64/libnvidia-nvvm.so.4");
  link_ ("usr/lib64", "/lib64");
  put ("#!/bin/sh\necho fake nvidia-smi\n", "/usr/bin/nvidia-smi");
  put ("#!/bin/sh\n", "/usr/bin/nvidia-debugdump");
  put ("", "/usr/bin/nvidia-settings"); /* not one we bind */
  link_ ("usr/bin", "/bin");
  put ("gsp", "/lib/firmware/nvidia/" DRV_VERSION "/gsp_ga10x.bin");
  put ("gsp", "/lib/firmware/nvidia/" DRV_VERSION "/gsp_tu10x.bin");
  put ("", "/lib/firmware/nvidia/" DRV_VERSION "/README");
  put ("gsp", "/lib/firmware/nvidia/470.57.02/gsp_old.bin");
}

static void
check_strv (char **got, const char *const *want)
{
  size_t i = 0;
  for (; want[i]; i++)
    {
      CHECK (got && got[i]);
      if (!got || !got[i])
        return;
      CHECK_STR (got[i], want[i]);
    }
  CHECK (got == NULL || got[i] == NULL);
  if (got && got[i])
    fprintf (stderr, "  extra: %s\n", got[i]);
}

static void
test_discover (void)
{
  struct mk_gpu_host h;
  mk_error *err = NULL;
  static const char *const libs[] = { "/usr/lib64/libcuda.so.1",
                                      "/usr/lib64/libcuda.so." DRV_VERSION,
                                      "/usr/lib64/libnvidia-ml.so.1",
                                      "/usr/lib64/libnvidia-ml.so." DRV_VERSION,
                                      "/usr/lib64/libnvidia-nvvm.so.4",
                                      "/usr/lib64/libnvidia-nvvm.so." DRV_VERSION,
                                      "/usr/lib64/libnvidia-ptxjitcompiler.so.1",
                                      "/usr/lib64/libnvidia-ptxjitcompiler.so." DRV_VERSION,
                                      NULL };
  static const char *const bins[] = { "/usr/bin/nvidia-smi", "/usr/bin/nvidia-debugdump", NULL };
  static const char *const fw[] = { "/lib/firmware/nvidia/" DRV_VERSION "/gsp_ga10x.bin",
                                    "/lib/firmware/nvidia/" DRV_VERSION "/gsp_tu10x.bin", NULL };
  static const char *const ctl[]
      = { "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", NULL };

  if (mk_gpu_discover (root, &h, &err) < 0)
    {
      fprintf (stderr, "discover: %s\n", err->msg);
      exit (1);
    }
  CHECK (h.n_gpus == 3);
  CHECK_STR (h.gpus[0].bus_id, "0000:06:00.0");
  CHECK_STR (h.gpus[1].bus_id, "0000:3b:00.0");
  CHECK_STR (h.gpus[2].bus_id, "0000:81:00.0");
  CHECK (h.gpus[0].minor == 2 && h.gpus[1].minor == 0 && h.gpus[2].minor == 1);
  CHECK_STR (h.gpus[0].uuid, UUID_A);
  CHECK_STR (h.gpus[1].uuid, UUID_B);
  CHECK_STR (h.gpus[2].uuid, UUID_C);
  CHECK_STR (h.gpus[0].model, "NVIDIA H100 80GB HBM3");
  CHECK_STR (h.driver_version, DRV_VERSION);
  check_strv (h.libraries, libs);
  check_strv (h.binaries, bins);
  check_strv (h.firmware, fw);
  check_strv (h.control_devices, ctl);
  mk_gpu_host_free (&h);
}

static void
select_ok (const struct mk_gpu_host *h, const char *value, size_t n, ...)
{
  size_t *idx = NULL, got = 0;
  mk_error *err = NULL;
  va_list ap;
  if (mk_gpu_select (h, value, &idx, &got, &err) < 0)
    {
      fprintf (stderr, "select `%s`: %s\n", value, err->msg);
      mk_error_free (err);
      failures++;
      return;
    }
  CHECK (got == n);
  va_start (ap, n);
  for (size_t i = 0; i < n && i < got; i++)
    {
      size_t want = va_arg (ap, size_t);
      if (idx[i] != want)
        {
          fprintf (stderr, "select `%s`: [%zu] = %zu, want %zu\n", value, i, idx[i], want);
          failures++;
        }
    }
  va_end (ap);
  free (idx);
}

static void
select_fails (const struct mk_gpu_host *h, const char *value, const char *want)
{
  size_t *idx = NULL, got = 0;
  mk_error *err = NULL;
  if (mk_gpu_select (h, value, &idx, &got, &err) == 0)
    {
      fprintf (stderr, "select `%s` should fail\n", value);
      failures++;
      free (idx);
      return;
    }
  CHECK_STR (err->msg, want);
  CHECK (strchr (err->msg, '\n') == NULL);
  mk_error_free (err);
}

static void
test_select (void)
{
  struct mk_gpu_host h;
  mk_error *err = NULL;
  if (mk_gpu_discover (root, &h, &err) < 0)
    exit (1);
  select_ok (&h, "all", 3, (size_t)0, (size_t)1, (size_t)2);
  select_ok (&h, "1", 1, (size_t)1);
  select_ok (&h, "2,0", 2, (size_t)0, (size_t)2);
  select_ok (&h, " 2 , 1 ", 2, (size_t)1, (size_t)2);
  select_ok (&h, UUID_C, 1, (size_t)2);
  select_ok (&h, "gpu-5F1C", 1, (size_t)0); /* unique prefix, any case */
  select_ok (&h, "9b2d", 1, (size_t)1);     /* without GPU- */
  select_ok (&h, "0," UUID_C, 2, (size_t)0, (size_t)2);
  select_fails (&h, "3", "org.mkrun.hpc.gpus: no GPU with index 3 (this host has 3: 0 to 2)");
  select_fails (&h, "0,1,0", "org.mkrun.hpc.gpus: GPU 0 (" UUID_A ") is listed twice");
  select_fails (&h, "1,GPU-9b2d", "org.mkrun.hpc.gpus: GPU 1 (" UUID_B ") is listed twice");
  select_fails (&h, "GPU-9b2",
                "org.mkrun.hpc.gpus: `GPU-9b2` is the start of more than one "
                "GPU's UUID");
  select_fails (&h, "GPU-0000", "org.mkrun.hpc.gpus: no GPU with UUID `GPU-0000` on this host");
  select_fails (&h, "first",
                "org.mkrun.hpc.gpus: `first` is neither a GPU index nor a UUID "
                "(want `all`, or indices and/or UUIDs separated by commas)");
  select_fails (&h, "-1",
                "org.mkrun.hpc.gpus: `-1` is neither a GPU index nor a UUID "
                "(want `all`, or indices and/or UUIDs separated by commas)");
  select_fails (&h, "",
                "org.mkrun.hpc.gpus: empty value (want `all`, or GPU indices and/or "
                "UUIDs separated by commas)");
  select_fails (&h, "0,,1", "org.mkrun.hpc.gpus: `0,,1`: an empty item in the list");
  select_fails (&h, "1,", "org.mkrun.hpc.gpus: `1,`: an empty item in the list");
  select_fails (&h, "all,1",
                "org.mkrun.hpc.gpus: `all,1`: `all` cannot be combined with other "
                "GPUs");
  select_fails (&h, "99999999999999999999",
                "org.mkrun.hpc.gpus: no GPU with index "
                "99999999999999999999 (this host has 3: 0 to 2)");
  mk_gpu_host_free (&h);
}

/* A UUID shorter than "GPU-" (a driver's truncated line): a prefix of it
   selects it, and nothing is read past its end (found by tests/fuzz/hpc_fuzz).  */
static void
test_select_short_uuid (void)
{
  struct mk_gpu gpus[] = { { 0, (char *)"GPU", (char *)"0000:d8:00.0", NULL } };
  struct mk_gpu_host h = { .gpus = gpus, .n_gpus = 1 };
  select_ok (&h, "GP", 1, (size_t)0);
  select_ok (&h, "gpu", 1, (size_t)0);
}

static const char config[]
    = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
      " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\","
      "   \"env\": [\"PATH=/bin\", \"NVIDIA_VISIBLE_DEVICES=all\", "
      "\"CUDA_DEVICE_ORDER=FASTEST_FIRST\"]},"
      " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"}],"
      " \"linux\": {\"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},"
      "   \"maskedPaths\": [\"/proc/kcore\"]}}";

static const char *
env_of (const struct mk_spec *s, const char *key)
{
  size_t kl = strlen (key);
  for (char **e = s->process->env; e && *e; e++)
    if (strncmp (*e, key, kl) == 0 && (*e)[kl] == '=')
      return *e + kl + 1;
  return NULL;
}

static const struct mk_device *
device_of (const struct mk_spec *s, const char *path)
{
  for (size_t i = 0; i < s->n_devices; i++)
    if (strcmp (s->devices[i].path, path) == 0)
      return &s->devices[i];
  return NULL;
}

static bool
has_rule (const struct mk_spec *s, int64_t major, int64_t minor)
{
  for (size_t i = 0; i < s->resources->n_devices; i++)
    {
      const struct mk_device_rule *r = &s->resources->devices[i];
      if (r->allow && r->type == 'c' && r->major == major && r->minor == minor
          && strcmp (r->access, "rwm") == 0)
        return true;
    }
  return false;
}

static void
test_apply (void)
{
  struct mk_spec *s = NULL;
  mk_error *err = NULL;
  const struct mk_device *d;
  size_t n_binds = 0;

  if (mk_spec_parse (config, "/tmp", &s, &err) < 0)
    {
      fprintf (stderr, "parse: %s\n", err->msg);
      exit (1);
    }
  setenv (MK_GPU_ROOT_ENV, root, 1);
  if (mk_gpu_apply (s, "2,GPU-5f1c", &err) < 0)
    {
      fprintf (stderr, "apply: %s\n", err->msg);
      exit (1);
    }
  /* GPUs 0 (minor 2) and 2 (minor 1), not GPU 1 (minor 0).  */
  CHECK ((d = device_of (s, "/dev/nvidia2")) && d->type == 'c' && d->major == 195 && d->minor == 2
         && d->file_mode == 0666);
  CHECK ((d = device_of (s, "/dev/nvidia1")) && d->major == 195 && d->minor == 1);
  CHECK (device_of (s, "/dev/nvidia0") == NULL);
  CHECK ((d = device_of (s, "/dev/nvidiactl")) && d->major == 195 && d->minor == 255);
  CHECK ((d = device_of (s, "/dev/nvidia-uvm")) && d->major == 508 && d->minor == 0);
  CHECK ((d = device_of (s, "/dev/nvidia-uvm-tools")) && d->major == 508 && d->minor == 1);
  CHECK (device_of (s, "/dev/nvidia-modeset") == NULL); /* not on this fake host */
  CHECK (s->n_devices == 5);
  CHECK (has_rule (s, 195, 2) && has_rule (s, 195, 1) && has_rule (s, 195, 255)
         && has_rule (s, 508, 0) && has_rule (s, 508, 1) && !has_rule (s, 195, 0));
  CHECK (!s->resources->devices[0].allow); /* the deny-all stays first */
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      const struct mk_mount *m = &s->mounts[i];
      _cleanup_free_ char *want = NULL;
      if (strcmp (m->destination, "/proc") == 0)
        continue;
      n_binds++;
      CHECK (m->bind && !m->recursive);
      CHECK ((m->flags & (MS_RDONLY | MS_NOSUID | MS_NODEV)) == (MS_RDONLY | MS_NOSUID | MS_NODEV));
      CHECK (!(m->flags & MS_NOEXEC));
      /* The source is the fake tree's file, the link resolved.  */
      want = xasprintf ("%s%s", root, m->destination);
      if (strstr (m->destination, ".so.1") || strstr (m->destination, ".so.4"))
        CHECK (strstr (m->source, DRV_VERSION) != NULL);
      else
        CHECK_STR (m->source, want);
    }
  CHECK (n_binds == 8 + 2 + 2);
  CHECK_STR (env_of (s, "NVIDIA_VISIBLE_DEVICES"), UUID_A "," UUID_C);
  CHECK_STR (env_of (s, "CUDA_VISIBLE_DEVICES"), "0,1");
  CHECK_STR (env_of (s, "CUDA_DEVICE_ORDER"), "FASTEST_FIRST"); /* the process's own stays */
  CHECK_STR (env_of (s, "PATH"), "/bin");
  CHECK (s->masked_paths && s->masked_paths[0] && s->masked_paths[1]);
  CHECK_STR (s->masked_paths[1], "/proc/driver/nvidia/gpus/0000:3b:00.0");
  CHECK (s->masked_paths[2] == NULL);
  mk_spec_free (s);

  /* No linux.resources: nothing to allow (every device is), nodes still made.  */
  {
    static const char bare[] = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
                               " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}}";
    s = NULL;
    if (mk_spec_parse (bare, "/tmp", &s, &err) < 0 || mk_gpu_apply (s, "all", &err) < 0)
      {
        fprintf (stderr, "bare: %s\n", err->msg);
        exit (1);
      }
    CHECK (s->resources == NULL);
    CHECK (s->n_devices == 6);
    CHECK_STR (env_of (s, "CUDA_VISIBLE_DEVICES"), "0,1,2");
    CHECK_STR (env_of (s, "CUDA_DEVICE_ORDER"), "PCI_BUS_ID");
    CHECK_STR (env_of (s, "NVIDIA_VISIBLE_DEVICES"), UUID_A "," UUID_B "," UUID_C);
    CHECK (s->masked_paths == NULL);
    mk_spec_free (s);
  }
  unsetenv (MK_GPU_ROOT_ENV);
}

static void
discover_fails (const char *prefix, const char *want)
{
  struct mk_gpu_host h;
  mk_error *err = NULL;
  if (mk_gpu_discover (prefix, &h, &err) == 0)
    {
      fprintf (stderr, "discover %s should fail\n", prefix);
      failures++;
      mk_gpu_host_free (&h);
      return;
    }
  CHECK_STR (err->msg, want);
  mk_error_free (err);
}

static void
test_errors (void)
{
  char empty[600], path[700];
  snprintf (empty, sizeof (empty), "%s/empty", root);
  mkdir (empty, 0755);
  discover_fails (empty, "org.mkrun.hpc.gpus: no NVIDIA GPU on this host "
                         "(/proc/driver/nvidia/gpus is empty or missing)");
  snprintf (path, sizeof (path), "%s/proc/driver/nvidia/gpus", empty);
  {
    mk_error *e = NULL;
    mk_mkdir_p (path, 0755, &e);
  }
  discover_fails (empty, "org.mkrun.hpc.gpus: no NVIDIA GPU on this host "
                         "(/proc/driver/nvidia/gpus is empty or missing)");
  /* A GPU but no version file; then an information file without a minor.  */
  snprintf (path, sizeof (path), "%s/proc/driver/nvidia/gpus/0000:01:00.0", empty);
  {
    mk_error *e = NULL;
    mk_mkdir_p (path, 0755, &e);
  }
  {
    char saved[64];
    strcpy (saved, root);
    snprintf (root, sizeof (root), "%s", empty);
    put ("Model: \t\t X\nDevice Minor: \t 0\n",
         "/proc/driver/nvidia/gpus/0000:01:00.0/information");
    discover_fails (empty, "org.mkrun.hpc.gpus: read the driver version "
                           "(/proc/driver/nvidia/version): No such file or directory");
    put ("NVRM version: garbage\n", "/proc/driver/nvidia/version");
    discover_fails (empty, "org.mkrun.hpc.gpus: no driver version in /proc/driver/nvidia/version");
    put ("Model: \t\t X\n", "/proc/driver/nvidia/gpus/0000:01:00.0/information");
    discover_fails (empty, "org.mkrun.hpc.gpus: /proc/driver/nvidia/gpus/0000:01:00.0/information: "
                           "no valid \"Device Minor:\" line");
    strcpy (root, saved);
  }
  /* Through mk_gpu_apply: the error, and the spec untouched.  */
  {
    struct mk_spec *s = NULL;
    mk_error *err = NULL;
    if (mk_spec_parse (config, "/tmp", &s, &err) < 0)
      exit (1);
    snprintf (path, sizeof (path), "%s/none", root);
    setenv (MK_GPU_ROOT_ENV, path, 1);
    CHECK (mk_gpu_apply (s, "all", &err) < 0);
    CHECK (err && strstr (err->msg, "no NVIDIA GPU on this host"));
    mk_error_free (err);
    err = NULL;
    setenv (MK_GPU_ROOT_ENV, root, 1);
    CHECK (mk_gpu_apply (s, "7", &err) < 0);
    CHECK (err && strstr (err->msg, "no GPU with index 7"));
    mk_error_free (err);
    CHECK (s->n_devices == 0 && s->n_mounts == 1 && s->resources->n_devices == 1);
    unsetenv (MK_GPU_ROOT_ENV);
    mk_spec_free (s);
  }
}

int
main (void)
{
  char cmd[128];
  strcpy (root, "/tmp/mkrun-gpu-test.XXXXXX");
  if (mkdtemp (root) == NULL)
    {
      perror ("mkdtemp");
      return 2;
    }
  make_tree ();
  test_discover ();
  test_select ();
  test_select_short_uuid ();
  test_apply ();
  test_errors ();
  snprintf (cmd, sizeof (cmd), "rm -rf '%s'", root);
  if (system (cmd) != 0)
    fprintf (stderr, "could not remove %s\n", root);
  if (failures)
    {
      fprintf (stderr, "gpu_test: %d failure(s)\n", failures);
      return 1;
    }
  printf ("gpu_test: all passed\n");
  return 0;
}
