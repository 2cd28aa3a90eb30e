/* cache: resources and rendered files behind one mutex that is never held across a
 * network call.  A resource being fetched is marked "fetching"; other readers wait on
 * the condition variable for that one flight (single flight) instead of fetching. */
#include "cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "log.h"
#include "render_json.h"
#include "render_status.h"

struct res_entry {
	enum res_kind kind;
	char account[64];
	char name[96];
	struct res_value *value;
	struct instant fetched_at;
	int64_t fresh_until;      /* CLOCK_MONOTONIC ns */
	bool fetching;
	unsigned flight;          /* bumped when a fetch ends */
	int last_rc;
	bool failed;
	struct instant error_at;
	struct monzo_error err;
	struct res_entry *next;
};

struct file_entry {
	enum file_kind kind;
	char account[64];
	struct snapshot *snap;
	uint64_t sig;             /* what the snapshot was rendered from */
	struct file_entry *next;
};

struct cache {
	struct monzo *api;
	struct cache_options opts;
	char *tokens_path;
	pthread_mutex_t lock;
	pthread_cond_t flight_done;
	struct res_entry *res;
	struct file_entry *files;
	uint64_t gen_counter;
	uint64_t status_gen;
	struct instant started;
};

static const char *const res_names[RES_KIND_COUNT] = {
	[RES_WHOAMI] = "whoami",
	[RES_ACCOUNTS] = "accounts",
	[RES_BALANCE] = "balance",
	[RES_POTS] = "pots",
};

const char *cache_res_name(enum res_kind kind)
{
	return res_names[kind];
}

void cache_options_default(struct cache_options *o)
{
	memset(o, 0, sizeof *o);
	o->ttl[RES_WHOAMI] = 3600;
	o->ttl[RES_ACCOUNTS] = 3600;
	o->ttl[RES_BALANCE] = 60;
	o->ttl[RES_POTS] = 300;
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
	c->tokens_path = strdup(tokens_path ? tokens_path : "");
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->flight_done, NULL);
	c->started = timefmt_now();
	return c;
}

void res_value_put(struct res_value *v)
{
	if (!v || __atomic_sub_fetch(&v->refs, 1, __ATOMIC_ACQ_REL))
		return;
	cJSON_Delete(v->json);
	free(v->raw);
	free(v);
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
	free(c->tokens_path);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->flight_done);
	free(c);
}

struct instant cache_started(const struct cache *c)
{
	return c->started;
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
	/* Keep the list sorted by name so .status.json lists resources in a stable order. */
	struct res_entry **pp = &c->res;
	while (*pp && strcmp((*pp)->name, e->name) < 0)
		pp = &(*pp)->next;
	e->next = *pp;
	*pp = e;
	return e;
}

/* Under c->lock: record a successful fetch, keeping the old value if nothing changed. */
static void cache_store_value(struct cache *c, struct res_entry *e, const char *raw, size_t len, cJSON *json)
{
	struct instant now = timefmt_now();
	if (e->value && e->value->raw_len == len && !memcmp(e->value->raw, raw, len)) {
		cJSON_Delete(json);
	} else {
		struct res_value *v = calloc(1, sizeof *v);
		v->refs = 1;
		v->json = json;
		v->raw = malloc(len + 1);
		memcpy(v->raw, raw, len);
		v->raw[len] = '\0';
		v->raw_len = len;
		v->gen = ++c->gen_counter;
		v->changed_at = now;
		res_value_put(e->value);
		e->value = v;
	}
	e->fetched_at = now;
	e->fresh_until = cache_mono_ns() + (int64_t)c->opts.ttl[e->kind] * 1000000000;
	e->failed = false;
	c->status_gen++;
}

void cache_seed(struct cache *c, enum res_kind kind, const char *account, const char *raw, size_t len)
{
	cJSON *json = cJSON_ParseWithLength(raw, len);
	if (!json)
		return;
	pthread_mutex_lock(&c->lock);
	cache_store_value(c, cache_res_entry(c, kind, account), raw, len, json);
	pthread_mutex_unlock(&c->lock);
}

static void cache_res_path(enum res_kind kind, const char *account, struct strbuf *out)
{
	char *acc = http_escape(account ? account : "");
	switch (kind) {
	case RES_WHOAMI: sb_adds(out, "/ping/whoami"); break;
	case RES_ACCOUNTS: sb_adds(out, "/accounts"); break;
	case RES_BALANCE: sb_addf(out, "/balance?account_id=%s", acc); break;
	case RES_POTS: sb_addf(out, "/pots?current_account_id=%s", acc); break;
	case RES_KIND_COUNT: break;
	}
	free(acc);
}

