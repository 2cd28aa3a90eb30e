/* cache_status: .status.json, from what the cache holds and the store's history
 * flags; times are absolute, so the bytes change only when something happened. */
#include "cache_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_status.h"
#include "xalloc.h"

/* Under c->lock: what .status.json says, copied out so rendering needs no lock. */
static struct status_resource *cache_status_copy(struct cache *c, size_t *n)
{
	size_t count = 0;
	for (struct res_entry *e = c->res; e; e = e->next)
		count++;
	struct status_resource *r = xcalloc(count, sizeof *r);
	size_t i = 0;
	for (struct res_entry *e = c->res; e; e = e->next, i++) {
		snprintf(r[i].name, sizeof r[i].name, "%s", e->name);
		snprintf(r[i].account, sizeof r[i].account, "%s", e->account);
		bool pot;
		if (e->account[0])
			cache_account_label(c, e->account, r[i].label, &pot);
		r[i].have = e->value != NULL;
		r[i].refused = e->refused;
		r[i].syncing = e->syncing;
		r[i].synced = e->synced;
		r[i].sync_windows = e->sync_windows;
		r[i].sync_windows_done = e->sync_windows_done;
		r[i].sync_since = e->sync_since;
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
	s->hist = xcalloc(s->nres, sizeof *s->hist);
	for (size_t i = 0; i < s->nres; i++) {
		/* Accounts and pots' own accounts: both keep a history. */
		const char *name = s->res[i].name, *acc;
		if (!strncmp(name, "transactions/", 13))
			acc = name + 13;
		else if (!strncmp(name, "pot_transactions/", 17))
			acc = name + 17;
		else
			continue;
		struct sync_state ss;
		if (store_get_sync_state(st, acc, &ss) == 0 && ss.known) {
			struct status_history *h = &s->hist[s->nhist++];
			snprintf(h->account, sizeof h->account, "%s", acc);
			snprintf(h->label, sizeof h->label, "%s", s->res[i].label);
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

void cache_status_render(struct cache *c, struct strbuf *out)
{
	struct status_info s = {
		.api = c->api->base_url,
		.offline = c->opts.offline,
		.mounted_at = c->started,
		.tokens_path = c->tokens_path,
	};
	monzo_login_info(c->api, &s.token_expires_at, &s.login_state, &s.login_why);
	pthread_mutex_lock(&c->lock);
	s.api_unreachable_at_mount = c->unreachable;
	s.res = cache_status_copy(c, &s.nres);
	pthread_mutex_unlock(&c->lock);
	cache_status_history(c, &s);
	render_status(&s, out);
	free(s.res);
	free(s.hist);
}

void cache_status_key(struct cache *c, struct cache_status_key *k)
{
	memset(k, 0, sizeof *k);
	monzo_login_info(c->api, &k->token_expires_at, &k->login_state, NULL);
	pthread_mutex_lock(&c->lock);
	k->gen = c->status_gen;
	pthread_mutex_unlock(&c->lock);
	/* The history section reads the store, which another process (monzohfs-login) may
	 * change: SQLite's data_version, asked of one connection kept for this, moves
	 * whenever anyone else commits. */
	pthread_mutex_lock(&c->status_lock);
	if (!c->status_store && c->store_path) {
		struct strbuf err = STRBUF_INIT;
		if (store_open(c->store_path, &c->status_store, &err) < 0)
			c->status_store = NULL;
		sb_release(&err);
	}
	k->valid = !c->store_path || (c->status_store && store_data_version(c->status_store, &k->store_version) == 0);
	pthread_mutex_unlock(&c->status_lock);
}
