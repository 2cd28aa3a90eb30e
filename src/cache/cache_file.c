/* cache_file: each file's last rendered snapshot.  A file is rendered again only when
 * a resource it is made from changed (their generations sign it), and its mtime moves
 * only when its bytes do. */
#include "cache_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_file.h"
#include "xalloc.h"

/* A resource changed: tell the kernel to drop what it holds of every file rendered
 * from it, so the next read gets the new bytes (never a mix, never a cut-off). */
void cache_invalidate_users(struct cache *c, enum res_kind kind, const char *account)
{
	cache_invalidate_files(c, kind, account, false);
}

void cache_invalidate_files(struct cache *c, enum res_kind kind, const char *account, bool every)
{
	char **paths = NULL;
	size_t n = 0, cap = 0;
	pthread_mutex_lock(&c->lock);
	for (struct file_entry *f = c->files; f; f = f->next)
		if (f->valid && (every || cache_file_uses(f, kind, account))) {
			struct strbuf path = STRBUF_INIT;
			cache_file_path(&f->id, &path);
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				paths = xreallocarray(paths, cap, sizeof *paths);
			}
			paths[n++] = sb_detach(&path, NULL);
		}
	pthread_mutex_unlock(&c->lock);
	/* Held across the calls: cache_set_invalidator (the fs layer letting go at unmount)
	 * waits for them, so a flight that ends late never calls into what was freed. */
	pthread_mutex_lock(&c->invalidate_lock);
	for (size_t i = 0; c->invalidate && i < n; i++)
		c->invalidate(c->invalidate_ctx, paths[i]);
	pthread_mutex_unlock(&c->invalidate_lock);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

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
		d->d = xreallocarray(d->d, d->cap, sizeof *d->d);
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

bool cache_file_uses(const struct file_entry *f, enum res_kind kind, const char *account)
{
	/* What its last render was made from, as cache_deps_get resolved it: the same list
	 * that fetched is the one that invalidates, so the two cannot disagree. */
	for (size_t i = 0; i < f->nused; i++)
		if (f->used[i].kind == kind && !strcmp(f->used[i].account, account ? account : ""))
			return true;
	return false;
}

/* The resources of d: what a render from d is made from, those that could not be had
 * too (when one comes, the file made without it must be made again). */
static struct cache_used *cache_used_of(const struct cache_deps *d, size_t *n)
{
	struct cache_used *used = xcalloc(d->n, sizeof *used);
	*n = 0;
	for (size_t i = 0; i < d->n; i++) {
		used[*n].kind = d->d[i].kind;
		memcpy(used[*n].account, d->d[i].account, sizeof used[*n].account);
		(*n)++;
	}
	return used;
}

/* Under c->lock: f's version is the one made from used (taken over). */
static void cache_file_keep_used(struct file_entry *f, struct cache_used *used, size_t n)
{
	free(f->used);
	f->used = used;
	f->nused = used ? n : 0;
}

/* The first resources of a file, from its row of the table (render/files.h): what it
 * needs, then what it wants.  A pot's files need the pot list first, and its ledger
 * files the account's sync, which names the pot's own account (added once resolved). */
static void cache_deps_plan(const struct file_id *id, struct cache_deps *d)
{
	const struct file_row *row = files_row(id->kind);
	unsigned needs = row->needs, wants = row->wants;
	const char *acc = id->account;
	if (id->pot[0]) {
		cache_deps_add(d, RES_POTS, acc, false);
		needs &= ~INPUT_POTS;
		wants &= ~INPUT_POTS;
	}
	if (needs & INPUT_WHOAMI)
		cache_deps_add(d, RES_WHOAMI, NULL, false);
	if (needs & INPUT_ACCOUNTS)
		cache_deps_add(d, RES_ACCOUNTS, NULL, false);
	if (needs & INPUT_BALANCE)
		cache_deps_add(d, RES_BALANCE, acc, false);
	if (needs & INPUT_POTS)
		cache_deps_add(d, RES_POTS, acc, false);
	if (needs & INPUT_TRANSACTIONS)
		cache_deps_add(d, RES_TRANSACTIONS, acc, false);
	if (wants & INPUT_EVERY_ACCOUNT)
		return;   /* each account's, once the list is had (cache_deps_get) */
	/* Pot names only; without them a pot transfer is named by its description. */
	if (wants & INPUT_POTS)
		cache_deps_add(d, RES_POTS, acc, true);
	if (wants & INPUT_ACCOUNTS)
		cache_deps_add(d, RES_ACCOUNTS, NULL, true);
}

