/* fs: maps FUSE requests onto tree, cache and inodes.  A lookup is where freshness is
 * decided (it renders, so st_size is exact); its answer is an inode whose bytes never
 * change, so the kernel opens, reads and closes files without asking us. */
#include "fs.h"

#include "interrupt.h"
#include "log.h"
#include "xalloc.h"
#include "xattrs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

static struct fs_ctx *fs_ctx(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* A request that may wait for a fetch (a lookup, a listing, a refresh).  The kernel
 * sends an interrupt when its reader gets a signal (Ctrl-C on a `cat` of a file whose
 * first sync takes a minute): the wait then ends with EINTR at once, and the fetch goes
 * on for the next reader.  Without this, a fatal signal leaves the reader unkillable
 * until the sync ends. */
struct fs_wait {
	struct interrupt flag;
	struct cache *cache;
};

static void fs_interrupt(fuse_req_t req, void *data)
{
	struct fs_wait *w = data;
	interrupt_request(&w->flag);
	cache_interrupted(w->cache);
}

static void fs_wait_begin(fuse_req_t req, struct fs_wait *w)
{
	w->flag.requested = false;
	w->cache = fs_ctx(req)->cache;
	interrupt_enter(&w->flag);
	/* Calls fs_interrupt at once when the request was interrupted already. */
	fuse_req_interrupt_func(req, fs_interrupt, w);
}

/* Before the reply: once this returns, fs_interrupt is not running and will not run. */
static void fs_wait_end(fuse_req_t req)
{
	fuse_req_interrupt_func(req, NULL, NULL);
	interrupt_enter(NULL);
}

/* Kernel notifications run on a thread of their own: one sent from inside a request
 * handler can deadlock the connection.  Each queued notice (once each, sent in order)
 * is a path and what to do with the kernel's name for it:
 *   FS_RECHECK  the bytes may have changed: the next use of the name asks us again,
 *               finding the new version, or the same inode (pages kept) if unchanged;
 *   FS_DROP     hand the file back: the kernel forgets it once nobody has it open. */
enum { FS_RECHECK = 'r', FS_DROP = 'd' };

struct fs_notice {
	char kind;
	uint64_t serial;          /* FS_DROP: the version to hand back; 0 for the current */
	char *path;               /* "/accounts/acc_1/balance.json" */
};

struct fs_invalidator {
	struct fs_ctx *ctx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct fs_notice *queue;
	size_t n, cap;
	bool stop;
};

static void fs_notices_free(struct fs_notice *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(q[i].path);
	free(q);
}

static void fs_notify_queue(struct fs_invalidator *iv, char kind, uint64_t serial, const char *path)
{
	struct strbuf full = STRBUF_INIT;
	sb_addf(&full, "%s%s", path[0] == '/' ? "" : "/", path);
	pthread_mutex_lock(&iv->lock);
	bool queued = false;
	for (size_t i = 0; i < iv->n && !queued; i++)
		queued = iv->queue[i].kind == kind && iv->queue[i].serial == serial && !strcmp(iv->queue[i].path, full.buf);
	if (!queued) {
		if (iv->n == iv->cap) {
			iv->cap = iv->cap ? iv->cap * 2 : 16;
			iv->queue = xreallocarray(iv->queue, iv->cap, sizeof *iv->queue);
		}
		iv->queue[iv->n++] = (struct fs_notice){ kind, serial, sb_detach(&full, NULL) };
		pthread_cond_signal(&iv->wake);
	}
	pthread_mutex_unlock(&iv->lock);
	sb_release(&full);
}

/* The cache's callback: path ("accounts/acc_1/balance.json") may have new bytes. */
static void fs_invalidate_queue(void *arg, const char *path)
{
	fs_notify_queue(arg, FS_RECHECK, 0, path);
}

static void fs_notify_one(struct fs_ctx *ctx, const struct fs_notice *item)
{
	uint64_t parent;
	struct strbuf name = STRBUF_INIT;
	if (inodes_entry(&ctx->inodes, item->path, item->serial, &parent, &name)) {
		int rc = item->kind == FS_RECHECK && ctx->expire_only
				 ? fuse_lowlevel_notify_expire_entry(ctx->se, parent, name.buf, name.len,
								     FUSE_LL_EXPIRE_ONLY)
				 : fuse_lowlevel_notify_inval_entry(ctx->se, parent, name.buf, name.len);
		/* -ENOENT: the kernel had already let go; -EBADF, -ENODEV: unmounting. */
		if (rc && rc != -ENOENT && rc != -EBADF && rc != -ENODEV)
			log_debug("invalidating %s: %s", item->path, strerror(-rc));
	}
	sb_release(&name);
}

static void *fs_invalidate_loop(void *arg)
{
	struct fs_invalidator *iv = arg;
	pthread_mutex_lock(&iv->lock);
	for (;;) {
		while (!iv->n && !iv->stop)
			pthread_cond_wait(&iv->wake, &iv->lock);
		if (iv->stop)
			break;
		struct fs_notice *batch = iv->queue;
		size_t n = iv->n;
		iv->queue = NULL;
		iv->n = iv->cap = 0;
		pthread_mutex_unlock(&iv->lock);
		/* Checked between items: once the loop has ended nobody answers the lookups
		 * a notification may have to wait for. */
		for (size_t i = 0; i < n && !__atomic_load_n(&iv->stop, __ATOMIC_ACQUIRE); i++)
			fs_notify_one(iv->ctx, &batch[i]);
		fs_notices_free(batch, n);
		pthread_mutex_lock(&iv->lock);
	}
	pthread_mutex_unlock(&iv->lock);
	return NULL;
}

/* Files the kernel knows pin their bytes; past the budget, the least recently used
 * are handed back (their names dropped, so the kernel forgets them once closed). */
static void fs_check_budget(struct fs_ctx *ctx)
{
	if (!ctx->inval)
		return;
	size_t n;
	struct inodes_drop *drops = inodes_over_budget(&ctx->inodes, &n);
	for (size_t i = 0; i < n; i++)
		fs_notify_queue(ctx->inval, FS_DROP, drops[i].serial, drops[i].path);
	inodes_drops_free(drops, n);
}

void fs_setup(struct fs_ctx *ctx, struct cache *c, const struct cache_options *o)
{
	memset(ctx, 0, sizeof *ctx);
	pthread_mutex_init(&ctx->dirs_lock, NULL);
	ctx->cache = c;
	tree_init(&ctx->tree, c);
	inodes_init(&ctx->inodes, o->keep_bytes, getuid(), getgid(), cache_started(c));
}

void fs_teardown(struct fs_ctx *ctx)
{
	inodes_destroy(&ctx->inodes);
	pthread_mutex_destroy(&ctx->dirs_lock);
}

static void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	struct fs_ctx *ctx = userdata;
	/* Opens and closes need no word from us: the inode says everything. */
	if (conn->capable & FUSE_CAP_NO_OPEN_SUPPORT) {
		conn->want |= FUSE_CAP_NO_OPEN_SUPPORT;
		ctx->no_open = true;
	}
	/* Changes can then keep the kernel's inode (and pages) for files whose bytes held. */
	if (conn->capable & FUSE_CAP_EXPIRE_ONLY) {
		conn->want |= FUSE_CAP_EXPIRE_ONLY;
		ctx->expire_only = true;
	}
	/* An inode's bytes never change, so there is nothing to check before a read. */
	conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
	struct fs_invalidator *iv = xcalloc(1, sizeof *iv);
	iv->ctx = ctx;
	pthread_mutex_init(&iv->lock, NULL);
	pthread_cond_init(&iv->wake, NULL);
	if (pthread_create(&iv->thread, NULL, fs_invalidate_loop, iv) == 0) {
		ctx->inval = iv;
		cache_set_invalidator(ctx->cache, fs_invalidate_queue, iv);
	} else {
		pthread_mutex_destroy(&iv->lock);
		pthread_cond_destroy(&iv->wake);
		free(iv);
	}
}

