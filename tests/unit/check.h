/* tests/unit/check.h: the unit tests' assertions, and a main for tests made
 * of parts.
 *
 * CHECK (cond) reports a false COND with its place and counts it in
 * FAILURES; CHECK_MSG (cond, fmt, ...) does the same and adds a printf-style
 * message (the values involved).  A test that is one piece returns
 * FAILURES != 0 from its main.
 *
 * A test made of parts lists them (struct check_part) and returns
 * check_main (argc, argv, parts, n): it runs the parts named on the command
 * line, every part when none is, and exits 0 when all passed, 1 when a
 * check failed, 77 (automake's "skipped") when every part it ran said the
 * host lacks what it needs, and 2 on a bad part name.  A part returns NULL
 * when it ran, or check_skip ("why") when this host cannot run it; the
 * reason is printed as "SKIP PART: why" (tests/bats/unit.bats shows it).  */
#ifndef MK_TEST_CHECK_H
#define MK_TEST_CHECK_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures, checks;

/* Prints "FILE:LINE: COND", then ": " and the message when it says
   anything, and counts the failure.  */
static __attribute__ ((format (printf, 4, 5), unused)) void
check_failed (const char *file, int line, const char *cond, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  fprintf (stderr, "%s:%d: %s%s%s\n", file, line, cond, msg && *msg ? ": " : "", msg ? msg : "");
  free (msg);
  failures++;
}

#define CHECK_MSG(cond, ...)                                                                       \
  do                                                                                               \
    {                                                                                              \
      checks++;                                                                                    \
      if (!(cond))                                                                                 \
        check_failed (__FILE__, __LINE__, #cond, __VA_ARGS__);                                     \
    }                                                                                              \
  while (0)
#define CHECK(cond) CHECK_MSG (cond, "%s", "")

struct check_part
{
  const char *name;
  /* NULL when the part ran (its checks counted), else why it cannot run
     here (check_skip).  */
  const char *(*run) (void);
};

/* What a part returns when the host lacks what it needs.  */
static __attribute__ ((format (printf, 1, 2), unused)) const char *
check_skip (const char *fmt, ...)
{
  static char reason[512];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (reason, sizeof (reason), fmt, ap);
  va_end (ap);
  return reason;
}

static __attribute__ ((unused)) int
check_main (int argc, char **argv, const struct check_part *parts, size_t n)
{
  size_t selected = 0, skipped = 0;

  /* Line-buffered: the parts' lines and the checks' messages (stderr) in
     the order they happen, and nothing left to a fork's buffer.  */
  setvbuf (stdout, NULL, _IOLBF, 0);
  for (int a = 1; a < argc; a++)
    {
      size_t i = 0;
      while (i < n && strcmp (argv[a], parts[i].name) != 0)
        i++;
      if (i == n)
        {
          fprintf (stderr, "%s: no part `%s`; the parts:", argv[0], argv[a]);
          for (i = 0; i < n; i++)
            fprintf (stderr, " %s", parts[i].name);
          fputc ('\n', stderr);
          return 2;
        }
    }
  for (size_t i = 0; i < n; i++)
    {
      int before = failures;
      const char *why;
      bool wanted = argc < 2;

      for (int a = 1; a < argc && !wanted; a++)
        wanted = strcmp (argv[a], parts[i].name) == 0;
      if (!wanted)
        continue;
      selected++;
      why = parts[i].run ();
      if (why != NULL)
        {
          skipped++;
          printf ("SKIP %s: %s\n", parts[i].name, why);
        }
      else
        printf ("%s %s\n", failures > before ? "FAIL" : "PASS", parts[i].name);
    }
  printf ("%s: %d checks, %d failed; %zu of %zu parts skipped\n", argv[0], checks, failures,
          skipped, selected);
  if (failures > 0)
    return 1;
  return skipped == selected ? 77 : 0;
}

#endif