/* Fetches (as needed) every resource of a file; for the root TSV, every account's and
 * every pot account's.  pot_account: a pot's own account, for a pot's files. */
static int cache_deps_get(struct cache *c, const struct file_id *id, struct cache_deps *d, char pot_account[64])
{
	memset(d, 0, sizeof *d);
	const struct file_row *row = files_row(id->kind);
	cache_deps_plan(id, d);
	for (size_t i = 0; i < d->n; i++) {
		struct cache_dep *x = &d->d[i];
		/* An account without a usable id has no balance to ask for. */
		if (x->kind == RES_BALANCE && !x->account[0])
			continue;
		int rc = cache_resource(c, x->kind, x->account[0] ? x->account : NULL, &x->v);
		/* A reader that gave up gets nothing: not a file made without what it waited for. */
		if (rc && (!x->optional || rc == -EINTR)) {
			cache_deps_release(d);
			return rc;
		}
		if (x->kind == RES_TRANSACTIONS && ((row->wants & INPUT_EVERY_ACCOUNT) || id->pot[0])) {
			/* The pot accounts its transfers name: a pot's, or all for the root TSV. */
			const struct res_value *v = x->v;
			if (id->pot[0]) {
				const char *acc = cache_pot_account(v, id->pot);
				if (!acc) {
					cache_deps_release(d);
					return -ENOENT;
				}
				snprintf(pot_account, 64, "%s", acc);
				cache_deps_add(d, RES_POT_TRANSACTIONS, pot_account, false);
			} else {
				/* The root TSV gathers what can be had: a refused ledger leaves
				 * its rows out, as .status.json says.  Its pots' ledgers start
				 * at once, beside the other accounts' syncs. */
				for (size_t k = 0; v && k < v->npot_accounts; k++) {
					cache_deps_add(d, RES_POT_TRANSACTIONS, v->pot_accounts[k].account, true);
					cache_resource_prefetch(c, RES_POT_TRANSACTIONS, v->pot_accounts[k].account);
				}
			}
			x = &d->d[i];
		}
		if ((row->wants & INPUT_EVERY_ACCOUNT) && x->kind == RES_ACCOUNTS) {
			const cJSON *a;
			cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(x->v->json, "accounts")) {
				const cJSON *aid = cJSON_GetObjectItemCaseSensitive(a, "id");
				/* One dependency per account, even one that cannot be named
				 * (accounts.tsv counts them in order).  Each only if it can be
				 * had: one account refused keeps the others served, a balance
				 * that cannot be had leaves its cell empty. */
				const char *acc = cJSON_IsString(aid) && strlen(aid->valuestring) < sizeof x->account
							  ? aid->valuestring : "";
				if (row->wants & INPUT_BALANCE)
					cache_deps_add(d, RES_BALANCE, acc, true);
				if ((row->wants & INPUT_TRANSACTIONS) && *acc)
					cache_deps_add(d, RES_TRANSACTIONS, acc, true);
				if ((row->wants & INPUT_POTS) && *acc)
					cache_deps_add(d, RES_POTS, acc, true);
				x = &d->d[i]; /* the array may have moved */
			}
			/* Every account's at once: each is waited for in turn below. */
			for (size_t k = i + 1; k < d->n; k++)
				if (d->d[k].account[0])
					cache_resource_prefetch(c, d->d[k].kind, d->d[k].account);
		}
	}
	return 0;
}

/* What a file rendered from d is made from: its first resource, or for the root TSV
 * every account's transactions (see file_origin). */
