/* cache: resources and rendered files behind one mutex that is never held across a
 * network call or a render.  This file: the cache's lifetime (made, started after
 * the fork, every TTL run out at once, freed), which reaches every tier; no tier
 * calls back into it. */
#include "cache_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

void cache_options_default(struct cache_options *o)
{
	memset(o, 0, sizeof *o);
	o->ttl[RES_WHOAMI] = 3600;
	o->ttl[RES_ACCOUNTS] = 3600;
	o->ttl[RES_BALANCE] = 60;
	o->ttl[RES_POTS] = 300;
	o->ttl[RES_TRANSACTIONS] = 300;
	o->ttl[RES_POT_TRANSACTIONS] = 300;
	o->keep_bytes = 64 << 20;
	o->attach_max = CACHE_ATTACH_MAX;
	o->attach_quota = CACHE_ATTACH_QUOTA;
}

struct cache *cache_new(struct monzo *api, const struct cache_options *opts, const char *tokens_path)
{
	struct cache *c = xcalloc(1, sizeof *c);
	c->api = api;
	c->opts = *opts;
	c->store_path = opts->store_path ? xstrdup(opts->store_path) : NULL;
	c->opts.store_path = c->store_path;
	c->tokens_path = xstrdup(tokens_path ? tokens_path : "");
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->invalidate_lock, NULL);
	pthread_mutex_init(&c->status_lock, NULL);
	pthread_mutex_init(&c->attach_keep_lock, NULL);
	pthread_cond_init(&c->load_done, NULL);
	pthread_cond_init(&c->flight_done, NULL);
	pthread_cond_init(&c->attach_done, NULL);
	pthread_cond_init(&c->jobs_wake, NULL);
	c->jobs_tail = &c->jobs;
	cache_checkpoint_init(c);
	c->started = timefmt_now();
	c->res_changed = cache_invalidate_users;
	return c;
}

void cache_start(struct cache *c)
{
	pthread_mutex_lock(&c->lock);
	struct store **idle = c->idle;
	size_t n = c->nidle;
	c->idle = NULL;
	c->nidle = c->idle_cap = 0;
	pthread_mutex_unlock(&c->lock);
	for (size_t i = 0; i < n; i++)
		store_close(idle[i]);
	free(idle);
	pthread_mutex_lock(&c->status_lock);
	store_close(c->status_store);
	c->status_store = NULL;
	pthread_mutex_unlock(&c->status_lock);
	cache_attach_sweep(c);
	cache_checkpoint_start(c);
	/* Threads do not cross a fork: from now on a fetch may have one of its own. */
	pthread_mutex_lock(&c->lock);
	c->flights_threaded = true;
	pthread_mutex_unlock(&c->lock);
}

void cache_expire_all(struct cache *c)
{
	pthread_mutex_lock(&c->lock);
	for (struct res_entry *e = c->res; e; e = e->next)
		e->fresh_until = 0;
	pthread_mutex_unlock(&c->lock);
	/* The kernel keeps a file's name until the TTL it was given: it is told to ask
	 * again, and its next look reaches us. */
	cache_invalidate_files(c, RES_WHOAMI, NULL, true);
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	/* Fetches whose readers gave up may still be running: they end within their HTTP
	 * budget (a sync, within its pages'). */
	pthread_mutex_lock(&c->lock);
	while (c->flights_running)
		pthread_cond_wait(&c->flight_done, &c->lock);
	pthread_mutex_unlock(&c->lock);
	cache_flight_workers_stop(c);
	for (struct res_entry *e = c->res, *n; e; e = n) {
		n = e->next;
		res_value_put(e->value);
		free(e);
	}
	for (struct file_entry *f = c->files, *n; f; f = n) {
		n = f->next;
		snapshot_put(f->snap);
		free(f->used);
		free(f);
	}
	cache_attach_free(c);
	cache_sums_free(c);
	cache_memo_free(c);
	cache_checkpoint_stop(c);
	for (size_t i = 0; i < c->nidle; i++)
		store_close(c->idle[i]);
	store_close(c->status_store);
	free(c->idle);
	free(c->store_path);
	free(c->tokens_path);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->invalidate_lock);
	pthread_mutex_destroy(&c->status_lock);
	pthread_mutex_destroy(&c->attach_keep_lock);
	pthread_cond_destroy(&c->load_done);
	pthread_cond_destroy(&c->flight_done);
	pthread_cond_destroy(&c->attach_done);
	pthread_cond_destroy(&c->jobs_wake);
	free(c);
}

struct instant cache_started(const struct cache *c)
{
	return c->started;
}

void cache_set_invalidator(struct cache *c, cache_invalidate_fn fn, void *ctx)
{
	pthread_mutex_lock(&c->invalidate_lock);
	c->invalidate = fn;
	c->invalidate_ctx = ctx;
	pthread_mutex_unlock(&c->invalidate_lock);
}

void cache_note_unreachable(struct cache *c, const struct monzo_error *err)
{
	pthread_mutex_lock(&c->lock);
	c->unreachable = true;
	c->status_gen++;
	c->unreachable_err = *err;
	pthread_mutex_unlock(&c->lock);
}
