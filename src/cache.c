/* cache: resources and rendered files behind one mutex that is never held across a
 * network call or a render.  A resource being fetched is marked "fetching"; other
 * readers wait on the condition variable for that one flight (single flight).
 * Resources also live in the store: an offline mount serves them, and a mount whose
 * fetch fails serves the last copy with its fetch time. */
#include "cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export.h"
#include "http.h"
#include "links.h"
#include "log.h"
#include "render_json.h"
#include "render_status.h"
#include "store.h"
#include "sync.h"
#include "view.h"

struct res_entry {
	enum res_kind kind;
	char account[64];
	char name[96];
	struct res_value *value;
	struct instant fetched_at;
	struct instant asked_at;  /* when this mount's last good fetch of it began */
	int64_t fresh_until;      /* CLOCK_MONOTONIC ns */
	bool loaded;              /* the store's copy was looked for */
	bool loading;             /* ... and is being read now */
	bool fetching;
	unsigned flight;          /* bumped when a fetch ends */
	int last_rc;
	bool failed;
	struct instant error_at;
	struct monzo_error err;
	struct res_entry *next;
};

struct file_meta {
	size_t size;
	struct instant mtime;
};

struct file_entry {
	struct file_id id;
	bool valid;               /* meta and sig describe a render */
	uint64_t sig;             /* the resource generations it was rendered from */
	uint64_t digest;
	struct file_meta meta;
	struct snapshot *snap;    /* its bytes, while kept */
	uint64_t used;            /* for dropping the least recently used bytes */
	struct file_entry *next;
};

struct cache {
	struct monzo *api;
	struct cache_options opts;
	char *store_path;
	char *tokens_path;
	pthread_mutex_t lock;
	pthread_cond_t flight_done;
	struct res_entry *res;
	struct file_entry *files;
	struct store **idle;      /* open store connections not in use */
	size_t nidle, idle_cap;
	uint64_t gen_counter;
	uint64_t use_counter;
	size_t kept_bytes;
	struct instant started;
	bool unreachable;
	struct monzo_error unreachable_err;
	cache_invalidate_fn invalidate;
	void *invalidate_ctx;
};

static const char *const res_names[RES_KIND_COUNT] = {
	[RES_WHOAMI] = "whoami",
	[RES_ACCOUNTS] = "accounts",
	[RES_BALANCE] = "balance",
	[RES_POTS] = "pots",
	[RES_TRANSACTIONS] = "transactions",
};

void cache_options_default(struct cache_options *o)
{
	memset(o, 0, sizeof *o);
	o->ttl[RES_WHOAMI] = 3600;
	o->ttl[RES_ACCOUNTS] = 3600;
	o->ttl[RES_BALANCE] = 60;
	o->ttl[RES_POTS] = 300;
	o->ttl[RES_TRANSACTIONS] = 300;
	o->keep_bytes = 64 << 20;
}

static int64_t cache_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct cache *cache_new(struct monzo *api, const struct cache_options *opts, const char *tokens_path)
{
	struct cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->api = api;
	c->opts = *opts;
	c->store_path = opts->store_path ? strdup(opts->store_path) : NULL;
	c->opts.store_path = c->store_path;
	c->tokens_path = strdup(tokens_path ? tokens_path : "");
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->flight_done, NULL);
	c->started = timefmt_now();
	return c;
}

static void res_value_free(struct res_value *v)
{
	cJSON_Delete(v->json);
	free(v->raw);
	free(v->months);
	free(v->links);
	free(v);
}

void res_value_put(struct res_value *v)
{
	if (v && !__atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL))
		res_value_free(v);
}

static struct res_value *res_value_take(struct res_value *v)
{
	__atomic_add_fetch(&v->refs, 1, __ATOMIC_RELAXED);
	return v;
}

void snapshot_get(struct snapshot *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

void snapshot_put(struct snapshot *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL))
		return;
	free(s->data);
	free(s);
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	for (struct res_entry *e = c->res, *n; e; e = n) {
		n = e->next;
		res_value_put(e->value);
		free(e);
	}
	for (struct file_entry *f = c->files, *n; f; f = n) {
		n = f->next;
		snapshot_put(f->snap);
		free(f);
	}
	for (size_t i = 0; i < c->nidle; i++)
		store_close(c->idle[i]);
	free(c->idle);
	free(c->store_path);
	free(c->tokens_path);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->flight_done);
	free(c);
}

