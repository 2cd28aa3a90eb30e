/* store: SQLite with prepared statements kept per connection.  Each thread or sync
 * opens its own connection; WAL lets readers render while a sync writes. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "amount.h"
#include "blobs.h"
#include "dirs.h"
#include "log.h"
#include "jsonspan.h"
#include "store_internal.h"
#include "termtext.h"
#include "tx_columns.h"
#include "xalloc.h"

enum store_stmt {
	ST_TOUCH,
	ST_JSON_PUT,
	ST_UPSERT,
	ST_SEEN,
	ST_PENDING_IDS,
	ST_FORGET,
	ST_TOMB_PUT,
	ST_TOMB_PRUNE,
	ST_TOMB_ANY,
	ST_TOMB_GET,
	ST_NEWEST,
	ST_SYNC_GET,
	ST_SYNC_PUT,
	ST_EACH,
	ST_EACH_JSON,
	ST_SUM,
	ST_CREATED,
	ST_POT_ACCOUNTS,
	ST_RES_PUT,
	ST_RES_GET,
	ST_FILE_GET,
	ST_FILE_PUT,
	ST_COUNT_STMTS
};

static const char *const store_sql[ST_COUNT_STMTS] = {
	[ST_TOUCH] = "UPDATE transactions SET seen_sync = MAX(seen_sync, ?2) WHERE id = ?1"
		     " AND (SELECT json FROM transaction_json WHERE id = ?1) = ?3",
	[ST_JSON_PUT] = "INSERT OR REPLACE INTO transaction_json (id, json) VALUES (?1, ?2)",
	[ST_UPSERT] =
		"INSERT INTO transactions (id, account_id, created_sec, created_nsec, settled, declined, amount,"
		" currency, local_amount, local_currency, scheme, category, categories, merchant_name,"
		" merchant_emoji, merchant_address, cp_name, cp_preferred_name, pot_id, description, notes,"
		" bacs_dd, seen_sync, changed_at, updated_sec, updated_nsec, pot_account_id, spending)"
		" VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,"
		"?27,?28)"
		" ON CONFLICT(id) DO UPDATE SET account_id=excluded.account_id, created_sec=excluded.created_sec,"
		" created_nsec=excluded.created_nsec, settled=excluded.settled, declined=excluded.declined,"
		" amount=excluded.amount, currency=excluded.currency, local_amount=excluded.local_amount,"
		" local_currency=excluded.local_currency, scheme=excluded.scheme, category=excluded.category,"
		" categories=excluded.categories, merchant_name=excluded.merchant_name,"
		" merchant_emoji=excluded.merchant_emoji, merchant_address=excluded.merchant_address,"
		" cp_name=excluded.cp_name, cp_preferred_name=excluded.cp_preferred_name, pot_id=excluded.pot_id,"
		" description=excluded.description, notes=excluded.notes, bacs_dd=excluded.bacs_dd,"
		" seen_sync=MAX(seen_sync, excluded.seen_sync), changed_at=excluded.changed_at,"
		" updated_sec=excluded.updated_sec, updated_nsec=excluded.updated_nsec,"
		" pot_account_id=excluded.pot_account_id, spending=excluded.spending"
		/* Never back to an older state: another sync may have stored a newer one
		 * while this one waited for its pages.  Without "updated", settled stays. */
		" WHERE (excluded.updated_sec, excluded.updated_nsec) >= (updated_sec, updated_nsec)"
		" AND NOT (settled = 1 AND excluded.settled = 0 AND excluded.updated_sec = 0)",
	[ST_SEEN] = "UPDATE transactions SET seen_sync = MAX(seen_sync, ?2) WHERE id = ?1",
	[ST_PENDING_IDS] = "SELECT id FROM transactions WHERE account_id = ?1 AND settled = 0 AND declined = 0",
	[ST_FORGET] = "DELETE FROM transactions WHERE id = ?1 AND settled = 0 AND declined = 0 AND seen_sync < ?2",
	/* What ST_FORGET is about to remove, with the sync that removed it. */
	[ST_TOMB_PUT] = "INSERT INTO removed_transactions (id, account_id, removed_sync)"
			" SELECT id, account_id, ?2 FROM transactions"
			" WHERE id = ?1 AND settled = 0 AND declined = 0 AND seen_sync < ?2"
			" ON CONFLICT(id) DO UPDATE SET removed_sync = MAX(removed_sync, excluded.removed_sync)",
	[ST_TOMB_PRUNE] = "DELETE FROM removed_transactions WHERE removed_sync < ?1",
	[ST_TOMB_ANY] = "SELECT MAX(removed_sync) FROM removed_transactions WHERE account_id = ?1",
	[ST_TOMB_GET] = "SELECT 1 FROM removed_transactions WHERE id = ?1 AND removed_sync > ?2",
	[ST_NEWEST] = "SELECT MAX(created_sec) FROM transactions WHERE account_id = ?1",
	[ST_SYNC_GET] = "SELECT history_complete, history_start, last_sync, gap_from, gap_to, version, balance_json,"
			" balance_asked"
			" FROM sync_state WHERE account_id = ?1",
	[ST_SYNC_PUT] = "INSERT OR REPLACE INTO sync_state (account_id, history_complete, history_start, last_sync,"
			" gap_from, gap_to, version, balance_json, balance_asked) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
