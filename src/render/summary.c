/* summary: gathering the rows.  Each month and each year keeps a sorted array (of
 * categories, of names) searched by bisection, so a row costs a few comparisons and
 * rows that arrive in (created, id) order land at the end of the month array. */
#include "summary_data.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "localtime.h"
#include "txfields.h"
#include "xalloc.h"

bool summary_sum_add(int64_t *acc, int64_t v)
{
	int64_t r;
	if (__builtin_add_overflow(*acc, v, &r))
		return false;
	*acc = r;
	return true;
}

bool summary_sum_sub(int64_t *acc, int64_t v)
{
	int64_t r;
	if (__builtin_sub_overflow(*acc, v, &r))
		return false;
	*acc = r;
	return true;
}

int summary_undo(struct strbuf *out, size_t len)
{
	out->len = len;
	if (out->buf)
		out->buf[len] = '\0';
	return -1;
}

bool summary_month_of(int64_t sec, summary_mon *out)
{
	/* Years 1..9999 lie within ±3.2e11 s; beyond that the calendar code would overflow. */
	if (sec < -62135596800LL || sec > 253402300799LL)
		return false;
	struct tm tm;
	localtime_of(sec, &tm);
	int y = tm.tm_year + 1900;
	if (y < 1 || y > 9999)
		return false;
	*out = (summary_mon)(y * 12 + tm.tm_mon);
	return true;
}

bool summary_clock_month(struct summary_clock *c, int64_t sec, summary_mon *out)
{
	if (c->valid && sec >= c->start && sec < c->end) {
		*out = c->mon;
		return true;
	}
	if (!summary_month_of(sec, out))
		return false;
	c->valid = true;
	c->mon = *out;
	c->start = localtime_month_start(*out / 12, *out % 12 + 1);
	c->end = summary_month_end(*out);
	return true;
}

void summary_month_text(summary_mon m, char out[8])
{
	int y = m / 12, mo = m % 12 + 1;
	out[0] = (char)('0' + y / 1000 % 10);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + mo / 10);
	out[6] = (char)('0' + mo % 10);
	out[7] = '\0';
}

int64_t summary_month_end(summary_mon m)
{
	return localtime_month_start(m / 12, m % 12 + 2);
}

struct summary_month *summary_months_at(struct summary_months *ms, summary_mon m)
{
	size_t lo = 0, hi = ms->n;
	if (ms->n && ms->m[ms->n - 1].month <= m)
		lo = ms->n - 1; /* the common case: rows come in order */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ms->m[mid].month < m)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ms->n && ms->m[lo].month == m)
		return &ms->m[lo];
	if (ms->n == ms->alloc) {
		ms->alloc = ms->alloc ? 2 * ms->alloc : 16;
		ms->m = xreallocarray(ms->m, ms->alloc, sizeof *ms->m);
	}
	memmove(&ms->m[lo + 1], &ms->m[lo], (ms->n - lo) * sizeof *ms->m);
	ms->n++;
	memset(&ms->m[lo], 0, sizeof ms->m[lo]);
	ms->m[lo].month = m;
	return &ms->m[lo];
}

void summary_months_release(struct summary_months *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		for (size_t j = 0; j < ms->m[i].ncats; j++)
			free(ms->m[i].cats[j].name);
		free(ms->m[i].cats);
	}
	free(ms->m);
	memset(ms, 0, sizeof *ms);
}

bool summary_closings(const struct summary_months *ms, int64_t balance, summary_mon lo, summary_mon hi,
		      int64_t *out)
{
	size_t j = ms->n;
	int64_t run = balance;
	for (summary_mon m = hi; m >= lo; m--) {
		while (j > 0 && ms->m[j - 1].month > m) {
			j--;
			if (!summary_sum_sub(&run, ms->m[j].sum))
				return false;
		}
		out[m - lo] = run;
	}
	return true;
}

struct summary *summary_new(const char *currency)
{
	struct summary *r = xcalloc(1, sizeof *r);
	r->currency = xstrdup(currency ? currency : "");
	sb_init(&r->scratch);
	return r;
}

void summary_free(struct summary *r)
{
	if (!r)
		return;
	summary_months_release(&r->months);
	for (size_t i = 0; i < r->nyears; i++) {
		for (size_t j = 0; j < r->years[i].n; j++)
			free(r->years[i].names[j].name);
		free(r->years[i].names);
	}
	free(r->years);
	sb_release(&r->scratch);
	free(r->currency);
	free(r);
}

void summary_set_balance(struct summary *r, int64_t balance)
{
	r->have_balance = true;
	r->balance = balance;
}

