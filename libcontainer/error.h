/* error.h: the error object every library function fills on failure.
 *
 * A failing function calls mk_error_set() (which returns -1) and returns a
 * negative value; callers add context with mk_error_prefix() on the way up.
 * The library never prints: runtime/ prints "mkrun: CMD ID: MESSAGE".  */
#ifndef MK_ERROR_H
#define MK_ERROR_H

#include <stdarg.h>

typedef struct mk_error
{
  int errnum; /* errno of the root cause, 0 if none */
  char *msg;  /* the whole sentence, context first */
} mk_error;

/* Sets *err (if err and *err is empty) to the message, with ": strerror(errnum)"
   appended when errnum != 0.  Returns -1.  */
int mk_error_set (mk_error **err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Prepends "PREFIX: " to an existing error.  Returns -1.  */
int mk_error_prefix (mk_error **err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

void mk_error_free (mk_error *err);



#endif
