/* xattrs: the extended attributes of the mount (user.monzo.*): when a file's bytes
 * were fetched and last changed, the API path they came from, the account they belong
 * to.  Built without FUSE; fs.c sizes the replies. */
#ifndef MONZOHFS_XATTRS_H
#define MONZOHFS_XATTRS_H

#include "cache.h"
#include "inodes.h"
#include "strbuf.h"

/* Appends the names i has, each ending in NUL (none for most directories and links). */
void xattrs_list(struct cache *c, const struct inode *i, struct strbuf *out);
/* Appends the value of name for i: 0, or -ENODATA for a name it does not have. */
int xattrs_get(struct cache *c, const struct inode *i, const char *name, struct strbuf *out);

#endif