/* Bisection over an array of structs whose first member is a char *name. */
static size_t summary_find(const void *base, size_t n, size_t size, const char *name, bool *found)
{
	size_t lo = 0, hi = n;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(*(char *const *)((const char *)base + mid * size), name);
		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct summary_cat *summary_cat_at(struct summary *r, struct summary_month *m, const char *category)
{
	sb_reset(&r->scratch);
	txfields_category(category ? category : "", &r->scratch);
	const char *name = sb_str(&r->scratch);
	bool found;
	size_t i = summary_find(m->cats, m->ncats, sizeof *m->cats, name, &found);
	if (found)
		return &m->cats[i];
	if (m->ncats == m->acats) {
		m->acats = m->acats ? 2 * m->acats : 8;
		m->cats = xreallocarray(m->cats, m->acats, sizeof *m->cats);
	}
	memmove(&m->cats[i + 1], &m->cats[i], (m->ncats - i) * sizeof *m->cats);
	m->ncats++;
	m->cats[i] = (struct summary_cat){ .name = xstrdup(name) };
	return &m->cats[i];
}

static struct summary_name *summary_name_at(struct summary *r, int year, const char *name)
{
	size_t y = r->nyears;
	while (y > 0 && r->years[y - 1].year > year)
		y--;
	if (!y || r->years[y - 1].year != year) {
		if (r->nyears == r->ayears) {
			r->ayears = r->ayears ? 2 * r->ayears : 8;
			r->years = xreallocarray(r->years, r->ayears, sizeof *r->years);
		}
		memmove(&r->years[y + 1], &r->years[y], (r->nyears - y) * sizeof *r->years);
		r->nyears++;
		r->years[y] = (struct summary_year){ .year = year };
		y++;
	}
	struct summary_year *yr = &r->years[y - 1];
	bool found;
	size_t i = summary_find(yr->names, yr->n, sizeof *yr->names, name, &found);
	if (found)
		return &yr->names[i];
	if (yr->n == yr->alloc) {
		yr->alloc = yr->alloc ? 2 * yr->alloc : 32;
		yr->names = xreallocarray(yr->names, yr->alloc, sizeof *yr->names);
	}
	memmove(&yr->names[i + 1], &yr->names[i], (yr->n - i) * sizeof *yr->names);
	yr->n++;
	yr->names[i] = (struct summary_name){ .name = xstrdup(name) };
	return &yr->names[i];
}

/* One category's part of a row: what it spent, took in and whether it counts. */
static void summary_cat_add(struct summary *r, struct summary_month *m, const char *category, int64_t amount,
			    bool spending, bool booked)
{
	struct summary_cat *c = summary_cat_at(r, m, category);
	if (spending && !summary_sum_sub(&c->spending, amount))
		r->overflow = true;
	if (booked) {
		if (amount > 0 && !summary_sum_add(&c->money_in, amount))
			r->overflow = true;
		c->count++;
	}
}

static bool summary_split_adds_up(const struct summary_row *row)
{
	if (row->nsplits < 2)
		return false;
	int64_t sum = 0;
	for (size_t i = 0; i < row->nsplits; i++)
		if (__builtin_add_overflow(sum, row->splits[i].amount, &sum))
			return false;
	return sum == row->amount;
}

int summary_add(struct summary *r, const struct summary_row *row)
{
	summary_mon mon;
	if (!summary_clock_month(&r->clock, row->created, &mon))
		return -1;
	struct summary_month *m = summary_months_at(&r->months, mon);
	if (row->declined)
		return 0; /* its month exists, as its month file does; nothing moved */
	bool booked = row->settled, spending = row->include_in_spending, ok = true;
	ok &= summary_sum_add(&m->sum, row->amount);
	if (booked) {
		if (row->amount > 0)
			ok &= summary_sum_add(&m->in, row->amount);
		else
			ok &= summary_sum_sub(&m->out, row->amount);
		m->count++;
	}
	if (spending) {
		ok &= summary_sum_sub(&m->spending, row->amount);
		struct summary_name *n = summary_name_at(r, mon / 12, row->name ? row->name : "");
		ok &= summary_sum_sub(&n->spending, row->amount);
		n->count++;
	}
	if (!ok)
		r->overflow = true;
	if (!booked && !spending)
		return 0;
	if (summary_split_adds_up(row)) {
		for (size_t i = 0; i < row->nsplits; i++)
			summary_cat_add(r, m, row->splits[i].category, row->splits[i].amount, spending, booked);
	} else {
		summary_cat_add(r, m, row->category, row->amount, spending, booked);
	}
	return 0;
}
