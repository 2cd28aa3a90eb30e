/* cache_files: the files tier (cache_file.c, with cache_origin.c, cache_sums.c,
 * cache_spill.c and cache_status.c): each file's entry, its snapshot and what it was
 * made from.  Entries, kept bytes and sums are under c->lock, never held across a
 * render or a store transaction; a snapshot is immutable and shared by reference. */
#ifndef MONZOHFS_CACHE_FILES_H
#define MONZOHFS_CACHE_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "cache.h"
#include "store.h"
#include "strbuf.h"
#include "view.h"

struct cache;

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

/* cache_sums.c: fills in->total and in->prefix (and have_sums) for a CSV render of
 * in->account_id whose rows start at from (INT64_MIN: the whole history), in the
 * read snapshot of st, where the account's sync version is version.  Leaves them
 * unset when it cannot, and the render sums them itself. */
void cache_sums_fill(struct cache *c, struct store *st, int64_t version, int64_t from, struct view_input *in);
void cache_sums_free(struct cache *c);

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
/* Under c->lock: where and when the version of f's file came from (its entry's
 * origin, with the latest fetch of what it was made from while that is unchanged). */
void cache_origin_describe(struct cache *c, const struct file_entry *f, const struct snapshot *version,
			   struct cache_origin *out);

/* cache_memo.c: bytes kept under key while sig stands (render_inputs' memo hooks;
 * ctx is the cache); freed with the cache. */
bool cache_memo_get(void *ctx, const char *key, uint64_t sig, struct strbuf *out);
void cache_memo_put(void *ctx, const char *key, uint64_t sig, const char *bytes, size_t len);
void cache_memo_free(struct cache *c);

/* cache_status.c: the bytes of .status.json as of now, and the key they depend on. */
void cache_status_render(struct cache *c, struct strbuf *out);
void cache_status_key(struct cache *c, struct cache_status_key *k);

#endif
