/* cache_pool: the bottom tier.  The store connections the cache's threads share
 * (one each while in use, kept open when given back), and the thread that copies the
 * store's write-ahead log into the database after a connection wrote, rather than
 * whichever connection commits next: a first sync of years of history leaves hundreds
 * of MB in the log, and the reader waiting for that sync should not wait for the copy
 * and its fsync too. */
#include "cache_internal.h"

#include "log.h"
#include "xalloc.h"

/* A store connection for this thread's use; NULL when there is no store. */
struct store *cache_store_get(struct cache *c)
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
		else if (cache_checkpoint_running(c))
			store_defer_checkpoints(s);
		sb_release(&err);
	}
	return s;
}

void cache_store_put(struct cache *c, struct store *s)
{
	if (!s)
		return;
	if (store_take_written(s))
		cache_checkpoint_request(c);
	pthread_mutex_lock(&c->lock);
	if (c->nidle == c->idle_cap) {
		c->idle_cap = c->idle_cap ? c->idle_cap * 2 : 8;
		c->idle = xreallocarray(c->idle, c->idle_cap, sizeof *c->idle);
	}
	c->idle[c->nidle++] = s;
	pthread_mutex_unlock(&c->lock);
}


static void *cache_checkpoint_main(void *arg)
{
	struct cache *c = arg;
	pthread_mutex_lock(&c->ckpt_lock);
	for (;;) {
		while (!c->ckpt_wanted && !c->ckpt_stop)
			pthread_cond_wait(&c->ckpt_wake, &c->ckpt_lock);
		if (!c->ckpt_wanted)
			break;
		c->ckpt_wanted = false;
		pthread_mutex_unlock(&c->ckpt_lock);
		struct store *st = cache_store_get(c);
		/* Passive: readers and writers go on; what a reader still uses is copied
		 * at the next request. */
		if (st && store_checkpoint(st) < 0)
			log_debug("the history store: checkpoint: %s", store_errmsg(st));
		cache_store_put(c, st);
		pthread_mutex_lock(&c->ckpt_lock);
	}
	pthread_mutex_unlock(&c->ckpt_lock);
	return NULL;
}

void cache_checkpoint_init(struct cache *c)
{
	pthread_mutex_init(&c->ckpt_lock, NULL);
	pthread_cond_init(&c->ckpt_wake, NULL);
}

void cache_checkpoint_request(struct cache *c)
{
	pthread_mutex_lock(&c->ckpt_lock);
	c->ckpt_wanted = true;
	pthread_cond_signal(&c->ckpt_wake);
	pthread_mutex_unlock(&c->ckpt_lock);
}

void cache_checkpoint_start(struct cache *c)
{
	pthread_mutex_lock(&c->ckpt_lock);
	if (!c->ckpt_started) {
		if (pthread_create(&c->ckpt_thread, NULL, cache_checkpoint_main, c) == 0)
			c->ckpt_started = true;
		else
			log_warn("cannot start the store's checkpoint thread: the log is copied at unmount");
	}
	pthread_mutex_unlock(&c->ckpt_lock);
}

bool cache_checkpoint_running(struct cache *c)
{
	pthread_mutex_lock(&c->ckpt_lock);
	bool running = c->ckpt_started;
	pthread_mutex_unlock(&c->ckpt_lock);
	return running;
}

/* Ends the thread after the checkpoint asked for last (closing the last connection
 * then leaves nothing in the log). */
void cache_checkpoint_stop(struct cache *c)
{
	pthread_mutex_lock(&c->ckpt_lock);
	c->ckpt_stop = true;
	pthread_cond_signal(&c->ckpt_wake);
	bool started = c->ckpt_started;
	pthread_mutex_unlock(&c->ckpt_lock);
	if (started)
		pthread_join(c->ckpt_thread, NULL);
	pthread_mutex_destroy(&c->ckpt_lock);
	pthread_cond_destroy(&c->ckpt_wake);
}
