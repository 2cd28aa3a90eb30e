/* logfile: where a detached daemon writes its messages when there is no syslog to
 * take them: a private file (0600, in a directory made 0700) that never grows past
 * LOGFILE_MAX bytes: the line that would take it past turns it into FILE.1 (replacing
 * the one before) and starts a new one. */
#ifndef MONZOHFS_LOGFILE_H
#define MONZOHFS_LOGFILE_H

#include <stddef.h>

#include "strbuf.h"

#define LOGFILE_MAX (1 << 20)

/* Opens (creating) the process's log file at path, which must be absolute.  0, or -1
 * with the reason in err. */
int logfile_open(const char *path, struct strbuf *err);
/* Appends one line (with its newline) in one write; the caller serialises calls. */
void logfile_write(const char *line, size_t len);

#endif
