/* log: messages to stderr while in the foreground, to syslog once detached.
 * Callers must never pass tokens or secrets; nothing here filters them. */
#ifndef MONZOHFS_LOG_H
#define MONZOHFS_LOG_H

#include <stdbool.h>

void log_init(const char *progname, bool debug);
void log_to_syslog(void);
/* Drops info (and debug) messages while quiet: for a program that says the same in
 * its own words (the login's summary of its capture). */
void log_set_quiet(bool quiet);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
