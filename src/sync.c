/* sync: the first sync asks for all history and falls back to the last 89 days when
 * Monzo's 5-minute window has closed; later syncs re-read from 14 days before the
 * newest known transaction (where pending ones settle or vanish), then page by id. */
#include "sync.h"

#include <errno.h>
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
 * once) and stored with its exact text.  last_id and last_created follow the newest
 * item of the page. */
static int sync_store_page(struct store *st, const struct monzo_reply *reply, int64_t sync_no,
			   struct sync_result *res, char *last_id, size_t cap, int64_t *last_created)
{
	struct jsonspan *spans;
	long n = jsonspan_array(sb_str(&reply->body), reply->body.len, "transactions", &spans);
	if (n < 0)
		return -2;
	int rc = 0;
	for (long i = 0; i < n && rc == 0; i++) {
		cJSON *tx = cJSON_ParseWithLength(spans[i].p, spans[i].len);
		if (!cJSON_IsObject(tx)) {
			cJSON_Delete(tx);
			rc = -2;
			break;
		}
		bool changed;
		if (store_upsert_transaction(st, spans[i].p, spans[i].len, tx, sync_no, &changed) < 0)
			rc = -1;
		if (changed)
			res->changed++;
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(tx, "id");
		const cJSON *created = cJSON_GetObjectItemCaseSensitive(tx, "created");
		struct instant t;
		if (cJSON_IsString(id))
			snprintf(last_id, cap, "%s", id->valuestring);
		if (cJSON_IsString(created) && timefmt_parse(created->valuestring, &t))
			*last_created = t.sec;
		cJSON_Delete(tx);
	}
	free(spans);
	if (rc)
		return rc;
	res->fetched += n;
	return (int)n;
}

int sync_account(struct monzo *api, struct store *st, const char *account, sync_progress_fn progress, void *ctx,
		 struct sync_result *res, struct monzo_error *err)
{
	memset(res, 0, sizeof *res);
	memset(err, 0, sizeof *err);
	struct sync_state state;
	struct instant now = timefmt_now();
	int64_t sync_no = now.sec * 1000000 + now.nsec / 1000;
	int64_t window_start = now.sec - (int64_t)SYNC_WINDOW_DAYS * SYNC_DAY;
	int64_t resync_from = INT64_MIN;  /* where vanished pending ones are looked for */
	char since[128] = "", last_id[128] = "";
	int64_t last_created = INT64_MIN;
	struct strbuf path = STRBUF_INIT;
	char *acc_q = http_escape(account);
	int rc = -EIO;

	if (store_get_sync_state(st, account, &state) < 0 || store_begin(st) < 0) {
		snprintf(err->message, sizeof err->message, "the history store: %s", store_errmsg(st));
		goto out_free;
	}
	bool full = !state.known;
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
				state.history_complete = false;
				state.history_start = last_created == INT64_MIN ? window_start : state.history_start;
				timefmt_utc_z(window_start, since);
				log_info("%s: full history is no longer available; syncing the last %d days", account,
					 SYNC_WINDOW_DAYS);
				continue;
			}
			*err = reply.err;
			monzo_reply_release(&reply);
			rc = got;
			goto rollback;
		}
		int n = sync_store_page(st, &reply, sync_no, res, last_id, sizeof last_id, &last_created);
		monzo_reply_release(&reply);
		if (n == -2) {
			snprintf(err->message, sizeof err->message, "the transactions reply is not the JSON expected");
			goto rollback;
		}
		if (n < 0)
			goto store_error;
		if (progress)
			progress(ctx, account, res->fetched);
		if (n < SYNC_PAGE)
			break;
		snprintf(since, sizeof since, "%s", last_id);
	}

	if (!state.known && !res->fell_back) {
		state.history_complete = true;
		state.history_start = 0;
	}
	if (resync_from != INT64_MIN &&
	    store_remove_vanished_pending(st, account, resync_from, sync_no, &res->removed) < 0)
		goto store_error;

	/* The balance belongs to the same pass, so running balances match the rows. */
	struct monzo_reply bal;
	monzo_reply_init(&bal);
	sb_reset(&path);
	sb_addf(&path, "/balance?account_id=%s", acc_q);
	if ((rc = monzo_get(api, path.buf, &bal)) < 0) {
		*err = bal.err;
		monzo_reply_release(&bal);
		goto rollback;
	}
	bool balance_changed = !state.balance_json || strcmp(state.balance_json, bal.body.buf);
	res->balance_json = strdup(bal.body.buf);
	monzo_reply_release(&bal);

	if (res->changed || res->removed || balance_changed || !state.known)
		state.version++;
	free(state.balance_json);
	state.balance_json = strdup(res->balance_json);
	state.last_sync = now.sec;
	if (store_put_sync_state(st, account, &state) < 0 || store_commit(st) < 0)
		goto store_error;
	res->version = state.version;
	rc = 0;
	goto out_free;

store_error:
	snprintf(err->message, sizeof err->message, "the history store: %s", store_errmsg(st));
	rc = -EIO;
rollback:
	store_rollback(st);
	free(res->balance_json);
	res->balance_json = NULL;
out_free:
	sync_state_release(&state);
	sb_release(&path);
	free(acc_q);
	return rc;
}
