/* sync: the first sync asks for all history and falls back to the last 89 days when
 * Monzo's 5-minute window has closed; later syncs re-read from 14 days before the
 * newest known transaction (where pending ones settle or vanish), then page by id.
 * Each pass takes the balance first, fetches every page, asks after stored pending
 * transactions the pages left out, then writes in one short SQLite transaction.  A
 * long first or full capture hands its first page to sync_windows, which fetches the
 * rest in time windows side by side and commits them as they come. */
#include "sync.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "amount.h"
#include "json.h"
#include "jsonspan.h"
#include "log.h"
#include "store_windows.h"
#include "sync_internal.h"
#include "sync_windows.h"
#include "termtext.h"
#include "xalloc.h"
/* Refused "since" times moved on at most this often, a day then twice as far each time:
 * a clock two months slow still syncs. */
#define SYNC_CLOCK_STEPS 6

const struct sync_balance sync_no_balance = { NULL, { 0, 0 } };

void sync_result_release(struct sync_result *res)
{
	free(res->balance_json);
	free(res->pots_json);
	memset(res, 0, sizeof *res);
}

bool sync_is_window_closed(const struct monzo_error *e)
{
	return e->http_status == 403 && !strcmp(e->code, "forbidden.verification_required");
}

static int64_t sync_micros(struct instant t)
{
	return t.sec * 1000000 + t.nsec / 1000;
}

/* Why sync_page_scan refused a page.  Nothing of the pass is stored; the next sync
 * asks again. */
static const char *sync_page_trouble(int scan)
{
	return scan == -ERANGE ? "the transactions reply holds an amount beyond " AMOUNT_LIMIT_TEXT
			  : "the transactions reply is not the JSON expected";
}

void sync_report(struct sync_run *r)
{
	r->shown.fetched = r->res->fetched;
	if (r->progress)
		r->progress(r->ctx, r->account, &r->shown);
}

/* A pot's own account has no /balance: its balance is the pot's, in its account's
 * /pots (given: a reply fetched moments ago, else asked for now), taken before the
 * pages as an account's balance is.  The pot object is kept as the balance (its
 * "balance" is what the rows count back from), and a reply fetched here for the
 * account's pots. */
