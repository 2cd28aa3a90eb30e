/* cache_resource: API resources with their TTLs.  A resource being fetched is marked
 * "fetching"; other readers wait on the condition variable for that one flight (single
 * flight).  Resources also live in the store: an offline mount serves them, and a
 * mount whose fetch fails serves the last copy with its fetch time. */
#include "cache_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "amount.h"
#include "interrupt.h"
#include "json.h"
#include "links.h"
#include "log.h"
#include "sync.h"
#include "xalloc.h"
#include "termtext.h"
#include "view.h"

/* CLOCK_MONOTONIC in nanoseconds: TTLs do not move with the wall clock. */
static int64_t cache_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *const res_names[RES_KIND_COUNT] = {
	[RES_WHOAMI] = "whoami",
	[RES_ACCOUNTS] = "accounts",
	[RES_BALANCE] = "balance",
	[RES_POTS] = "pots",
	[RES_TRANSACTIONS] = "transactions",
	[RES_POT_TRANSACTIONS] = "pot_transactions",
};

static bool cache_is_sync(enum res_kind kind)
{
	return kind == RES_TRANSACTIONS || kind == RES_POT_TRANSACTIONS;
}

const char *cache_pot_account(const struct res_value *v, const char *pot)
{
	for (size_t i = 0; v && i < v->npot_accounts; i++)
		if (!strcmp(v->pot_accounts[i].pot, pot))
			return v->pot_accounts[i].account;
	return NULL;
}

static int cache_pot_account_add(void *ctx, const char *pot, const char *account)
{
	struct res_value *v = ctx;
	if (strlen(pot) >= sizeof v->pot_accounts->pot || strlen(account) >= sizeof v->pot_accounts->account ||
	    strchr(pot, '/') || strchr(account, '/') || cache_pot_account(v, pot))
		return 0;
	struct cache_pot_account *grown = xreallocarray(v->pot_accounts, v->npot_accounts + 1, sizeof *grown);
	v->pot_accounts = grown;
	snprintf(grown[v->npot_accounts].pot, sizeof grown->pot, "%s", pot);
	snprintf(grown[v->npot_accounts].account, sizeof grown->account, "%s", account);
	v->npot_accounts++;
	return 0;
}

static void cache_offer(struct cache *c, enum res_kind kind, const char *account, const char *raw, size_t len,
			struct instant asked);
static bool cache_fresh_reply(struct cache *c, enum res_kind kind, const char *account, struct sync_balance *out);

struct res_entry *cache_res_find(struct cache *c, enum res_kind kind, const char *account)
{
	const char *acc = account ? account : "";
	for (struct res_entry *e = c->res; e; e = e->next)
		if (e->kind == kind && !strcmp(e->account, acc))
			return e;
	return NULL;
}

/* Under c->lock. */
static struct res_entry *cache_res_entry(struct cache *c, enum res_kind kind, const char *account)
{
	const char *acc = account ? account : "";
	struct res_entry *e = cache_res_find(c, kind, acc);
	if (e)
		return e;
	e = xcalloc(1, sizeof *e);
	e->cache = c;
	e->kind = kind;
	snprintf(e->account, sizeof e->account, "%s", acc);
	snprintf(e->name, sizeof e->name, "%s%s%s", res_names[kind], *acc ? "/" : "", acc);
	/* Kept sorted by name so .status.json lists resources in a stable order. */
	c->status_gen++;
	struct res_entry **pp = &c->res;
	while (*pp && strcmp((*pp)->name, e->name) < 0)
		pp = &(*pp)->next;
	e->next = *pp;
	*pp = e;
	return e;
}

/* A value not yet published; for transactions, what the store now holds. */
static struct res_value *cache_value_new(enum res_kind kind, const char *account,
					 const char *raw, size_t len, struct store *st)
{
	cJSON *json = NULL;
	if (!cache_is_sync(kind) && !(json = cJSON_ParseWithLength(raw, len)))
		return NULL;
	struct res_value *v = xcalloc(1, sizeof *v);
	v->refs = 1;
	v->json = json;
	v->raw = xmalloc(len + 1);
	memcpy(v->raw, raw, len);
	v->raw[len] = '\0';
	v->raw_len = len;
	if (cache_is_sync(kind) && st)
		view_months(st, account, &v->months, &v->nmonths);
	if (kind == RES_TRANSACTIONS && st)
		store_pot_accounts(st, account, cache_pot_account_add, v);
	if (kind == RES_POTS) {
		v->nlinks = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(json, "pots"));
		v->links = xcalloc(v->nlinks, sizeof *v->links);
		links_pot_names(json, v->links, v->nlinks);
	}
	if (kind == RES_ACCOUNTS) {
		v->nlinks = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(json, "accounts"));
		v->links = xcalloc(v->nlinks, sizeof *v->links);
		links_names(json, v->links, v->nlinks);
	}
	return v;
}

