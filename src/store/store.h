/* store: the history store, one SQLite file (WAL, 0600).  Keeps every transaction ever
 * seen (raw JSON plus the columns the files are rendered from), per-account sync
 * state, the last copy of each API resource (for offline use) and each file's mtime. */
#ifndef MONZOHFS_STORE_H
#define MONZOHFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"
#include "strlist.h"
#include "timefmt.h"

#define STORE_SCHEMA_VERSION 7

/* Every int function here returns 0 on success and a negative errno on failure:
 * -EIO for SQLite's errors (store_errmsg says which), -ENOENT for what is not there,
 * -EBADMSG for input that is not the JSON expected, -ERANGE for an amount beyond
 * AMOUNT_LIMIT; iterators return what their callback returned when it stopped them. */

struct store;

/* One transaction as the renderers need it; strings are "" when absent, and point
 * into the row being iterated (valid during the callback only). */
struct tx_row {
	const char *id;
	const char *account_id;
	struct instant created;
	bool settled;
	bool declined;
	int64_t amount;
	const char *currency;
	int64_t local_amount;
	const char *local_currency;
	const char *scheme;
	const char *category;
	const char *categories;  /* the API's categories object as JSON text, or "" */
	const char *merchant_name;
	const char *merchant_emoji;
	const char *merchant_address;
	const char *cp_name;
	const char *cp_preferred_name;
	const char *pot_id;
	const char *description;
	const char *notes;
	bool bacs_direct_debit;
	bool include_in_spending;
	const char *json;        /* the transaction as the API sent it */
	size_t json_len;
};

struct sync_state {
	bool known;              /* a sync of this account has completed before */
	bool history_complete;   /* the first sync got all history */
	int64_t history_start;   /* else where known history starts */
	int64_t last_sync;
	int64_t gap_from, gap_to;/* history the API could no longer give (0, 0: none) */
	int64_t version;         /* bumped by every sync that changed the account's data */
	char *balance_json;      /* the newest balance a sync took, or NULL */
	int64_t balance_asked;   /* when it was asked for, in microseconds since the epoch */
};

/* Opens (creating the file 0600 and its directory 0700, migrating the schema). */
int store_open(const char *path, struct store **out, struct strbuf *err);
void store_close(struct store *s);
const char *store_errmsg(struct store *s);
/* Whether the last error was another connection's hold on the database (busy, locked,
 * or a write-ahead-log lock not had after SQLite's own retries, which a reader that
 * opens and closes connections fast can cause): the same transaction may succeed if
 * tried again.  Ask before store_rollback, which clears it. */
bool store_transient(struct store *s);
/* How many times a writer tries a transaction that failed for a transient reason. */
#define STORE_TRIES 4

/* Milliseconds a statement waits for another writer; 0 for best-effort writes. */
void store_busy_timeout(struct store *s, int ms);
int store_begin(struct store *s);
/* Commits leave the write-ahead log to store_checkpoint (another thread's), rather
 * than copying it into the database whenever it has grown. */
void store_defer_checkpoints(struct store *s);
/* Copies what it can of the log into the database without waiting for readers or
 * writers.  0 or -EIO. */
int store_checkpoint(struct store *s);
/* Whether this connection changed rows since the last call. */
bool store_take_written(struct store *s);
/* A write transaction of about rows transactions: the connection's cache grows for it
 * (to at most 32 MB) until store_commit or store_rollback. */
int store_begin_bulk(struct store *s, long rows);
/* A capture that writes about rows transactions in many short transactions: the
 * cache grows for it (to at most 32 MB) and keeps its pages between them, until
 * store_cache_default. */
