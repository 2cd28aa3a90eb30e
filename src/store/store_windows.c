/* store_windows: a few rows per capture, written once per page at most, so each call
 * prepares its statement: nothing to keep between captures. */
#include "store_windows.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_internal.h"
#include "xalloc.h"

static sqlite3_stmt *store_windows_prepare(struct store *s, const char *sql)
{
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(store_sqlite(s), sql, -1, &q, NULL) != SQLITE_OK) {
		log_error("store: %s", sqlite3_errmsg(store_sqlite(s)));
		return NULL;
	}
	return q;
}

static int store_windows_run(struct store *s, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -EIO;
	if (rc)
		log_error("store: %s", sqlite3_errmsg(store_sqlite(s)));
	sqlite3_finalize(q);
	return rc;
}

int store_windows_get(struct store *s, const char *account, struct store_window **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *q = store_windows_prepare(s, "SELECT since, before, cursor, cursor_created, done"
						  " FROM capture_windows WHERE account_id = ?1 ORDER BY since");
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xreallocarray(*out, cap, sizeof **out);
		}
		struct store_window *w = &(*out)[(*n)++];
		w->since = sqlite3_column_int64(q, 0);
		w->before = sqlite3_column_int64(q, 1);
		snprintf(w->cursor, sizeof w->cursor, "%s", store_col(q, 2));
		w->cursor_created = sqlite3_column_int64(q, 3);
		w->done = sqlite3_column_int(q, 4) != 0;
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		free(*out);
		*out = NULL;
		*n = 0;
		return -EIO;
	}
	return 0;
}

int store_window_put(struct store *s, const char *account, const struct store_window *w)
{
	sqlite3_stmt *q = store_windows_prepare(s, "INSERT OR REPLACE INTO capture_windows (account_id, since,"
						  " before, cursor, cursor_created, done) VALUES (?1,?2,?3,?4,?5,?6)");
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, w->since);
	sqlite3_bind_int64(q, 3, w->before);
	sqlite3_bind_text(q, 4, w->cursor, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, w->cursor_created);
	sqlite3_bind_int(q, 6, w->done);
	return store_windows_run(s, q);
}

int store_window_drop(struct store *s, const char *account, int64_t since)
{
	sqlite3_stmt *q = store_windows_prepare(s, "DELETE FROM capture_windows WHERE account_id = ?1 AND since = ?2");
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, since);
	return store_windows_run(s, q);
}

int store_windows_clear(struct store *s, const char *account)
{
	sqlite3_stmt *q = store_windows_prepare(s, "DELETE FROM capture_windows WHERE account_id = ?1");
	if (!q)
		return -EIO;
	sqlite3_bind_text(q, 1, account, -1, SQLITE_STATIC);
	return store_windows_run(s, q);
}
