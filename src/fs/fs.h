/* fs: the FUSE operations of the mount; the only module (with the daemon's main)
 * that knows about FUSE. */
#ifndef MONZOHFS_FS_H
#define MONZOHFS_FS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "cache.h"
#include "inodes.h"
#include "tree.h"

struct fs_invalidator;
struct fs_dir;

struct fs_ctx {
	struct cache *cache;
	struct tree tree;
	struct inodes inodes;
	struct fuse_session *se;       /* set by the main once the session exists */
	bool no_open;                  /* the kernel opens files without asking */
	bool expire_only;              /* names can be marked for a recheck, not only dropped */
	struct fs_invalidator *inval;  /* started by init, stopped by destroy */
	pthread_mutex_t dirs_lock;
	struct fs_dir *dirs;           /* open directories, freed by destroy if never released */
};

/* Ready to serve c: the kernel trusts what it was told for at most a second, and never
 * longer than the shortest TTL, so a TTL still decides when bytes are fetched again. */
void fs_setup(struct fs_ctx *ctx, struct cache *c, const struct cache_options *o);
void fs_teardown(struct fs_ctx *ctx);

/* Stops the notification thread; for once the loop has ended and before unmounting
 * (the session's descriptor is closed then).  destroy calls it too. */
void fs_stop_notifications(struct fs_ctx *ctx);

const struct fuse_lowlevel_ops *fs_operations(void);

#endif
