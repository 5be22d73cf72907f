/* app/minimal.c: the files of `filesystem.root: minimal` (see minimal.h).  */
#include "config.h"

#include "app/minimal.h"
#include "utils.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a program usually reads from /etc: users and groups, name service
   and resolver configuration, the time zone, the loader's cache, the CA
   certificates.  Bound where they exist.  */
static const char *const etc_files[] = {
  "/etc/passwd",   "/etc/group",     "/etc/nsswitch.conf", "/etc/hosts",
  "/etc/host.conf", "/etc/resolv.conf", "/etc/gai.conf",   "/etc/services",
  "/etc/protocols", "/etc/localtime", "/etc/ld.so.cache",  "/etc/ssl/certs",
  "/etc/ca-certificates.conf", "/usr/share/ca-certificates", /* what certs/ links to */
  NULL,
};

/* Package files not worth a mount.  */
static const char *const skipped_dirs[] = { "/usr/share/doc", "/usr/share/man",
                                             "/usr/share/info", "/usr/share/lintian",
                                             "/usr/share/bug", NULL };

struct set
{
  char **v;
  size_t n;
};

static void
set_add (struct set *s, const char *path)
{
  for (size_t i = 0; i < s->n; i++)
    if (strcmp (s->v[i], path) == 0)
      return;
  s->v = xrealloc (s->v, (s->n + 2) * sizeof (char *));
  s->v[s->n++] = xstrdup (path);
  s->v[s->n] = NULL;
}

/* The ELF interpreter of PATH (PT_INTERP) into INTERP; "" for a static
   executable.  Returns 0, or -1 if PATH is no 64-bit ELF file.  */
static int
elf_interp (const char *path, char *interp, size_t size)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  Elf64_Ehdr eh;
  interp[0] = 0;
  if (fd < 0 || pread (fd, &eh, sizeof (eh), 0) != (ssize_t)sizeof (eh)
      || memcmp (eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64
      || eh.e_phentsize != sizeof (Elf64_Phdr))
    return -1;
  for (unsigned i = 0; i < eh.e_phnum; i++)
    {
      Elf64_Phdr ph;
      if (pread (fd, &ph, sizeof (ph), eh.e_phoff + (off_t)i * sizeof (ph)) != (ssize_t)sizeof (ph))
        return -1;
      if (ph.p_type != PT_INTERP)
        continue;
      if (ph.p_filesz == 0 || ph.p_filesz >= size
          || pread (fd, interp, ph.p_filesz, ph.p_offset) != (ssize_t)ph.p_filesz)
        return -1;
      interp[ph.p_filesz] = 0;
      return 0;
    }
  return 0;
}

/* "#!INTERP ..." of a script into INTERP; "" when PATH is no script.  */
static void
script_interp (const char *path, char *interp, size_t size)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  char buf[256];
  ssize_t n;
  size_t len;
  interp[0] = 0;
  if (fd < 0 || (n = read (fd, buf, sizeof (buf) - 1)) < 3 || buf[0] != '#' || buf[1] != '!')
    return;
  buf[n] = 0;
  {
    char *p = buf + 2;
    p += strspn (p, " \t");
    len = strcspn (p, " \t\n");
    if (len == 0 || len >= size || p[0] != '/')
      return;
    memcpy (interp, p, len);
    interp[len] = 0;
  }
}

/* Runs the loader INTERP on EXE in trace mode (what ldd does: nothing of
   EXE runs) and adds each library it resolves.  */