#define STORE_EACH_COLUMNS                                                                           \
	"SELECT id, account_id, created_sec, created_nsec, settled, declined, amount, currency,"          \
	" local_amount, local_currency, scheme, category, categories, merchant_name, merchant_emoji,"     \
	" merchant_address, cp_name, cp_preferred_name, pot_id, description, notes, bacs_dd, spending"
#define STORE_EACH_WHERE                                                                             \
	" WHERE account_id = ?1 AND created_sec >= ?2 AND created_sec < ?3"                              \
	" ORDER BY created_sec, created_nsec, id"
	[ST_EACH] = STORE_EACH_COLUMNS " FROM transactions" STORE_EACH_WHERE,
	[ST_EACH_JSON] = STORE_EACH_COLUMNS ", (SELECT json FROM transaction_json j WHERE j.id = t.id)"
				      " FROM transactions t" STORE_EACH_WHERE,
	[ST_SUM] = "SELECT COALESCE(SUM(amount), 0) FROM transactions WHERE account_id = ?1 AND declined = 0"
		   " AND created_sec >= ?2 AND created_sec < ?3",
	[ST_POT_ACCOUNTS] = "SELECT DISTINCT pot_id, pot_account_id FROM transactions"
			    " WHERE account_id = ?1 AND pot_account_id != '' AND pot_id != '' ORDER BY 1",
	[ST_CREATED] = "SELECT created_sec FROM transactions WHERE account_id = ?1 AND created_sec >= ?2"
		       " ORDER BY created_sec LIMIT 1",
	[ST_RES_PUT] = "INSERT OR REPLACE INTO resources (key, raw, fetched_sec, fetched_nsec, changed_sec,"
		       " changed_nsec) VALUES (?1,?2,?3,?4,?5,?6)",
	[ST_RES_GET] = "SELECT raw, fetched_sec, fetched_nsec, changed_sec, changed_nsec FROM resources"
		       " WHERE key = ?1",
	[ST_FILE_GET] = "SELECT digest, size, mtime_sec, mtime_nsec FROM file_mtimes WHERE path = ?1",
	[ST_FILE_PUT] = "INSERT OR REPLACE INTO file_mtimes (path, digest, size, mtime_sec, mtime_nsec)"
			" VALUES (?1,?2,?3,?4,?5)",
};