struct instant cache_started(const struct cache *c)
{
	return c->started;
}

void cache_set_invalidator(struct cache *c, cache_invalidate_fn fn, void *ctx)
{
	c->invalidate = fn;
	c->invalidate_ctx = ctx;
}

void cache_note_unreachable(struct cache *c, const struct monzo_error *err)
{
	pthread_mutex_lock(&c->lock);
	c->unreachable = true;
	c->unreachable_err = *err;
	pthread_mutex_unlock(&c->lock);
}

/* A store connection for this thread's use; NULL when there is no store. */
static struct store *cache_store_get(struct cache *c)
{
	if (!c->store_path)
		return NULL;
	pthread_mutex_lock(&c->lock);
	struct store *s = c->nidle ? c->idle[--c->nidle] : NULL;
	pthread_mutex_unlock(&c->lock);
	if (!s) {
		struct strbuf err = STRBUF_INIT;
		if (store_open(c->store_path, &s, &err) < 0)
			log_error("the history store %s: %s", c->store_path, sb_str(&err));
		sb_release(&err);
	}
	return s;
}

static void cache_store_put(struct cache *c, struct store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->nidle == c->idle_cap) {
		c->idle_cap = c->idle_cap ? c->idle_cap * 2 : 8;
		c->idle = realloc(c->idle, c->idle_cap * sizeof *c->idle);
	}
	c->idle[c->nidle++] = s;
	pthread_mutex_unlock(&c->lock);
}

static void cache_file_path(const struct file_id *id, struct strbuf *out);
static void cache_offer(struct cache *c, enum res_kind kind, const char *account, const char *raw, size_t len,
			struct instant asked);
static bool cache_fresh_reply(struct cache *c, enum res_kind kind, const char *account, struct sync_balance *out);
static bool cache_file_uses(const struct file_id *id, enum res_kind kind, const char *account);

/* A resource changed: tell the kernel to drop what it holds of every file rendered
 * from it, so the next read gets the new bytes (never a mix, never a cut-off). */
static void cache_invalidate_users(struct cache *c, enum res_kind kind, const char *account)
{
	if (!c->invalidate)
		return;
	struct strbuf paths = STRBUF_INIT;
	pthread_mutex_lock(&c->lock);
	for (struct file_entry *f = c->files; f; f = f->next)
		if (f->valid && cache_file_uses(&f->id, kind, account)) {
			cache_file_path(&f->id, &paths);
			sb_addch(&paths, '\0');
		}
	pthread_mutex_unlock(&c->lock);
	for (size_t i = 0; i < paths.len; i += strlen(paths.buf + i) + 1)
		c->invalidate(c->invalidate_ctx, paths.buf + i);
	sb_release(&paths);
}

