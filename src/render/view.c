/* view: one pass over the store's rows per file.  The running balance after a row is
 * balance − (sum of all non-declined amounts − sum up to and including the row), so a
 * month needs only one SUM query for what came before it. */
#include "view.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "localtime.h"
#include "export.h"
#include "render_csv.h"
#include "json.h"
#include "log.h"
#include "termtext.h"
#include "xalloc.h"

struct view_pass {
	enum view_kind kind;
	const struct view_input *in;
	struct strbuf *out;
	int64_t total;      /* every non-declined amount of the account */
	int64_t prefix;     /* non-declined amounts up to the current row */
	bool first;
	struct export *ex;  /* the import formats */
	const struct export_writer *writer;
};

/* The views written by an import format's writer (the others are the CSVs and JSON). */
static const struct export_writer *const view_writers[VIEW_KIND_COUNT] = {
	[VIEW_TSV] = &export_tsv,
	[VIEW_TSV_BODY] = &export_tsv_body,
	[VIEW_OFX] = &export_ofx,
	[VIEW_QIF] = &export_qif,
	[VIEW_JOURNAL] = &export_ledger,
	[VIEW_BEANCOUNT] = &export_beancount,
};

/* A sum of the account's amounts does not fit: the file fails rather than show a
 * wrong total (each amount is within AMOUNT_LIMIT, so only an absurd history gets here). */
static int view_overflow(const struct view_input *in)
{
	char shown[128];
	log_warn("%s: a sum of its amounts does not fit in 64 bits; its files cannot be made",
		 termtext_cut(in->account_id, shown, sizeof shown));
	return -1;
}

static bool view_wants(enum view_kind kind, const struct tx_row *r)
{
	switch (kind) {
	case VIEW_TRANSACTIONS_CSV:
	case VIEW_MONTH_CSV:
		return r->settled && !r->declined;
	case VIEW_PENDING_CSV:
		return !r->settled && !r->declined;
	case VIEW_DECLINED_CSV:
		return r->declined;
	case VIEW_OFX:
	case VIEW_QIF:
		return r->settled && !r->declined && r->amount != 0;
	case VIEW_JOURNAL:
	case VIEW_BEANCOUNT:
		return r->settled && !r->declined;
	default:
		return true;
	}
}

static int view_row(void *ctx, const struct tx_row *r)
{
	struct view_pass *p = ctx;
	bool json = p->kind == VIEW_TRANSACTIONS_JSON || p->kind == VIEW_MONTH_JSON;
	/* Only the CSVs count: JSON holds no sum, so none can fail it. */
	if (!json && !r->declined && !amount_add(&p->prefix, r->amount))
		return view_overflow(p->in);
	if (!view_wants(p->kind, r))
		return 0;
	if (json) {
		/* One transaction per line, exactly as stored: grep finds whole records. */
		sb_adds(p->out, p->first ? "\n" : ",\n");
		sb_add(p->out, r->json, r->json_len);
	} else {
		bool with_balance = p->in->have_balance && p->kind != VIEW_DECLINED_CSV;
		int64_t later = 0, after = 0;
		if (with_balance && (!amount_sub(p->total, p->prefix, &later) ||
				     !amount_sub(p->in->balance, later, &after)))
			return view_overflow(p->in);
		render_csv_row(r, p->in->pots, with_balance, after, p->out);
	}
	p->first = false;
	/* A copy that cannot be written ends the render: the rest would only fill the heap. */
	if (p->in->flush && p->in->flush(p->in->flush_ctx, p->out) < 0)
		return -1;
	return 0;
}

/* First pass of the journals: what their opening needs to know. */
static int view_stats(void *ctx, const struct tx_row *r)
{
	struct view_pass *p = ctx;
	struct export *e = p->ex;
	if (!r->settled && !r->declined && !amount_add(&e->pending, r->amount))
		return view_overflow(p->in);
	if (!view_wants(p->kind, r))
		return 0;
	if (export_booked_elsewhere(e, r))
		return amount_add(&e->elsewhere_sum, r->amount) ? 0 : view_overflow(p->in);
	if (!e->count++)
		e->first_sec = r->created.sec;
	e->last_sec = r->created.sec;
	return amount_add(&e->sum, r->amount) ? 0 : view_overflow(p->in);
}

static int view_export_row(void *ctx, const struct tx_row *r)
{
	struct view_pass *p = ctx;
	if (!view_wants(p->kind, r))
		return 0;
	p->writer->row(p->ex, r);
	if (p->ex->overflow)
		return view_overflow(p->in);
	/* A copy that cannot be written ends the render: the rest would only fill the heap. */
	if (p->in->flush && p->in->flush(p->in->flush_ctx, p->out) < 0)
		return -1;
	return 0;
}

/* The account's settled transfers with the pot: its journal books them, so the pot's
 * does not (matched by instant and amount, as both sides of a transfer have them). */
static int view_transfer_row(void *ctx, const struct tx_row *r)
{
	struct view_pass *p = ctx;
	struct export *e = p->ex;
	if (!r->settled || r->declined || strcmp(r->scheme, "uk_retail_pot") || strcmp(r->pot_id, p->in->pot_id))
		return 0;
	e->elsewhere = xreallocarray(e->elsewhere, e->nelsewhere + 1, sizeof *e->elsewhere);
	e->elsewhere[e->nelsewhere++] = (struct export_transfer){ r->created.sec, r->created.nsec, -r->amount };
	return 0;
}

