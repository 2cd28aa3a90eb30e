/* sync: the first sync asks for all history and falls back to the last 89 days when
 * Monzo's 5-minute window has closed; later syncs re-read from 14 days before the
 * newest known transaction (where pending ones settle or vanish), then page by id. */
#include "sync.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "json.h"
#include "jsonspan.h"
#include "log.h"

#define SYNC_DAY 86400

void sync_result_release(struct sync_result *res)
{
	free(res->balance_json);
	memset(res, 0, sizeof *res);
}

static bool sync_is_window_closed(const struct monzo_error *e)
{
	return e->http_status == 403 && !strcmp(e->code, "forbidden.verification_required");
}

static void sync_page_path(const char *acc_q, const char *since, struct strbuf *out)
{
	sb_reset(out);
	sb_addf(out, "/transactions?account_id=%s&expand%%5B%%5D=merchant&limit=%d", acc_q, SYNC_PAGE);
	if (since && *since) {
		char *q = http_escape(since);
		sb_addf(out, "&since=%s", q);
		free(q);
	}
}

/* Raises *newest to the transaction's created or updated time, if later. */
static void sync_note_change(const cJSON *tx, int64_t *newest)
{
	static const char *const keys[] = { "created", "updated" };
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		struct instant t;
		if (timefmt_parse(json_str(tx, keys[k], ""), &t) && t.sec > *newest)
			*newest = t.sec;
	}
}

/* Stores one page; returns the number of items, -1 on a store error, -2 for a reply
 * of the wrong shape.  Each transaction is parsed on its own (small trees, freed at
 * once) and stored with its exact text. */
static int sync_store_page(struct store *st, const char *body, size_t len, int64_t sync_no, struct sync_result *res,
			   int64_t *newest_change)
{
	struct jsonspan *spans;
	long n = jsonspan_array(body, len, "transactions", &spans);
	if (n < 0)
		return -2;
	int rc = 0;
	for (long i = 0; i < n && rc == 0; i++) {
		cJSON *tx = cJSON_ParseWithLength(spans[i].p, spans[i].len);
		bool changed = false;
		if (!cJSON_IsObject(tx))
			rc = -2;
		else if (store_upsert_transaction(st, spans[i].p, spans[i].len, tx, sync_no, &changed) < 0)
			rc = -1;
		if (changed) {
			res->changed++;
			sync_note_change(tx, newest_change);
		}
		cJSON_Delete(tx);
	}
	free(spans);
	return rc ? rc : (int)n;
}

/* Checks a fetched page and reads its size and first and last items, without storing
 * anything.  -1 when it is not a transactions page. */
static long sync_scan_page(const struct strbuf *body, char *last_id, size_t cap, int64_t *first_created,
			   int64_t *last_created)
{
	struct jsonspan *spans;
	long n = jsonspan_array(sb_str(body), body->len, "transactions", &spans);
	for (long i = 0; i < n; i += (n - 1 > i ? n - 1 - i : 1)) {
		cJSON *tx = cJSON_ParseWithLength(spans[i].p, spans[i].len);
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(tx, "id");
		const cJSON *created = cJSON_GetObjectItemCaseSensitive(tx, "created");
		struct instant t;
		bool ok = cJSON_IsString(id) && cJSON_IsString(created) && timefmt_parse(created->valuestring, &t);
		if (ok && i == n - 1) {
			snprintf(last_id, cap, "%s", id->valuestring);
			*last_created = t.sec;
		}
		if (ok && i == 0 && *first_created == INT64_MIN)
			*first_created = t.sec;
		cJSON_Delete(tx);
		if (!ok) {
			n = -1;
			break;
		}
	}
	free(spans);
	return n;
}

/* Pages wait in an unlinked file of our own (0600) between fetching and writing, so
 * years of history need neither memory nor a database lock held over the network. */
static int sync_spool(FILE *f, const struct strbuf *body)
{
	uint64_t len = body->len;
	return fwrite(&len, sizeof len, 1, f) == 1 && fwrite(sb_str(body), 1, body->len, f) == body->len ? 0 : -1;
}

static int sync_unspool(FILE *f, struct strbuf *body)
{
	uint64_t len;
	sb_reset(body);
	if (fread(&len, sizeof len, 1, f) != 1)
		return 0;
	sb_grow(body, (size_t)len);
	if (fread(body->buf, 1, (size_t)len, f) != len)
		return -1;
	body->len = (size_t)len;
	body->buf[len] = '\0';
	return 1;
}

