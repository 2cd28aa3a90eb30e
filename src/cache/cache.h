/* cache: fresh bytes for every file of the mount.  Holds each API resource with its
 * TTL (one shared fetch per resource at a time) and each file's last rendered
 * snapshot, whose mtime moves only when its bytes change. */
#ifndef MONZOHFS_CACHE_H
#define MONZOHFS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "files.h"
#include "monzo.h"
#include "timefmt.h"

/* RES_POT_TRANSACTIONS: a pot's own account, synced as an account is but without a
 * /balance (its balance is the pot's); its TTL is the transactions TTL. */
enum res_kind { RES_WHOAMI, RES_ACCOUNTS, RES_BALANCE, RES_POTS, RES_TRANSACTIONS, RES_POT_TRANSACTIONS,
		RES_KIND_COUNT };

struct cache_options {
	unsigned ttl[RES_KIND_COUNT]; /* seconds */
	bool offline;                 /* never contact the API: serve the store */
	const char *store_path;       /* the history store, or NULL for none */
	size_t keep_bytes;            /* rendered bytes kept in memory (and by the kernel's files) */
	uint64_t attach_max;          /* the largest attachment fetched (-o attachment_max) */
	uint64_t attach_quota;        /* the attachments kept, together (-o attachment_quota) */
	/* How a resource other than a sync is fetched: NULL for the Monzo API's GET of its
	 * path (monzo_get).  The resource tier's unit test gives a scripted one, to check
	 * TTLs, single flight, stale-if-error and refusals without a network. */
	int (*get)(void *ctx, const char *path, struct monzo_reply *reply);
	void *get_ctx;
};

#define CACHE_ATTACH_MAX ((uint64_t)16 << 20)
#define CACHE_ATTACH_QUOTA ((uint64_t)1 << 30)
/* The default TTLs of DESIGN.md, and the attachments' defaults above. */
void cache_options_default(struct cache_options *o);

/* A resource as last fetched: immutable, shared by reference. */
struct res_value {
	int refs;
	cJSON *json;
	char *raw;
	size_t raw_len;
	uint64_t gen;            /* moves when the content changes */
	struct instant changed_at;
	/* RES_TRANSACTIONS, RES_POT_TRANSACTIONS: the local months with transactions,
	 * oldest first. */
	char (*months)[8];
	size_t nmonths;
	/* RES_TRANSACTIONS only: the pot accounts its pot transfers name. */
	struct cache_pot_account {
		char pot[64];
		char account[64];
	} *pot_accounts;
	size_t npot_accounts;
	/* RES_ACCOUNTS: each account's friendly link name ("" for none); RES_POTS: each
	 * pot's name made safe as a file name ("" for none); worked out once here rather
	 * than on every lookup. */
	char (*links)[96];        /* LINKS_NAME_MAX */
	size_t nlinks;
};

/* A rendered file: immutable bytes, shared by reference with the inodes serving them. */
struct snapshot {
	int refs;
	char *data;              /* the bytes on the heap, or NULL when ... */
	int fd;                  /* ... they are in this memory file (else -1) */
	size_t size;
	struct instant mtime;
	uint64_t digest;         /* of data: equal digests and sizes mean the same bytes */
	/* The last fetch known to give these bytes: kept by the cache, under its lock,
	 * while they are a file's current version (see cache_file_origin). */
	struct instant fetched_at;
	char *source;            /* an attachment: the URL its bytes came from (else NULL) */
	/* An attachment whose size alone is known (its host's Content-Length): data and
	 * fd are filled in at the first read, by cache_snapshot_bytes.  NULL for every
	 * other snapshot. */
	struct cache_attach_pending *pending;
	void (*pending_free)(struct cache_attach_pending *p);   /* its owner's */
};

/* The pot account of pot in the account's RES_TRANSACTIONS value, or NULL. */
const char *cache_pot_account(const struct res_value *account_transactions, const char *pot);

/* Called (outside every lock) with the path of a file whose bytes may have changed
 * since the kernel last saw them, e.g. "accounts/acc_1/transactions.csv". */
typedef void (*cache_invalidate_fn)(void *ctx, const char *path);