void fs_stop_notifications(struct fs_ctx *ctx)
{
	struct fs_invalidator *iv = ctx->inval;
	if (!iv)
		return;
	cache_set_invalidator(ctx->cache, NULL, NULL);
	pthread_mutex_lock(&iv->lock);
	__atomic_store_n(&iv->stop, true, __ATOMIC_RELEASE);
	pthread_cond_signal(&iv->wake);
	pthread_mutex_unlock(&iv->lock);
	pthread_join(iv->thread, NULL);
	fs_notices_free(iv->queue, iv->n);
	pthread_mutex_destroy(&iv->lock);
	pthread_cond_destroy(&iv->wake);
	free(iv);
	ctx->inval = NULL;
}

static void fs_child_path(const struct inode *parent, const char *name, struct strbuf *out)
{
	sb_adds(out, parent->path);
	if (strcmp(parent->path, "/"))
		sb_addch(out, '/');
	sb_adds(out, name);
}

/* How long the kernel may keep a name without asking: until what it is made from may
 * be fetched again (a change before that comes as a notification).  A file's
 * attributes belong to its version and never change (they are kept for good), but
 * its name must be asked for again at the TTL to find the next version.
 * .status.json says what is true when it is opened, so every open asks for its name
 * (and gets the same inode, pages and all, while nothing changed). */
