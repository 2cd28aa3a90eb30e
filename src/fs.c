/* fs: maps FUSE requests onto tree and cache.  getattr is where freshness is decided
 * (it renders, so st_size is exact); open pins that snapshot, so every read of one
 * open file sees the same bytes. */
#include "fs.h"

#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct fs_ctx *fs_ctx(void)
{
	return fuse_get_context()->private_data;
}

/* What an open file holds: its bytes, pinned.  Handles are listed so that those the
 * kernel never releases (a lazy unmount with files open) are freed at destroy. */
struct fs_handle {
	struct snapshot *snap;
	struct fs_handle *prev, *next;
};

static void fs_handle_unlink(struct fs_ctx *ctx, struct fs_handle *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		ctx->handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
}

/* Kernel cache invalidation runs on a thread of its own: a notification sent from
 * inside a request handler can deadlock the kernel connection.  Paths are queued
 * (once each) and sent in order. */
struct fs_invalidator {
	struct fuse *fuse;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct strbuf queue;      /* NUL-separated paths */
	bool stop;
};

static void fs_invalidate_queue(void *ctx, const char *path)
{
	struct fs_invalidator *iv = ctx;
	pthread_mutex_lock(&iv->lock);
	bool queued = false;
	for (size_t i = 0; i < iv->queue.len && !queued; i += strlen(iv->queue.buf + i) + 1)
		queued = !strcmp(iv->queue.buf + i + 1, path);
	if (!queued) {
		sb_addch(&iv->queue, '/');
		sb_add(&iv->queue, path, strlen(path) + 1);
		pthread_cond_signal(&iv->wake);
	}
	pthread_mutex_unlock(&iv->lock);
}

static void *fs_invalidate_loop(void *arg)
{
	struct fs_invalidator *iv = arg;
	pthread_mutex_lock(&iv->lock);
	for (;;) {
		while (!iv->queue.len && !iv->stop)
			pthread_cond_wait(&iv->wake, &iv->lock);
		if (iv->stop)
			break;
		struct strbuf batch = iv->queue;
		sb_init(&iv->queue);
		pthread_mutex_unlock(&iv->lock);
		for (size_t i = 0; i < batch.len; i += strlen(batch.buf + i) + 1) {
			/* -ENOENT: the kernel never looked the path up; nothing to drop. */
			int rc = fuse_invalidate_path(iv->fuse, batch.buf + i);
			if (rc && rc != -ENOENT)
				log_debug("invalidating %s: %s", batch.buf + i, strerror(-rc));
		}
		sb_release(&batch);
		pthread_mutex_lock(&iv->lock);
	}
	pthread_mutex_unlock(&iv->lock);
	return NULL;
}

static void fs_destroy(void *private_data)
{
	struct fs_ctx *ctx = private_data;
	pthread_mutex_lock(&ctx->handles_lock);
	while (ctx->handles) {
		struct fs_handle *h = ctx->handles;
		fs_handle_unlink(ctx, h);
		snapshot_put(h->snap);
		free(h);
	}
	pthread_mutex_unlock(&ctx->handles_lock);
	struct fs_invalidator *iv = ctx->inval;
	if (!iv)
		return;
	cache_set_invalidator(ctx->cache, NULL, NULL);
	pthread_mutex_lock(&iv->lock);
	iv->stop = true;
	pthread_cond_signal(&iv->wake);
	pthread_mutex_unlock(&iv->lock);
	pthread_join(iv->thread, NULL);
	sb_release(&iv->queue);
	pthread_mutex_destroy(&iv->lock);
	pthread_cond_destroy(&iv->wake);
	free(iv);
	ctx->inval = NULL;
}

static void *fs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->entry_timeout = 1.0;
	cfg->attr_timeout = 1.0;
	cfg->negative_timeout = 0;
	cfg->use_ino = 0;
	cfg->hard_remove = 0;
	/* The kernel drops its pages when mtime changes: our mtime moves with the bytes. */
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
	struct fs_ctx *ctx = fs_ctx();
	struct fs_invalidator *iv = calloc(1, sizeof *iv);
	iv->fuse = fuse_get_context()->fuse;
	pthread_mutex_init(&iv->lock, NULL);
	pthread_cond_init(&iv->wake, NULL);
	if (pthread_create(&iv->thread, NULL, fs_invalidate_loop, iv) == 0) {
		ctx->inval = iv;
		cache_set_invalidator(ctx->cache, fs_invalidate_queue, iv);
	} else {
		free(iv);
	}
	return ctx;
}

