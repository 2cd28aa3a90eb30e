/* cache_sums: the sums behind the CSVs' Balance column, kept per account and store
 * version.  Each CSV counts back from the balance, so it needs every amount's sum and
 * those before its month: without this, each of a history's month files read it all
 * again (48 month files of 100,000 transactions: 72 passes over the history). */
#include "cache_internal.h"

#include "amount.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cache_sums {
	char account[64];
	int64_t version;
	bool have_total, have_months;
	int64_t total;
	struct view_sums months;
	struct cache_sums *next;
};

/* Under c->lock: the entry of account at version, replacing an older one. */
static struct cache_sums *cache_sums_entry(struct cache *c, const char *account, int64_t version)
{
	struct cache_sums *e;
	for (e = c->sums; e && strcmp(e->account, account); e = e->next)
		;
	if (!e) {
		e = xcalloc(1, sizeof *e);
		snprintf(e->account, sizeof e->account, "%s", account);
		e->version = version;
		e->next = c->sums;
		c->sums = e;
	}
	if (e->version != version) {
		view_sums_release(&e->months);
		e->have_total = e->have_months = false;
		e->version = version;
	}
	return e;
}

void cache_sums_fill(struct cache *c, struct store *st, int64_t version, int64_t from, struct view_input *in)
{
	if (strlen(in->account_id) >= sizeof ((struct cache_sums *)0)->account)
		return;
	bool whole = from == INT64_MIN;
	pthread_mutex_lock(&c->lock);
	struct cache_sums *e = cache_sums_entry(c, in->account_id, version);
	bool have = e->have_total && (whole || (e->have_months && view_sums_before(&e->months, from, &in->prefix)));
	if (have) {
		in->total = e->total;
		if (whole)
			in->prefix = 0;
		in->have_sums = true;
	}
	pthread_mutex_unlock(&c->lock);
	if (have)
		return;
	/* Read outside the lock, in the render's snapshot (st is inside its read
	 * transaction, and version was read in it): two renders may both read them. */
	/* The whole history's sum, or each month's (every transaction is in one). */
	int64_t total = 0;
	struct view_sums months = { 0 };
	if (whole ? store_sum_amounts(st, in->account_id, INT64_MIN, INT64_MAX, &total) < 0
		  : view_sums_read(st, in->account_id, &months) < 0)
		return;
	bool fits = true;
	for (size_t i = 0; i < months.n && fits; i++)
		fits = amount_add(&total, months.sum[i]);
	int64_t prefix = 0;
	/* Sums that do not fit are not kept: the render finds out for itself, and fails. */
	if (!fits || (!whole && !view_sums_before(&months, from, &prefix))) {
		view_sums_release(&months);
		return;
	}
	in->total = total;
	in->prefix = prefix;
	in->have_sums = true;
	pthread_mutex_lock(&c->lock);
	e = cache_sums_entry(c, in->account_id, version);
	e->total = total;
	e->have_total = true;
	if (!whole && !e->have_months) {
		e->months = months;
		e->have_months = true;
		months = (struct view_sums){ 0 };
	}
	pthread_mutex_unlock(&c->lock);
	view_sums_release(&months);
}

void cache_sums_free(struct cache *c)
{
	for (struct cache_sums *e = c->sums, *n; e; e = n) {
		n = e->next;
		view_sums_release(&e->months);
		free(e);
	}
	c->sums = NULL;
}