static double fs_timeout(struct fs_ctx *ctx, const struct node *n, double file_fresh)
{
	struct cache *c = ctx->cache;
	switch (n->type) {
	case NODE_FILE:
		return n->file == FILE_STATUS ? 0 : file_fresh;
	case NODE_LINK:
		return cache_fresh_for(c, n->pot[0] ? RES_POTS : RES_ACCOUNTS, n->pot[0] ? n->account : NULL);
	case NODE_DIR:
		switch (n->dir) {
		case DIR_ROOT:
		case DIR_ACCOUNTS:
			return CACHE_FOREVER;
		case DIR_ACCOUNT:
		case DIR_POTS:
		case DIR_ATTACHMENTS:
			return cache_fresh_for(c, RES_ACCOUNTS, NULL);
		case DIR_POT:
			return cache_fresh_for(c, RES_POTS, n->account);
		case DIR_MONTHS:
			/* A pot's transactions/ is there once its account's sync names it. */
			return n->pot[0] ? cache_fresh_for(c, RES_TRANSACTIONS, n->account) : cache_fresh_for(c, RES_ACCOUNTS, NULL);
		case DIR_ATTACH_MONTH:
			/* A month of attachments is there while its account's list has one. */
			return cache_fresh_for(c, RES_TRANSACTIONS, n->account);
		case DIR_REPORTS:
			return n->account[0] ? cache_fresh_for(c, RES_ACCOUNTS, NULL) : CACHE_FOREVER;
		}
	}
	return 0;
}

static void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs_ctx *ctx = fs_ctx(req);
	struct inode *p = inodes_get(&ctx->inodes, parent);
	if (p->type != NODE_DIR) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	struct strbuf path = STRBUF_INIT;
	fs_child_path(p, name, &path);
	struct node n;
	struct snapshot *snap = NULL;
	double fresh = 0;
	struct fs_wait w;
	fs_wait_begin(req, &w);
	int rc = tree_lookup(&ctx->tree, path.buf, &n);
	if (!rc && n.type == NODE_FILE) {
		struct file_id id;
		tree_file_id(&n, &id);
		rc = cache_file(ctx->cache, &id, &snap, &fresh);
	}
	fs_wait_end(req);
	struct fuse_entry_param e;
	memset(&e, 0, sizeof e);
	if (!rc)
		e.ino = inodes_lookup(&ctx->inodes, path.buf, &n, snap, &e.attr);
	if (snap)
		snapshot_put(snap);
	sb_release(&path);
	if (rc) {
		fuse_reply_err(req, -rc);
		return;
	}
	e.entry_timeout = fs_timeout(ctx, &n, fresh);
	e.attr_timeout = n.type == NODE_FILE ? CACHE_FOREVER : e.entry_timeout;
	/* A reply the kernel never took (an interrupted lookup) is a reference it does not hold. */
	if (fuse_reply_entry(req, &e) != 0)
		inodes_forget(&ctx->inodes, e.ino, 1);
	if (n.type == NODE_FILE)
		fs_check_budget(ctx);
}

static void fs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	inodes_forget(&fs_ctx(req)->inodes, ino, nlookup);
	fuse_reply_none(req);
}