/* Under c->lock: publish a fetched value, keeping the old one if nothing changed. */
static bool cache_publish(struct cache *c, struct res_entry *e, struct res_value *v, struct instant fetched,
			  struct instant changed)
{
	bool replaced = false;
	if (e->value && e->value->raw_len == v->raw_len && !memcmp(e->value->raw, v->raw, v->raw_len)) {
		res_value_free(v);
	} else {
		replaced = e->value != NULL;
		v->gen = ++c->gen_counter;
		v->changed_at = changed;
		res_value_put(e->value);
		e->value = v;
	}
	e->fetched_at = fetched;
	e->fresh_until = cache_mono_ns() + (int64_t)c->opts.ttl[e->kind] * 1000000000;
	e->failed = false;
	e->refused = false;
	c->status_gen++;
	return replaced;
}

/* The store's copy of a resource (the last one fetched, by this or an earlier mount). */
static struct res_value *cache_load(struct cache *c, enum res_kind kind, const char *account, const char *name,
				    struct instant *fetched, struct instant *changed)
{
	struct store *st = cache_store_get(c);
	struct res_value *v = NULL;
	if (!st)
		return NULL;
	if (cache_is_sync(kind)) {
		struct sync_state s;
		if (store_get_sync_state(st, account, &s) == 0 && s.known) {
			char raw[32];
			int n = snprintf(raw, sizeof raw, "v%lld", (long long)s.version);
			v = cache_value_new(kind, account, raw, (size_t)n, st);
			*fetched = *changed = (struct instant){ s.last_sync, 0 };
		}
		sync_state_release(&s);
	} else {
		char *raw;
		size_t len;
		if (store_get_resource(st, name, &raw, &len, fetched, changed) == 0) {
			v = cache_value_new(kind, account, raw, len, NULL);
			free(raw);
		}
	}
	cache_store_put(c, st);
	return v;
}

void cache_res_path(enum res_kind kind, const char *account, struct strbuf *out)
{
	char *acc = monzo_escape(account ? account : "");
	switch (kind) {
	case RES_WHOAMI: sb_adds(out, "/ping/whoami"); break;
	case RES_ACCOUNTS: sb_adds(out, "/accounts"); break;
	case RES_BALANCE: sb_addf(out, "/balance?account_id=%s", acc); break;
	case RES_POTS: sb_addf(out, "/pots?current_account_id=%s", acc); break;
	case RES_TRANSACTIONS:
	case RES_POT_TRANSACTIONS: sb_addf(out, "/transactions?account_id=%s", acc); break;
	default: break;
	}
	free(acc);
}

/* Whether the balances the files count back from are within AMOUNT_LIMIT: the
 * balance's, and each pot's.  One beyond it makes the reply bad input. */
static bool cache_amounts_within(enum res_kind kind, const cJSON *json)
{
	int64_t n;
	const cJSON *pot;
	if (kind == RES_BALANCE)
		return amount_of_json(cJSON_GetObjectItemCaseSensitive(json, "balance"), &n) != AMOUNT_BEYOND;
	if (kind == RES_POTS)
		cJSON_ArrayForEach(pot, cJSON_GetObjectItemCaseSensitive(json, "pots"))
			if (amount_of_json(cJSON_GetObjectItemCaseSensitive(pot, "balance"), &n) == AMOUNT_BEYOND)
				return false;
	return true;
}

/* Under c->lock: the account and pot whose own ledger pot_account is, as the synced
 * transfers of an account name it (the tree looks there before it asks for a ledger). */