/* Under c->lock. */
static struct res_entry *cache_res_entry(struct cache *c, enum res_kind kind, const char *account)
{
	const char *acc = account ? account : "";
	for (struct res_entry *e = c->res; e; e = e->next)
		if (e->kind == kind && !strcmp(e->account, acc))
			return e;
	struct res_entry *e = calloc(1, sizeof *e);
	e->kind = kind;
	snprintf(e->account, sizeof e->account, "%s", acc);
	snprintf(e->name, sizeof e->name, "%s%s%s", res_names[kind], *acc ? "/" : "", acc);
	/* Kept sorted by name so .status.json lists resources in a stable order. */
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
	if (kind != RES_TRANSACTIONS && !(json = cJSON_ParseWithLength(raw, len)))
		return NULL;
	struct res_value *v = calloc(1, sizeof *v);
	v->refs = 1;
	v->json = json;
	v->raw = malloc(len + 1);
	memcpy(v->raw, raw, len);
	v->raw[len] = '\0';
	v->raw_len = len;
	if (kind == RES_TRANSACTIONS && st)
		view_months(st, account, &v->months, &v->nmonths);
	if (kind == RES_ACCOUNTS) {
		v->nlinks = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(json, "accounts"));
		v->links = calloc(v->nlinks ? v->nlinks : 1, sizeof *v->links);
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
	if (kind == RES_TRANSACTIONS) {
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

static void cache_res_path(enum res_kind kind, const char *account, struct strbuf *out)
{
	char *acc = http_escape(account ? account : "");
	switch (kind) {
	case RES_WHOAMI: sb_adds(out, "/ping/whoami"); break;
	case RES_ACCOUNTS: sb_adds(out, "/accounts"); break;
	case RES_BALANCE: sb_addf(out, "/balance?account_id=%s", acc); break;
	case RES_POTS: sb_addf(out, "/pots?current_account_id=%s", acc); break;
	default: break;
	}
	free(acc);
}

/* One fetch (or sync) of a resource, outside any lock.  0 with *v, or -errno. */
static int cache_fetch(struct cache *c, enum res_kind kind, const char *account, struct res_value **v,
		       struct monzo_error *err)
{
	*v = NULL;
	if (kind == RES_TRANSACTIONS) {
		struct store *st = cache_store_get(c);
		if (!st) {
			snprintf(err->message, sizeof err->message, "no history store");
			return -EIO;
		}
		/* balance.json's reply, when this mount just fetched one, is this sync's
		 * balance; the one a sync fetches serves balance.json.  Either way an
		 * account's balance is asked for once. */
		struct sync_balance balance;
		pthread_mutex_lock(&c->lock);
		bool anchored = cache_fresh_reply(c, RES_BALANCE, account, &balance);
		pthread_mutex_unlock(&c->lock);
		struct sync_result res;
		int rc = sync_account(c->api, st, account, false, anchored ? &balance : NULL, NULL, NULL, &res, err);
		if (anchored)
			free((char *)balance.json);
		if (rc == 0 && res.balance_fetched)
			cache_offer(c, RES_BALANCE, account, res.balance_json, strlen(res.balance_json), res.balance_asked);
		if (rc == 0) {
			char raw[32];
			int n = snprintf(raw, sizeof raw, "v%lld", (long long)res.version);
			*v = cache_value_new(kind, account, raw, (size_t)n, st);
			log_debug("synced %s: %lld received, %lld changed, %d removed", account, (long long)res.fetched,
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
	int rc = monzo_get(c->api, path.buf, &reply);
	if (rc == 0)
		*v = cache_value_new(kind, account, reply.body.buf, reply.body.len, NULL);
	else
		*err = reply.err;
	monzo_reply_release(&reply);
	sb_release(&path);
	return rc;
}

/* Keeps the last copy for offline use and the next mount; never waits for a sync. */
static void cache_keep(struct cache *c, const struct res_entry *e, const struct res_value *v)
{
	if (e->kind == RES_TRANSACTIONS)
		return;
	struct store *st = cache_store_get(c);
	if (!st)
		return;
	store_busy_timeout(st, 0);
	store_put_resource(st, e->name, v->raw, v->raw_len, e->fetched_at, v->changed_at);
	store_busy_timeout(st, 5000);
	cache_store_put(c, st);
}

/* Under c->lock, which it drops while reading: the first use of a resource in this
 * mount starts from the store's copy, if any, so what did not change keeps its
 * change time across mounts. */
static void cache_load_once(struct cache *c, struct res_entry *e)
{
	while (e->loading)
		pthread_cond_wait(&c->flight_done, &c->lock);
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
	pthread_cond_broadcast(&c->flight_done);
}

/* Publishes a reply fetched on another resource's behalf (the balance a sync took) as
 * if fetched for this one, unless this one's own fetch is under way. */
static void cache_offer(struct cache *c, enum res_kind kind, const char *account, const char *raw, size_t len,
			struct instant asked)
{
	struct res_value *v = cache_value_new(kind, account, raw, len, NULL);
	if (!v)
		return;
	pthread_mutex_lock(&c->lock);
	struct res_entry *e = cache_res_entry(c, kind, account);
	cache_load_once(c, e);
	if (e->fetching) {
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
		cache_invalidate_users(c, kind, account);
}

/* Under c->lock: the reply (malloc'd) of a resource this mount fetched within its
 * TTL, with when it was asked for; false when there is none. */
static bool cache_fresh_reply(struct cache *c, enum res_kind kind, const char *account, struct sync_balance *out)
{
	struct res_entry *e = cache_res_entry(c, kind, account);
	if (!e->value || e->failed || e->fetching || cache_mono_ns() >= e->fresh_until)
		return false;
	out->json = strdup(e->value->raw);
	out->asked_at = e->asked_at;
	return out->json != NULL;
}

void cache_seed(struct cache *c, enum res_kind kind, const char *account, const char *raw, size_t len)
{
	struct res_value *v = cache_value_new(kind, account, raw, len, NULL);
	if (!v)
		return;
	pthread_mutex_lock(&c->lock);
	struct res_entry *e = cache_res_entry(c, kind, account);
	cache_load_once(c, e);
	struct instant now = timefmt_now();
	cache_publish(c, e, v, now, now);
	struct res_value *kept = res_value_take(e->value);
	pthread_mutex_unlock(&c->lock);
	cache_keep(c, e, kept);
	res_value_put(kept);
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
		if (e->loading) {
			/* The store's copy is being read: wait for it, then look again. */
			while (e->loading)
				pthread_cond_wait(&c->flight_done, &c->lock);
			continue;
		}
		if (e->fetching) {
			/* Someone is already fetching: share its result, fresh or failed. */
			unsigned flight = e->flight;
			while (e->flight == flight)
				pthread_cond_wait(&c->flight_done, &c->lock);
			int rc = e->value ? 0 : (e->last_rc ? e->last_rc : -EIO);
			if (e->value)
				*out = res_value_take(e->value);
			pthread_mutex_unlock(&c->lock);
			return rc;
		}
		if (e->loaded)
			break;
		cache_load_once(c, e);
	}
	if (c->opts.offline) {
		pthread_mutex_unlock(&c->lock);
		return -EIO;
	}
	e->fetching = true;
	pthread_mutex_unlock(&c->lock);

	struct res_value *v;
	struct monzo_error err;
	memset(&err, 0, sizeof err);
	struct instant asked = timefmt_now();
	int rc = cache_fetch(c, kind, account, &v, &err);
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
		log_warn("cannot fetch %s%s: %s", e->name, e->value ? " (serving the older copy)" : "", sb_str(&why));
		sb_release(&why);
		e->failed = true;
		e->error_at = timefmt_now();
		e->err = err;
		e->last_rc = rc;
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
	if (e->value) {
		*out = res_value_take(e->value);
		rc = 0;
	}
	bool fresh = *out && !e->failed;
	pthread_mutex_unlock(&c->lock);
	if (fresh)
		cache_keep(c, e, *out);
	if (changed)
		cache_invalidate_users(c, kind, account);
	return rc;
}

/* ---- files ---- */

/* The resources a file is rendered from, in order: for an account's files its own
 * (and the account list); for the root TSV every account's. */
struct cache_dep {
	enum res_kind kind;
	char account[64];
	bool optional;           /* rendered without it when it cannot be had */
	struct res_value *v;
};

struct cache_deps {
	struct cache_dep *d;
	size_t n, cap;
};

static void cache_deps_add(struct cache_deps *d, enum res_kind kind, const char *account, bool optional)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 4;
		d->d = realloc(d->d, d->cap * sizeof *d->d);
	}
	struct cache_dep *x = &d->d[d->n++];
	memset(x, 0, sizeof *x);
	x->kind = kind;
	x->optional = optional;
	if (kind != RES_WHOAMI && kind != RES_ACCOUNTS && account)
		snprintf(x->account, sizeof x->account, "%s", account);
}

static void cache_deps_release(struct cache_deps *d)
{
	for (size_t i = 0; i < d->n; i++)
		res_value_put(d->d[i].v);
	free(d->d);
	memset(d, 0, sizeof *d);
}

static bool cache_is_export(enum file_kind kind)
{
	return kind == FILE_TX_OFX || kind == FILE_TX_QIF || kind == FILE_TX_JOURNAL || kind == FILE_TX_BEANCOUNT ||
	       kind == FILE_TX_TSV;
}

static bool cache_file_uses(const struct file_id *id, enum res_kind kind, const char *account)
{
	switch (id->kind) {
	case FILE_STATUS:
		return false;
	case FILE_WHOAMI:
		return kind == RES_WHOAMI;
	case FILE_ACCOUNTS:
	case FILE_ACCOUNT:
		return kind == RES_ACCOUNTS;
	case FILE_ROOT_TSV:
		return kind == RES_ACCOUNTS || kind == RES_TRANSACTIONS || kind == RES_POTS;
	default:
		if (kind == RES_ACCOUNTS)
			return cache_is_export(id->kind);
		if (!account || strcmp(id->account, account))
			return false;
		switch (id->kind) {
		case FILE_BALANCE: return kind == RES_BALANCE;
		case FILE_POTS: return kind == RES_POTS;
		case FILE_TX_JSON:
		case FILE_MONTH_JSON: return kind == RES_TRANSACTIONS;
		default: return kind == RES_TRANSACTIONS || kind == RES_POTS;
		}
	}
}

/* Fetches (as needed) every resource of a file; for the root TSV, every account's. */
static int cache_deps_get(struct cache *c, const struct file_id *id, struct cache_deps *d)
{
	memset(d, 0, sizeof *d);
	switch (id->kind) {
	case FILE_WHOAMI: cache_deps_add(d, RES_WHOAMI, NULL, false); break;
	case FILE_ACCOUNTS:
	case FILE_ACCOUNT: cache_deps_add(d, RES_ACCOUNTS, NULL, false); break;
	case FILE_BALANCE: cache_deps_add(d, RES_BALANCE, id->account, false); break;
	case FILE_POTS: cache_deps_add(d, RES_POTS, id->account, false); break;
	case FILE_TX_JSON:
	case FILE_MONTH_JSON: cache_deps_add(d, RES_TRANSACTIONS, id->account, false); break;
	case FILE_ROOT_TSV: cache_deps_add(d, RES_ACCOUNTS, NULL, false); break;
	default:
		cache_deps_add(d, RES_TRANSACTIONS, id->account, false);
		/* Pot names only; without them a pot transfer is named by its description. */
		cache_deps_add(d, RES_POTS, id->account, true);
		if (cache_is_export(id->kind))
			cache_deps_add(d, RES_ACCOUNTS, NULL, true);
		break;
	}
	for (size_t i = 0; i < d->n; i++) {
		struct cache_dep *x = &d->d[i];
		int rc = cache_resource(c, x->kind, x->account[0] ? x->account : NULL, &x->v);
		if (rc && !x->optional) {
			cache_deps_release(d);
			return rc;
		}
		if (id->kind == FILE_ROOT_TSV && i == 0) {
			const cJSON *a;
			cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(x->v->json, "accounts")) {
				const cJSON *aid = cJSON_GetObjectItemCaseSensitive(a, "id");
				if (!cJSON_IsString(aid) || strlen(aid->valuestring) >= sizeof x->account)
					continue;
				cache_deps_add(d, RES_TRANSACTIONS, aid->valuestring, false);
				cache_deps_add(d, RES_POTS, aid->valuestring, true);
				x = &d->d[i]; /* the array may have moved */
			}
		}
	}
	return 0;
}

static uint64_t cache_deps_sig(const struct cache_deps *d)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < d->n; i++)
		h = (h ^ (d->d[i].v ? d->d[i].v->gen : 0)) * 0x100000001B3ULL;
	return h;
}