static int view_export(enum view_kind kind, const struct view_input *in, struct strbuf *out)
{
	struct export e = {
		.out = out,
		.pots = in->pots,
		.account = in->account,
		.account_id = in->account_id,
		.link_name = in->link_name ? in->link_name : in->account_id,
		.currency = json_str(in->account, "currency", "GBP"),
		.have_balance = in->have_balance,
		.balance = in->balance,
		.pot_name = in->pot_name,
	};
	const struct export_writer *w = view_writers[kind];
	struct view_pass p = { .kind = kind, .in = in, .out = out, .ex = &e, .writer = w };
	bool journal = w->journal;
	if (journal && in->pot_of && in->pot_id &&
	    store_each_transaction(in->store, in->pot_of, INT64_MIN, INT64_MAX, false, view_transfer_row, &p) < 0) {
		free(e.elsewhere);
		return -1;
	}
	/* Journals open with a balance and its date, so they need the totals first. */
	if (journal &&
	    (store_each_transaction(in->store, in->account_id, INT64_MIN, INT64_MAX, false, view_stats, &p) < 0 ||
	     (!export_totals_fit(&e) && view_overflow(in) < 0))) {
		free(e.elsewhere);
		return -1;
	}
	if (w->begin)
		w->begin(&e);
	int rc = store_each_transaction(in->store, in->account_id, INT64_MIN, INT64_MAX, false, view_export_row, &p);
	if (w->end)
		w->end(&e);
	free(e.elsewhere);
	return rc < 0 ? -1 : 0;
}

bool view_month_range(const char *month, int64_t *start, int64_t *end)
{
	int y, m;
	char extra;
	if (!month || strlen(month) != 7 || sscanf(month, "%4d-%2d%c", &y, &m, &extra) != 2 || month[4] != '-' ||
	    m < 1 || m > 12 || y < 1970)
		return false;
	*start = localtime_month_start(y, m);
	*end = localtime_month_start(y, m + 1);
	return true;
}

int view_render(enum view_kind kind, const struct view_input *in, struct strbuf *out)
{
	if ((unsigned)kind >= VIEW_KIND_COUNT)
		return -1;
	if (view_writers[kind])
		return view_export(kind, in, out);
	struct view_pass p = { .kind = kind, .in = in, .out = out, .first = true };
	int64_t from = INT64_MIN, to = INT64_MAX;
	if (kind == VIEW_MONTH_CSV || kind == VIEW_MONTH_JSON) {
		if (!view_month_range(in->month, &from, &to))
			return -1;
	}
	bool json = kind == VIEW_TRANSACTIONS_JSON || kind == VIEW_MONTH_JSON;
	if (!json) {
		if (in->have_sums) {
			p.total = in->total;
			p.prefix = in->prefix;
		} else if (store_sum_amounts(in->store, in->account_id, INT64_MIN, INT64_MAX, &p.total) < 0 ||
			   store_sum_amounts(in->store, in->account_id, INT64_MIN, from, &p.prefix) < 0) {
			return -1;
		}
		render_csv_header(out);
	} else {
		sb_adds(out, "{\"transactions\": [");
	}
	if (store_each_transaction(in->store, in->account_id, from, to, json, view_row, &p) < 0)
		return -1;
	if (json)
		sb_adds(out, p.first ? "]}\n" : "\n]}\n");
	return 0;
}

int view_months(struct store *s, const char *account, char (**months)[8], size_t *n)
{
	*months = NULL;
	*n = 0;
	size_t cap = 0;
	char (*out)[8] = NULL;
	int64_t from = INT64_MIN, sec;
	bool found;
	int rc;
	/* From each month with a transaction straight to the first one after it. */
	while ((rc = store_first_created(s, account, from, &sec, &found)) == 0 && found) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			out = xreallocarray(out, cap, sizeof *out);
		}
		localtime_month(sec, out[*n]);
		int64_t start;
		if (!view_month_range(out[(*n)++], &start, &from)) {
			free(out);
			*n = 0;
			return -1;
		}
	}
	if (rc < 0) {
		free(out);
		*n = 0;
		return -1;
	}
	*months = out;
	return 0;
}

int view_sums_read(struct store *s, const char *account, struct view_sums *out)
{
	memset(out, 0, sizeof *out);
	char (*months)[8];
	size_t n;
	if (view_months(s, account, &months, &n) < 0)
		return -1;
	int rc = 0;
	if (n) {
		out->start = xcalloc(n, sizeof *out->start);
		out->sum = xcalloc(n, sizeof *out->sum);
	}
	for (size_t i = 0; i < n && !rc; i++) {
		int64_t end;
		if (!view_month_range(months[i], &out->start[i], &end) ||
		    store_sum_amounts(s, account, out->start[i], end, &out->sum[i]) < 0)
			rc = -1;
	}
	free(months);
	if (rc) {
		view_sums_release(out);
		return -1;
	}
	out->n = n;
	return 0;
}

void view_sums_release(struct view_sums *v)
{
	free(v->start);
	free(v->sum);
	memset(v, 0, sizeof *v);
}

bool view_sums_before(const struct view_sums *v, int64_t from, int64_t *prefix)
{
	int64_t sum = 0;
	for (size_t i = 0; i < v->n; i++) {
		if (v->start[i] == from) {
			*prefix = sum;
			return true;
		}
		if (!amount_add(&sum, v->sum[i]))
			return false;
	}
	return false;
}