static void fs_fill_stat(const struct fs_ctx *ctx, const struct node *n, const struct file_meta *m,
			 struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_uid = ctx->uid;
	st->st_gid = ctx->gid;
	struct instant t = m->mtime;
	switch (n->type) {
	case NODE_DIR:
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		break;
	case NODE_FILE:
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = (off_t)m->size;
		st->st_blocks = (st->st_size + 511) / 512;
		break;
	case NODE_LINK:
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)strlen(n->account);
		break;
	}
	st->st_mtim.tv_sec = t.sec;
	st->st_mtim.tv_nsec = t.nsec;
	st->st_ctim = st->st_mtim;
	st->st_atim = st->st_mtim;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct fs_ctx *ctx = fs_ctx();
	if (fi && fi->fh) {
		const struct snapshot *s = ((const struct fs_handle *)(uintptr_t)fi->fh)->snap;
		struct node n = { .type = NODE_FILE };
		struct file_meta meta = { s->size, s->mtime, false };
		fs_fill_stat(ctx, &n, &meta, st);
		return 0;
	}
	struct node n;
	int rc = tree_lookup(&ctx->tree, path, &n);
	if (rc)
		return rc;
	struct file_meta meta = { 0, n.mtime, false };
	if (n.type == NODE_FILE) {
		struct file_id id;
		tree_file_id(&n, &id);
		if ((rc = cache_file(ctx->cache, &id, true, &meta, NULL)))
			return rc;
	}
	fs_fill_stat(ctx, &n, &meta, st);
	return 0;
}

static int fs_readlink(const char *path, char *buf, size_t size)
{
	struct node n;
	int rc = tree_lookup(&fs_ctx()->tree, path, &n);
	if (rc)
		return rc;
	if (n.type != NODE_LINK)
		return -EINVAL;
	/* Relative, so the link still works when the mount is reached by another path. */
	snprintf(buf, size, "%s", n.account);
	return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC))
		return -EROFS;
	struct fs_ctx *ctx = fs_ctx();
	struct node n;
	int rc = tree_lookup(&ctx->tree, path, &n);
	if (rc)
		return rc;
	if (n.type != NODE_FILE)
		return -EISDIR;
	struct snapshot *s;
	struct file_id id;
	struct file_meta meta;
	tree_file_id(&n, &id);
	if ((rc = cache_file(ctx->cache, &id, false, &meta, &s)))
		return rc;
	struct fs_handle *h = calloc(1, sizeof *h);
	if (!h) {
		snapshot_put(s);
		return -ENOMEM;
	}
	h->snap = s;
	pthread_mutex_lock(&ctx->handles_lock);
	h->next = ctx->handles;
	if (h->next)
		h->next->prev = h;
	ctx->handles = h;
	pthread_mutex_unlock(&ctx->handles_lock);
	fi->fh = (uint64_t)(uintptr_t)h;
	/* Unchanged since the last open: the kernel may keep the pages it has. */
	fi->keep_cache = meta.same_as_last_open;
	return 0;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	const struct snapshot *s = ((const struct fs_handle *)(uintptr_t)fi->fh)->snap;
	if (off < 0)
		return -EINVAL;
	if ((size_t)off >= s->size)
		return 0;
	size_t n = s->size - (size_t)off;
	if (n > size)
		n = size;
	memcpy(buf, s->data + off, n);
	return (int)n;
}

static int fs_release(const char *path, struct fuse_file_info *fi)
{
	struct fs_ctx *ctx = fs_ctx();
	struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
	pthread_mutex_lock(&ctx->handles_lock);
	fs_handle_unlink(ctx, h);
	pthread_mutex_unlock(&ctx->handles_lock);
	snapshot_put(h->snap);
	free(h);
	return 0;
}

struct fs_fill {
	void *buf;
	fuse_fill_dir_t filler;
};

