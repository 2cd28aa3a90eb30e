/* cache_internal: the cache's own state, shared by its files (cache.c: lifetime and
 * store connections; cache_resource.c: fetches and TTLs; cache_file.c: renders and
 * snapshots; cache_status.c: .status.json).  Nothing outside src/cache includes it. */
#ifndef MONZOHFS_CACHE_INTERNAL_H
#define MONZOHFS_CACHE_INTERNAL_H

#include <pthread.h>

#include "cache.h"
#include "store.h"
#include "strbuf.h"
#include "view.h"

/* Fetches that may fly at once: as many as a first capture keeps requests in flight. */
#define CACHE_FLIGHT_WORKERS 8

struct res_entry {
	struct cache *cache;      /* for a sync's progress callback */
	enum res_kind kind;
	char account[64];
	char name[96];
	struct res_value *value;
	struct instant fetched_at;
	struct instant asked_at;  /* when this mount's last good fetch of it began */
	int64_t fresh_until;      /* CLOCK_MONOTONIC ns */
	bool loaded;              /* the store's copy was looked for */
	bool loading;             /* ... and is being read now */
	bool fetching;
	unsigned flight;          /* bumped when a fetch ends */
	int last_rc;
	bool failed;
	bool refused;             /* the bank refused this part for good: not asked again
				   * before fresh_until (monzo_error_is_refusal) */
	struct instant error_at;
	struct monzo_error err;
	bool syncing;             /* a sync runs now (.status.json's "syncing") */
	int64_t synced;           /* ... and has received this many transactions */
	int sync_windows, sync_windows_done;   /* ... in time windows, so many done */
	struct instant sync_since;
	struct res_entry *next;
};

struct file_meta {
	size_t size;
	struct instant mtime;
};

/* What a file's current version was made from, for its extended attributes: its
 * primary resource (the first it is rendered from; for the root TSV every account's
 * transactions), the sum of their generations then, and the latest fetch of them that
 * gave what it was rendered from.  cache_origin.c owns it. */
struct file_origin {
	bool known;
	bool every_account;
	enum res_kind kind;
	char account[64];         /* "" for whoami and accounts, and with every_account */
	uint64_t gen;
	struct instant fetched_at;
};

struct file_entry {
	struct file_id id;
	bool valid;               /* meta and sig describe a render */
	uint64_t sig;             /* the resource generations it was rendered from */
	uint64_t digest;
	struct file_meta meta;
	struct snapshot *snap;    /* its bytes, while kept */
	struct file_origin origin;
	uint64_t used_at;         /* for dropping the least recently used bytes */
	/* The resources its current version is made from, as they were resolved: a
	 * change to any of them tells the kernel (cache_file_uses). */
	struct cache_used {
		enum res_kind kind;
		char account[64];  /* "" for whoami and the account list */
	} *used;
	size_t nused;
	struct file_entry *next;
};

/* Everything .status.json depends on: equal keys, equal bytes. */
struct cache_status_key {
	bool valid;
	uint64_t gen;
	int64_t store_version;    /* changes when any other connection commits */
	struct instant token_expires_at;
	enum auth_state login_state;
};

/* The cache's state, by the lock that guards it.  The tiers, bottom up: the pool of
 * store connections and the checkpoint thread (cache.c, cache_checkpoint.c); the
 * resources (cache_resource.c: TTLs, single flight, the flight workers); the files
 * (cache_file.c, cache_origin.c, cache_sums.c, cache_spill.c, cache_status.c); the
 * attachments (cache_attach*.c).  cache.c also holds the lifetime (new, start,
 * free, expire_all), which reaches every tier.  Otherwise a lower tier never calls a
 * higher one: resources announce a change through res_changed, files through
 * invalidate. */
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

	/* ckpt_lock guards the checkpoint thread's state (cache_checkpoint.c). */
	pthread_mutex_t ckpt_lock;
	pthread_cond_t ckpt_wake;
	pthread_t ckpt_thread;
	bool ckpt_started, ckpt_wanted, ckpt_stop;
};

/* CLOCK_MONOTONIC in nanoseconds: TTLs do not move with the wall clock. */
int64_t cache_mono_ns(void);
/* A store connection for this thread's use (NULL when there is no store), and back. */
struct store *cache_store_get(struct cache *c);
void cache_store_put(struct cache *c, struct store *s);
void res_value_free(struct res_value *v);
struct res_value *res_value_take(struct res_value *v);