static void cache_deps_origin(struct cache *c, const struct file_id *id, const struct cache_deps *d,
			      struct file_origin *o)
{
	const struct file_row *row = files_row(id->kind);
	bool every = (row->wants & INPUT_EVERY_ACCOUNT) && (row->wants & INPUT_TRANSACTIONS);
	/* A pot's transaction files come from its own account's sync. */
	size_t main = 0;
	if (id->pot[0] && id->kind != FILE_POT)
		while (main + 1 < d->n && d->d[main].kind != RES_POT_TRANSACTIONS)
			main++;
	cache_origin_init(o, every ? RES_TRANSACTIONS : d->d[main].kind, every ? NULL : d->d[main].account, every);
	pthread_mutex_lock(&c->lock);
	for (size_t i = every ? 0 : main; i < d->n && (every || i == main); i++)
		if (d->d[i].kind == o->kind && d->d[i].v)
			cache_origin_add(c, o, d->d[i].account, d->d[i].v);
	pthread_mutex_unlock(&c->lock);
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

void cache_file_path(const struct file_id *id, struct strbuf *out)
{
	if (id->account[0])
		sb_addf(out, "accounts/%s/", id->account);
	if (id->pot[0])
		sb_addf(out, "pots/%s/", id->pot);
	if (id->kind == FILE_ATTACHMENT)
		sb_addf(out, "attachments/%s/%s", id->month, id->name);
	else if (id->kind == FILE_MONTH_CSV || id->kind == FILE_MONTH_JSON)
		sb_addf(out, "transactions/%s.%s", id->month, id->kind == FILE_MONTH_CSV ? "csv" : "json");
	else if (files_row(id->kind)->places & (PLACE_REPORTS | PLACE_ROOT_REPORTS))
		sb_addf(out, "reports/%s", files_row(id->kind)->name);
	else
		sb_adds(out, files_row(id->kind)->name);
}

/* The ledgers the root TSV holds, in the list's order, each account's pots' own after
 * it: those that could be had (a refused ledger leaves its rows out, as .status.json
 * says).  Their strings point into d's values. */
static struct render_ledger *cache_root_ledgers(const struct cache_deps *d, size_t *n)
{
	size_t cap = 0;
	for (size_t i = 0; i < d->n; i++)
		cap += d->d[i].kind == RES_TRANSACTIONS && d->d[i].v ? 1 + d->d[i].v->npot_accounts : 0;
	struct render_ledger *l = xcalloc(cap ? cap : 1, sizeof *l);
	*n = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct res_value *v = d->d[i].v;
		if (d->d[i].kind != RES_TRANSACTIONS || !v)
			continue;
		const char *acc = d->d[i].account;
		const struct res_value *pots = cache_dep(d, RES_POTS, acc);
		l[(*n)++] = (struct render_ledger){ .account = acc, .pots = pots ? pots->json : NULL };
		for (size_t k = 0; k < v->npot_accounts; k++)
			if (cache_dep(d, RES_POT_TRANSACTIONS, v->pot_accounts[k].account))
				l[(*n)++] = (struct render_ledger){ .account = v->pot_accounts[k].account, .pot_of = acc,
								    .pot = v->pot_accounts[k].pot,
								    .pots = pots ? pots->json : NULL };
	}
	return l;
}

static void cache_sums_hook(void *ctx, struct store *st, int64_t version, int64_t from, struct view_input *in)
{
	cache_sums_fill(ctx, st, version, from, in);
}