bool cache_pot_owner(struct cache *c, const char *pot_account, char account[64], char pot[64])
{
	for (struct res_entry *e = c->res; e; e = e->next)
		for (size_t i = 0; e->kind == RES_TRANSACTIONS && e->value && i < e->value->npot_accounts; i++)
			if (!strcmp(e->value->pot_accounts[i].account, pot_account)) {
				snprintf(account, 64, "%s", e->account);
				snprintf(pot, 64, "%s", e->value->pot_accounts[i].pot);
				return true;
			}
	return false;
}

/* Under c->lock: the i-th name of the list (accounts' links, pots' names) whose entry
 * is kind/account, for the element whose id is id; "" when unknown. */
static const char *cache_list_name(struct cache *c, enum res_kind kind, const char *account, const char *id)
{
	struct res_entry *e = cache_res_find(c, kind, account);
	const cJSON *item;
	size_t i = 0;
	if (!e || !e->value)
		return "";
	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(e->value->json, kind == RES_POTS ? "pots" : "accounts")) {
		if (!strcmp(json_str(item, "id", ""), id))
			return i < e->value->nlinks ? e->value->links[i] : "";
		i++;
	}
	return "";
}

void cache_account_label(struct cache *c, const char *account, char label[96], bool *pot)
{
	char owner[64], pot_id[64];
	*pot = cache_pot_owner(c, account, owner, pot_id);
	snprintf(label, 96, "%s", *pot ? cache_list_name(c, RES_POTS, owner, pot_id)
				      : cache_list_name(c, RES_ACCOUNTS, NULL, account));
}

/* A sync's running count, for .status.json's "syncing". */
static void cache_sync_progress(void *ctx, const char *account, const struct sync_progress *progress)
{
	struct res_entry *e = ctx;
	struct cache *c = e->cache;
	pthread_mutex_lock(&c->lock);
	e->synced = progress->fetched;
	e->sync_windows = progress->windows;
	e->sync_windows_done = progress->windows_done;
	c->status_gen++;
	pthread_mutex_unlock(&c->lock);
}

/* A sync of an account, or of a pot's own account with the pot's balance taken from
 * its account's /pots in the same sync (so its Balance column counts back from the
 * balance its rows were synced with); the /pots reply then serves pots.json too. */

static int cache_sync(struct cache *c, enum res_kind kind, const char *account, struct store *st,
		      const struct sync_balance *given, struct sync_result *res, struct monzo_error *err,
		      struct res_entry *e)
{
	char owner[64], pot[64];
	struct sync_balance pots;
	pthread_mutex_lock(&c->lock);
	bool pot_known = kind == RES_POT_TRANSACTIONS && cache_pot_owner(c, account, owner, pot);
	/* The account's /pots this mount just fetched is this sync's, as balance.json's
	 * reply is an account's: the pots are asked for once. */
	bool anchored = pot_known && cache_fresh_reply(c, RES_POTS, owner, &pots);
	pthread_mutex_unlock(&c->lock);
	if (!pot_known)
		return sync_account(c->api, st, account, false, given, cache_sync_progress, e, res, err);
	struct sync_pot of = { owner, pot };
	int rc = sync_pot_ledger(c->api, st, account, &of, false, anchored ? &pots : NULL, cache_sync_progress, e,
				 res, err);
	if (anchored)
		free((char *)pots.json);
	if (rc == 0 && res->pots_json)
		cache_offer(c, RES_POTS, owner, res->pots_json, strlen(res->pots_json), res->balance_asked);
	return rc;
}

