/* fs_io: how the daemon's FUSE session reads requests and writes replies (see
 * init_flags.h for the one reply it changes). */
#ifndef MONZOHFS_FS_IO_H
#define MONZOHFS_FS_IO_H

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 312
#endif
#include <fuse_lowlevel.h>

/* Call once the session is mounted, before its loop.  0 or a negative errno. */
int fs_io_install(struct fuse_session *se);

#endif
