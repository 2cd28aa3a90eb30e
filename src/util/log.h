/* log: messages to stderr while in the foreground; once detached, to syslog, or to a
 * private file when there is no syslog.  Callers must never pass tokens or secrets;
 * nothing here filters them. */
#ifndef MONZOHFS_LOG_H
#define MONZOHFS_LOG_H

#include <stdbool.h>

#include "strbuf.h"

void log_init(const char *progname, bool debug);
/* Chooses where a detached daemon's messages will go: syslog when its socket is
 * there (MONZOHFS_TEST_SYSLOG_SOCKET, for tests only, names another path to look
 * for it), else the file at file_path (absolute; see logfile).  Called before
 * detaching, so that a problem shows on the terminal; where gets where to read them,
 * in words a user can follow.  0, or -1 with the reason in err. */
int log_prepare_detached(const char *file_path, struct strbuf *where, struct strbuf *err);
/* Detached: from now on, messages go where log_prepare_detached chose. */
void log_detach(void);
/* Drops info (and debug) messages while quiet: for a program that says the same in
 * its own words (the login's summary of its capture). */
void log_set_quiet(bool quiet);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
