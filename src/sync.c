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

/* Stores one page; returns the number of items, -1 on a store error, -2 for a reply
 * of the wrong shape.  Each transaction is parsed on its own (small trees, freed at
 * once) and stored with its exact text. */
static int sync_store_page(struct store *st, const char *body, size_t len, int64_t sync_no, struct sync_result *res)
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
		if (changed)
			res->changed++;
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

int sync_account(struct monzo *api, struct store *st, const char *account, bool want_full, sync_progress_fn progress,
		 void *ctx, struct sync_result *res, struct monzo_error *err)
{
	memset(res, 0, sizeof *res);
	memset(err, 0, sizeof *err);
	struct sync_state state = { 0 };
	struct instant now = timefmt_now();
	int64_t sync_no = now.sec * 1000000 + now.nsec / 1000;
	int64_t window_start = now.sec - (int64_t)SYNC_WINDOW_DAYS * SYNC_DAY;
	int64_t resync_from = INT64_MIN;  /* where vanished pending ones are looked for */
	char since[128] = "", last_id[128] = "";
	int64_t first_created = INT64_MIN, last_created = INT64_MIN;
	struct strbuf path = STRBUF_INIT, page = STRBUF_INIT;
	char *acc_q = http_escape(account);
	FILE *spool = tmpfile();
	bool in_tx = false;
	int rc = -EIO;

	if (!spool) {
		snprintf(err->message, sizeof err->message, "cannot create a temporary file: %s", strerror(errno));
		goto out_free;
	}
	if (store_get_sync_state(st, account, &state) < 0)
		goto store_error;
	bool full = !state.known || want_full;
	if (!full) {
		int64_t newest;
		bool found;
		if (store_newest_created(st, account, &newest, &found) < 0)
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

	/* 1. Fetch every page. */
	for (;;) {
		struct monzo_reply reply;
		monzo_reply_init(&reply);
		sync_page_path(acc_q, since, &path);
		int got = monzo_get_raw(api, path.buf, &reply);
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
				log_info("%s: full history is no longer available; syncing the last %d days", account,
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
		if (progress)
			progress(ctx, account, res->fetched);
		if (n < SYNC_PAGE)
			break;
		snprintf(since, sizeof since, "%s", last_id);
	}

	/* 2. The balance belongs to the same pass, so running balances match the rows. */
	struct monzo_reply bal;
	monzo_reply_init(&bal);
	sb_reset(&path);
	sb_addf(&path, "/balance?account_id=%s", acc_q);
	if ((rc = monzo_get(api, path.buf, &bal)) < 0) {
		*err = bal.err;
		monzo_reply_release(&bal);
		goto out_free;
	}
	res->balance_json = strdup(bal.body.buf);
	monzo_reply_release(&bal);

	/* 3. Write it all in one short transaction. */
	rewind(spool);
	if (store_begin(st) < 0)
		goto store_error;
	in_tx = true;
	int more;
	while ((more = sync_unspool(spool, &page)) > 0) {
		int n = sync_store_page(st, page.buf, page.len, sync_no, res);
		if (n == -2) {
			snprintf(err->message, sizeof err->message, "the transactions reply is not the JSON expected");
			rc = -EIO;
			goto out_free;
		}
		if (n < 0)
			goto store_error;
	}
	if (more < 0) {
		snprintf(err->message, sizeof err->message, "cannot read back a temporary file");
		rc = -EIO;
		goto out_free;
	}
	if (full) {
		/* Everything the API has was seen: whatever pending one is missing is gone. */
		state.history_complete = true;
		state.history_start = 0;
		state.gap_from = state.gap_to = 0;
		resync_from = INT64_MIN + 1;
	}
	if (resync_from != INT64_MIN &&
	    store_remove_vanished_pending(st, account, resync_from, sync_no, &res->removed) < 0)
		goto store_error;
	bool balance_changed = !state.balance_json || strcmp(state.balance_json, res->balance_json);
	if (res->changed || res->removed || balance_changed || !state.known)
		state.version++;
	free(state.balance_json);
	state.balance_json = strdup(res->balance_json);
	state.last_sync = now.sec;
	if (store_put_sync_state(st, account, &state) < 0 || store_commit(st) < 0)
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
	if (rc) {
		free(res->balance_json);
		res->balance_json = NULL;
	}
	if (spool)
		fclose(spool);
	sync_state_release(&state);
	sb_release(&path);
	sb_release(&page);
	free(acc_q);
	return rc;
}