/* What one call of sync_account shares between its passes. */
struct sync_run {
	struct monzo *api;
	struct store *st;
	const char *account;
	char *acc_q;
	sync_progress_fn progress;
	void *ctx;
	struct sync_result *res;
	struct monzo_error *err;
	struct strbuf path;
};

/* The balance a pass is synced with, and when it was asked for. */
static int sync_balance(struct sync_run *r, const struct sync_balance *given, struct instant *asked)
{
	free(r->res->balance_json);
	r->res->balance_json = NULL;
	if (given) {
		r->res->balance_json = strdup(given->json);
		*asked = given->asked_at;
	} else {
		struct monzo_reply bal;
		monzo_reply_init(&bal);
		sb_reset(&r->path);
		sb_addf(&r->path, "/balance?account_id=%s", r->acc_q);
		*asked = timefmt_now();
		int got = monzo_get(r->api, r->path.buf, &bal);
		if (got < 0) {
			*r->err = bal.err;
			monzo_reply_release(&bal);
			return got;
		}
		r->res->balance_json = sb_detach(&bal.body, NULL);
		monzo_reply_release(&bal);
	}
	r->res->balance_fetched = !given;
	r->res->balance_asked = *asked;
	if (!r->res->balance_json) {
		snprintf(r->err->message, sizeof r->err->message, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* One pass: the balance, then every page from where the store's knowledge needs it,
 * then one write transaction.  *newest_change: the latest created or updated time
 * of a transaction this pass changed in the store (INT64_MIN for none). */
static int sync_pass(struct sync_run *r, bool want_full, const struct sync_balance *given, struct instant *asked,
		     int64_t *newest_change)
{
	struct store *st = r->st;
	struct sync_result *res = r->res;
	struct monzo_error *err = r->err;
	struct sync_state state = { 0 };
	struct instant now = timefmt_now();
	int64_t sync_no = now.sec * 1000000 + now.nsec / 1000;
	int64_t window_start = now.sec - (int64_t)SYNC_WINDOW_DAYS * SYNC_DAY;
	int64_t resync_from = INT64_MIN;  /* where vanished pending ones are looked for */
	char since[128] = "", last_id[128] = "";
	int64_t first_created = INT64_MIN, last_created = INT64_MIN;
	struct strbuf page = STRBUF_INIT;
	FILE *spool = tmpfile();
	bool in_tx = false;
	int rc = -EIO;

	*newest_change = INT64_MIN;
	if (!spool) {
		snprintf(err->message, sizeof err->message, "cannot create a temporary file: %s", strerror(errno));
		goto out_free;
	}
	if (store_get_sync_state(st, r->account, &state) < 0)
		goto store_error;
	bool full = !state.known || want_full;
	if (!full) {
		int64_t newest;
		bool found;
		if (store_newest_created(st, r->account, &newest, &found) < 0)
			goto store_error;
		resync_from = found ? newest - (int64_t)SYNC_RESYNC_DAYS * SYNC_DAY : window_start;
		if (resync_from < window_start) {
			if (found && newest < window_start) {
				/* Days between what we know and what the API still gives: lost. */
				state.gap_from = newest;
				state.gap_to = window_start;
			}
			resync_from = window_start;
		}
		timefmt_utc_z(resync_from, since);
	}

	/* 1. The balance first: whatever changes while the pages come shows in them as a
	 *    transaction created or updated after it was asked for (see sync_account). */
	if ((rc = sync_balance(r, given, asked)) < 0)
		goto out_free;
	rc = -EIO;

	/* 2. Fetch every page. */
	for (;;) {
		struct monzo_reply reply;
		monzo_reply_init(&reply);
		sync_page_path(r->acc_q, since, &r->path);
		int got = monzo_get_raw(r->api, r->path.buf, &reply);
		if (got < 0) {
			if (full && sync_is_window_closed(&reply.err)) {
				/* The 5-minute window has closed: take what Monzo still gives. */
				monzo_reply_release(&reply);
				full = false;
				res->fell_back = true;
				if (last_created != INT64_MIN && last_created < window_start) {
					state.gap_from = last_created;
					state.gap_to = window_start;
				}
				if (!state.known || !state.history_complete) {
					state.history_complete = false;
					state.history_start = first_created != INT64_MIN ? first_created : window_start;
				}
				resync_from = window_start;
				timefmt_utc_z(window_start, since);
				log_info("%s: full history is no longer available; syncing the last %d days", r->account,
					 SYNC_WINDOW_DAYS);
				continue;
			}
			*err = reply.err;
			monzo_reply_release(&reply);
			rc = got;
			goto out_free;
		}
		long n = sync_scan_page(&reply.body, last_id, sizeof last_id, &first_created, &last_created);
		if (n < 0 || sync_spool(spool, &reply.body) < 0) {
			snprintf(err->message, sizeof err->message, n < 0 ? "the transactions reply is not the JSON expected"
									   : "cannot write a temporary file");
			monzo_reply_release(&reply);
			goto out_free;
		}
		monzo_reply_release(&reply);
		res->fetched += n;
		if (r->progress)
			r->progress(r->ctx, r->account, res->fetched);
		if (n < SYNC_PAGE)
			break;
		snprintf(since, sizeof since, "%s", last_id);
	}

	/* 3. Write it all in one short transaction. */
	rewind(spool);
	if (store_begin(st) < 0)
		goto store_error;
	in_tx = true;
	int64_t changed_before = res->changed;
	int more;
	while ((more = sync_unspool(spool, &page)) > 0) {
		int n = sync_store_page(st, page.buf, page.len, sync_no, res, newest_change);
		if (n == -2) {
			snprintf(err->message, sizeof err->message, "the transactions reply is not the JSON expected");
			goto out_free;
		}
		if (n < 0)
			goto store_error;
	}
	if (more < 0) {
		snprintf(err->message, sizeof err->message, "cannot read back a temporary file");
		goto out_free;
	}
	if (full) {
		/* Everything the API has was seen: whatever pending one is missing is gone. */
		state.history_complete = true;
		state.history_start = 0;
		state.gap_from = state.gap_to = 0;
		resync_from = INT64_MIN + 1;
	}
	int removed = 0;
	if (resync_from != INT64_MIN && store_remove_vanished_pending(st, r->account, resync_from, sync_no, &removed) < 0)
		goto store_error;
	res->removed += removed;
	bool balance_changed = !state.balance_json || strcmp(state.balance_json, res->balance_json);
	if (res->changed > changed_before || removed || balance_changed || !state.known)
		state.version++;
	free(state.balance_json);
	state.balance_json = strdup(res->balance_json);
	state.last_sync = now.sec;
	if (store_put_sync_state(st, r->account, &state) < 0 || store_commit(st) < 0)
		goto store_error;
	in_tx = false;
	res->version = state.version;
	rc = 0;
	goto out_free;

store_error:
	snprintf(err->message, sizeof err->message, "the history store: %s", store_errmsg(st));
	rc = -EIO;
out_free:
	if (in_tx)
		store_rollback(st);
	if (spool)
		fclose(spool);
	sync_state_release(&state);
	sb_release(&page);
	return rc;
}

int sync_account(struct monzo *api, struct store *st, const char *account, bool want_full,
		 const struct sync_balance *balance, sync_progress_fn progress, void *ctx, struct sync_result *res,
		 struct monzo_error *err)
{
	memset(res, 0, sizeof *res);
	memset(err, 0, sizeof *err);
	struct sync_run r = { api, st, account, http_escape(account), progress, ctx, res, err, STRBUF_INIT };
	struct instant asked;
	int64_t newest_change;
	int rc = sync_pass(&r, want_full, balance, &asked, &newest_change);
	/* The balance was asked for before the pages, so the rows can only be ahead of it:
	 * by a transaction this pass stored as new or changed that was created or updated
	 * after it (give or take the clocks).  Then ask again, and re-read the window
	 * where that shows; a pass that changes nothing so recent ends it. */
	for (int pass = 1; rc == 0 && pass < SYNC_PASSES && newest_change >= asked.sec - SYNC_CLOCK_SLACK; pass++)
		rc = sync_pass(&r, false, NULL, &asked, &newest_change);
	if (rc) {
		free(res->balance_json);
		res->balance_json = NULL;
		res->balance_fetched = false;
	}
	sb_release(&r.path);
	free(r.acc_q);
	return rc;
}