int cache_resource(struct cache *c, enum res_kind kind, const char *account, bool refresh,
		   struct res_value **out)
{
	*out = NULL;
	pthread_mutex_lock(&c->lock);
	struct res_entry *e = cache_res_entry(c, kind, account);
	if (e->value && (!refresh || c->opts.offline || cache_mono_ns() < e->fresh_until)) {
		*out = res_value_take(e->value);
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	if (c->opts.offline) {
		pthread_mutex_unlock(&c->lock);
		return -EIO;
	}
	if (e->fetching) {
		/* Someone is already fetching: share its result, fresh or failed. */
		unsigned flight = e->flight;
		while (e->flight == flight)
			pthread_cond_wait(&c->flight_done, &c->lock);
		int rc = e->value ? 0 : e->last_rc;
		if (e->value)
			*out = res_value_take(e->value);
		pthread_mutex_unlock(&c->lock);
		return rc;
	}
	e->fetching = true;
	pthread_mutex_unlock(&c->lock);

	struct strbuf path = STRBUF_INIT;
	struct monzo_reply reply;
	cache_res_path(kind, account, &path);
	monzo_reply_init(&reply);
	int rc = monzo_get(c->api, path.buf, &reply);

	pthread_mutex_lock(&c->lock);
	if (rc == 0) {
		cache_store_value(c, e, reply.body.buf, reply.body.len, reply.json);
		reply.json = NULL;
	} else {
		struct strbuf why = STRBUF_INIT;
		monzo_error_describe(&reply.err, &why);
		log_warn("cannot fetch %s%s: %s", e->name, e->value ? " (serving the older copy)" : "",
			 sb_str(&why));
		sb_release(&why);
		e->failed = true;
		e->error_at = timefmt_now();
		e->err = reply.err;
		e->last_rc = rc;
		c->status_gen++;
	}
	e->fetching = false;
	e->flight++;
	pthread_cond_broadcast(&c->flight_done);
	if (e->value) {
		*out = res_value_take(e->value);
		rc = 0;
	}
	pthread_mutex_unlock(&c->lock);
	monzo_reply_release(&reply);
	sb_release(&path);
	return rc;
}

/* Which resource a file is rendered from. */
static enum res_kind cache_file_dep(enum file_kind kind, const char **account)
{
	switch (kind) {
	case FILE_WHOAMI:
		*account = NULL;
		return RES_WHOAMI;
	case FILE_ACCOUNTS:
	case FILE_ACCOUNT:
		return RES_ACCOUNTS;
	case FILE_BALANCE:
		return RES_BALANCE;
	case FILE_POTS:
		return RES_POTS;
	default:
		return RES_KIND_COUNT;
	}
}

static int cache_render(enum file_kind kind, const char *account, const cJSON *json, struct strbuf *out)
{
	switch (kind) {
	case FILE_WHOAMI:
	case FILE_ACCOUNTS:
	case FILE_BALANCE:
		render_json_document(json, out);
		return 0;
	case FILE_ACCOUNT:
		return render_json_account(json, account, out) < 0 ? -ENOENT : 0;
	case FILE_POTS:
		render_json_pots(json, out);
		return 0;
	default:
		return -ENOENT;
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

static uint64_t cache_status_render(struct cache *c, struct strbuf *out)
{
	struct status_info s = {
		.api = c->api->base_url,
		.offline = c->opts.offline,
		.mounted_at = c->started,
		.tokens_path = c->tokens_path,
	};
	monzo_login_info(c->api, &s.token_expires_at, &s.login_refused);
	pthread_mutex_lock(&c->lock);
	uint64_t sig = c->status_gen;
	s.res = cache_status_copy(c, &s.nres);
	pthread_mutex_unlock(&c->lock);
	render_status(&s, out);
	free(s.res);
	/* The login part changes without a fetch; fold it into the signature. */
	return sig ^ ((uint64_t)s.token_expires_at.sec << 20) ^ (s.login_refused ? 1ULL << 63 : 0);
}

static struct file_entry *cache_file_entry(struct cache *c, enum file_kind kind, const char *account)
{
	const char *acc = account ? account : "";
	for (struct file_entry *f = c->files; f; f = f->next)
		if (f->kind == kind && !strcmp(f->account, acc))
			return f;
	struct file_entry *f = calloc(1, sizeof *f);
	f->kind = kind;
	snprintf(f->account, sizeof f->account, "%s", acc);
	f->next = c->files;
	c->files = f;
	return f;
}

int cache_file(struct cache *c, enum file_kind kind, const char *account, bool refresh, struct snapshot **out)
{
	*out = NULL;
	pthread_mutex_lock(&c->lock);
	struct file_entry *f = cache_file_entry(c, kind, account);
	if (!refresh && f->snap) {
		snapshot_get(f->snap);
		*out = f->snap;
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	pthread_mutex_unlock(&c->lock);

	struct strbuf body = STRBUF_INIT;
	struct res_value *v = NULL;
	uint64_t sig;
	struct instant mtime;
	int rc = 0;

	if (kind == FILE_STATUS) {
		sig = cache_status_render(c, &body);
		mtime = timefmt_now();
	} else {
		const char *dep_account = account;
		enum res_kind dep = cache_file_dep(kind, &dep_account);
		if (dep == RES_KIND_COUNT)
			return -ENOENT;
		rc = cache_resource(c, dep, dep == RES_ACCOUNTS ? NULL : dep_account, true, &v);
		if (rc)
			return rc;
		sig = v->gen;
		mtime = v->changed_at;
		pthread_mutex_lock(&c->lock);
		bool same = f->snap && f->sig == sig;
		if (same) {
			snapshot_get(f->snap);
			*out = f->snap;
		}
		pthread_mutex_unlock(&c->lock);
		if (!same)
			rc = cache_render(kind, account, v->json, &body);
		res_value_put(v);
		if (same || rc)
			goto out;
	}

	pthread_mutex_lock(&c->lock);
	if (f->snap && f->snap->size == body.len && !memcmp(f->snap->data, body.buf, body.len)) {
		/* Same bytes from newer data: keep the snapshot and its mtime. */
		f->sig = sig;
	} else {
		struct snapshot *s = calloc(1, sizeof *s);
		s->refs = 1;
		s->size = body.len;
		s->data = sb_detach(&body, NULL);
		s->mtime = mtime;
		snapshot_put(f->snap);
		f->snap = s;
		f->sig = sig;
	}
	snapshot_get(f->snap);
	*out = f->snap;
	pthread_mutex_unlock(&c->lock);
out:
	sb_release(&body);
	return rc;
}