static int sync_pot_balance(struct sync_run *r, struct sync_pass *p, const struct sync_balance *given)
{
	struct monzo_reply reply;
	monzo_reply_init(&reply);
	if (given) {
		reply.json = cJSON_Parse(given->json);
		p->asked = given->asked_at;
	} else {
		char *q = monzo_escape(r->pot->account);
		sb_reset(&r->path);
		sb_addf(&r->path, "/pots?current_account_id=%s", q);
		free(q);
		p->asked = timefmt_now();
		int got = monzo_get(r->api, r->path.buf, &reply);
		if (got < 0) {
			bool refused = monzo_error_is_refusal(&reply.err);
			if (!refused)
				*r->err = reply.err;
			monzo_reply_release(&reply);
			r->res->balance_refused = refused;
			return refused ? 0 : got;
		}
	}
	const cJSON *pot;
	cJSON_ArrayForEach(pot, cJSON_GetObjectItemCaseSensitive(reply.json, "pots"))
		if (!strcmp(json_str(pot, "id", ""), r->pot->pot))
			break;
	/* A pot the list no longer names has no balance to count back from; one beyond
	 * the limit is bad input, as a page is. */
	int64_t minor;
	enum amount_read read = amount_of_json(cJSON_GetObjectItemCaseSensitive(pot, "balance"), &minor);
	if (read == AMOUNT_BEYOND) {
		monzo_reply_release(&reply);
		snprintf(r->err->message, sizeof r->err->message, "the pots reply holds an amount beyond " AMOUNT_LIMIT_TEXT);
		return -EIO;
	}
	bool none = read != AMOUNT_OK;
	r->res->balance_refused = none;
	if (!none) {
		r->res->balance_json = cJSON_PrintUnformatted(pot);
		r->res->balance_asked = p->asked;
		if (!given) {
			free(r->res->pots_json);
			r->res->pots_json = sb_detach(&reply.body, NULL);
		}
	}
	monzo_reply_release(&reply);
	/* cJSON's allocation, not ours: it returns NULL rather than end the process. */
	if (!none && !r->res->balance_json) {
		snprintf(r->err->message, sizeof r->err->message, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* The balance a pass is synced with. */
static int sync_balance(struct sync_run *r, struct sync_pass *p, const struct sync_balance *given)
{
	free(r->res->balance_json);
	r->res->balance_json = NULL;
	if (r->pot)
		return sync_pot_balance(r, p, given);
	if (given == &sync_no_balance) {
		/* A pot's own account has no /balance: its balance is the pot's. */
		p->asked = timefmt_now();
		r->res->balance_fetched = false;
		return 0;
	}
	if (given) {
		r->res->balance_json = xstrdup(given->json);
		p->asked = given->asked_at;
	} else {
		struct monzo_reply bal;
		monzo_reply_init(&bal);
		sb_reset(&r->path);
		sb_addf(&r->path, "/balance?account_id=%s", r->acc_q);
		p->asked = timefmt_now();
		int got = monzo_get(r->api, r->path.buf, &bal);
		if (got < 0 && monzo_error_is_refusal(&bal.err)) {
			/* The bank will not say this account's balance: its rows are synced all
			 * the same, with no Balance column (DESIGN, "When the bank refuses a part"). */
			monzo_reply_release(&bal);
			r->res->balance_fetched = false;
			r->res->balance_refused = true;
			return 0;
		}
		if (got < 0) {
			*r->err = bal.err;
			monzo_reply_release(&bal);
			return got;
		}
		r->res->balance_json = sb_detach(&bal.body, NULL);
		monzo_reply_release(&bal);
	}
	r->res->balance_fetched = !given;
	r->res->balance_asked = p->asked;
	/* The files count back from it: one beyond the limit is bad input, as a page is. */
	struct jsonspan v;
	int64_t n;
	const char *json = r->res->balance_json;
	if (jsonspan_member(json, strlen(json), "balance", &v) == 0 && amount_of_span(v, &n) == AMOUNT_BEYOND) {
		snprintf(r->err->message, sizeof r->err->message,
			 "the balance reply holds an amount beyond " AMOUNT_LIMIT_TEXT);
		free(r->res->balance_json);
		r->res->balance_json = NULL;
		return -EIO;
	}
	return 0;
}

void sync_note_gap(struct sync_pass *p, int64_t from)
{
	if (p->have_newest && p->newest < from) {
		p->out.gap_from = p->newest;
		p->out.gap_to = from;
	}
}

/* A page request was refused as outside the 90 days.  Returns true when the pass can
 * go on: from the last 89 days, when it asked for all history; from later, when its
 * own clock must be slow (the API measures the 90 days by its clock). */
bool sync_refused(struct sync_run *r, struct sync_pass *p, bool paged, int *steps)
{
	if (p->full) {
		p->full = false;
		p->out.fell_back = true;
		r->res->fell_back = true;
		p->since = p->window_start;
		p->out.history_start = p->window_start;
		sync_note_gap(p, p->window_start);
		log_info("%s: full history is no longer available; syncing the last %d days", r->label,
			 SYNC_WINDOW_DAYS);
		return true;
	}
	if (paged || *steps >= SYNC_CLOCK_STEPS)
		return false;
	p->since += (int64_t)SYNC_DAY << (*steps)++;
	if (p->out.fell_back)
		p->out.history_start = p->since;
	sync_note_gap(p, p->since);
	log_info("%s: the API refused the last %d days by its clock; this machine's clock may be slow", r->label,
		 SYNC_WINDOW_DAYS);
	return true;
}

/* 2. Every page, into the spool. */
static int sync_fetch_pages(struct sync_run *r, struct sync_pass *p)
{
	char since[128] = "";
	bool paged = false, throttled = false;
	int steps = 0, tries = 0;
	if (!p->full)
		timefmt_utc_z(p->since, since);
	for (;;) {
		struct monzo_reply reply;
		monzo_reply_init(&reply);
		sb_reset(&r->path);
		sb_addf(&r->path, "/transactions?account_id=%s&expand%%5B%%5D=merchant&limit=%d", r->acc_q, SYNC_PAGE);
		if (*since) {
			char *q = monzo_escape(since);
			sb_addf(&r->path, "&since=%s", q);
			free(q);
		}
		/* A capture's pages are paced with the windows of every capture in flight. */
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int got = p->capture ? monzo_get_paced(r->api, r->path.buf, &reply)
				     : monzo_get_raw(r->api, r->path.buf, &reply);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long took_ms = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (got == -EAGAIN && ++tries <= SYNC_THROTTLE_TRIES) {
			throttled = true;   /* the pause is the pace's: ask again */
			monzo_reply_release(&reply);
			continue;
		}
		tries = 0;
		if (got < 0) {
			bool again = sync_is_window_closed(&reply.err) && sync_refused(r, p, paged, &steps);
			if (!again)
				*r->err = reply.err;
			monzo_reply_release(&reply);
			if (!again)
				return got;
			timefmt_utc_z(p->since, since);
			continue;
		}
		struct sync_page_info info;
		struct jsonspan *spans = NULL;
		int scan = sync_page_scan(sb_str(&reply.body), reply.body.len, &p->seen, &info, &spans);
		/* A long history: the rest in time windows side by side (sync_windows.h). */
		if (scan == 0 && !paged && p->capture && sync_windows_worth(r, &info, took_ms)) {
			int rc = sync_windows_capture(r, p, &reply, &info, spans, *since ? p->since : info.first_created);
			free(spans);
			monzo_reply_release(&reply);
			return rc;
		}
		if (scan < 0 || sync_spool_put(p->spool, sb_str(&reply.body), reply.body.len, spans, info.count) < 0) {
			snprintf(r->err->message, sizeof r->err->message, "%s",
				 scan < 0 ? sync_page_trouble(scan) : "cannot write a temporary file");
			free(spans);
			monzo_reply_release(&reply);
			return -EIO;
		}
		free(spans);
		monzo_reply_release(&reply);
		p->spooled += info.count;
		paged = true;
		r->res->fetched += info.count;
		sync_report(r);
		if (info.count < SYNC_PAGE) {
			if (p->capture && !throttled)
				pace_grow(&r->api->pace);   /* a capture in one window, done */
			return 0;
		}
		snprintf(since, sizeof since, "%s", info.last_id);
	}
}

/* 3. Stored pending transactions the pages left out: settled with a created time
 *    outside the window read, older than it and still pending or settled since, or
 *    gone.  Only the API can say which; there are seldom more than a few. */
static int sync_ask_after_missing(struct sync_run *r, struct sync_pass *p)
{
	struct strlist pending = STRLIST_INIT;
	if (store_pending_ids(r->st, r->account, &pending) < 0) {
		snprintf(r->err->message, sizeof r->err->message, "the history store: %s", store_errmsg(r->st));
		strlist_release(&pending);
		return -EIO;
	}
	sync_seen_sort(&p->seen);
	int rc = 0;
	for (size_t i = 0; i < pending.n && !rc; i++) {
		const char *id = pending.v[i];
		if (sync_seen_has(&p->seen, id))
			continue;
		struct monzo_reply reply;
		monzo_reply_init(&reply);
		char *q = monzo_escape(id);
		sb_reset(&r->path);
		sb_addf(&r->path, "/transactions/%s?expand%%5B%%5D=merchant", q);
		free(q);
		int got = monzo_get_raw(r->api, r->path.buf, &reply);
		struct jsonspan tx;
		if (got == -ENOENT) {
			strlist_add(&p->gone, id);
		} else if (got < 0) {
			/* Kept until an answer says otherwise (older than 90 days, the API may
			 * not say at all). */
			char id_shown[128];
			struct strbuf why = STRBUF_INIT;
			monzo_error_describe(&reply.err, &why);
			log_debug("%s: cannot ask after transaction %s: %s", r->label, termtext_cut(id, id_shown, sizeof id_shown),
				  sb_str(&why));
			sb_release(&why);
		} else if (jsonspan_member(sb_str(&reply.body), reply.body.len, "transaction", &tx) < 0) {
			snprintf(r->err->message, sizeof r->err->message, "the transaction reply is not the JSON expected");
			rc = -EIO;
		} else {
			struct strbuf page = STRBUF_INIT;
			struct sync_page_info info;
			struct jsonspan *spans = NULL;
			sb_adds(&page, "{\"transactions\":[");
			sb_add(&page, tx.p, tx.len);
			sb_adds(&page, "]}");
			int scan = sync_page_scan(page.buf, page.len, NULL, &info, &spans);
			if (scan < 0) {
				snprintf(r->err->message, sizeof r->err->message, "%s", sync_page_trouble(scan));
				rc = -EIO;
			} else if (sync_spool_put(p->spool, page.buf, page.len, spans, info.count) < 0) {
				snprintf(r->err->message, sizeof r->err->message, "cannot write a temporary file");
				rc = -EIO;
			} else {
				p->spooled += info.count;
			}
			free(spans);
			sb_release(&page);
		}
		monzo_reply_release(&reply);
	}
	strlist_release(&pending);
	return rc;
}

/* Whether a later pass removed this transaction (tombstones: only asked when it
 * removed any of the account's), so this one, which saw the bank before, skips it. */
static int sync_removed_later(struct store *st, const struct jsonspan *tx, bool tombstones, int64_t sync_no,
			      bool *skip)
{
	char id[128];
	*skip = false;
	if (!tombstones || jsonspan_string(tx->p, tx->len, "id", id, sizeof id) < 0)
		return 0;
	return store_removed_after(st, id, sync_no, skip);
}

/* Each transaction with its exact text; a pending one a later pass removed is left out. */
int sync_store_page(struct store *st, const struct jsonspan *spans, long n, bool first, bool tombstones,
		    int64_t sync_no, int64_t *changed, int64_t *newest)
{
	for (long i = 0; i < n; i++) {
		bool moved = false, skip;
		int64_t latest;
		if (sync_removed_later(st, &spans[i], tombstones, sync_no, &skip) < 0)
			return -EIO;
		if (skip)
			continue;
		int got = first ? store_insert_transaction(st, spans[i].p, spans[i].len, sync_no, &moved, &latest)
				: store_upsert_transaction(st, spans[i].p, spans[i].len, sync_no, &moved, &latest);
		if (got < 0)
			return got;
		if (moved) {
			(*changed)++;
			if (latest > *newest)
				*newest = latest;
		}
	}
	return 0;
}

/* 4. One write transaction: the rows, the removals, and the state merged with what
 *    other passes committed since this one began. */
static int sync_write_once(struct sync_run *r, struct sync_pass *p, int64_t *newest_change, bool *transient)
{
	struct store *st = r->st;
	struct strbuf page = STRBUF_INIT;
	struct sync_state cur = { 0 }, next = { 0 };
	int64_t changed = 0;
	int removed = 0, more, rc = -EIO;
	const char *why = NULL;

	rewind(p->spool);
	bool tombstones;
	if (store_begin_bulk(st, p->spooled) < 0 || store_any_removed_after(st, r->account, p->sync_no, &tombstones) < 0)
		goto out;
	struct jsonspan *spans;
	long count;
	while ((more = sync_spool_get(p->spool, &page, &spans, &count)) > 0) {
		int n = sync_store_page(st, spans, count, !p->have_newest, tombstones, p->sync_no, &changed,
					newest_change);
		free(spans);
		if (n == -EBADMSG)
			why = "the transactions reply is not the JSON expected";
		if (n < 0)
			goto out;
	}
	if (more < 0) {
		why = "cannot read back a temporary file";
		goto out;
	}
	for (size_t i = 0; i < p->gone.n; i++) {
		bool gone;
		if (store_forget_pending(st, p->gone.v[i], p->sync_no, &gone) < 0)
			goto out;
		removed += gone;
	}
	if (store_get_sync_state(st, r->account, &cur) < 0)
		goto out;
	/* A capture's windows are done with once the state says what they held. */
	if (p->windowed && store_windows_clear(st, r->account) < 0)
		goto out;
	p->out.complete = p->full;
	p->out.rows_changed = changed || removed || p->committed;
	p->out.balance_json = r->res->balance_json;
	p->out.balance_asked = sync_micros(p->asked);
	p->out.synced_at = p->now.sec;
	sync_state_merge(&cur, &p->out, &next);
	if (store_put_sync_state(st, r->account, &next) < 0 || store_commit(st) < 0)
		goto out;
	r->res->changed += changed;
	r->res->removed += removed;
	r->res->version = next.version;
	rc = 0;
out:
	*transient = false;
	if (rc) {
		if (why)
			snprintf(r->err->message, sizeof r->err->message, "%s", why);
		else
			snprintf(r->err->message, sizeof r->err->message, "the history store: %s", store_errmsg(st));
		*transient = !why && store_transient(st);
		store_rollback(st);
	}
	sync_state_release(&cur);
	sync_state_release(&next);
	sb_release(&page);
	return rc;
}

/* The write, tried again while another connection's hold on the database is what
 * failed it: what the pass fetched is not thrown away for a reader's lock. */
static int sync_write(struct sync_run *r, struct sync_pass *p, int64_t *newest_change)
{
	for (int tries = 1;; tries++) {
		bool transient;
		int rc = sync_write_once(r, p, newest_change, &transient);
		if (!rc && tries > 1)
			r->err->message[0] = '\0';   /* the failure tried again is not this pass's */
		if (!rc || !transient || tries == STORE_TRIES)
			return rc;
		log_info("%s: the history store was busy (%s); writing the sync again", r->label, r->err->message);
		struct timespec pause = { 0, 100000000L * tries };
		nanosleep(&pause, NULL);
	}
}

/* One pass.  *newest_change: the latest created or updated time of a transaction it
 * changed in the store (INT64_MIN for none). */
static int sync_one_pass(struct sync_run *r, bool want_full, const struct sync_balance *given, struct instant *asked,
			 int64_t *newest_change)
{
	struct sync_pass p;
	memset(&p, 0, sizeof p);
	p.now = timefmt_now();
	p.sync_no = sync_micros(p.now);
	p.newest_change = INT64_MIN;
	sync_seen_init(&p.seen);
	*newest_change = INT64_MIN;
	struct sync_state start = { 0 };
	int rc = -EIO;

	if (!(p.spool = tmpfile())) {
		snprintf(r->err->message, sizeof r->err->message, "cannot create a temporary file: %s", strerror(errno));
		goto out;
	}
	if (store_get_sync_state(r->st, r->account, &start) < 0 ||
	    store_newest_created(r->st, r->account, &p.newest, &p.have_newest) < 0) {
		snprintf(r->err->message, sizeof r->err->message, "the history store: %s", store_errmsg(r->st));
		goto out;
	}
	/* 1. The balance first: whatever changes while the pages come shows in them as a
	 *    transaction created or updated after it was asked for (see sync_account). */
	if ((rc = sync_balance(r, &p, given)) < 0)
		goto out;
	/* Where to start, on the bank's clock: the 90 days are the bank's, and a
	 * transaction dated ahead of it must not move the start past the present. */
	int64_t bank_now = monzo_bank_now(r->api).sec;
	p.window_start = bank_now - (int64_t)SYNC_WINDOW_DAYS * SYNC_DAY;
	p.full = !start.known || want_full;
	p.was_complete = start.known && start.history_complete;
	/* With one request at a time, today's pass: one SQLite transaction. */
	p.capture = p.full && pace_cap(&r->api->pace) > 1;
	if (!p.full) {
		int64_t newest = p.newest < bank_now ? p.newest : bank_now;
		p.since = p.have_newest ? newest - (int64_t)SYNC_RESYNC_DAYS * SYNC_DAY : p.window_start;
		if (p.since < p.window_start) {
			sync_note_gap(&p, p.window_start);
			p.since = p.window_start;
		}
	}
	bool resumed = false;
	if (p.capture && (rc = sync_windows_resume(r, &p, &resumed)) < 0)
		goto out;
	if ((!resumed && (rc = sync_fetch_pages(r, &p)) < 0) || (rc = sync_ask_after_missing(r, &p)) < 0)
		goto out;
	rc = sync_write(r, &p, newest_change);
	if (p.newest_change > *newest_change)
		*newest_change = p.newest_change;
	*asked = p.asked;
out:
	if (p.spool)
		fclose(p.spool);
	sync_state_release(&start);
	sync_seen_release(&p.seen);
	strlist_release(&p.gone);
	return rc;
}

/* Every pass of one sync (sync_account, sync_pot_ledger). */
static int sync_run(struct sync_run *r, bool want_full, const struct sync_balance *balance)
{
	struct monzo *api = r->api;
	struct sync_result *res = r->res;
	struct instant asked;
	int64_t newest_change;
	int removed = res->removed;
	int rc = sync_one_pass(r, want_full, balance, &asked, &newest_change);
	/* The balance was asked for before the pages, so the rows can only be ahead of it:
	 * by a transaction this pass stored as new or changed that was created or updated
	 * after it (both on the bank's clock, give or take a few seconds), or by a pending
	 * one it removed (which may have gone after the balance was taken).  Then ask
	 * again, and re-read the window where that shows; a pass that changes nothing so
	 * recent ends it. */
	for (int pass = 1; rc == 0 && pass < SYNC_PASSES; pass++) {
		bool moved = res->removed > removed ||
			     newest_change >= monzo_bank_time(api, asked.sec) - SYNC_CLOCK_SLACK;
		if (balance == &sync_no_balance || res->balance_refused || !moved)
			break;   /* no balance to keep in step with, or nothing moved since it */
		removed = res->removed;
		rc = sync_one_pass(r, false, NULL, &asked, &newest_change);
	}
	if (rc) {
		free(res->balance_json);
		free(res->pots_json);
		res->balance_json = res->pots_json = NULL;
		res->balance_fetched = false;
	}
	sb_release(&r->path);
	free(r->acc_q);
	return rc;
}

int sync_account(struct monzo *api, struct store *st, const char *account, bool want_full,
		 const struct sync_balance *balance, sync_progress_fn progress, void *ctx, struct sync_result *res,
		 struct monzo_error *err)
{
	memset(res, 0, sizeof *res);
	memset(err, 0, sizeof *err);
	struct sync_run r = { .api = api, .st = st, .account = account, .acc_q = monzo_escape(account),
			      .progress = progress, .ctx = ctx, .res = res, .err = err, .path = STRBUF_INIT };
	termtext_cut(account, r.label, sizeof r.label);
	return sync_run(&r, want_full, balance);
}

int sync_pot_ledger(struct monzo *api, struct store *st, const char *pot_account, const struct sync_pot *pot,
		    bool want_full, const struct sync_balance *pots, sync_progress_fn progress, void *ctx,
		    struct sync_result *res, struct monzo_error *err)
{
	memset(res, 0, sizeof *res);
	memset(err, 0, sizeof *err);
	struct sync_run r = { .api = api, .st = st, .account = pot_account, .acc_q = monzo_escape(pot_account),
			      .progress = progress, .ctx = ctx, .res = res, .err = err, .path = STRBUF_INIT,
			      .pot = pot };
	termtext_cut(pot_account, r.label, sizeof r.label);
	return sync_run(&r, want_full, pots);
}