/* Forward migrations: entry i takes the schema from user_version i to i + 1. */
static const char *const store_migrations[STORE_SCHEMA_VERSION] = {
	"CREATE TABLE transactions ("
	" id TEXT PRIMARY KEY, account_id TEXT NOT NULL,"
	" created_sec INTEGER NOT NULL, created_nsec INTEGER NOT NULL,"
	" settled INTEGER NOT NULL, declined INTEGER NOT NULL, amount INTEGER NOT NULL,"
	" currency TEXT NOT NULL, local_amount INTEGER NOT NULL, local_currency TEXT NOT NULL,"
	" scheme TEXT NOT NULL, category TEXT NOT NULL, categories TEXT NOT NULL,"
	" merchant_name TEXT NOT NULL, merchant_emoji TEXT NOT NULL, merchant_address TEXT NOT NULL,"
	" cp_name TEXT NOT NULL, cp_preferred_name TEXT NOT NULL, pot_id TEXT NOT NULL,"
	" description TEXT NOT NULL, notes TEXT NOT NULL, bacs_dd INTEGER NOT NULL,"
	" seen_sync INTEGER NOT NULL, changed_at INTEGER NOT NULL);"
	/* The raw JSON is most of the bytes: kept apart so the CSVs read a compact table. */
	"CREATE TABLE transaction_json (id TEXT PRIMARY KEY, json TEXT NOT NULL);"
	"CREATE TRIGGER transaction_json_gone AFTER DELETE ON transactions"
	" BEGIN DELETE FROM transaction_json WHERE id = old.id; END;"
	"CREATE INDEX transactions_by_time ON transactions (account_id, created_sec, created_nsec, id);"
	"CREATE TABLE sync_state (account_id TEXT PRIMARY KEY, history_complete INTEGER NOT NULL,"
	" history_start INTEGER NOT NULL, last_sync INTEGER NOT NULL, gap_from INTEGER NOT NULL,"
	" gap_to INTEGER NOT NULL, version INTEGER NOT NULL, balance_json TEXT);"
	"CREATE TABLE resources (key TEXT PRIMARY KEY, raw TEXT NOT NULL, fetched_sec INTEGER NOT NULL,"
	" fetched_nsec INTEGER NOT NULL, changed_sec INTEGER NOT NULL, changed_nsec INTEGER NOT NULL);"
	"CREATE TABLE file_mtimes (path TEXT PRIMARY KEY, digest INTEGER NOT NULL, size INTEGER NOT NULL,"
	" mtime_sec INTEGER NOT NULL, mtime_nsec INTEGER NOT NULL);",
	/* 2: syncs that overlap (two mounts, a login beside a mount) keep the newest of
	 * each transaction and of the balance. */
	"ALTER TABLE transactions ADD COLUMN updated_sec INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE transactions ADD COLUMN updated_nsec INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sync_state ADD COLUMN balance_asked INTEGER NOT NULL DEFAULT 0;",
	/* 3: attachment files fetched once, kept by content beside the store (blobs.h). */
	"CREATE TABLE attachment_files (url TEXT PRIMARY KEY, sha256 TEXT NOT NULL, size INTEGER NOT NULL,"
	" content_type TEXT NOT NULL, fetched_sec INTEGER NOT NULL, fetched_nsec INTEGER NOT NULL);",
	/* 4: the pot account a pot transfer names, as a column with an index of its own
	 * (only pot transfers have an entry), so finding a pot's account reads no JSON. */
	"ALTER TABLE transactions ADD COLUMN pot_account_id TEXT NOT NULL DEFAULT '';"
	"UPDATE transactions SET pot_account_id = COALESCE((SELECT json_extract(j.json, '$.metadata.pot_account_id')"
	" FROM transaction_json j WHERE j.id = transactions.id), '') WHERE pot_id != '';"
	"CREATE INDEX transactions_pot_accounts ON transactions (account_id, pot_id, pot_account_id)"
	" WHERE pot_account_id != '';",
	/* 5: pending transactions a sync removed, so a sync that began before it does not
	 * store them again (kept a day: no sync lasts that long). */
	"CREATE TABLE removed_transactions (id TEXT PRIMARY KEY, account_id TEXT NOT NULL,"
	" removed_sync INTEGER NOT NULL);",
	/* 6: the time windows of a full-history capture that commits as it goes, each
	 * with the last transaction received and whether it is complete, so a capture
	 * cut short resumes the windows it missed (store_windows.h). */
	"CREATE TABLE capture_windows (account_id TEXT NOT NULL, since INTEGER NOT NULL,"
	" before INTEGER NOT NULL, cursor TEXT NOT NULL, cursor_created INTEGER NOT NULL,"
	" done INTEGER NOT NULL, PRIMARY KEY (account_id, since));",
	/* 7: the API's include_in_spending flag, what the reports count as spending. */
	"ALTER TABLE transactions ADD COLUMN spending INTEGER NOT NULL DEFAULT 0;"
	"UPDATE transactions SET spending = COALESCE((SELECT json_extract(j.json, '$.include_in_spending') = 1"
	" FROM transaction_json j WHERE j.id = transactions.id), 0);",
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT_STMTS];
	struct tx_columns cols;   /* reused for every transaction written */
	bool bulk;                /* the cache is grown for a bulk write */
	int64_t changes_seen;     /* sqlite3_total_changes64 at store_take_written */
};

sqlite3 *store_sqlite(struct store *s)
{
	return s->db;
}

const char *store_errmsg(struct store *s)
{
	return sqlite3_errmsg(s->db);
}

bool store_transient(struct store *s)
{
	int e = sqlite3_errcode(s->db);
	return e == SQLITE_BUSY || e == SQLITE_LOCKED || e == SQLITE_PROTOCOL;
}