static void fs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct fs_ctx *ctx = fs_ctx(req);
	for (size_t i = 0; i < count; i++)
		inodes_forget(&ctx->inodes, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_ctx *ctx = fs_ctx(req);
	struct inode *i = inodes_get(&ctx->inodes, ino);
	struct node n;
	struct fs_wait w;
	fs_wait_begin(req, &w);
	bool dir = i->type == NODE_DIR && tree_lookup(&ctx->tree, i->path, &n) == 0 && n.type == NODE_DIR;
	/* A file's own attributes are the answer whatever happens; this only lets a TTL
	 * that ran out fetch again, and have the name rechecked if the bytes moved on. */
	bool status = i->type == NODE_FILE && i->id.kind == FILE_STATUS;
	if (i->type == NODE_FILE && !status)
		cache_file(ctx->cache, &i->id, NULL, NULL);
	bool interrupted = interrupt_requested();
	fs_wait_end(req);
	if (interrupted) {
		fuse_reply_err(req, EINTR);
		return;
	}
	struct stat st;
	inodes_stat(&ctx->inodes, i, dir ? &n : NULL, &st);
	double timeout = i->type == NODE_FILE ? CACHE_FOREVER
			 : dir ? fs_timeout(ctx, &n, 0) : cache_fresh_for(ctx->cache, RES_ACCOUNTS, NULL);
	fuse_reply_attr(req, &st, timeout);
}

static void fs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct inode *i = inodes_get(&fs_ctx(req)->inodes, ino);
	if (i->type != NODE_LINK) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	/* A copy: the kernel may forget the inode as soon as it has the reply. */
	char *target = xstrdup(i->target);
	/* Relative, so the link still works when the mount is reached by another path. */
	fuse_reply_readlink(req, target);
	free(target);
}

static void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
		fuse_reply_err(req, EROFS);
		return;
	}
	/* ENOSYS tells a kernel that can do without opens never to send another. */
	if (fs_ctx(req)->no_open) {
		fuse_reply_err(req, ENOSYS);
		return;
	}
	fi->keep_cache = 1;
	fi->noflush = 1;
	fuse_reply_open(req, fi);
}

static void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fs_ctx *ctx = fs_ctx(req);
	struct inode *i = inodes_get(&ctx->inodes, ino);
	if (i->type != NODE_FILE) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	inodes_touch(&ctx->inodes, i);
	/* Held until the reply is written: once the kernel has it, the reader may close
	 * and the kernel forget the inode, from another thread, before we return. */
	struct snapshot *s = i->snap;
	snapshot_get(s);
	/* An attachment known by its size alone gets its bytes at its first read. */
	int rc = cache_snapshot_bytes(ctx->cache, s);
	if (rc) {
		snapshot_put(s);
		fuse_reply_err(req, -rc);
		return;
	}
	size_t n = (size_t)off >= s->size ? 0 : s->size - (size_t)off;
	if (n > size)
		n = size;
	if (s->fd < 0 || !n) {
		fuse_reply_buf(req, n ? s->data + off : NULL, n);
	} else {
		/* A large file lives in a memory file: libfuse copies (or splices) from it. */
		struct fuse_bufvec v = FUSE_BUFVEC_INIT(n);
		v.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
		v.buf[0].fd = s->fd;
		v.buf[0].pos = off;
		fuse_reply_data(req, &v, 0);
	}
	snapshot_put(s);
}

/* A value or a list of names: its size when asked with size 0, ERANGE when it does not fit. */
static void fs_reply_xattr(fuse_req_t req, const struct strbuf *v, size_t size)
{
	if (!size)
		fuse_reply_xattr(req, v->len);
	else if (v->len > size)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, v->buf, v->len);
}

static void fs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct fs_ctx *ctx = fs_ctx(req);
	struct strbuf v = STRBUF_INIT;
	int rc = xattrs_get(ctx->cache, inodes_get(&ctx->inodes, ino), name, &v);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fs_reply_xattr(req, &v, size);
	sb_release(&v);
}

static void fs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct fs_ctx *ctx = fs_ctx(req);
	struct strbuf names = STRBUF_INIT;
	xattrs_list(ctx->cache, inodes_get(&ctx->inodes, ino), &names);
	fs_reply_xattr(req, &names, size);
	sb_release(&names);
}

