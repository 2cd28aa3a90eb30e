/* cache_memo: bytes a render made beside the ones asked for, kept under a key until
 * what they were made from changes.  The five reports of an account come from one
 * pass over its rows: the first one asked for makes all five, and the other four are
 * then copies, not four more passes over the history. */
#include "cache_internal.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Entries kept at most: a few accounts' reports. */
#define CACHE_MEMO_MAX 64

struct cache_memo {
	char *key;
	uint64_t sig;
	char *bytes;
	size_t len;
	struct cache_memo *next;
};

static void cache_memo_drop(struct cache_memo *m)
{
	free(m->key);
	free(m->bytes);
	free(m);
}

bool cache_memo_get(void *ctx, const char *key, uint64_t sig, struct strbuf *out)
{
	struct cache *c = ctx;
	bool found = false;
	pthread_mutex_lock(&c->lock);
	for (struct cache_memo *m = c->memo; m; m = m->next)
		if (!strcmp(m->key, key)) {
			if ((found = m->sig == sig))
				sb_add(out, m->bytes, m->len);
			break;
		}
	pthread_mutex_unlock(&c->lock);
	return found;
}

void cache_memo_put(void *ctx, const char *key, uint64_t sig, const char *bytes, size_t len)
{
	struct cache *c = ctx;
	struct cache_memo *m = xcalloc(1, sizeof *m);
	m->key = xstrdup(key);
	m->sig = sig;
	m->bytes = xmalloc(len ? len : 1);
	memcpy(m->bytes, bytes, len);
	m->len = len;
	pthread_mutex_lock(&c->lock);
	/* The newest first; the same key's older bytes and the oldest past the bound go. */
	m->next = c->memo;
	c->memo = m;
	size_t kept = 1;
	for (struct cache_memo **p = &m->next; *p;) {
		struct cache_memo *e = *p;
		if (!strcmp(e->key, key) || kept == CACHE_MEMO_MAX) {
			*p = e->next;
			cache_memo_drop(e);
		} else {
			kept++;
			p = &e->next;
		}
	}
	pthread_mutex_unlock(&c->lock);
}

void cache_memo_free(struct cache *c)
{
	while (c->memo) {
		struct cache_memo *m = c->memo;
		c->memo = m->next;
		cache_memo_drop(m);
	}
}