static sqlite3_stmt *store_stmt(struct store *s, enum store_stmt which)
{
	if (!s->stmt[which] && sqlite3_prepare_v3(s->db, store_sql[which], -1, SQLITE_PREPARE_PERSISTENT,
						  &s->stmt[which], NULL) != SQLITE_OK) {
		log_error("store: cannot prepare a statement: %s", sqlite3_errmsg(s->db));
		return NULL;
	}
	sqlite3_reset(s->stmt[which]);
	sqlite3_clear_bindings(s->stmt[which]);
	return s->stmt[which];
}

static int store_exec(struct store *s, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("store: %s", msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

/* SQLite's page cache of a connection: small, since the files render in one pass over
 * an index, but a transaction that writes many rows inserts into the id indexes in no
 * order, and a cache smaller than them writes and reads the same pages over and over
 * (100,000 transactions: 1.3 GB written through a 4 MB cache, 0.67 GB through 16 MB). */
#define STORE_CACHE_KIB 4096
#define STORE_BULK_MAX_KIB 32768

static int store_cache_kib(struct store *s, long kib)
{
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA cache_size = -%ld", kib);
	return store_exec(s, pragma);
}

static int store_migrate(struct store *s, struct strbuf *err)
{
	sqlite3_stmt *q;
	int version = 0;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		version = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	if (version > STORE_SCHEMA_VERSION) {
		sb_addf(err, "it was written by a newer monzohfs (schema %d, this one knows %d)", version,
			STORE_SCHEMA_VERSION);
		return -EIO;
	}
	for (; version < STORE_SCHEMA_VERSION; version++) {
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version + 1);
		if (store_exec(s, "BEGIN IMMEDIATE") || store_exec(s, store_migrations[version]) ||
		    store_exec(s, pragma) || store_exec(s, "COMMIT")) {
			store_exec(s, "ROLLBACK");
			sb_addf(err, "cannot upgrade its schema to version %d: %s", version + 1, sqlite3_errmsg(s->db));
			return -EIO;
		}
	}
	return 0;
}

/* The store's directory, made 0700 when it is ours (tokens.json's is too), must then
 * be ours and writable by no one else, and so must its attachments directory when
 * there is one: another user who may add names there may put a -wal, an -shm or a
 * blob of the same size before ours. */
static int store_check_dirs(const char *path, struct strbuf *err)
{
	char *copy = xstrdup(path), *blobs = blobs_dir(path);
	struct strbuf why = STRBUF_INIT;
	int rc = -1;
	if (!blobs) {
		sb_adds(err, "out of memory");
		goto out;
	}
	const char *dir = dirname(copy);
	dirs_tighten(dir);
	dirs_tighten(blobs);
	if (dirs_check_private(dir, &why) < 0)
		sb_addf(err, "its directory %s, so others could replace its files: keep the store in a directory of "
			     "your own that others cannot write to (-o store=DIR/history.sqlite3)", sb_str(&why));
	else if (dirs_check_private(blobs, &why) < 0)
		sb_addf(err, "its attachments directory %s, so others could replace the files kept there: remove it "
			     "(monzohfs makes it again, private) or keep the store elsewhere", sb_str(&why));
	else
		rc = 0;
out:
	sb_release(&why);
	free(copy);
	free(blobs);
	return rc;
}

/* Makes the file at path (the store, its -wal or -shm) 0600 when it is ours and
 * looser: a store made before it was created 0600, or copied with another mode, must
 * not stay readable by others.  A file that is not there is left so.
 *
 * Through an O_PATH descriptor only: closing any other descriptor of a file drops
 * every POSIX lock this process holds on it, SQLite's included, and another
 * connection of this daemon may have the store open.  Without its locks another
 * process takes the store for unused and resets the -shm index under that
 * connection's feet (a SIGBUS, or a corrupt store). */
static void store_private_file(const char *path)
{
	int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	char self[64];
	snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && (st.st_mode & 077) &&
	    chmod(self, 0600) < 0)
		log_warn("store: cannot make %s private: %s", path, strerror(errno));
	close(fd);
}

/* Before SQLite's first use: without memory statistics, its every allocation takes no
 * global lock (a first sync allocates for each of its rows). */
