/* fs: the FUSE operations of the mount; the only module (with the daemon's main)
 * that knows about FUSE. */
#ifndef MONZOHFS_FS_H
#define MONZOHFS_FS_H

#define FUSE_USE_VERSION 312
#include <fuse.h>

#include <pthread.h>

#include "cache.h"
#include "tree.h"

struct fs_invalidator;
struct fs_handle;

struct fs_ctx {
	struct cache *cache;
	struct tree tree;
	uid_t uid;
	gid_t gid;
	struct fs_invalidator *inval;  /* started by init, stopped by destroy */
	pthread_mutex_t handles_lock;
	struct fs_handle *handles;     /* open files, freed by destroy if never released */
};

const struct fuse_operations *fs_operations(void);

#endif