static int fs_fill_entry(void *ctx, const char *name, const struct node *n)
{
	struct fs_fill *f = ctx;
	struct stat st;
	/* Type bits only: a full stat would mean rendering (and fetching) every file,
	 * and a listing must not fetch what nobody looked up. */
	memset(&st, 0, sizeof st);
	st.st_mode = n->type == NODE_DIR ? S_IFDIR | 0555 : n->type == NODE_LINK ? S_IFLNK | 0777 : S_IFREG | 0444;
	return f->filler(f->buf, name, &st, 0, 0);
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	struct fs_ctx *ctx = fs_ctx();
	struct node n;
	int rc = tree_lookup(&ctx->tree, path, &n);
	if (rc)
		return rc;
	if (n.type != NODE_DIR)
		return -ENOTDIR;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	struct fs_fill f = { buf, filler };
	return tree_list(&ctx->tree, &n, fs_fill_entry, &f);
}

static int fs_access(const char *path, int mask)
{
	struct node n;
	int rc = tree_lookup(&fs_ctx()->tree, path, &n);
	if (rc)
		return rc;
	/* Even for root: nothing here can be written, so "test -w" should say so. */
	return mask & W_OK ? -EROFS : 0;
}

static int fs_statfs(const char *path, struct statvfs *sv)
{
	memset(sv, 0, sizeof *sv);
	sv->f_bsize = 4096;
	sv->f_frsize = 4096;
	sv->f_namemax = 255;
	sv->f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
	return 0;
}

/* Every kind of change is refused the same way: this is a read-only view of a bank. */
static int fs_erofs_path(const char *path)
{
	return -EROFS;
}
static int fs_mknod(const char *p, mode_t m, dev_t d) { return fs_erofs_path(p); }
static int fs_mkdir(const char *p, mode_t m) { return fs_erofs_path(p); }
static int fs_unlink(const char *p) { return fs_erofs_path(p); }
static int fs_rmdir(const char *p) { return fs_erofs_path(p); }
static int fs_symlink(const char *t, const char *p) { return fs_erofs_path(p); }
static int fs_rename(const char *a, const char *b, unsigned int f) { return fs_erofs_path(a); }
static int fs_link(const char *a, const char *b) { return fs_erofs_path(b); }
static int fs_chmod(const char *p, mode_t m, struct fuse_file_info *fi) { return fs_erofs_path(p); }
static int fs_chown(const char *p, uid_t u, gid_t g, struct fuse_file_info *fi) { return fs_erofs_path(p); }
static int fs_truncate(const char *p, off_t o, struct fuse_file_info *fi) { return fs_erofs_path(p); }
static int fs_write(const char *p, const char *b, size_t s, off_t o, struct fuse_file_info *fi)
{
	return fs_erofs_path(p);
}
static int fs_create(const char *p, mode_t m, struct fuse_file_info *fi) { return fs_erofs_path(p); }
static int fs_utimens(const char *p, const struct timespec tv[2], struct fuse_file_info *fi)
{
	return fs_erofs_path(p);
}
static int fs_setxattr(const char *p, const char *n, const char *v, size_t s, int f) { return fs_erofs_path(p); }
static int fs_removexattr(const char *p, const char *n) { return fs_erofs_path(p); }

static const struct fuse_operations fs_ops = {
	.init = fs_init,
	.destroy = fs_destroy,
	.getattr = fs_getattr,
	.readlink = fs_readlink,
	.open = fs_open,
	.read = fs_read,
	.release = fs_release,
	.readdir = fs_readdir,
	.statfs = fs_statfs,
	.access = fs_access,
	.mknod = fs_mknod,
	.mkdir = fs_mkdir,
	.unlink = fs_unlink,
	.rmdir = fs_rmdir,
	.symlink = fs_symlink,
	.rename = fs_rename,
	.link = fs_link,
	.chmod = fs_chmod,
	.chown = fs_chown,
	.truncate = fs_truncate,
	.write = fs_write,
	.create = fs_create,
	.utimens = fs_utimens,
	.setxattr = fs_setxattr,
	.removexattr = fs_removexattr,
};

const struct fuse_operations *fs_operations(void)
{
	return &fs_ops;
}