static void store_configure_sqlite(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(const char *path, struct store **out, struct strbuf *err)
{
	*out = NULL;
	if (dirs_make_parent(path) < 0) {
		sb_addf(err, "cannot create the directory of %s: %s", path, strerror(errno));
		return -EIO;
	}
	if (store_check_dirs(path, err) < 0)
		return -EIO;
	/* Create the file ourselves so it is 0600 from its first byte; one that is there
	 * is not opened here (see store_private_file). */
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST) {
		sb_addf(err, "cannot open %s: %s", path, strerror(errno));
		return -EIO;
	}
	if (fd >= 0)
		close(fd);
	store_private_file(path);
	struct store *s = xcalloc(1, sizeof *s);
	tx_columns_init(&s->cols);
	static pthread_once_t configured = PTHREAD_ONCE_INIT;
	pthread_once(&configured, store_configure_sqlite);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sb_addf(err, "cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		store_close(s);
		return -EIO;
	}
	sqlite3_busy_timeout(s->db, 5000);
	/* 16 KiB pages hold several transactions' JSON each (4 KiB pages hold one and
	 * waste a third); the setting only takes effect on a new, empty file.  A first
	 * sync leaves a log of hundreds of MB; once copied it is cut back to 64 MB. */
	if (store_exec(s, "PRAGMA page_size = 16384") ||
	    store_exec(s, "PRAGMA journal_mode = WAL") || store_exec(s, "PRAGMA synchronous = NORMAL") ||
	    store_cache_kib(s, STORE_CACHE_KIB) || store_exec(s, "PRAGMA temp_store = MEMORY") ||
	    store_exec(s, "PRAGMA journal_size_limit = 67108864") ||
	    store_exec(s, "PRAGMA foreign_keys = ON") || store_attach_functions(s->db) < 0) {
		sb_addf(err, "cannot set up %s: %s", path, sqlite3_errmsg(s->db));
		store_close(s);
		return -EIO;
	}
	/* WAL mode has made the -wal and -shm by now: with an older store's loose mode
	 * (SQLite gives them the database's), they are tightened too. */
	struct strbuf side = STRBUF_INIT;
	sb_addf(&side, "%s-wal", path);
	store_private_file(side.buf);
	sb_reset(&side);
	sb_addf(&side, "%s-shm", path);
	store_private_file(side.buf);
	sb_release(&side);
	if (store_migrate(s, err) < 0) {
		store_close(s);
		return -EIO;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT_STMTS; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	tx_columns_release(&s->cols);
	free(s);
}

void store_busy_timeout(struct store *s, int ms)
{
	sqlite3_busy_timeout(s->db, ms);
}

void store_defer_checkpoints(struct store *s)
{
	sqlite3_wal_autocheckpoint(s->db, 0);
}

int store_checkpoint(struct store *s)
{
	return sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

bool store_take_written(struct store *s)
{
	int64_t now = sqlite3_total_changes64(s->db);
	bool wrote = now != s->changes_seen;
	s->changes_seen = now;
	return wrote;
}

int store_begin(struct store *s)
{
	return store_exec(s, "BEGIN IMMEDIATE");
}

int store_begin_bulk(struct store *s, long rows)
{
	long kib = rows / 6;   /* about 160 bytes of index per row */
	if (kib > STORE_BULK_MAX_KIB)
		kib = STORE_BULK_MAX_KIB;
	if (kib > STORE_CACHE_KIB) {
		if (store_cache_kib(s, kib) < 0)
			return -EIO;
		s->bulk = true;
	}
	return store_begin(s);
}

int store_cache_for(struct store *s, long rows)
{
	long kib = rows / 6;
	if (kib > STORE_BULK_MAX_KIB)
		kib = STORE_BULK_MAX_KIB;
	return kib > STORE_CACHE_KIB ? store_cache_kib(s, kib) : 0;
}

void store_cache_default(struct store *s)
{
	store_cache_kib(s, STORE_CACHE_KIB);
}

/* Back to the small cache after a bulk write: the pages over it are freed. */
static void store_end_bulk(struct store *s)
{
	if (s->bulk) {
		s->bulk = false;
		store_cache_kib(s, STORE_CACHE_KIB);
	}
}

int store_data_version(struct store *s, int64_t *version)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(s->db, "PRAGMA data_version", -1, &q, NULL) != SQLITE_OK)
		return -EIO;
	int rc = sqlite3_step(q);
	*version = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

int store_begin_read(struct store *s)
{
	return store_exec(s, "BEGIN DEFERRED");
}

int store_commit(struct store *s)
{
	int rc = store_exec(s, "COMMIT");
	if (sqlite3_get_autocommit(s->db))
		store_end_bulk(s);
	return rc;
}

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		store_exec(s, "ROLLBACK");
	store_end_bulk(s);
}

static int store_step_done(struct store *s, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		log_error("store: %s", sqlite3_errmsg(s->db));
		return -EIO;
	}
	return 0;
}