/* One fetch (or sync) of a resource, outside any lock.  0 with *v, or -errno. */
static int cache_fetch(struct cache *c, struct res_entry *e, struct res_value **v, struct monzo_error *err)
{
	enum res_kind kind = e->kind;
	const char *account = e->account[0] ? e->account : NULL;
	*v = NULL;
	if (cache_is_sync(kind)) {
		struct store *st = cache_store_get(c);
		if (!st) {
			snprintf(err->message, sizeof err->message, "no history store");
			return -EIO;
		}
		/* A first sync may take minutes: the log says when it starts and ends. */
		struct sync_state before;
		bool first = store_get_sync_state(st, account, &before) == 0 && !before.known;
		sync_state_release(&before);
		char who[192], label[96];
		bool pot;
		pthread_mutex_lock(&c->lock);
		cache_account_label(c, account, label, &pot);
		e->syncing = true;
		e->synced = 0;
		e->sync_windows = e->sync_windows_done = 0;
		e->sync_since = timefmt_now();
		c->status_gen++;
		pthread_mutex_unlock(&c->lock);
		snprintf(who, sizeof who, "%s%s%s%s%s", pot ? "pot " : "", label, *label ? " (" : "", account,
			 *label ? ")" : "");
		if (first)
			log_info("%s: first sync started: its whole history, as far as the bank gives it", who);
		/* balance.json's reply, when this mount just fetched one, is this sync's
		 * balance; the one a sync fetches serves balance.json.  Either way an
		 * account's balance is asked for once. */
		struct sync_balance balance;
		bool anchored = false;
		if (kind == RES_TRANSACTIONS) {
			pthread_mutex_lock(&c->lock);
			anchored = cache_fresh_reply(c, RES_BALANCE, account, &balance);
			pthread_mutex_unlock(&c->lock);
		}
		struct sync_result res;
		const struct sync_balance *given = kind == RES_POT_TRANSACTIONS ? &sync_no_balance
						   : anchored ? &balance : NULL;
		int rc = cache_sync(c, kind, account, st, given, &res, err, e);
		pthread_mutex_lock(&c->lock);
		e->syncing = false;
		c->status_gen++;
		pthread_mutex_unlock(&c->lock);
		if (first && rc == 0) {
			struct instant end = timefmt_now();
			int64_t ms = (end.sec - e->sync_since.sec) * 1000 + (end.nsec - e->sync_since.nsec) / 1000000;
			log_info("%s: first sync done: %lld transactions in %lld.%lld s", who, (long long)res.fetched,
				 (long long)(ms / 1000), (long long)(ms % 1000 / 100));
		}
		if (anchored)
			free((char *)balance.json);
		if (rc == 0 && res.balance_fetched)
			cache_offer(c, RES_BALANCE, account, res.balance_json, strlen(res.balance_json), res.balance_asked);
		if (rc == 0) {
			char raw[32];
			int n = snprintf(raw, sizeof raw, "v%lld", (long long)res.version);
			*v = cache_value_new(kind, account, raw, (size_t)n, st);
			char shown[128];
			log_debug("synced %s: %lld received, %lld changed, %d removed",
				  termtext_cut(account, shown, sizeof shown), (long long)res.fetched,
				  (long long)res.changed, res.removed);
		}
		sync_result_release(&res);
		cache_store_put(c, st);
		return rc;
	}
	struct strbuf path = STRBUF_INIT;
	struct monzo_reply reply;
	cache_res_path(kind, account, &path);
	monzo_reply_init(&reply);
	int rc = c->opts.get ? c->opts.get(c->opts.get_ctx, path.buf, &reply) : monzo_get(c->api, path.buf, &reply);
	if (rc == 0 && !cache_amounts_within(kind, reply.json)) {
		snprintf(err->message, sizeof err->message, "the reply holds an amount beyond " AMOUNT_LIMIT_TEXT);
		rc = -EIO;
	} else if (rc == 0) {
		*v = cache_value_new(kind, account, reply.body.buf, reply.body.len, NULL);
	} else {
		*err = reply.err;
	}
	monzo_reply_release(&reply);
	sb_release(&path);
	return rc;
}

/* Keeps the last copy for offline use and the next mount.  It runs once the readers
 * have their answer (on the flight's thread, or a sync's), so it may wait for another
 * writer's short transaction: when syncs of several accounts run side by side, one
 * that gave up at once would leave the offline mount without this copy. */
static void cache_keep(struct cache *c, const struct res_entry *e, const struct res_value *v)
{
	if (cache_is_sync(e->kind))
		return;
	struct store *st = cache_store_get(c);
	if (!st)
		return;
	if (store_put_resource(st, e->name, v->raw, v->raw_len, e->fetched_at, v->changed_at) < 0)
		log_warn("cannot keep %s for offline use: %s", e->name, store_errmsg(st));
	cache_store_put(c, st);
}

/* Under c->lock, which it drops while reading: the first use of a resource in this
 * mount starts from the store's copy, if any, so what did not change keeps its
 * change time across mounts. */