static const struct res_value *cache_dep(const struct cache_deps *d, enum res_kind kind, const char *account)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->d[i].kind == kind && (!account || !strcmp(d->d[i].account, account)))
			return d->d[i].v;
	return NULL;
}

static void cache_file_path(const struct file_id *id, struct strbuf *out)
{
	static const char *const names[FILE_KIND_COUNT] = {
		[FILE_WHOAMI] = "whoami.json", [FILE_ACCOUNTS] = "accounts.json", [FILE_STATUS] = ".status.json",
		[FILE_ACCOUNT] = "account.json", [FILE_BALANCE] = "balance.json", [FILE_POTS] = "pots.json",
		[FILE_TX_JSON] = "transactions.json", [FILE_TX_CSV] = "transactions.csv",
		[FILE_PENDING_CSV] = "pending.csv", [FILE_DECLINED_CSV] = "declined.csv",
		[FILE_TX_TSV] = "transactions.tsv", [FILE_TX_OFX] = "transactions.ofx",
		[FILE_TX_QIF] = "transactions.qif", [FILE_TX_JOURNAL] = "transactions.journal",
		[FILE_TX_BEANCOUNT] = "transactions.beancount", [FILE_ROOT_TSV] = "transactions.tsv",
	};
	if (id->account[0])
		sb_addf(out, "accounts/%s/", id->account);
	if (id->kind == FILE_MONTH_CSV || id->kind == FILE_MONTH_JSON)
		sb_addf(out, "transactions/%s.%s", id->month, id->kind == FILE_MONTH_CSV ? "csv" : "json");
	else
		sb_adds(out, names[id->kind]);
}