/* cache_sums.c: fills in->total and in->prefix (and have_sums) for a CSV render of
 * in->account_id whose rows start at from (INT64_MIN: the whole history), in the
 * read snapshot of st, where the account's sync version is version.  Leaves them
 * unset when it cannot, and the render sums them itself. */
void cache_sums_fill(struct cache *c, struct store *st, int64_t version, int64_t from, struct view_input *in);
void cache_sums_free(struct cache *c);

/* cache_checkpoint.c: a connection that wrote asks for a checkpoint (cache_store_put
 * does); the thread that runs them starts in cache_start and ends in cache_free. */
void cache_checkpoint_init(struct cache *c);
void cache_checkpoint_start(struct cache *c);
void cache_checkpoint_request(struct cache *c);
/* Whether the thread runs: only then do connections leave checkpoints to it. */
bool cache_checkpoint_running(struct cache *c);
void cache_checkpoint_stop(struct cache *c);

/* cache_resource.c, under c->lock: the account and pot whose own ledger pot_account
 * is (false when no synced transfer names it); what a user calls an account (its
 * friendly link name) or a pot's own account (the pot's name, *pot true), "" when
 * it has none. */
bool cache_pot_owner(struct cache *c, const char *pot_account, char account[64], char pot[64]);
void cache_account_label(struct cache *c, const char *account, char label[96], bool *pot);

/* cache_resource.c: the flight workers finish what is queued and end (cache_free). */
void cache_flight_workers_stop(struct cache *c);

/* cache_resource.c, under c->lock: a resource's entry, NULL when never asked for. */
struct res_entry *cache_res_find(struct cache *c, enum res_kind kind, const char *account);
/* The API path a resource is fetched from (a sync's first page, for transactions). */
void cache_res_path(enum res_kind kind, const char *account, struct strbuf *out);

/* cache_file.c: a file's path in the mount; whether it is rendered from a resource;
 * telling the kernel about every file rendered from one that changed; a file's entry
 * (under c->lock; NULL when never asked for). */
void cache_file_path(const struct file_id *id, struct strbuf *out);
struct file_entry *cache_file_find(struct cache *c, const struct file_id *id);
bool cache_file_uses(const struct file_entry *f, enum res_kind kind, const char *account);
void cache_invalidate_users(struct cache *c, enum res_kind kind, const char *account);
/* The same for every file when every is true (SIGHUP's refresh). */
void cache_invalidate_files(struct cache *c, enum res_kind kind, const char *account, bool every);

/* cache_spill.c: where a render goes once it outgrows CACHE_SPILL_AT, and the digest
 * that tells two versions of a file apart. */
#define CACHE_SPILL_AT (1 << 20)
#define CACHE_SPILL_PIECE (1 << 18)
struct cache_spill {
	int fd;                   /* the memory file, or -1 while the bytes fit the heap */
	size_t written;
	int err;                  /* 0 or -errno */
};
void cache_spill_init(struct cache_spill *s);
/* A view's flush: called between rows with what the render holds so far; -1 once a
 * write to the memory file failed (the render stops, cache_spill_finish says why). */
int cache_spill_flush(void *ctx, struct strbuf *out);
/* The render is over: its size and digest, the bytes in out or in s->fd.  0 or -errno. */
int cache_spill_finish(struct cache_spill *s, struct strbuf *out, size_t *size, uint64_t *digest);
void cache_spill_release(struct cache_spill *s);

/* cache_origin.c: building a file_origin from the values a render used (under
 * c->lock), and keeping it with the version it describes once that is the answer. */
void cache_origin_init(struct file_origin *o, enum res_kind kind, const char *account, bool every_account);
void cache_origin_add(struct cache *c, struct file_origin *o, const char *account, const struct res_value *v);
void cache_origin_keep(struct file_entry *f, const struct file_origin *o);

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

/* cache_status.c: the bytes of .status.json as of now, and the key they depend on. */
void cache_status_render(struct cache *c, struct strbuf *out);
void cache_status_key(struct cache *c, struct cache_status_key *k);

#endif