static void cache_load_once(struct cache *c, struct res_entry *e)
{
	while (e->loading)
		pthread_cond_wait(&c->load_done, &c->lock);
	if (e->loaded)
		return;
	e->loaded = true;
	e->loading = true;
	pthread_mutex_unlock(&c->lock);
	struct instant fetched, changed;
	struct res_value *v = cache_load(c, e->kind, e->account[0] ? e->account : NULL, e->name, &fetched, &changed);
	pthread_mutex_lock(&c->lock);
	if (v) {
		cache_publish(c, e, v, fetched, changed);
		/* Stale at once: a mount's TTL counts from its own fetch (remounting is how
		 * a user asks for fresh data).  The copy serves offline mounts and stands in
		 * when that fetch fails. */
		e->fresh_until = 0;
	}
	e->loading = false;
	pthread_cond_broadcast(&c->load_done);
}

/* Publishes a reply fetched outside cache_resource as this mount's fetch of it, asked
 * for at asked; unless_fetching: not while a fetch of its own is under way. */
static void cache_publish_reply(struct cache *c, enum res_kind kind, const char *account, const char *raw,
				size_t len, struct instant asked, bool unless_fetching)
{
	struct res_value *v = cache_value_new(kind, account, raw, len, NULL);
	if (!v)
		return;
	pthread_mutex_lock(&c->lock);
	struct res_entry *e = cache_res_entry(c, kind, account);
	cache_load_once(c, e);
	if (unless_fetching && e->fetching) {
		pthread_mutex_unlock(&c->lock);
		res_value_free(v);
		return;
	}
	struct instant now = timefmt_now();
	bool changed = cache_publish(c, e, v, now, now);
	e->asked_at = asked;
	struct res_value *kept = res_value_take(e->value);
	pthread_mutex_unlock(&c->lock);
	cache_keep(c, e, kept);
	res_value_put(kept);
	if (changed)
		c->res_changed(c, kind, account);
}

/* A reply fetched on another resource's behalf (the balance a sync took). */
static void cache_offer(struct cache *c, enum res_kind kind, const char *account, const char *raw, size_t len,
			struct instant asked)
{
	cache_publish_reply(c, kind, account, raw, len, asked, true);
}

/* Under c->lock: the reply (malloc'd) of a resource this mount fetched within its
 * TTL, with when it was asked for; false when there is none. */
static bool cache_fresh_reply(struct cache *c, enum res_kind kind, const char *account, struct sync_balance *out)
{
	struct res_entry *e = cache_res_entry(c, kind, account);
	if (!e->value || e->failed || e->fetching || cache_mono_ns() >= e->fresh_until)
		return false;
	out->json = xstrdup(e->value->raw);
	out->asked_at = e->asked_at;
	return out->json != NULL;
}

void cache_seed(struct cache *c, enum res_kind kind, const char *account, const char *raw, size_t len)
{
	cache_publish_reply(c, kind, account, raw, len, timefmt_now(), false);
}

/* The errno a reader gets for a failed fetch (DESIGN, "When the bank refuses a part"):
 * EACCES is the login's alone, so a 403 on one account's or pot's resource while the
 * login holds is that part's EIO; and a name the tree lists never answers ENOENT. */
static int cache_errno(enum res_kind kind, int rc, const struct monzo_error *err)
{
	if (rc == -ENOENT)
		return -EIO;
	if (rc == -EACCES && !err->login && kind != RES_WHOAMI && kind != RES_ACCOUNTS)
		return -EIO;
	return rc;
}

/* One flight of a resource: fetch (or sync), publish, wake the waiters, keep the copy
 * and tell the kernel what changed.  Runs on a thread of its own (cache_flight_start),
 * so a reader that gives up (an interrupt) leaves it to finish for the next one. */