/* The account object and its friendly link name (NULL for none) from the list. */
static const cJSON *cache_account_obj(const struct res_value *accounts, const char *id, const char **link)
{
	const cJSON *a;
	size_t i = 0;
	*link = NULL;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(accounts->json, "accounts")) {
		const cJSON *aid = cJSON_GetObjectItemCaseSensitive(a, "id");
		if (cJSON_IsString(aid) && !strcmp(aid->valuestring, id)) {
			if (i < accounts->nlinks && accounts->links[i][0])
				*link = accounts->links[i];
			return a;
		}
		i++;
	}
	return NULL;
}

static int cache_render_view(struct cache *c, enum view_kind view, const char *account, const char *month,
			     const struct cache_deps *d, struct strbuf *out)
{
	struct store *st = cache_store_get(c);
	if (!st)
		return -EIO;
	const struct res_value *pots = cache_dep(d, RES_POTS, account);
	const struct res_value *accounts = cache_dep(d, RES_ACCOUNTS, NULL);
	const char *link = NULL;
	struct view_input in = {
		.store = st,
		.account_id = account,
		.pots = pots ? pots->json : NULL,
		.month = month,
		.account = accounts ? cache_account_obj(accounts, account, &link) : NULL,
	};
	in.link_name = link;
	/* One read snapshot for the rows, their sums and the balance synced with them,
	 * even when another sync (or monzohfs-login) commits meanwhile. */
	int rc = store_begin_read(st) < 0 ? -EIO : 0;
	struct sync_state ss = { 0 };
	if (!rc && store_get_sync_state(st, account, &ss) == 0 && ss.balance_json) {
		cJSON *b = cJSON_Parse(ss.balance_json);
		const cJSON *bal = cJSON_GetObjectItemCaseSensitive(b, "balance");
		if (cJSON_IsNumber(bal)) {
			in.have_balance = true;
			in.balance = (int64_t)bal->valuedouble;
		}
		cJSON_Delete(b);
	}
	sync_state_release(&ss);
	if (!rc && view_render(view, &in, out) < 0)
		rc = -EIO;
	store_rollback(st);
	cache_store_put(c, st);
	return rc;
}

