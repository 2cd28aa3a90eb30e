/* cache_attach_fetch: an attachment's host, asked as little as possible.  Its size
 * comes from a HEAD, remembered for the mount; its bytes from one GET per URL at a
 * time, never more than announced or than -o attachment_max, and kept only where the
 * quota and the disk have room: a receipt host cannot fill the disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blobs.h"
#include "cache_internal.h"
#include "fetch.h"
#include "log.h"
#include "store_attach.h"
#include "xalloc.h"

/* A fetch under way; those who wait for it share its outcome. */
struct cache_attach_flight {
	char *url;
	bool done;
	int rc;
	int refs;
	struct cache_attach_flight *next;
};

/* The size a URL's host announced. */
struct cache_attach_size {
	char *url;
	int64_t size;
	struct cache_attach_size *next;
};

/* The path, never the URL: a file's URL may be all it takes to read it. */
static void cache_attach_warn(const struct file_id *id, const char *why)
{
	log_warn("cannot fetch accounts/%s/attachments/%s/%s: %s", id->account, id->month, id->name, why);
}

/* Under c->lock. */
static struct cache_attach_size **cache_attach_size_find(struct cache *c, const char *url)
{
	struct cache_attach_size **pp = &c->attach_sizes;
	while (*pp && strcmp((*pp)->url, url))
		pp = &(*pp)->next;
	return pp;
}

static void cache_attach_size_forget(struct cache *c, const char *url)
{
	pthread_mutex_lock(&c->lock);
	struct cache_attach_size **pp = cache_attach_size_find(c, url), *gone = *pp;
	if (gone) {
		*pp = gone->next;
		free(gone->url);
		free(gone);
	}
	pthread_mutex_unlock(&c->lock);
}

int cache_attach_head(struct cache *c, const struct file_id *id, const char *url, int64_t *size)
{
	pthread_mutex_lock(&c->lock);
	struct cache_attach_size *known = *cache_attach_size_find(c, url);
	int64_t remembered = known ? known->size : -1;
	pthread_mutex_unlock(&c->lock);
	if (remembered < 0) {
		struct fetch_reply r;
		fetch_reply_init(&r);
		int rc = fetch_head(url, &r);
		bool refused = rc && r.refused;
		if (refused)
			cache_attach_warn(id, r.error);
		remembered = rc ? -1 : r.length;
		fetch_reply_release(&r);
		/* A refused host is refused for the GET too.  Another failure (a host that
		 * takes no HEAD, a signed URL made for GET alone) leaves it to the GET. */
		if (refused)
			return -EIO;
		if (remembered >= 0) {
			struct cache_attach_size *s = xcalloc(1, sizeof *s);
			s->url = xstrdup(url);
			s->size = remembered;
			pthread_mutex_lock(&c->lock);
			struct cache_attach_size **pp = cache_attach_size_find(c, url);
			if (!*pp) {
				*pp = s;
				s = NULL;
			}
			pthread_mutex_unlock(&c->lock);
			if (s)
				free(s->url);
			free(s);
		}
	}
	if (remembered >= 0 && (uint64_t)remembered > c->opts.attach_max) {
		char why[128];
		snprintf(why, sizeof why, "%lld bytes, over attachment_max (%llu)", (long long)remembered,
			 (unsigned long long)c->opts.attach_max);
		cache_attach_warn(id, why);
		return -EIO;
	}
	*size = remembered;
	return 0;
}

