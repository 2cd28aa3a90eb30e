/* atomicfile: a file written whole or not at all, as a crash or a reader may find it
 * at any moment (tokens.json, attachment files). */
#ifndef MONZOHFS_ATOMICFILE_H
#define MONZOHFS_ATOMICFILE_H

#include <stddef.h>

/* Writes len bytes of data as path (which must be in dir): a temporary file in dir,
 * mode 0600 from its first byte, fsync, rename over path, fsync of dir.  0, or -1 with
 * errno set and nothing left behind; *step (when not NULL) then says what failed:
 * "create" (the temporary file) or "write". */
int atomicfile_write(const char *dir, const char *path, const void *data, size_t len, const char **step);

#endif