static void cache_flight(struct cache *c, struct res_entry *e)
{
	enum res_kind kind = e->kind;
	const char *account = e->account[0] ? e->account : NULL;
	struct res_value *v;
	struct monzo_error err;
	memset(&err, 0, sizeof err);
	struct instant asked = timefmt_now();
	int rc = cache_fetch(c, e, &v, &err);
	if (rc == 0 && !v) {
		snprintf(err.message, sizeof err.message, "the reply is not valid JSON");
		rc = -EIO;
	}

	bool changed = false;
	pthread_mutex_lock(&c->lock);
	if (rc == 0) {
		struct instant now = timefmt_now();
		changed = cache_publish(c, e, v, now, now);
		e->asked_at = asked;
	} else {
		struct strbuf why = STRBUF_INIT;
		monzo_error_describe(&err, &why);
		char name[sizeof e->name * 4];
		log_warn("cannot fetch %s%s: %s", termtext_cut(e->name, name, sizeof name),
			 e->value ? " (serving the older copy)" : "", sb_str(&why));
		sb_release(&why);
		e->failed = true;
		c->status_gen++;
		e->error_at = timefmt_now();
		e->err = err;
		rc = cache_errno(kind, rc, &err);
		e->last_rc = rc;
		/* A part the bank refuses (a pot's ledger, one account's balance) is asked
		 * for again after its TTL, not at every look. */
		e->refused = kind != RES_WHOAMI && kind != RES_ACCOUNTS && monzo_error_is_refusal(&err);
		if (e->refused && !e->value)
			e->fresh_until = cache_mono_ns() + (int64_t)c->opts.ttl[kind] * 1000000000;
		/* With an older copy to serve, do not make every stat wait for a failing API
		 * again: try again after a while (the TTL, at most 30 s, at least 1 s). */
		if (e->value) {
			int64_t wait = c->opts.ttl[kind] < 30 ? c->opts.ttl[kind] : 30;
			e->fresh_until = cache_mono_ns() + (wait > 1 ? wait : 1) * 1000000000;
		}
	}
	e->fetching = false;
	e->flight++;
	pthread_cond_broadcast(&c->flight_done);
	struct res_value *kept = rc == 0 ? res_value_take(e->value) : NULL;
	pthread_mutex_unlock(&c->lock);
	if (kept)
		cache_keep(c, e, kept);
	res_value_put(kept);
	if (changed)
		c->res_changed(c, kind, account);
}

/* The flight workers: a few long-lived threads that take flights from a queue.  Each
 * keeps its HTTP handle, so its keep-alive connection to the bank serves flight after
 * flight (a thread per flight would open a connection, and a TLS session, for each). */
struct cache_flight_job {
	struct res_entry *e;
	struct cache_flight_job *next;
};

static void *cache_flight_worker(void *arg)
{
	struct cache *c = arg;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->jobs && !c->workers_stop) {
			c->workers_idle++;
			pthread_cond_wait(&c->jobs_wake, &c->lock);
			c->workers_idle--;
		}
		struct cache_flight_job *job = c->jobs;
		if (!job)
			break;   /* stopping, and nothing left to fly */
		c->jobs = job->next;
		if (!c->jobs)
			c->jobs_tail = &c->jobs;
		c->jobs_queued--;
		pthread_mutex_unlock(&c->lock);
		cache_flight(c, job->e);
		free(job);
		pthread_mutex_lock(&c->lock);
		c->flights_running--;
		pthread_cond_broadcast(&c->flight_done);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Under c->lock, which it drops: queues e's flight for a worker once the daemon has
 * forked (cache_start), starting one when the idle ones are fewer than the jobs
 * waiting and fewer than CACHE_FLIGHT_WORKERS run; else (or when no worker can be
 * had) runs it here. */