/* Fetches url's file and keeps it: the blob first, then the row that points at it. */
static int cache_attach_keep(struct cache *c, const char *dir, const struct file_id *id, const char *url,
			     int64_t expected)
{
	struct fetch_reply r;
	fetch_reply_init(&r);
	uint64_t max = c->opts.attach_max;
	/* Not a byte more than announced; one more than an announced 0 tells it apart. */
	if (expected >= 0 && (uint64_t)expected < max)
		max = expected ? (uint64_t)expected : 1;
	int rc = fetch_public(url, max, &r);
	struct store_attach_file f;
	memset(&f, 0, sizeof f);
	if (rc == 0 && expected >= 0 && r.body.len != (uint64_t)expected) {
		snprintf(r.error, sizeof r.error, "%zu bytes where its host announced %lld", r.body.len,
			 (long long)expected);
		rc = -EIO;
	}
	if (rc == 0) {
		blobs_sha256(r.body.buf, r.body.len, f.sha256);
		f.size = r.body.len;
		snprintf(f.content_type, sizeof f.content_type, "%s", r.content_type);
		f.fetched_at = timefmt_now();
		pthread_mutex_lock(&c->attach_keep_lock);
		int kept = blobs_put(dir, f.sha256, sb_str(&r.body), r.body.len, c->opts.attach_quota);
		pthread_mutex_unlock(&c->attach_keep_lock);
		if (kept < 0) {
			snprintf(r.error, sizeof r.error, "cannot keep it in %s: %s", dir,
				 errno == EDQUOT ? "attachment_quota reached" : strerror(errno));
			rc = -EIO;
		}
	}
	if (rc == 0) {
		struct store *st = cache_store_get(c);
		if (!st || store_attach_record(st, url, &f) < 0) {
			snprintf(r.error, sizeof r.error, "cannot record it in the history store");
			rc = -EIO;
		}
		cache_store_put(c, st);
	}
	if (rc) {
		cache_attach_warn(id, r.error);
		/* The host may have moved on: ask its size again at the next look. */
		cache_attach_size_forget(c, url);
	}
	fetch_reply_release(&r);
	return rc;
}

/* Under c->lock. */
static void cache_attach_flight_put(struct cache_attach_flight *f)
{
	if (--f->refs)
		return;
	free(f->url);
	free(f);
}

/* Under c->lock: the fetch of url under way, joined (*lead false), else a new one this
 * thread leads. */
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
	f = xcalloc(1, sizeof *f);
	f->url = xstrdup(url);
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
	pthread_cond_broadcast(&c->attach_done);
	pthread_mutex_unlock(&c->lock);
}

/* For tests alone: MONZOHFS_TEST_ATTACH_GATE names a directory holding two FIFOs.
 * A thread about to board a fetch writes a byte to "arrive", then waits for one from
 * "go": a test can hold it between its look at the store and its boarding. */
static void cache_attach_gate(void)
{
	const char *dir = getenv("MONZOHFS_TEST_ATTACH_GATE");
	if (!dir || !*dir)
		return;
	char path[4096], byte = 'a';
	snprintf(path, sizeof path, "%s/arrive", dir);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && write(fd, &byte, 1) == 1) {
		close(fd);
		snprintf(path, sizeof path, "%s/go", dir);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && read(fd, &byte, 1) < 0)
			byte = 0;
	}
	if (fd >= 0)
		close(fd);
}

/* Whether url's bytes are kept: by the flight that landed just before this thread
 * boarded (it looked at the store before that flight recorded them), or by another
 * mount. */
static bool cache_attach_kept(struct cache *c, const char *dir, const char *url)
{
	struct store *st = cache_store_get(c);
	struct store_attach_file f;
	int fd = st && store_attach_find(st, url, &f) == 0 ? blobs_open(dir, f.sha256, f.size) : -1;
	cache_store_put(c, st);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

int cache_attach_get(struct cache *c, const char *dir, const struct file_id *id, const char *url,
		     int64_t expected)
{
	bool lead;
	int rc = 0;
	cache_attach_gate();
	pthread_mutex_lock(&c->lock);
	struct cache_attach_flight *f = cache_attach_board(c, url, &lead);
	if (!lead) {
		while (!f->done)
			pthread_cond_wait(&c->attach_done, &c->lock);
		rc = f->rc;
		cache_attach_flight_put(f);
	}
	pthread_mutex_unlock(&c->lock);
	/* A flight that lands records before it leaves the list: looking at the store
	 * once this thread leads sees what any earlier flight kept. */
	if (lead) {
		rc = cache_attach_kept(c, dir, url) ? 0 : cache_attach_keep(c, dir, id, url, expected);
		cache_attach_land(c, f, rc);
	}
	return rc;
}

void cache_attach_fetch_free(struct cache *c)
{
	for (struct cache_attach_size *s = c->attach_sizes, *next; s; s = next) {
		next = s->next;
		free(s->url);
		free(s);
	}
	c->attach_sizes = NULL;
	free(c->attach_checked);
	c->attach_checked = NULL;
	c->nattach_checked = 0;
}