int store_upsert_transaction(struct store *s, const char *raw, size_t raw_len, int64_t sync_no, bool *changed,
			     int64_t *latest)
{
	*changed = false;
	/* A transaction seen before, byte for byte, is only marked seen: its columns are
	 * read only when it is new or changed (a re-sync re-reads two weeks of them). */
	char quick_id[128];
	sqlite3_stmt *q;
	if (jsonspan_string(raw, raw_len, "id", quick_id, sizeof quick_id) == 0) {
		if (!(q = store_stmt(s, ST_TOUCH)))
			return -EIO;
		sqlite3_bind_text(q, 1, quick_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, sync_no);
		sqlite3_bind_text(q, 3, raw, (int)raw_len, SQLITE_STATIC);
		if (store_step_done(s, q) < 0)
			return -EIO;
		if (sqlite3_changes(s->db) == 1)
			return 0;
	}
	return store_insert_transaction(s, raw, raw_len, sync_no, changed, latest);
}

int store_insert_transaction(struct store *s, const char *raw, size_t raw_len, int64_t sync_no, bool *changed,
			     int64_t *latest)
{
	*changed = false;
	sqlite3_stmt *q;
	struct tx_columns *c = &s->cols;
	int rc = tx_columns_read(c, raw, raw_len);
	if (rc == -ENODATA) {
		log_warn("store: skipping a transaction without an id or a valid created time");
		return 0;
	}
	if (rc < 0)
		return rc;
	const char *id = tx_columns_text(c, TX_ID);

	if (!(q = store_stmt(s, ST_UPSERT)))
		return -EIO;
	static const enum tx_text texts[] = { TX_LOCAL_CURRENCY, TX_SCHEME, TX_CATEGORY, TX_CATEGORIES,
					      TX_MERCHANT_NAME, TX_MERCHANT_EMOJI, TX_MERCHANT_ADDRESS, TX_CP_NAME,
					      TX_CP_PREFERRED_NAME, TX_POT_ID, TX_DESCRIPTION, TX_NOTES };
	/* In the order of the table's columns. */
	int i = 1;
	sqlite3_bind_text(q, i++, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, i++, tx_columns_text(c, TX_ACCOUNT), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, i++, c->created.sec);
	sqlite3_bind_int(q, i++, c->created.nsec);
	sqlite3_bind_int(q, i++, c->has[TX_SETTLED]);
	sqlite3_bind_int(q, i++, c->declined);
	sqlite3_bind_int64(q, i++, c->amount);
	sqlite3_bind_text(q, i++, tx_columns_text(c, TX_CURRENCY), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, i++, c->local_amount);
	for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++)
		sqlite3_bind_text(q, i++, tx_columns_text(c, texts[k]), -1, SQLITE_STATIC);
	sqlite3_bind_int(q, i++, c->bacs_direct_debit);
	sqlite3_bind_int64(q, i++, sync_no);
	sqlite3_bind_int64(q, i++, timefmt_now().sec);
	sqlite3_bind_int64(q, i++, c->updated.sec);
	sqlite3_bind_int(q, i++, c->updated.nsec);
	sqlite3_bind_text(q, i++, tx_columns_text(c, TX_POT_ACCOUNT), -1, SQLITE_STATIC);
	sqlite3_bind_int(q, i++, c->include_in_spending);
	if (store_step_done(s, q) < 0)
		return -EIO;
	if (sqlite3_changes(s->db) == 0) {
		/* A newer state is stored: keep it, but the API still has the transaction. */
		if (!(q = store_stmt(s, ST_SEEN)))
			return -EIO;
		sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, sync_no);
		return store_step_done(s, q);
	}
	if (!(q = store_stmt(s, ST_JSON_PUT)))
		return -EIO;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, raw, (int)raw_len, SQLITE_STATIC);
	if ((rc = store_step_done(s, q)) == 0)
		*changed = true;
	if (*changed && latest)
		*latest = c->updated.sec > c->created.sec ? c->updated.sec : c->created.sec;
	return rc;
}

