/* cache_pool: the bottom tier (cache_pool.c), the store's connections and the thread
 * that copies its write-ahead log into it.  Connections are kept in
 * struct cache's idle list under c->lock, which is held only to take or give one; the
 * checkpoint thread's state is under ckpt_lock. */
#ifndef MONZOHFS_CACHE_POOL_H
#define MONZOHFS_CACHE_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct cache;

/* A store connection for this thread's use (NULL when there is no store), and back. */
struct store *cache_store_get(struct cache *c);
void cache_store_put(struct cache *c, struct store *s);
/* A connection that wrote asks for a checkpoint (cache_store_put
 * does); the thread that runs them starts in cache_start and ends in cache_free. */
void cache_checkpoint_init(struct cache *c);
void cache_checkpoint_start(struct cache *c);
void cache_checkpoint_request(struct cache *c);
/* Whether the thread runs: only then do connections leave checkpoints to it. */
bool cache_checkpoint_running(struct cache *c);
void cache_checkpoint_stop(struct cache *c);

#endif