struct cache;

struct cache *cache_new(struct monzo *api, const struct cache_options *opts, const char *tokens_path);
/* Call once the daemon has forked, before serving: closes the store connections
 * opened before (SQLite's locks belong to a process, so a connection must not cross
 * a fork) and starts the thread that checkpoints the store.  Until then, and if it
 * cannot start, each connection checkpoints as it commits (SQLite's default). */
void cache_start(struct cache *c);
void cache_free(struct cache *c);
/* Every resource's TTL runs out now (SIGHUP: "refresh now"): each is fetched again
 * at its next look, as if its TTL had passed. */
void cache_expire_all(struct cache *c);

/* Seeds a resource with a reply already fetched (the mount-time whoami check). */
void cache_seed(struct cache *c, enum res_kind kind, const char *account, const char *raw, size_t len);

/* A resource, fetched if absent or past its TTL.  When a refresh fails the older
 * value is returned.  0 or a negative errno; release with res_value_put. */
int cache_resource(struct cache *c, enum res_kind kind, const char *account, struct res_value **out);
void res_value_put(struct res_value *v);

/* A file's bytes as of now: its resources are brought up to their TTL first and it is
 * rendered again only if they changed.  snap may be NULL when only the refresh is
 * wanted.  *fresh_for (when not NULL): seconds before any resource it is made from
 * may be fetched again, i.e. how long these bytes stay the answer unless a change
 * notification says otherwise.  0 or a negative errno; release the snapshot with
 * snapshot_put. */
int cache_file(struct cache *c, const struct file_id *id, struct snapshot **snap, double *fresh_for);
/* Seconds before a resource may be fetched again at its next use: 0 when it is past
 * its TTL or was never fetched, CACHE_FOREVER offline. */
double cache_fresh_for(struct cache *c, enum res_kind kind, const char *account);
#define CACHE_FOREVER 86400.0
/* A snapshot of one reference holding data (malloc'd) or fd (a memory file); it owns
 * what it is given. */
struct snapshot *snapshot_new(char *data, int fd, size_t size, struct instant mtime, uint64_t digest);
void snapshot_get(struct snapshot *s);
void snapshot_put(struct snapshot *s);
/* Makes sure s's bytes are in s->data or s->fd before they are read: at once but for
 * an attachment known by its size alone, whose bytes are fetched (or found kept) now,
 * once whatever the number of readers.  0, or a negative errno (EIO when they cannot
 * be had, or are not the size its host announced). */
int cache_snapshot_bytes(struct cache *c, struct snapshot *s);

/* Where a version of a file came from, for its extended attributes. */
struct cache_origin {
	struct instant fetched_at;   /* the last fetch of what it is made from that gave these bytes */
	char source[256];            /* the API path it is made from; "monzohfs" for .status.json */
};
/* The origin of version, a snapshot cache_file gave for id, from what the cache holds:
 * never fetches nor waits for a fetch, so the kernel may ask as often as it likes.
 * 0, or -ENODATA when id was never rendered. */
int cache_file_origin(struct cache *c, const struct file_id *id, const struct snapshot *version,
		      struct cache_origin *out);

/* When the mount started: the mtime of directories that have no data of their own. */
struct instant cache_started(const struct cache *c);
void cache_set_invalidator(struct cache *c, cache_invalidate_fn fn, void *ctx);

/* Starts fetching a resource that is absent or past its TTL, without waiting for it
 * (a file made from several starts them all, then waits for each: a cold top
 * transactions.tsv syncs every account side by side).  Only once the daemon runs
 * fetches on threads of their own (cache_start); else it does nothing. */
void cache_resource_prefetch(struct cache *c, enum res_kind kind, const char *account);

/* A reader waiting in the cache (for a fetch, a sync) was interrupted: wakes the
 * waiters so the one whose request it was (interrupt.h) returns -EINTR at once; the
 * fetch goes on for the next reader. */
void cache_interrupted(struct cache *c);

/* Recorded at mount when the API could not be reached; shown in .status.json. */
void cache_note_unreachable(struct cache *c, const struct monzo_error *err);

#endif
