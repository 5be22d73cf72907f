/* app/logs.h: reading an app's log (`mkrun app logs`): its last lines,
 * then, following, what the supervisor appends until it is gone.  */
#ifndef MK_APP_LOGS_H
#define MK_APP_LOGS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Takes each piece of the log as it is read (the library never prints).  */
typedef void (*mk_app_log_sink) (const char *buf, size_t len, void *arg);

/* Passes the last TAIL lines of app NAME's log (all of it when TAIL < 0)
   to SINK; FOLLOW: then what is appended to it, until the app's supervisor
   is gone.  Fails when NAME is no app or has no log (a foreground app
   without logging.file).  */
int mk_app_logs (const char *root, const char *name, long long tail, bool follow,
                 mk_app_log_sink sink, void *arg, mk_error **err);

#endif
