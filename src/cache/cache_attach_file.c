/* cache_attach_file: an attachment file's bytes.  A URL whose bytes the store keeps is
 * served from them with no request, by this mount or any later one (offline too);
 * otherwise its first lookup asks its host for the size (cache_attach_head) and the
 * bytes come at the first read, or, from a host that gives no size, at that lookup.
 * A fetch that fails answers EIO: never a partial file. */
#include "cache_attach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blobs.h"
#include "cache_internal.h"
#include "http.h"
#include "log.h"
#include "store_attach.h"
#include "xalloc.h"

/* What a snapshot known by its size alone needs to get its bytes. */
struct cache_attach_pending {
	pthread_mutex_t lock;     /* one reader fetches, the others wait for it */
	bool ready;               /* the snapshot's data or fd is there */
	struct file_id id;
	char *url;
};

void cache_attach_pending_free(struct cache_attach_pending *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->url);
	free(p);
}

/* A file's versions are told apart by its URL, whose bytes never change once kept:
 * the snapshot made from the size alone and the one made from the bytes are then one
 * version (one inode) to the fs layer. */
static uint64_t cache_attach_digest(const char *url)
{
	char hex[BLOBS_HEX_LEN + 1];
	blobs_sha256(url, strlen(url), hex);
	return blobs_digest(hex);
}

static struct snapshot *cache_attach_snapshot_new(char *data, int fd, uint64_t size, const struct cache_attach_entry *e,
						  struct instant fetched_at)
{
	struct snapshot *s = snapshot_new(data, fd, size, e->mtime, cache_attach_digest(e->url));
	s->fetched_at = fetched_at;
	/* For user.monzo.source, which rsync -X and backups copy: a signed URL's query (or
	 * a user and password in it) reads the file while it is valid. */
	s->source = http_url_public(e->url);
	return s;
}

/* The snapshot of n stored bytes: up to CACHE_SPILL_AT on the heap like a rendered
 * file (so the descriptors held stay few whatever the number of files the kernel
 * keeps), past it the stored file itself, read through its descriptor. */
static int cache_attach_snapshot(int fd, const struct store_attach_file *f, const struct cache_attach_entry *e,
				 struct snapshot **snap)
{
	char *data = NULL;
	if (f->size <= CACHE_SPILL_AT) {
		/* Checked: the size is the host's, so running short is this file's error. */
		if (!(data = malloc(f->size ? f->size : 1))) {
			close(fd);
			return -ENOMEM;
		}
		for (size_t done = 0; done < f->size;) {
			ssize_t n = pread(fd, data + done, f->size - done, (off_t)done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				free(data);
				close(fd);
				return -EIO;
			}
			done += (size_t)n;
		}
		close(fd);
		fd = -1;
	}
	*snap = cache_attach_snapshot_new(data, fd, f->size, e, f->fetched_at);
	return 0;
}

void cache_attach_sweep(struct cache *c)
{
	char *dir = c->store_path ? blobs_dir(c->store_path) : NULL;
	/* Older than any write under way in another mount: a write takes seconds. */
	int n = dir ? blobs_sweep(dir, time(NULL) - 600) : 0;
	if (n > 0)
		log_info("removed %d unfinished attachment file%s from %s", n, n == 1 ? "" : "s", dir);
	free(dir);
}

/* Whether this mount has seen that the blob's bytes are its name's: a blob of the
 * right size is not trusted until then (a disk's or a hand's damage). */
static bool cache_attach_checked(struct cache *c, const char *hex, int fd)
{
	pthread_mutex_lock(&c->lock);
	bool seen = false;
	for (size_t i = 0; i < c->nattach_checked && !seen; i++)
		seen = !strcmp(c->attach_checked[i], hex);
	pthread_mutex_unlock(&c->lock);
	if (seen)
		return true;
	if (blobs_check(fd, hex) < 0)
		return false;
	pthread_mutex_lock(&c->lock);
	c->attach_checked = xreallocarray(c->attach_checked, c->nattach_checked + 1, sizeof *c->attach_checked);
	snprintf(c->attach_checked[c->nattach_checked++], sizeof *c->attach_checked, "%s", hex);
	pthread_mutex_unlock(&c->lock);
	return true;
}

/* 0 with *snap from the store's copy; 1 when there is none (or it is gone from the
 * disk, or damaged, so a fetch can bring it back); a negative errno. */
