/* smallfile: a small file of the user's (tokens.json, the config file, ./.env) read
 * whole and safely: a link to /dev/zero, a FIFO or a huge file put in its place is
 * refused at once, rather than growing memory or blocking. */
#ifndef MONZOHFS_SMALLFILE_H
#define MONZOHFS_SMALLFILE_H

#include <stddef.h>

#include "strbuf.h"

/* Reads the regular file at path, of at most cap bytes, into out (empty, or reset
 * first), grown once so that a secret's text is never left behind by a realloc: wipe
 * out->buf when done.  0; -1 with errno set (ENOENT: it does not exist; EINVAL: not a
 * regular file; EFBIG: more than cap bytes) and *why saying so in words. */
int smallfile_read(const char *path, size_t cap, struct strbuf *out, const char **why);

#endif
