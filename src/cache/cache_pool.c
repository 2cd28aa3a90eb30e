/* cache_checkpoint: the store's write-ahead log is copied into the database by a
 * thread of its own after a connection wrote, not by whichever connection commits
 * next: a first sync of years of history leaves hundreds of MB in the log, and the
 * reader waiting for that sync should not wait for the copy and its fsync too. */
#include "cache_internal.h"

#include "log.h"

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