static int cache_attach_stored(struct cache *c, const char *dir, const struct file_id *id,
			       const struct cache_attach_entry *e, struct snapshot **snap)
{
	struct store *st = cache_store_get(c);
	if (!st)
		return -EIO;
	struct store_attach_file f;
	int rc = store_attach_find(st, e->url, &f);
	cache_store_put(c, st);
	if (rc)
		return rc == -ENOENT ? 1 : -EIO;
	int fd = blobs_open(dir, f.sha256, f.size);
	if (fd < 0)
		return errno == ENOENT || errno == EIO ? 1 : -EIO;
	if (!cache_attach_checked(c, f.sha256, fd)) {
		close(fd);
		log_warn("accounts/%s/attachments/%s/%s: its kept copy is damaged (its bytes are not its hash): "
			 "removed, to be fetched again", id->account, id->month, id->name);
		return blobs_remove(dir, f.sha256) < 0 ? -EIO : 1;
	}
	return cache_attach_snapshot(fd, &f, e, snap);
}

/* The bytes of e: stored, or fetched now by this thread or one it waits for.
 * expected: the size its host announced, or -1. */
static int cache_attach_bytes(struct cache *c, const char *dir, const struct file_id *id,
			      const struct cache_attach_entry *e, int64_t expected, struct snapshot **snap)
{
	int rc;
	/* At most one fetch of our own: what it kept is then found in the store. */
	for (bool fetched = false; (rc = cache_attach_stored(c, dir, id, e, snap)) == 1; fetched = true)
		if (c->opts.offline || fetched || (rc = cache_attach_get(c, dir, id, e->url, expected)))
			return rc == 1 ? -EIO : rc;
	return rc;
}

/* A snapshot of e's size alone, its bytes to come at the first read. */
static int cache_attach_pending(const struct file_id *id, const struct cache_attach_entry *e, int64_t size,
				struct snapshot **snap)
{
	struct cache_attach_pending *p = xcalloc(1, sizeof *p);
	p->url = xstrdup(e->url);
	pthread_mutex_init(&p->lock, NULL);
	p->id = *id;
	*snap = cache_attach_snapshot_new(NULL, -1, (uint64_t)size, e, timefmt_now());
	(*snap)->pending = p;
	(*snap)->pending_free = cache_attach_pending_free;
	return 0;
}

int cache_snapshot_bytes(struct cache *c, struct snapshot *s)
{
	struct cache_attach_pending *p = s->pending;
	if (!p || __atomic_load_n(&p->ready, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&p->lock);
	int rc = 0;
	if (!p->ready) {
		char *dir = c->store_path ? blobs_dir(c->store_path) : NULL;
		struct cache_attach_entry e = { .url = p->url, .mtime = s->mtime };
		struct snapshot *full = NULL;
		rc = !dir ? -EIO : cache_attach_bytes(c, dir, &p->id, &e, (int64_t)s->size, &full);
		/* Kept by another mount with other bytes: not what this version's size says. */
		if (!rc && full->size != s->size)
			rc = -EIO;
		if (!rc) {
			s->data = full->data;
			s->fd = full->fd;
			full->data = NULL;
			full->fd = -1;
			__atomic_store_n(&p->ready, true, __ATOMIC_RELEASE);
		}
		snapshot_put(full);
		free(dir);
	}
	pthread_mutex_unlock(&p->lock);
	return rc;
}

/* e's snapshot at a lookup: the stored bytes, else its size from its host, else (a
 * host that gives none) the bytes fetched now, so that the size is exact. */
static int cache_attach_lookup(struct cache *c, const struct file_id *id, const struct cache_attach_entry *e,
			       struct snapshot **snap)
{
	char *dir = c->store_path ? blobs_dir(c->store_path) : NULL;
	if (!dir)
		return -EIO;
	int64_t size = -1;
	int rc = cache_attach_stored(c, dir, id, e, snap);
	if (rc == 1 && c->opts.offline)
		rc = -EIO;
	else if (rc == 1 && !(rc = cache_attach_head(c, id, e->url, &size)))
		rc = size >= 0 ? cache_attach_pending(id, e, size, snap) : cache_attach_bytes(c, dir, id, e, -1, snap);
	free(dir);
	return rc;
}

int cache_attach_file(struct cache *c, const struct file_id *id, struct snapshot **snap, double *fresh_for)
{
	struct cache_attach_list *l;
	int rc = cache_attach_list(c, id->account, &l);
	if (rc)
		return rc;
	const struct cache_attach_entry *e = cache_attach_find(l, id->month, id->name);
	if (!e)
		rc = -ENOENT;
	else if (fresh_for)
		/* The name holds while the list does; the bytes of a URL never change. */
		*fresh_for = cache_fresh_for(c, RES_TRANSACTIONS, id->account);
	if (e && snap)
		rc = cache_attach_lookup(c, id, e, snap);
	cache_attach_list_put(l);
	return rc;
}