/* MOUNT/transactions.tsv: every account's rows under one header, in accounts.json's order. */
static int cache_render_root_tsv(struct cache *c, const struct cache_deps *d, struct strbuf *out)
{
	tsv_header(out);
	for (size_t i = 1; i < d->n; i++) {
		if (d->d[i].kind != RES_TRANSACTIONS)
			continue;
		int rc = cache_render_view(c, VIEW_TSV_BODY, d->d[i].account, "", d, out);
		if (rc)
			return rc;
	}
	return 0;
}

static int cache_render(struct cache *c, const struct file_id *id, const struct cache_deps *d, struct strbuf *out)
{
	static const enum view_kind views[FILE_KIND_COUNT] = {
		[FILE_TX_JSON] = VIEW_TRANSACTIONS_JSON, [FILE_TX_CSV] = VIEW_TRANSACTIONS_CSV,
		[FILE_PENDING_CSV] = VIEW_PENDING_CSV, [FILE_DECLINED_CSV] = VIEW_DECLINED_CSV,
		[FILE_MONTH_CSV] = VIEW_MONTH_CSV, [FILE_MONTH_JSON] = VIEW_MONTH_JSON,
		[FILE_TX_TSV] = VIEW_TSV, [FILE_TX_OFX] = VIEW_OFX, [FILE_TX_QIF] = VIEW_QIF,
		[FILE_TX_JOURNAL] = VIEW_JOURNAL, [FILE_TX_BEANCOUNT] = VIEW_BEANCOUNT,
	};
	const cJSON *json = d->d[0].v->json;
	switch (id->kind) {
	case FILE_WHOAMI:
	case FILE_ACCOUNTS:
	case FILE_BALANCE:
		render_json_document(json, out);
		return 0;
	case FILE_ACCOUNT:
		return render_json_account(json, id->account, out) < 0 ? -ENOENT : 0;
	case FILE_POTS:
		render_json_pots(json, out);
		return 0;
	case FILE_ROOT_TSV:
		return cache_render_root_tsv(c, d, out);
	default:
		return cache_render_view(c, views[id->kind], id->account, id->month, d, out);
	}
}

