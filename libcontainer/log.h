/* log.h: the runtime's log: its errors and warnings, and with --debug what
 * it does step by step, as runc's and crun's are (engines pass --log FILE
 * --log-format json and read the file back).
 *
 * Without --log, errors and warnings go to stderr ("mkrun: MESSAGE",
 * "mkrun: warning: MESSAGE") and debug lines too, as the log's text
 * lines (time="..." level=debug msg="...").  With --log FILE, every line
 * goes to FILE in the log format (text or JSON: {"level", "msg", "time"}),
 * and errors and warnings to stderr as well; debug lines to FILE only.
 * The descriptor is close-on-exec and opened once: with --debug the
 * container's init, forked from the runtime, writes its debug lines to the
 * same place until it execs the program (nothing of it stays open in the
 * container); without, the init closes it with the rest.  */
#ifndef MK_LOG_H
#define MK_LOG_H

#include <stdbool.h>

enum mk_log_level
{
  MK_LOG_ERROR,
  MK_LOG_WARN,
  MK_LOG_DEBUG,
};

/* FILE: --log (NULL: none), JSON: --log-format json, DEBUG: --debug.
   Returns 0, or -1 (errno) if FILE cannot be opened for appending.  */
int mk_log_setup (const char *file, bool json, bool debug);
/* Whether debug lines are written (--debug).  */
bool mk_log_debugging (void);
/* With --debug, the descriptor debug lines go to, which the init and
   exec's process keep until they exec (like the sync socket, and no longer:
   it reaches the host); -1 without --debug, when they write no line.  */
int mk_log_fd (void);
/* One line at LEVEL, as the description above says.  */
void mk_log (enum mk_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* An error already printed to stderr by the CLI: to FILE only.  */
void mk_log_file_only (enum mk_log_level level, const char *msg);

#define mk_warn(...) mk_log (MK_LOG_WARN, __VA_ARGS__)
#define mk_debug(...)                                                                              \
  do                                                                                               \
    {                                                                                              \
      if (mk_log_debugging ())                                                                     \
        mk_log (MK_LOG_DEBUG, __VA_ARGS__);                                                        \
    }                                                                                              \
  while (0)

#endif
