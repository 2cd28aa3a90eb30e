/* cache_attach: each account's attachment list, built from the store once per version
 * of its transactions (the resource's generation), so listings and lookups between
 * two syncs cost no query. */
#include "cache_attach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cache_internal.h"
#include "localtime.h"
#include "store_attach.h"
#include "xalloc.h"

/* An account's last list and the generation of the transactions it was read from. */
struct cache_attach_lists {
	char account[64];
	uint64_t gen;
	struct cache_attach_list *list;
	struct cache_attach_lists *next;
};

void cache_attach_list_put(struct cache_attach_list *l)
{
	if (!l || __atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->e[i].url);
	free(l->e);
	free(l->months);
	free(l);
}

void cache_attach_free(struct cache *c)
{
	for (struct cache_attach_lists *a = c->attach_lists, *next; a; a = next) {
		next = a->next;
		cache_attach_list_put(a->list);
		free(a);
	}
	c->attach_lists = NULL;
	cache_attach_fetch_free(c);
}

void cache_attach_ext(const char *file_type, char out[8])
{
	/* Receipt types only: an extension from elsewhere (the URL's, or an unknown
	 * type's) could be .html, .svg or .sh, which a desktop would open as such. */
	static const char *const known[][2] = {
		{ "image/jpeg", "jpg" }, { "image/jpg", "jpg" }, { "image/png", "png" },
		{ "image/gif", "gif" },  { "image/heic", "heic" }, { "image/webp", "webp" },
		{ "application/pdf", "pdf" },
	};
	/* The type without parameters ("image/jpeg; q=1"). */
	size_t tlen = strcspn(file_type, "; \t");
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (tlen == strlen(known[i][0]) && !strncasecmp(file_type, known[i][0], tlen)) {
			snprintf(out, 8, "%s", known[i][1]);
			return;
		}
	snprintf(out, 8, "bin");
}

struct cache_attach_build {
	struct cache_attach_list *l;
	size_t cap;
};

static int cache_attach_add(void *ctx, const struct store_attach *a)
{
	struct cache_attach_build *b = ctx;
	struct cache_attach_list *l = b->l;
	struct cache_attach_entry e;
	memset(&e, 0, sizeof e);
	char ext[8];
	cache_attach_ext(a->file_type, ext);
	int len = snprintf(e.name, sizeof e.name, "%s-%d.%s", a->tx_id, a->index + 1, ext);
	/* An id that cannot be one name of a directory has no file. */
	if (!*a->tx_id || strchr(a->tx_id, '/') || len < 0 || (size_t)len >= sizeof e.name)
		return 0;
	localtime_month(a->tx_created.sec, e.month);
	if (!timefmt_parse(a->created, &e.mtime))
		e.mtime = a->tx_created;
	if (l->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		l->e = xreallocarray(l->e, b->cap, sizeof *l->e);
	}
	e.url = xstrdup(a->file_url);
	l->e[l->n++] = e;
	/* Rows come oldest first, so a month is new when it differs from the last one. */
	if (!l->nmonths || strcmp(l->months[l->nmonths - 1], e.month)) {
		l->months = xreallocarray(l->months, l->nmonths + 1, sizeof *l->months);
		memcpy(l->months[l->nmonths++], e.month, sizeof e.month);
	}
	return 0;
}

static int cache_attach_read(struct cache *c, const char *account, struct cache_attach_list **out)
{
	struct cache_attach_build b = { xcalloc(1, sizeof *b.l), 0 };
	struct store *st = cache_store_get(c);
	int rc = !st ? -EIO : store_attach_each(st, account, cache_attach_add, &b);
	cache_store_put(c, st);
	b.l->refs = 1;
	if (rc) {
		cache_attach_list_put(b.l);
		return rc;
	}
	*out = b.l;
	return 0;
}

int cache_attach_list(struct cache *c, const char *account, struct cache_attach_list **out)
{
	*out = NULL;
	struct res_value *v;
	int rc = cache_resource(c, RES_TRANSACTIONS, account, &v);
	if (rc)
		return rc;
	uint64_t gen = v->gen;
	res_value_put(v);
	pthread_mutex_lock(&c->lock);
	struct cache_attach_lists *a = c->attach_lists;
	while (a && strcmp(a->account, account))
		a = a->next;
	if (a && a->list && a->gen == gen) {
		__atomic_add_fetch(&a->list->refs, 1, __ATOMIC_RELAXED);
		*out = a->list;
	}
	pthread_mutex_unlock(&c->lock);
	if (*out)
		return 0;

	struct cache_attach_list *l;
	if ((rc = cache_attach_read(c, account, &l)))
		return rc;
	pthread_mutex_lock(&c->lock);
	for (a = c->attach_lists; a && strcmp(a->account, account); a = a->next)
		;
	if (!a) {
		a = xcalloc(1, sizeof *a);
		snprintf(a->account, sizeof a->account, "%s", account);
		a->next = c->attach_lists;
		c->attach_lists = a;
	}
	/* Generations only grow: a list read for an older one never replaces a newer. */
	if (!a->list || a->gen < gen) {
		cache_attach_list_put(a->list);
		__atomic_add_fetch(&l->refs, 1, __ATOMIC_RELAXED);
		a->list = l;
		a->gen = gen;
	}
	pthread_mutex_unlock(&c->lock);
	*out = l;
	return 0;
}

const struct cache_attach_entry *cache_attach_find(const struct cache_attach_list *l, const char *month,
						   const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->e[i].month, month) && !strcmp(l->e[i].name, name))
			return &l->e[i];
	return NULL;
}