/* The file's bytes by render_file, from the values d resolved. */
static int cache_render(struct cache *c, const struct file_id *id, const char *pot_account,
			const struct cache_deps *d, struct strbuf *out, struct cache_spill *spill)
{
	const struct res_value *accounts = cache_dep(d, RES_ACCOUNTS, NULL);
	const struct res_value *pots = cache_dep(d, RES_POTS, id->account);
	struct render_inputs in = {
		.doc = d->d[0].v->json,
		.accounts = accounts ? accounts->json : NULL,
		.links = accounts ? (const char (*)[96])accounts->links : NULL,
		.nlinks = accounts ? accounts->nlinks : 0,
		.pots = pots ? pots->json : NULL,
		.pot_account = pot_account,
		.sums = cache_sums_hook,
		.sums_ctx = c,
		.sig = cache_deps_sig(d),
		.memo_get = cache_memo_get,
		.memo_put = cache_memo_put,
		.memo_ctx = c,
		.flush = cache_spill_flush,
		.flush_ctx = spill,
	};
	const struct file_row *row = files_row(id->kind);
	struct render_ledger *ledgers = NULL;
	const cJSON **balances = NULL;
	if ((row->wants & INPUT_EVERY_ACCOUNT) && (row->wants & INPUT_TRANSACTIONS)) {
		ledgers = cache_root_ledgers(d, &in.nledgers);
		in.ledgers = ledgers;
	} else if (id->kind == FILE_ACCOUNTS_TSV) {
		/* One balance per account of the list, in its order (cache_deps_get). */
		balances = xcalloc(d->n, sizeof *balances);
		for (size_t i = 1; i < d->n; i++)
			balances[in.nbalances++] = d->d[i].v ? d->d[i].v->json : NULL;
		in.balances = balances;
	}
	bool rows = (row->needs | row->wants) & INPUT_TRANSACTIONS;
	if (rows)
		in.store = cache_store_get(c);
	int rc = render_file(id, &in, out);
	if (rows)
		cache_store_put(c, in.store);
	free(ledgers);
	free(balances);
	return rc == -EIO && spill->err ? spill->err : rc;
}

struct file_entry *cache_file_find(struct cache *c, const struct file_id *id)
{
	for (struct file_entry *f = c->files; f; f = f->next)
		if (f->id.kind == id->kind && !strcmp(f->id.account, id->account) && !strcmp(f->id.pot, id->pot) &&
		    !strcmp(f->id.month, id->month))
			return f;
	return NULL;
}

static struct file_entry *cache_file_entry(struct cache *c, const struct file_id *id)
{
	struct file_entry *f = cache_file_find(c, id);
	if (f)
		return f;
	f = xcalloc(1, sizeof *f);
	f->id = *id;
	f->next = c->files;
	c->files = f;
	return f;
}