int store_cache_for(struct store *s, long rows);
void store_cache_default(struct store *s);
/* A number that changes whenever another connection commits to the store. */
int store_data_version(struct store *s, int64_t *version);
/* A read snapshot: every query until store_commit sees the same committed state. */
int store_begin_read(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* Inserts or updates by id: raw is the transaction's JSON text as the API sent it.  A
 * stored state with a later "updated" (or settled, without one) is kept.  Either way
 * the row counts as seen by sync_no.  *changed says whether the stored row differs
 * now; then *latest (when not NULL) is the later of its created and updated seconds.
 * 0 (also when it is skipped: no id or created time); -EIO on a store error;
 * -EBADMSG when raw is not a well-formed JSON object. */
int store_upsert_transaction(struct store *s, const char *raw, size_t raw_len, int64_t sync_no, bool *changed,
			     int64_t *latest);
/* The same, for an account with nothing stored yet (its first sync): each row is
 * written without first looking for an unchanged copy. */
int store_insert_transaction(struct store *s, const char *raw, size_t raw_len, int64_t sync_no, bool *changed,
			     int64_t *latest);
/* Appends the id of each pending (not settled, not declined) transaction of the
 * account. */
int store_pending_ids(struct store *s, const char *account, struct strlist *ids);
/* Removes a transaction the API no longer has, if it is still pending and no sync
 * newer than sync_no has seen it; remembers that sync_no removed it (a tombstone). */
int store_forget_pending(struct store *s, const char *id, int64_t sync_no, bool *removed);
#define STORE_TOMBSTONE_DAY_US (86400LL * 1000000)
/* Whether a sync later than sync_no removed id: a sync that began at sync_no saw the
 * bank before that and must not store it again. */
int store_removed_after(struct store *s, const char *id, int64_t sync_no, bool *removed);
/* Whether a sync later than sync_no removed any transaction of the account (when
 * none did, a pass need not ask per transaction). */
int store_any_removed_after(struct store *s, const char *account, int64_t sync_no, bool *any);
/* 0 with *found false when the account has no transactions. */
int store_newest_created(struct store *s, const char *account, int64_t *sec, bool *found);

int store_get_sync_state(struct store *s, const char *account, struct sync_state *st);
int store_put_sync_state(struct store *s, const char *account, const struct sync_state *st);
void sync_state_release(struct sync_state *st);

typedef int (*store_tx_fn)(void *ctx, const struct tx_row *row);
/* Transactions of an account created in [from, to) (seconds), oldest first by
 * (created, id); from/to INT64_MIN/INT64_MAX for no bound.  with_json: fill json (it
 * is most of the bytes, so leave it out when not needed).  Stops when fn returns
 * non-zero and returns that value. */
int store_each_transaction(struct store *s, const char *account, int64_t from, int64_t to, bool with_json,
			   store_tx_fn fn, void *ctx);
/* Sum of the non-declined amounts of an account created in [from, to). */
int store_sum_amounts(struct store *s, const char *account, int64_t from, int64_t to, int64_t *sum);
/* Calls fn with each (pot id, pot account id) the account's pot transfers name in
 * metadata.pot_account_id: a pot's own account is known only from them. */
typedef int (*store_pot_fn)(void *ctx, const char *pot_id, const char *pot_account_id);
int store_pot_accounts(struct store *s, const char *account, store_pot_fn fn, void *ctx);
/* The first created second of an account at or after from; *found false for none.  A
 * walk over months jumps from one to the next in an index lookup each. */
int store_first_created(struct store *s, const char *account, int64_t from, int64_t *sec, bool *found);

int store_put_resource(struct store *s, const char *key, const char *raw, size_t len, struct instant fetched,
		       struct instant changed);
/* 0 and *raw malloc'd; -ENOENT when absent, -EIO on a store error. */
int store_get_resource(struct store *s, const char *key, char **raw, size_t *len, struct instant *fetched,
		       struct instant *changed);

/* The mtime of a file's bytes: the stored one when its digest is unchanged, else
 * now (and recorded, best effort). */
struct instant store_file_mtime(struct store *s, const char *path, uint64_t digest, uint64_t size,
				struct instant now);

#endif