static void cache_flight_start(struct cache *c, struct res_entry *e)
{
	bool queued = false;
	if (c->flights_threaded && !c->workers_stop) {
		/* A worker for each job not yet taken: an idle worker that has been woken
		 * but has not run yet takes one job, not every job queued meanwhile (a
		 * file made from every account queues all their syncs at once). */
		if (c->jobs_queued >= c->workers_idle && c->nworkers < CACHE_FLIGHT_WORKERS &&
		    pthread_create(&c->workers[c->nworkers], NULL, cache_flight_worker, c) == 0)
			c->nworkers++;
		if (c->nworkers) {
			struct cache_flight_job *job = xmalloc(sizeof *job);
			*job = (struct cache_flight_job){ e, NULL };
			*c->jobs_tail = job;
			c->jobs_tail = &job->next;
			c->jobs_queued++;
			c->flights_running++;
			pthread_cond_signal(&c->jobs_wake);
			queued = true;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (!queued)
		cache_flight(c, e);
}

void cache_flight_workers_stop(struct cache *c)
{
	pthread_mutex_lock(&c->lock);
	c->workers_stop = true;
	pthread_cond_broadcast(&c->jobs_wake);
	pthread_mutex_unlock(&c->lock);
	for (size_t i = 0; i < c->nworkers; i++)
		pthread_join(c->workers[i], NULL);
	c->nworkers = 0;
}

/* Under c->lock, which it drops: waits for the flight after `flight` and answers with
 * what it left, fresh or failed; -EINTR at once when this thread's reader gives up. */
static int cache_flight_wait(struct cache *c, struct res_entry *e, unsigned flight, struct res_value **out)
{
	while (e->flight == flight) {
		if (interrupt_requested()) {
			pthread_mutex_unlock(&c->lock);
			return -EINTR;
		}
		pthread_cond_wait(&c->flight_done, &c->lock);
	}
	int rc = e->value ? 0 : (e->last_rc ? e->last_rc : -EIO);
	if (e->value)
		*out = res_value_take(e->value);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int cache_resource(struct cache *c, enum res_kind kind, const char *account, struct res_value **out)
{
	*out = NULL;
	pthread_mutex_lock(&c->lock);
	struct res_entry *e = cache_res_entry(c, kind, account);
	for (;;) {
		if (e->value && (c->opts.offline || cache_mono_ns() < e->fresh_until)) {
			*out = res_value_take(e->value);
			pthread_mutex_unlock(&c->lock);
			return 0;
		}
		if (!e->value && e->refused && !e->fetching && cache_mono_ns() < e->fresh_until) {
			/* Refused for good a moment ago: a traversal does not ask again per file. */
			int rc = e->last_rc;
			pthread_mutex_unlock(&c->lock);
			return rc;
		}
		if (e->loading) {
			/* The store's copy is being read: wait for it, then look again. */
			while (e->loading) {
				if (interrupt_requested()) {
					pthread_mutex_unlock(&c->lock);
					return -EINTR;
				}
				pthread_cond_wait(&c->load_done, &c->lock);
			}
			continue;
		}
		if (e->fetching) /* someone is already fetching: share its result */
			return cache_flight_wait(c, e, e->flight, out);
		if (e->loaded)
			break;
		cache_load_once(c, e);
	}
	if (c->opts.offline) {
		pthread_mutex_unlock(&c->lock);
		return -EIO;
	}
	e->fetching = true;
	unsigned flight = e->flight;
	cache_flight_start(c, e);
	pthread_mutex_lock(&c->lock);
	return cache_flight_wait(c, e, flight, out);
}

void cache_resource_prefetch(struct cache *c, enum res_kind kind, const char *account)
{
	pthread_mutex_lock(&c->lock);
	struct res_entry *e = cache_res_entry(c, kind, account);
	if (!e->loaded && !e->loading && c->flights_threaded)
		cache_load_once(c, e);
	int64_t now = cache_mono_ns();
	bool wanted = c->flights_threaded && !c->opts.offline && e->loaded && !e->loading && !e->fetching &&
		      !(e->value && now < e->fresh_until) && !(!e->value && e->refused && now < e->fresh_until);
	if (!wanted) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	e->fetching = true;
	cache_flight_start(c, e);
}

void cache_interrupted(struct cache *c)
{
	/* Under the lock: a waiter looks at its flag, then sleeps, with the lock held. */
	pthread_mutex_lock(&c->lock);
	pthread_cond_broadcast(&c->load_done);
	pthread_cond_broadcast(&c->flight_done);
	pthread_mutex_unlock(&c->lock);
}

double cache_fresh_for(struct cache *c, enum res_kind kind, const char *account)
{
	if (c->opts.offline)
		return CACHE_FOREVER;
	/* Only looks: asking how long a name may be kept is not asking for the resource. */
	pthread_mutex_lock(&c->lock);
	struct res_entry *e = cache_res_find(c, kind, account);
	int64_t left = e && e->value ? e->fresh_until - cache_mono_ns() : 0;
	pthread_mutex_unlock(&c->lock);
	if (left <= 0)
		return 0;
	double s = (double)left / 1e9;
	return s < CACHE_FOREVER ? s : CACHE_FOREVER;
}

/* A value is shared by reference: the entry holds one, each reader another. */
void res_value_free(struct res_value *v)
{
	cJSON_Delete(v->json);
	free(v->raw);
	free(v->months);
	free(v->pot_accounts);
	free(v->links);
	free(v);
}

void res_value_put(struct res_value *v)
{
	if (v && !__atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL))
		res_value_free(v);
}

struct res_value *res_value_take(struct res_value *v)
{
	__atomic_add_fetch(&v->refs, 1, __ATOMIC_RELAXED);
	return v;
}