/* Under c->lock: what .status.json says, copied out so rendering needs no lock. */
static struct status_resource *cache_status_copy(struct cache *c, size_t *n)
{
	size_t count = 0;
	for (struct res_entry *e = c->res; e; e = e->next)
		count++;
	struct status_resource *r = calloc(count ? count : 1, sizeof *r);
	size_t i = 0;
	for (struct res_entry *e = c->res; e; e = e->next, i++) {
		snprintf(r[i].name, sizeof r[i].name, "%s", e->name);
		r[i].have = e->value != NULL;
		r[i].fetched_at = e->fetched_at;
		r[i].changed_at = e->value ? e->value->changed_at : (struct instant){ 0, 0 };
		r[i].failed = e->failed;
		r[i].error_at = e->error_at;
		r[i].err = e->err;
	}
	*n = count;
	return r;
}

static void cache_status_history(struct cache *c, struct status_info *s)
{
	struct store *st = cache_store_get(c);
	if (!st)
		return;
	s->hist = calloc(s->nres ? s->nres : 1, sizeof *s->hist);
	for (size_t i = 0; i < s->nres; i++) {
		const char *name = s->res[i].name;
		if (strncmp(name, "transactions/", 13))
			continue;
		struct sync_state ss;
		if (store_get_sync_state(st, name + 13, &ss) == 0 && ss.known) {
			struct status_history *h = &s->hist[s->nhist++];
			snprintf(h->account, sizeof h->account, "%s", name + 13);
			h->complete = ss.history_complete;
			h->starts = ss.history_start;
			h->last_sync = ss.last_sync;
			h->gap_from = ss.gap_from;
			h->gap_to = ss.gap_to;
		}
		sync_state_release(&ss);
	}
	cache_store_put(c, st);
}

static void cache_status_render(struct cache *c, struct strbuf *out)
{
	struct status_info s = {
		.api = c->api->base_url,
		.offline = c->opts.offline,
		.mounted_at = c->started,
		.tokens_path = c->tokens_path,
	};
	monzo_login_info(c->api, &s.token_expires_at, &s.login_refused);
	pthread_mutex_lock(&c->lock);
	s.api_unreachable_at_mount = c->unreachable;
	s.res = cache_status_copy(c, &s.nres);
	pthread_mutex_unlock(&c->lock);
	cache_status_history(c, &s);
	render_status(&s, out);
	free(s.res);
	free(s.hist);
}

static struct file_entry *cache_file_entry(struct cache *c, const struct file_id *id)
{
	for (struct file_entry *f = c->files; f; f = f->next)
		if (f->id.kind == id->kind && !strcmp(f->id.account, id->account) && !strcmp(f->id.month, id->month))
			return f;
	struct file_entry *f = calloc(1, sizeof *f);
	f->id = *id;
	f->next = c->files;
	c->files = f;
	return f;
}