int store_pending_ids(struct store *s, const char *account, struct strlist *ids)
{
	sqlite3_stmt *q = store_stmt(s, ST_PENDING_IDS);
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		strlist_add(ids, store_col(q, 0));
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int store_account_int(struct store *s, enum store_stmt which, const char *account, int64_t *v,
			     bool *found);

int store_forget_pending(struct store *s, const char *id, int64_t sync_no, bool *removed)
{
	*removed = false;
	sqlite3_stmt *q;
	/* Tombstones older than a day can stop no sync: dropped as new ones come. */
	if (!(q = store_stmt(s, ST_TOMB_PRUNE)))
		return -EIO;
	sqlite3_bind_int64(q, 1, sync_no - STORE_TOMBSTONE_DAY_US);
	if (store_step_done(s, q) < 0 || !(q = store_stmt(s, ST_TOMB_PUT)))
		return -EIO;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, sync_no);
	if (store_step_done(s, q) < 0 || !(q = store_stmt(s, ST_FORGET)))
		return -EIO;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, sync_no);
	int rc = store_step_done(s, q);
	*removed = rc == 0 && sqlite3_changes(s->db) == 1;
	return rc;
}

int store_any_removed_after(struct store *s, const char *account, int64_t sync_no, bool *any)
{
	int64_t latest;
	bool found;
	int rc = store_account_int(s, ST_TOMB_ANY, account, &latest, &found);
	*any = rc == 0 && found && latest > sync_no;
	return rc;
}

int store_removed_after(struct store *s, const char *id, int64_t sync_no, bool *removed)
{
	sqlite3_stmt *q = store_stmt(s, ST_TOMB_GET);
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, sync_no);
	int rc = sqlite3_step(q);
	*removed = rc == SQLITE_ROW;
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