/* Under c->lock: drop the bytes of the least recently used files nobody reads. */
static void cache_trim(struct cache *c, const struct file_entry *keep)
{
	while (c->kept_bytes > c->opts.keep_bytes) {
		struct file_entry *victim = NULL;
		for (struct file_entry *f = c->files; f; f = f->next)
			if (f->snap && f != keep && (!victim || f->used_at < victim->used_at))
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
	f->used_at = ++c->use_counter;
	if (snap) {
		snapshot_get(f->snap);
		*snap = f->snap;
	}
	return true;
}

int cache_file(struct cache *c, const struct file_id *id, struct snapshot **snap, double *fresh_for)
{
	if (snap)
		*snap = NULL;
	if (fresh_for)
		*fresh_for = 0;
	if (id->kind == FILE_ATTACHMENT)
		return cache_attach_file(c, id, snap, fresh_for);
	pthread_mutex_lock(&c->lock);
	struct file_entry *f = cache_file_entry(c, id);
	pthread_mutex_unlock(&c->lock);

	struct strbuf body = STRBUF_INIT;
	struct cache_spill spill;
	cache_spill_init(&spill);
	struct cache_deps d = { NULL, 0, 0 };
	struct file_origin origin = { 0 };
	uint64_t sig = 0;
	struct cache_used *used = NULL;   /* what the render is made from */
	size_t nused = 0;
	int rc = 0;

	struct cache_status_key status_key;
	if (id->kind == FILE_STATUS) {
		cache_status_key(c, &status_key);
		pthread_mutex_lock(&c->lock);
		bool same = status_key.valid && c->status_key.valid && f->valid &&
			    !memcmp(&status_key, &c->status_key, sizeof status_key) && cache_file_answer(c, f, snap);
		pthread_mutex_unlock(&c->lock);
		if (same)
			goto out;
		cache_status_render(c, &body);
	} else {
		char pot_account[64] = "";
		if ((rc = cache_deps_get(c, id, &d, pot_account)))
			return rc;
		used = cache_used_of(&d, &nused);
		sig = cache_deps_sig(&d);
		cache_deps_origin(c, id, &d, &origin);
		if (fresh_for) {
			*fresh_for = CACHE_FOREVER;
			for (size_t i = 0; i < d.n; i++) {
				double left = cache_fresh_for(c, d.d[i].kind, d.d[i].account[0] ? d.d[i].account : NULL);
				if (left < *fresh_for)
					*fresh_for = left;
			}
		}
		pthread_mutex_lock(&c->lock);
		bool same = f->valid && f->sig == sig && cache_file_answer(c, f, snap);
		if (same) {
			cache_origin_keep(f, &origin);
			cache_file_keep_used(f, used, nused);
			used = NULL;
		}
		pthread_mutex_unlock(&c->lock);
		if (!same)
			rc = cache_render(c, id, pot_account, &d, &body, &spill);
		cache_deps_release(&d);
		if (same || rc)
			goto out;
	}

	uint64_t digest;
	size_t size;
	if ((rc = cache_spill_finish(&spill, &body, &size, &digest)))
		goto out;
	struct instant mtime = timefmt_now();
	pthread_mutex_lock(&c->lock);
	bool unchanged = f->valid && f->digest == digest && f->meta.size == size;
	pthread_mutex_unlock(&c->lock);
	if (!unchanged) {
		/* New bytes: the store remembers when they last changed, across mounts.  It
		 * waits for another writer's short transaction (syncs of several accounts
		 * run side by side): an mtime that moved although the bytes did not would
		 * make every backup copy the file again. */
		struct store *st = cache_store_get(c);
		if (st) {
			struct strbuf path = STRBUF_INIT;
			cache_file_path(id, &path);
			mtime = store_file_mtime(st, path.buf, digest, size, mtime);
			sb_release(&path);
			cache_store_put(c, st);
		}
	}

	pthread_mutex_lock(&c->lock);
	if (!(f->valid && f->digest == digest && f->meta.size == size)) {
		f->meta.size = size;
		f->meta.mtime = mtime;
		f->digest = digest;
	}
	f->valid = true;
	if (id->kind != FILE_STATUS) {
		cache_file_keep_used(f, used, nused);
		used = NULL;
	}
	f->sig = sig;
	/* Equal size and digest is the same bytes (a heap copy is compared in full). */
	if (!f->snap || f->snap->size != size || f->snap->digest != digest ||
	    (spill.fd < 0 && f->snap->fd < 0 && memcmp(f->snap->data, body.buf, size))) {
		struct snapshot *s = snapshot_new(spill.fd < 0 ? sb_detach(&body, NULL) : NULL, spill.fd, size,
						  f->meta.mtime, digest);
		spill.fd = -1;
		if (f->snap) {
			c->kept_bytes -= f->snap->size;
			snapshot_put(f->snap);
		}
		f->snap = s;
		c->kept_bytes += s->size;
	}
	if (id->kind == FILE_STATUS)
		c->status_key = status_key;
	cache_origin_keep(f, &origin);
	cache_file_answer(c, f, snap);
	cache_trim(c, f);
	pthread_mutex_unlock(&c->lock);
out:
	free(used);
	cache_spill_release(&spill);
	sb_release(&body);
	return rc;
}

int cache_file_origin(struct cache *c, const struct file_id *id, const struct snapshot *version,
		      struct cache_origin *out)
{
	memset(out, 0, sizeof *out);
	/* Made by the mount itself, from nothing fetched as such. */
	if (id->kind == FILE_STATUS) {
		out->fetched_at = version->mtime;
		snprintf(out->source, sizeof out->source, "monzohfs");
		return 0;
	}
	/* An attachment's bytes were fetched once, from its own URL. */
	if (id->kind == FILE_ATTACHMENT) {
		out->fetched_at = version->fetched_at;
		snprintf(out->source, sizeof out->source, "%s", version->source ? version->source : "");
		return 0;
	}
	pthread_mutex_lock(&c->lock);
	const struct file_entry *f = cache_file_find(c, id);
	int rc = f && f->origin.known ? 0 : -ENODATA;
	if (!rc)
		cache_origin_describe(c, f, version, out);
	pthread_mutex_unlock(&c->lock);
	return rc;
}
