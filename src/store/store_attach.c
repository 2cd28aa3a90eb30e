/* store_attach: SQLite's JSON functions read the attachments out of the stored JSON
 * (json_each over $.attachments), of only the transactions whose text can hold one:
 * a memmem() first passes over the rest without parsing them. */
#include "store_attach.h"

#include <errno.h>

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store_internal.h"

static const char store_attach_each_sql[] =
	"SELECT t.id, t.created_sec, t.created_nsec, a.key, json_extract(a.value, '$.file_url'),"
	" json_extract(a.value, '$.file_type'), json_extract(a.value, '$.created')"
	" FROM transactions t JOIN transaction_json j ON j.id = t.id, json_each(j.json, '$.attachments') a"
	" WHERE t.account_id = ?1 AND monzohfs_contains(j.json, '\"file_url\"') AND a.type = 'object'"
	" AND json_type(a.value, '$.file_url') = 'text'"
	" ORDER BY t.created_sec, t.created_nsec, t.id, a.key";

/* monzohfs_contains(text, needle): a listing passes over every transaction's JSON,
 * megabytes of it; memmem does that several times faster than instr(), which
 * compares at each character. */
static void store_attach_contains(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char *hay = sqlite3_value_text(argv[0]), *needle = sqlite3_value_text(argv[1]);
	int nh = sqlite3_value_bytes(argv[0]), nn = sqlite3_value_bytes(argv[1]);
	sqlite3_result_int(ctx, hay && needle && memmem(hay, (size_t)nh, needle, (size_t)nn) != NULL);
}

int store_attach_functions(sqlite3 *db)
{
	return sqlite3_create_function(db, "monzohfs_contains", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
				       NULL, store_attach_contains, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

static const char store_attach_find_sql[] =
	"SELECT sha256, size, content_type, fetched_sec, fetched_nsec FROM attachment_files WHERE url = ?1";

static const char store_attach_record_sql[] =
	"INSERT OR REPLACE INTO attachment_files (url, sha256, size, content_type, fetched_sec, fetched_nsec)"
	" VALUES (?1,?2,?3,?4,?5,?6)";

/* Prepared per call: these run once per listing or file, not per row. */
static sqlite3_stmt *store_attach_prepare(struct store *s, const char *sql)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(store_sqlite(s), sql, -1, &q, NULL) != SQLITE_OK) {
		log_error("store: %s", store_errmsg(s));
		sqlite3_finalize(q);
		return NULL;
	}
	return q;
}

int store_attach_each(struct store *s, const char *account, store_attach_fn fn, void *ctx)
{
	sqlite3_stmt *q = store_attach_prepare(s, store_attach_each_sql);
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	int rc, out = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_attach a = {
			.tx_id = store_col(q, 0),
			.tx_created = { sqlite3_column_int64(q, 1), sqlite3_column_int(q, 2) },
			.index = sqlite3_column_int(q, 3),
			.file_url = store_col(q, 4),
			.file_type = store_col(q, 5),
			.created = store_col(q, 6),
		};
		if ((out = fn(ctx, &a)))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_error("store: %s", store_errmsg(s));
		out = -EIO;
	}
	sqlite3_finalize(q);
	return out;
}

int store_attach_find(struct store *s, const char *url, struct store_attach_file *f)
{
	sqlite3_stmt *q = store_attach_prepare(s, store_attach_find_sql);
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, url, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q), out = rc == SQLITE_DONE ? -ENOENT : -EIO;
	if (rc == SQLITE_ROW) {
		snprintf(f->sha256, sizeof f->sha256, "%s", store_col(q, 0));
		f->size = (uint64_t)sqlite3_column_int64(q, 1);
		snprintf(f->content_type, sizeof f->content_type, "%s", store_col(q, 2));
		f->fetched_at = (struct instant){ sqlite3_column_int64(q, 3), sqlite3_column_int(q, 4) };
		out = 0;
	} else if (rc != SQLITE_DONE) {
		log_error("store: %s", store_errmsg(s));
	}
	sqlite3_finalize(q);
	return out;
}

int store_attach_record(struct store *s, const char *url, const struct store_attach_file *f)
{
	sqlite3_stmt *q = store_attach_prepare(s, store_attach_record_sql);
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, url, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, f->sha256, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (int64_t)f->size);
	sqlite3_bind_text(q, 4, f->content_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, f->fetched_at.sec);
	sqlite3_bind_int(q, 6, f->fetched_at.nsec);
	int rc = sqlite3_step(q);
	if (rc != SQLITE_DONE)
		log_error("store: %s", store_errmsg(s));
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -EIO;
}