static int
add_libraries (struct set *s, const char *interp, const char *exe, mk_error **err)
{
  /* ldd's way: the loader traces instead of running, and lists what it
     cannot find as "not found" rather than failing at the first.  */
  char *argv[] = { (char *)interp, (char *)exe, NULL };
  char *envp[] = { (char *)"LD_TRACE_LOADED_OBJECTS=1", NULL };
  posix_spawn_file_actions_t fa;
  int out[2], status, rc;
  pid_t pid;
  _cleanup_free_ char *text = NULL;
  size_t len = 0, cap = 0;
  _cleanup_free_ char *missing = NULL;

  if (pipe2 (out, O_CLOEXEC) < 0)
    return mk_error_set (err, errno, "pipe");
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, out[1], 1);
  posix_spawn_file_actions_addopen (&fa, 2, "/dev/null", O_WRONLY, 0);
  rc = posix_spawn (&pid, interp, &fa, NULL, argv, envp);
  posix_spawn_file_actions_destroy (&fa);
  close (out[1]);
  if (rc != 0)
    {
      close (out[0]);
      return mk_error_set (err, rc, "run the loader `%s` on `%s`", interp, exe);
    }
  for (;;)
    {
      ssize_t n;
      if (len + 4096 + 1 > cap)
        text = xrealloc (text, cap = cap * 2 + 8192);
      n = read (out[0], text + len, cap - len - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      len += (size_t)n;
    }
  close (out[0]);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (text == NULL)
    text = xstrdup ("");
  text[len] = 0;
  /* Lines: "\tlibc.so.6 => /lib/.../libc.so.6 (0x...)", "\t/lib64/ld-... (0x...)",
     "\tlinux-vdso.so.1 (0x...)", "\tlibfoo.so => not found".  */
  for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
    {
      char *arrow = strstr (line, " => ");
      char *path = arrow ? arrow + 4 : line + strspn (line, " \t");
      if (strncmp (path, "not found", 9) == 0)
        {
          char *name = line + strspn (line, " \t");
          char *old = missing;
          *arrow = 0;
          missing = old ? xasprintf ("%s, %s", old, name) : xstrdup (name);
          free (old);
          continue;
        }
      if (path[0] != '/')
        continue;
      path[strcspn (path, " \t(")] = 0;
      set_add (s, path);
    }
  if (missing)
    return mk_error_set (err, 0, "`%s` needs libraries this host does not have: %s", exe, missing);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return mk_error_set (err, 0, "the loader `%s` could not list the libraries of `%s`", interp,
                         exe);
  return 0;
}

/* EXE, its interpreter (script or ELF) and its libraries.  */
static int
add_program (struct set *s, const char *exe, int depth, mk_error **err)
{
  char interp[PATH_MAX];
  set_add (s, exe);
  script_interp (exe, interp, sizeof (interp));
  if (interp[0])
    {
      if (depth > 2)
        return mk_error_set (err, 0, "`%s`: too many script interpreters", exe);
      return add_program (s, interp, depth + 1, err);
    }
  if (elf_interp (exe, interp, sizeof (interp)) < 0 || interp[0] == 0)
    return 0; /* static, or not a 64-bit ELF: the file alone */
  set_add (s, interp);
  return add_libraries (s, interp, exe, err);
}

/* The files dpkg lists for PKG (its .list file), but directories and
   documentation.  */
static int
add_package (struct set *s, const char *pkg, mk_error **err)
{
  _cleanup_free_ char *text = NULL;
  _cleanup_free_ char *plain = xasprintf ("/var/lib/dpkg/info/%s.list", pkg);
  size_t len;
  if (mk_read_file_at (AT_FDCWD, plain, &text, &len, NULL) < 0)
    {
      /* Multi-arch packages: PKG:ARCH.list.  */
      _cleanup_free_ char *pattern = xasprintf ("/var/lib/dpkg/info/%s:*.list", pkg);
      glob_t g;
      text = NULL;
      if (glob (pattern, 0, NULL, &g) == 0)
        {
          if (mk_read_file_at (AT_FDCWD, g.gl_pathv[0], &text, &len, NULL) < 0)
            text = NULL;
          globfree (&g);
        }
    }
  if (text == NULL)
    return mk_error_set (err, 0, "dpkg lists no files of `%s`", pkg);
  for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
    {
      struct stat st;
      bool skip = line[0] != '/';
      for (size_t i = 0; skipped_dirs[i] && !skip; i++)
        skip = mk_path_under (line, skipped_dirs[i]);
      if (skip || stat (line, &st) < 0 || S_ISDIR (st.st_mode))
        continue;
      set_add (s, line);
    }
  return 0;
}

int
mk_app_minimal_files (const struct mk_app *app, char ***out, mk_error **err)
{
  struct set s = { 0 };
  for (size_t i = 0; etc_files[i]; i++)
    if (access (etc_files[i], F_OK) == 0)
      set_add (&s, etc_files[i]);
  if (add_program (&s, app->executable, 0, err) < 0)
    goto fail;
  for (char **p = app->system_packages; p && *p; p++)
    if (add_package (&s, *p, err) < 0)
      goto fail;
  *out = s.v ? s.v : xmalloc0 (sizeof (char *));
  return 0;
fail:
  mk_strv_free (s.v);
  return -1;
}