/* An open directory: its listing, built whole when read from the start (opendir,
 * rewinddir), so a listing read in several parts is one listing.  Offsets are entry
 * numbers, so a seek to any offset the kernel was given lands on an entry. */
struct fs_dir_entry {
	char *name;
	mode_t type;
};

struct fs_dir {
	struct fs_dir_entry *ents;
	size_t n, cap;
	pthread_mutex_t lock;   /* readdir of one handle may run on two threads */
	bool read_once;
	struct fs_dir *prev, *next;
};

static void fs_dir_clear(struct fs_dir *d)
{
	for (size_t k = 0; k < d->n; k++)
		free(d->ents[k].name);
	d->n = 0;
}

static void fs_dir_free(struct fs_dir *d)
{
	fs_dir_clear(d);
	free(d->ents);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static int fs_dir_add(void *arg, const char *name, const struct node *n)
{
	struct fs_dir *d = arg;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 32;
		d->ents = xreallocarray(d->ents, d->cap, sizeof *d->ents);
	}
	char *copy = xstrdup(name);
	/* Type bits only: a full stat would mean rendering (and fetching) every file,
	 * and a listing must not fetch what nobody looked up. */
	d->ents[d->n].name = copy;
	d->ents[d->n].type = n->type == NODE_DIR ? S_IFDIR : n->type == NODE_LINK ? S_IFLNK : S_IFREG;
	d->n++;
	return 0;
}

static int fs_dir_build(struct fs_ctx *ctx, const struct inode *i, struct fs_dir *d)
{
	struct node n, dot = { .type = NODE_DIR };
	fs_dir_clear(d);
	int rc = tree_lookup(&ctx->tree, i->path, &n);
	if (!rc && !(rc = fs_dir_add(d, ".", &dot)) && !(rc = fs_dir_add(d, "..", &dot)))
		rc = tree_list(&ctx->tree, &n, fs_dir_add, d);
	return rc;
}

static void fs_dir_unlist(struct fs_ctx *ctx, struct fs_dir *d)
{
	pthread_mutex_lock(&ctx->dirs_lock);
	if (d->prev)
		d->prev->next = d->next;
	else
		ctx->dirs = d->next;
	if (d->next)
		d->next->prev = d->prev;
	pthread_mutex_unlock(&ctx->dirs_lock);
}

static void fs_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_ctx *ctx = fs_ctx(req);
	struct inode *i = inodes_get(&ctx->inodes, ino);
	if (i->type != NODE_DIR) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	struct fs_dir *d = xcalloc(1, sizeof *d);
	pthread_mutex_init(&d->lock, NULL);
	struct fs_wait w;
	fs_wait_begin(req, &w);
	int rc = fs_dir_build(ctx, i, d);
	fs_wait_end(req);
	if (rc) {
		fs_dir_free(d);
		fuse_reply_err(req, -rc);
		return;
	}
	/* Listed, so that those still open at a lazy unmount are freed at destroy. */
	pthread_mutex_lock(&ctx->dirs_lock);
	d->next = ctx->dirs;
	if (d->next)
		d->next->prev = d;
	ctx->dirs = d;
	pthread_mutex_unlock(&ctx->dirs_lock);
	fi->fh = (uint64_t)(uintptr_t)d;
	if (fuse_reply_open(req, fi) != 0) {
		fs_dir_unlist(ctx, d);
		fs_dir_free(d);
	}
}

static void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fs_ctx *ctx = fs_ctx(req);
	struct fs_dir *d = (struct fs_dir *)(uintptr_t)fi->fh;
	char *buf = xmalloc(size);
	pthread_mutex_lock(&d->lock);
	/* Reading from the start again (rewinddir) sees the directory as it is now;
	 * the first read after opendir uses the listing opendir just made. */
	int rc = 0;
	if (off == 0 && d->read_once) {
		struct fs_wait w;
		fs_wait_begin(req, &w);
		rc = fs_dir_build(ctx, inodes_get(&ctx->inodes, ino), d);
		fs_wait_end(req);
	}
	d->read_once = true;
	size_t len = 0;
	for (size_t k = off < 0 ? d->n : (size_t)off; !rc && k < d->n; k++) {
		struct stat st;
		memset(&st, 0, sizeof st);
		st.st_ino = 0xffffffff;
		st.st_mode = d->ents[k].type;
		size_t need = fuse_add_direntry(req, buf + len, size - len, d->ents[k].name, &st, (off_t)(k + 1));
		if (need > size - len)
			break;
		len += need;
	}
	pthread_mutex_unlock(&d->lock);
	if (rc)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_buf(req, buf, len);
	free(buf);
}

