/* tests/unit/check.h: the unit tests' assertion.  CHECK (cond) reports a
 * false COND with its place and counts it in FAILURES; main returns
 * FAILURES != 0.  */
#ifndef MK_TEST_CHECK_H
#define MK_TEST_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                                                \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        {                                                                                          \
          fprintf (stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);                              \
          failures++;                                                                              \
        }                                                                                          \
    }                                                                                              \
  while (0)

#endif
