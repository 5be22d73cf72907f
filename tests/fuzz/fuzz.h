/* tests/fuzz/fuzz.h: what the libFuzzer targets share.
 *
 * Each target is one LLVMFuzzerTestOneInput over one parser of untrusted
 * input, linked with the library built for fuzzing (tests/fuzz/fuzz.mak).
 * A crash, a sanitizer report, a leak or a broken FUZZ_ASSERT is a bug in the
 * library: fix it there and keep the input in tests/fuzz/regressions/TARGET/
 * (tests/bats/fuzz.bats runs them in `make check`).  */
#ifndef MK_FUZZ_H
#define MK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define FUZZ_ASSERT(cond)                                                                          \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        {                                                                                          \
          fprintf (stderr, "fuzz: %s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);      \
          abort ();                                                                                \
        }                                                                                          \
    }                                                                                              \
  while (0)

/* DATA as the NUL-terminated text a file read gives (mk_read_file_at): what
   follows an embedded NUL is not seen by the parsers.  */
static inline char *
fuzz_text (const uint8_t *data, size_t size)
{
  char *s = malloc (size + 1);
  if (s == NULL)
    abort ();
  memcpy (s, data, size);
  s[size] = '\0';
  return s;
}

/* R and ERR from a library call: a failure (-1) says why in a non-empty
   message, a success leaves no error behind.  Frees ERR.  */
static inline void
fuzz_check_result (int r, mk_error *err)
{
  if (r < 0)
    FUZZ_ASSERT (err != NULL && err->msg != NULL && err->msg[0] != '\0');
  else
    FUZZ_ASSERT (r == 0 && err == NULL);
  mk_error_free (err);
}

#endif