static void fs_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_dir *d = (struct fs_dir *)(uintptr_t)fi->fh;
	fs_dir_unlist(fs_ctx(req), d);
	fs_dir_free(d);
	fuse_reply_err(req, 0);
}

static void fs_destroy(void *userdata)
{
	struct fs_ctx *ctx = userdata;
	fs_stop_notifications(ctx);
	while (ctx->dirs) {
		struct fs_dir *d = ctx->dirs;
		ctx->dirs = d->next;
		fs_dir_free(d);
	}
}

static void fs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv;
	memset(&sv, 0, sizeof sv);
	sv.f_bsize = 4096;
	sv.f_frsize = 4096;
	sv.f_namemax = 255;
	sv.f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
	fuse_reply_statfs(req, &sv);
}

/* Every kind of change is refused the same way: this is a read-only view of a bank.
 * The mount is read-only, so the kernel refuses first; these answer if it ever asks. */
static void fs_erofs(fuse_req_t req)
{
	fuse_reply_err(req, EROFS);
}
static void fs_setattr(fuse_req_t r, fuse_ino_t i, struct stat *a, int s, struct fuse_file_info *f) { fs_erofs(r); }
static void fs_mknod(fuse_req_t r, fuse_ino_t p, const char *n, mode_t m, dev_t d) { fs_erofs(r); }
static void fs_mkdir(fuse_req_t r, fuse_ino_t p, const char *n, mode_t m) { fs_erofs(r); }
static void fs_unlink(fuse_req_t r, fuse_ino_t p, const char *n) { fs_erofs(r); }
static void fs_rmdir(fuse_req_t r, fuse_ino_t p, const char *n) { fs_erofs(r); }
static void fs_symlink(fuse_req_t r, const char *l, fuse_ino_t p, const char *n) { fs_erofs(r); }
static void fs_rename(fuse_req_t r, fuse_ino_t p, const char *n, fuse_ino_t np, const char *nn, unsigned int f)
{
	fs_erofs(r);
}
static void fs_link(fuse_req_t r, fuse_ino_t i, fuse_ino_t np, const char *nn) { fs_erofs(r); }
static void fs_write(fuse_req_t r, fuse_ino_t i, const char *b, size_t s, off_t o, struct fuse_file_info *f)
{
	fs_erofs(r);
}
static void fs_create(fuse_req_t r, fuse_ino_t p, const char *n, mode_t m, struct fuse_file_info *f) { fs_erofs(r); }
static void fs_setxattr(fuse_req_t r, fuse_ino_t i, const char *n, const char *v, size_t s, int f) { fs_erofs(r); }
static void fs_removexattr(fuse_req_t r, fuse_ino_t i, const char *n) { fs_erofs(r); }

static const struct fuse_lowlevel_ops fs_ops = {
	.init = fs_init,
	.destroy = fs_destroy,
	.lookup = fs_lookup,
	.forget = fs_forget,
	.forget_multi = fs_forget_multi,
	.getattr = fs_getattr,
	.readlink = fs_readlink,
	.open = fs_open,
	.read = fs_read,
	.opendir = fs_opendir,
	.readdir = fs_readdir,
	.releasedir = fs_releasedir,
	.statfs = fs_statfs,
	.setattr = fs_setattr,
	.mknod = fs_mknod,
	.mkdir = fs_mkdir,
	.unlink = fs_unlink,
	.rmdir = fs_rmdir,
	.symlink = fs_symlink,
	.rename = fs_rename,
	.link = fs_link,
	.write = fs_write,
	.create = fs_create,
	.getxattr = fs_getxattr,
	.listxattr = fs_listxattr,
	.setxattr = fs_setxattr,
	.removexattr = fs_removexattr,
};

const struct fuse_lowlevel_ops *fs_operations(void)
{
	return &fs_ops;
}