/* Runs a one-row query of one integer with the account bound; NULL gives *found false. */
static int store_account_int(struct store *s, enum store_stmt which, const char *account, int64_t *v, bool *found)
{
	sqlite3_stmt *q = store_stmt(s, which);
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	*found = rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL;
	*v = *found ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

int store_newest_created(struct store *s, const char *account, int64_t *sec, bool *found)
{
	return store_account_int(s, ST_NEWEST, account, sec, found);
}

void sync_state_release(struct sync_state *st)
{
	free(st->balance_json);
	memset(st, 0, sizeof *st);
}

int store_get_sync_state(struct store *s, const char *account, struct sync_state *st)
{
	memset(st, 0, sizeof *st);
	sqlite3_stmt *q = store_stmt(s, ST_SYNC_GET);
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		st->known = true;
		st->history_complete = sqlite3_column_int(q, 0);
		st->history_start = sqlite3_column_int64(q, 1);
		st->last_sync = sqlite3_column_int64(q, 2);
		st->gap_from = sqlite3_column_int64(q, 3);
		st->gap_to = sqlite3_column_int64(q, 4);
		st->version = sqlite3_column_int64(q, 5);
		const unsigned char *b = sqlite3_column_text(q, 6);
		st->balance_json = b ? xstrdup((const char *)b) : NULL;
		st->balance_asked = sqlite3_column_int64(q, 7);
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

int store_put_sync_state(struct store *s, const char *account, const struct sync_state *st)
{
	sqlite3_stmt *q = store_stmt(s, ST_SYNC_PUT);
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, st->history_complete);
	sqlite3_bind_int64(q, 3, st->history_start);
	sqlite3_bind_int64(q, 4, st->last_sync);
	sqlite3_bind_int64(q, 5, st->gap_from);
	sqlite3_bind_int64(q, 6, st->gap_to);
	sqlite3_bind_int64(q, 7, st->version);
	if (st->balance_json)
		sqlite3_bind_text(q, 8, st->balance_json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 9, st->balance_asked);
	return store_step_done(s, q);
}

const char *store_col(sqlite3_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	return t ? (const char *)t : "";
}

int store_each_transaction(struct store *s, const char *account, int64_t from, int64_t to, bool with_json,
			   store_tx_fn fn, void *ctx)
{
	sqlite3_stmt *q = store_stmt(s, with_json ? ST_EACH_JSON : ST_EACH);
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, from);
	sqlite3_bind_int64(q, 3, to);
	int rc, out = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct tx_row r;
		int i = 0;
		r.id = store_col(q, i++);
		r.account_id = store_col(q, i++);
		r.created.sec = sqlite3_column_int64(q, i++);
		r.created.nsec = sqlite3_column_int(q, i++);
		r.settled = sqlite3_column_int(q, i++);
		r.declined = sqlite3_column_int(q, i++);
		r.amount = sqlite3_column_int64(q, i++);
		r.currency = store_col(q, i++);
		r.local_amount = sqlite3_column_int64(q, i++);
		r.local_currency = store_col(q, i++);
		r.scheme = store_col(q, i++);
		r.category = store_col(q, i++);
		r.categories = store_col(q, i++);
		r.merchant_name = store_col(q, i++);
		r.merchant_emoji = store_col(q, i++);
		r.merchant_address = store_col(q, i++);
		r.cp_name = store_col(q, i++);
		r.cp_preferred_name = store_col(q, i++);
		r.pot_id = store_col(q, i++);
		r.description = store_col(q, i++);
		r.notes = store_col(q, i++);
		r.bacs_direct_debit = sqlite3_column_int(q, i++);
		r.include_in_spending = sqlite3_column_int(q, i++);
		r.json = with_json ? store_col(q, i) : "";
		r.json_len = with_json ? (size_t)sqlite3_column_bytes(q, i) : 0;
		/* Stored before amounts were checked at the sync: no file is made of it (a
		 * sum or a sign change of it could overflow). */
		if (!amount_within(r.amount) || !amount_within(r.local_amount)) {
			char shown[128];
			log_error("store: a stored transaction of %s has an amount beyond " AMOUNT_LIMIT_TEXT,
				  termtext_cut(account, shown, sizeof shown));
			out = -ERANGE;
			break;
		}
		if ((out = fn(ctx, &r)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_error("store: %s", sqlite3_errmsg(s->db));
		out = -EIO;
	}
	sqlite3_reset(q);
	return out;
}

int store_sum_amounts(struct store *s, const char *account, int64_t from, int64_t to, int64_t *sum)
{
	sqlite3_stmt *q = store_stmt(s, ST_SUM);
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, from);
	sqlite3_bind_int64(q, 3, to);
	int rc = sqlite3_step(q);
	*sum = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

int store_pot_accounts(struct store *s, const char *account, store_pot_fn fn, void *ctx)
{
	sqlite3_stmt *q = store_stmt(s, ST_POT_ACCOUNTS);
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *pot = (const char *)sqlite3_column_text(q, 0);
		const char *acc = (const char *)sqlite3_column_text(q, 1);
		if (pot && acc && fn(ctx, pot, acc)) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int store_first_created(struct store *s, const char *account, int64_t from, int64_t *sec, bool *found)
{
	sqlite3_stmt *q = store_stmt(s, ST_CREATED);
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, from);
	int rc = sqlite3_step(q);
	*found = rc == SQLITE_ROW;
	*sec = *found ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

int store_put_resource(struct store *s, const char *key, const char *raw, size_t len, struct instant fetched,
		       struct instant changed)
{
	sqlite3_stmt *q = store_stmt(s, ST_RES_PUT);
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, raw, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, fetched.sec);
	sqlite3_bind_int(q, 4, fetched.nsec);
	sqlite3_bind_int64(q, 5, changed.sec);
	sqlite3_bind_int(q, 6, changed.nsec);
	return store_step_done(s, q);
}

int store_get_resource(struct store *s, const char *key, char **raw, size_t *len, struct instant *fetched,
		       struct instant *changed)
{
	*raw = NULL;
	sqlite3_stmt *q = store_stmt(s, ST_RES_GET);
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	int rc = -ENOENT;
	if (sqlite3_step(q) == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(q, 0);
		*raw = xmalloc(*len + 1);
		memcpy(*raw, store_col(q, 0), *len);
		(*raw)[*len] = '\0';
		fetched->sec = sqlite3_column_int64(q, 1);
		fetched->nsec = sqlite3_column_int(q, 2);
		changed->sec = sqlite3_column_int64(q, 3);
		changed->nsec = sqlite3_column_int(q, 4);
		rc = 0;
	}
	sqlite3_reset(q);
	return rc;
}

struct instant store_file_mtime(struct store *s, const char *path, uint64_t digest, uint64_t size,
				struct instant now)
{
	sqlite3_stmt *q = store_stmt(s, ST_FILE_GET);
	if (q) {
		sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW && (uint64_t)sqlite3_column_int64(q, 0) == digest &&
		    (uint64_t)sqlite3_column_int64(q, 1) == size) {
			struct instant t = { sqlite3_column_int64(q, 2), sqlite3_column_int(q, 3) };
			sqlite3_reset(q);
			return t;
		}
		sqlite3_reset(q);
	}
	q = store_stmt(s, ST_FILE_PUT);
	if (q) {
		sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, (int64_t)digest);
		sqlite3_bind_int64(q, 3, (int64_t)size);
		sqlite3_bind_int64(q, 4, now.sec);
		sqlite3_bind_int(q, 5, now.nsec);
		/* Best effort: a sync may hold the write lock; the mtime still holds for this
		 * mount and is recorded at the next change. */
		sqlite3_step(q);
		sqlite3_reset(q);
	}
	return now;
}
