/* cache_attach_file: an attachment file's bytes.  A URL whose bytes the store keeps is
 * served from them with no request, by this mount or any later one (offline too);
 * otherwise its first lookup fetches it, one fetch per URL at a time, and keeps it
 * before answering.  A fetch that fails answers EIO: never a partial file. */
#include "cache_attach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blobs.h"
#include "cache_internal.h"
#include "fetch.h"
#include "http.h"
#include "log.h"
#include "store_attach.h"

/* A fetch under way; those who wait for it share its outcome. */
struct cache_attach_flight {
	char *url;
	bool done;
	int rc;
	int refs;
	struct cache_attach_flight *next;
};

/* Under c->lock. */
static void cache_attach_flight_put(struct cache_attach_flight *f)
{
	if (--f->refs)
		return;
	free(f->url);
	free(f);
}

/* The snapshot of n stored bytes: up to CACHE_SPILL_AT on the heap like a rendered
 * file (so the descriptors held stay few whatever the number of files the kernel
 * keeps), past it the stored file itself, read through its descriptor. */
static int cache_attach_snapshot(int fd, const struct store_attach_file *f, const struct cache_attach_entry *e,
				 struct snapshot **snap)
{
	char *data = NULL;
	if (f->size <= CACHE_SPILL_AT) {
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
	*snap = snapshot_new(data, fd, f->size, e->mtime, blobs_digest(f->sha256));
	if (!*snap)
		return -ENOMEM;
	(*snap)->fetched_at = f->fetched_at;
	/* For user.monzo.source, which rsync -X and backups copy: a signed URL's query
	 * (or a user and password in it) reads the file for as long as it is valid. */
	(*snap)->source = http_url_public(e->url);
	return 0;
}

/* 0 with *snap from the store's copy; 1 when there is none (or it is gone from the
 * disk, so a fetch can bring it back); a negative errno. */
static int cache_attach_stored(struct cache *c, const char *dir, const struct cache_attach_entry *e,
			       struct snapshot **snap)
{
	struct store *st = cache_store_get(c);
	if (!st)
		return -EIO;
	struct store_attach_file f;
	int rc = store_attach_find(st, e->url, &f);
	cache_store_put(c, st);
	if (rc)
		return rc < 0 ? -EIO : 1;
	int fd = blobs_open(dir, f.sha256, f.size);
	if (fd < 0)
		return errno == ENOENT || errno == EIO ? 1 : -EIO;
	return cache_attach_snapshot(fd, &f, e, snap);
}

/* Fetches e's file and keeps it: the blob first, then the row that points at it. */
static int cache_attach_fetch(struct cache *c, const char *dir, const struct file_id *id,
			      const struct cache_attach_entry *e)
{
	struct fetch_reply r;
	fetch_reply_init(&r);
	int rc = fetch_public(e->url, &r);
	struct store_attach_file f;
	memset(&f, 0, sizeof f);
	if (rc == 0) {
		blobs_sha256(r.body.buf, r.body.len, f.sha256);
		f.size = r.body.len;
		snprintf(f.content_type, sizeof f.content_type, "%s", r.content_type);
		f.fetched_at = timefmt_now();
		if (blobs_put(dir, f.sha256, sb_str(&r.body), r.body.len) < 0) {
			snprintf(r.error, sizeof r.error, "cannot keep it in %s: %s", dir, strerror(errno));
			rc = -EIO;
		}
	}
	if (rc == 0) {
		struct store *st = cache_store_get(c);
		if (!st || store_attach_record(st, e->url, &f) < 0) {
			snprintf(r.error, sizeof r.error, "cannot record it in the history store");
			rc = -EIO;
		}
		cache_store_put(c, st);
	}
	/* The path, not the URL: a file's URL may be all it takes to read it. */
	if (rc)
		log_warn("cannot fetch accounts/%s/attachments/%s/%s: %s", id->account, id->month, id->name, r.error);
	fetch_reply_release(&r);
	return rc;
}

/* Under c->lock: the fetch of url under way, joined (*lead false), else a new one this
 * thread leads; NULL when out of memory. */
static struct cache_attach_flight *cache_attach_board(struct cache *c, const char *url, bool *lead)
{
	struct cache_attach_flight *f = c->attach_flights;
	while (f && strcmp(f->url, url))
		f = f->next;
	*lead = !f;
	if (f) {
		f->refs++;
		return f;
	}
	if (!(f = calloc(1, sizeof *f)) || !(f->url = strdup(url))) {
		free(f);
		return NULL;
	}
	f->refs = 1;
	f->next = c->attach_flights;
	c->attach_flights = f;
	return f;
}

/* The leader's fetch ended with rc: those waiting wake to it. */
static void cache_attach_land(struct cache *c, struct cache_attach_flight *f, int rc)
{
	pthread_mutex_lock(&c->lock);
	struct cache_attach_flight **pp = &c->attach_flights;
	while (*pp != f)
		pp = &(*pp)->next;
	*pp = f->next;
	f->done = true;
	f->rc = rc;
	cache_attach_flight_put(f);
	pthread_cond_broadcast(&c->flight_done);
	pthread_mutex_unlock(&c->lock);
}

/* The bytes of e: stored, or fetched now by this thread or one it waits for. */
static int cache_attach_bytes(struct cache *c, const struct file_id *id, const struct cache_attach_entry *e,
			      struct snapshot **snap)
{
	char *dir = c->store_path ? blobs_dir(c->store_path) : NULL;
	if (!dir)
		return -EIO;
	int rc;
	/* At most one fetch of our own: what it kept is then found in the store. */
	for (bool fetched = false; (rc = cache_attach_stored(c, dir, e, snap)) == 1;) {
		if (c->opts.offline || fetched) {
			rc = -EIO;
			break;
		}
		bool lead;
		pthread_mutex_lock(&c->lock);
		struct cache_attach_flight *f = cache_attach_board(c, e->url, &lead);
		if (f && !lead) {
			while (!f->done)
				pthread_cond_wait(&c->flight_done, &c->lock);
			rc = f->rc;
			cache_attach_flight_put(f);
		}
		pthread_mutex_unlock(&c->lock);
		if (!f) {
			rc = -ENOMEM;
			break;
		}
		if (lead) {
			rc = cache_attach_fetch(c, dir, id, e);
			fetched = true;
			cache_attach_land(c, f, rc);
		}
		if (rc)
			break;
	}
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
		rc = cache_attach_bytes(c, id, e, snap);
	cache_attach_list_put(l);
	return rc;
}
