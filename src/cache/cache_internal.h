/* cache_internal: struct cache, the state its tiers share (each tier's header says
 * what it owns: cache_pool.h, cache_res.h, cache_files.h), and the attachments'
 * internals.  Nothing outside src/cache includes it. */
#ifndef MONZOHFS_CACHE_INTERNAL_H
#define MONZOHFS_CACHE_INTERNAL_H

#include <pthread.h>

#include "cache.h"
#include "cache_files.h"
#include "cache_pool.h"
#include "cache_res.h"
#include "store.h"
#include "strbuf.h"
#include "view.h"

/* The cache's state, by the lock that guards it.  The tiers, bottom up: the pool of
 * store connections and the checkpoint thread (cache_pool.c); the
 * resources (cache_resource.c: TTLs, single flight, the flight workers); the files
 * (cache_file.c, cache_origin.c, cache_sums.c, cache_spill.c, cache_status.c); the
 * attachments (cache_attach*.c); snapshots (cache_snapshot.c) are the files'
 * values.  cache.c holds the lifetime (new, start, free, expire_all), which reaches
 * every tier and which no tier calls.  A lower tier never calls a higher one, and no
 * file calls one that calls it back: resources announce a change through
 * res_changed, files through invalidate, a snapshot frees an attachment's pending
 * part through the function it came with. */
struct cache {
	/* Set by cache_new and cache_start before any other thread runs; read freely. */
	struct monzo *api;
	struct cache_options opts;
	char *store_path;
	char *tokens_path;
	struct instant started;
	bool flights_threaded;    /* fetches run on the flight workers (after the fork) */
	void (*res_changed)(struct cache *c, enum res_kind kind, const char *account);

	/* lock guards everything from here to the next group, and is never held across
	 * a fetch, a render or a store transaction.  Its conditions, one a wait: a
	 * resource's store copy read (load_done), a resource's flight ended or a flight
	 * thread exited (flight_done), an attachment's download ended (attach_done).  An
	 * interrupt wakes the first two. */
	pthread_mutex_t lock;
	pthread_cond_t load_done;
	pthread_cond_t flight_done;
	pthread_cond_t attach_done;
	/* ... the pool: open store connections not in use. */
	struct store **idle;
	size_t nidle, idle_cap;
	/* ... the resources: their entries and generations, whether the bank answers,
	 * and the flight workers' queue. */
	struct res_entry *res;
	uint64_t gen_counter;
	bool unreachable;
	struct monzo_error unreachable_err;
	unsigned flights_running;         /* queued or flying */
	struct cache_flight_job *jobs, **jobs_tail;
	size_t jobs_queued;               /* in jobs, not yet taken by a worker */
	pthread_cond_t jobs_wake;
	pthread_t workers[CACHE_FLIGHT_WORKERS];
	size_t nworkers, workers_idle;
	bool workers_stop;
	/* ... the files: their entries and kept bytes, the sums behind the Balance
	 * column (cache_sums.c), and what .status.json was last rendered from (it is
	 * rendered again only when what it shows may have moved). */
	struct file_entry *files;
	uint64_t use_counter;
	size_t kept_bytes;
	struct cache_sums *sums;
	struct cache_memo *memo;  /* cache_memo.c */
	uint64_t status_gen;      /* bumped by every fetch, failure and new resource */
	struct cache_status_key status_key;
	/* ... the attachments: each account's list, the fetches under way, the sizes
	 * their hosts announced, the blobs whose bytes this mount checked. */
	struct cache_attach_lists *attach_lists;
	struct cache_attach_flight *attach_flights;
	struct cache_attach_size *attach_sizes;
	char (*attach_checked)[65];   /* SHA-256 hex */
	size_t nattach_checked;

	/* invalidate_lock guards the fs layer's callback, and is held while it is
	 * called: cache_set_invalidator (the fs layer letting go at unmount) waits for
	 * a call under way, so a flight that ends late never calls into what was freed. */
	pthread_mutex_t invalidate_lock;
	cache_invalidate_fn invalidate;
	void *invalidate_ctx;

	/* status_lock guards .status.json's own store connection (see
	 * cache_status_key), opened at its first use. */
	pthread_mutex_t status_lock;
	struct store *status_store;

	/* attach_keep_lock keeps the quota's check and a blob's write together. */
	pthread_mutex_t attach_keep_lock;

	/* ckpt_lock guards the checkpoint thread's state (cache_pool.c). */
	pthread_mutex_t ckpt_lock;
	pthread_cond_t ckpt_wake;
	pthread_t ckpt_thread;
	bool ckpt_started, ckpt_wanted, ckpt_stop;
};

/* cache_attach.c: frees the lists; cache_attach_file.c: an attachment file's bytes,
 * its size from its host at the first look, its bytes at the first read, kept by the
 * store (cache_file's FILE_ATTACHMENT). */
void cache_attach_free(struct cache *c);
int cache_attach_file(struct cache *c, const struct file_id *id, struct snapshot **snap, double *fresh_for);
void cache_attach_pending_free(struct cache_attach_pending *p);
/* At the start of a mount: removes what writes of kept attachments left behind when
 * their process died. */
void cache_attach_sweep(struct cache *c);

/* cache_attach_fetch.c: talking to an attachment's host.  The size url's host
 * announces (a HEAD, once per mount): 0 with *size, -1 when it gives none (or cannot
 * be asked: the GET then tells); -EIO when the host is refused or the file is over
 * attach_max.  id names the file in the log. */
int cache_attach_head(struct cache *c, const struct file_id *id, const char *url, int64_t *size);
/* Fetches url and keeps its bytes (a blob in dir, then the store's row), one fetch per
 * URL at a time: those who ask meanwhile share its outcome.  expected: the size its
 * host announced, or -1; a body of another size, over attach_max, or that the quota
 * or the disk has no room for is refused and nothing is kept.  0 (the store then has
 * it) or a negative errno. */
int cache_attach_get(struct cache *c, const char *dir, const struct file_id *id, const char *url,
		     int64_t expected);
void cache_attach_fetch_free(struct cache *c);

#endif