static uint64_t cache_digest(const char *p, size_t n)
{
	/* Only to notice that bytes changed, not against an adversary: eight bytes at a
	 * time, multiply and fold, so a 20 MB file costs a few milliseconds. */
	uint64_t h = 1469598103934665603ULL ^ n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

/* Under c->lock: drop the bytes of the least recently used files nobody reads. */
static void cache_trim(struct cache *c, const struct file_entry *keep)
{
	while (c->kept_bytes > c->opts.keep_bytes) {
		struct file_entry *victim = NULL;
		for (struct file_entry *f = c->files; f; f = f->next)
			if (f->snap && f != keep && (!victim || f->used < victim->used))
				victim = f;
		if (!victim)
			return;
		c->kept_bytes -= victim->snap->size;
		snapshot_put(victim->snap);
		victim->snap = NULL;
	}
}

/* Under c->lock: the answer from what the entry holds, when it is enough. */
static bool cache_file_answer(struct cache *c, struct file_entry *f, struct snapshot **snap)
{
	if (!f->valid || (snap && !f->snap))
		return false;
	f->used = ++c->use_counter;
	if (snap) {
		snapshot_get(f->snap);
		*snap = f->snap;
	}
	return true;
}

int cache_file(struct cache *c, const struct file_id *id, struct snapshot **snap)
{
	if (snap)
		*snap = NULL;
	pthread_mutex_lock(&c->lock);
	struct file_entry *f = cache_file_entry(c, id);
	pthread_mutex_unlock(&c->lock);

	struct strbuf body = STRBUF_INIT;
	struct cache_deps d = { NULL, 0, 0 };
	uint64_t sig = 0;
	int rc = 0;

	if (id->kind == FILE_STATUS) {
		cache_status_render(c, &body);
	} else {
		if ((rc = cache_deps_get(c, id, &d)))
			return rc;
		sig = cache_deps_sig(&d);
		pthread_mutex_lock(&c->lock);
		bool same = f->valid && f->sig == sig && cache_file_answer(c, f, snap);
		pthread_mutex_unlock(&c->lock);
		if (!same)
			rc = cache_render(c, id, &d, &body);
		cache_deps_release(&d);
		if (same || rc)
			goto out;
	}

	uint64_t digest = cache_digest(sb_str(&body), body.len);
	struct instant mtime = timefmt_now();
	pthread_mutex_lock(&c->lock);
	bool unchanged = f->valid && f->digest == digest && f->meta.size == body.len;
	pthread_mutex_unlock(&c->lock);
	if (!unchanged) {
		/* New bytes: the store remembers when they last changed, across mounts. */
		struct store *st = cache_store_get(c);
		if (st) {
			struct strbuf path = STRBUF_INIT;
			cache_file_path(id, &path);
			store_busy_timeout(st, 0);
			mtime = store_file_mtime(st, path.buf, digest, body.len, mtime);
			store_busy_timeout(st, 5000);
			sb_release(&path);
			cache_store_put(c, st);
		}
	}

	pthread_mutex_lock(&c->lock);
	if (!(f->valid && f->digest == digest && f->meta.size == body.len)) {
		f->meta.size = body.len;
		f->meta.mtime = mtime;
		f->digest = digest;
	}
	f->valid = true;
	f->sig = sig;
	if (!f->snap || f->snap->size != body.len || memcmp(f->snap->data, body.buf, body.len)) {
		struct snapshot *s = calloc(1, sizeof *s);
		s->refs = 1;
		s->size = body.len;
		s->data = sb_detach(&body, NULL);
		s->mtime = f->meta.mtime;
		s->digest = digest;
		if (f->snap) {
			c->kept_bytes -= f->snap->size;
			snapshot_put(f->snap);
		}
		f->snap = s;
		c->kept_bytes += s->size;
	}
	cache_file_answer(c, f, snap);
	cache_trim(c, f);
	pthread_mutex_unlock(&c->lock);
out:
	sb_release(&body);
	return rc;
}
