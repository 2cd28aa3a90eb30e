/* dirs: creating the private directories our files live in (0700, parents too), and
 * paths that still hold once a daemon has left its working directory. */
#ifndef MONZOHFS_DIRS_H
#define MONZOHFS_DIRS_H

#include "strbuf.h"

/* mkdir -p with mode 0700 for what it creates; 0 or -1 with errno set. */
int dirs_make_private(const char *dir);
/* The same for the directory that holds path. */
int dirs_make_parent(const char *path);

/* Makes an existing directory of ours 0700 when others may read or enter it (not a
 * sticky one such as /tmp, nor the home directory); 0, or -1 with errno set. */
int dirs_tighten(const char *dir);
/* Whether dir (when it exists) is fit to hold files only we may change: ours, and
 * writable by no one else.  0; -1 with why (naming dir) when it is not. */
int dirs_check_private(const char *dir, struct strbuf *why);
/* path made absolute against the working directory (malloc'd; NULL with errno set). */
char *dirs_absolute(const char *path);

#endif
