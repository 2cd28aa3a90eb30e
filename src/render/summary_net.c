/* summary_net: net worth, a column of month-end balances per account or pot, each
 * counted back from its own balance the way Closing balance is, and their total.  A
 * transfer between two columns moves money between them and leaves the total alone. */
#include "summary_data.h"

#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "render_csv.h"
#include "xalloc.h"

struct summary_net *summary_net_new(const char *currency)
{
	struct summary_net *n = xcalloc(1, sizeof *n);
	n->currency = xstrdup(currency ? currency : "");
	return n;
}

void summary_net_free(struct summary_net *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->ncols; i++) {
		free(n->cols[i].name);
		summary_months_release(&n->cols[i].months);
	}
	free(n->cols);
	free(n->currency);
	free(n);
}

size_t summary_net_column(struct summary_net *n, const char *name, bool have_balance, int64_t balance,
			  int64_t known_from)
{
	if (n->ncols == n->acols) {
		n->acols = n->acols ? 2 * n->acols : 8;
		n->cols = xreallocarray(n->cols, n->acols, sizeof *n->cols);
	}
	n->cols[n->ncols] = (struct summary_col){ .name = xstrdup(name ? name : ""),
						 .have_balance = have_balance,
						 .balance = balance,
						 .known_from = known_from };
	return n->ncols++;
}

int summary_net_add(struct summary_net *n, size_t column, int64_t created, int64_t amount, bool declined)
{
	summary_mon mon;
	if (column >= n->ncols || !summary_clock_month(&n->clock, created, &mon))
		return -1;
	struct summary_month *m = summary_months_at(&n->cols[column].months, mon);
	if (!declined && !summary_sum_add(&m->sum, amount))
		n->overflow = true;
	return 0;
}

/* The months the table spans: every column's rows, and the month each balance
 * becomes known in. */
bool summary_net_range(const struct summary_net *n, summary_mon *lo, summary_mon *hi)
{
	bool any = false;
	for (size_t i = 0; i < n->ncols; i++) {
		const struct summary_col *c = &n->cols[i];
		summary_mon from;
		if (c->months.n) {
			summary_mon a = c->months.m[0].month, b = c->months.m[c->months.n - 1].month;
			*lo = any && *lo < a ? *lo : a;
			*hi = any && *hi > b ? *hi : b;
			any = true;
		}
		if (c->have_balance && c->known_from && summary_month_of(c->known_from, &from)) {
			*lo = any && *lo < from ? *lo : from;
			*hi = any && *hi > from ? *hi : from;
			any = true;
		}
	}
	return any;
}

bool *summary_net_cells(const struct summary_net *n, summary_mon lo, summary_mon hi, int64_t **values)
{
	size_t months = (size_t)(hi - lo) + 1;
	bool *filled = xcalloc(months * (n->ncols ? n->ncols : 1), sizeof *filled);
	*values = xcalloc(months * (n->ncols ? n->ncols : 1), sizeof **values);
	int64_t *col = xcalloc(months, sizeof *col);
	for (size_t i = 0; i < n->ncols; i++) {
		const struct summary_col *c = &n->cols[i];
		if (!c->have_balance)
			continue;
		if (!summary_closings(&c->months, c->balance, lo, hi, col)) {
			free(col);
			free(filled);
			free(*values);
			*values = NULL;
			return NULL;
		}
		for (size_t k = 0; k < months; k++) {
			if (c->known_from && summary_month_end(lo + (summary_mon)k) <= c->known_from)
				continue;
			filled[k * n->ncols + i] = true;
			(*values)[k * n->ncols + i] = col[k];
		}
	}
	free(col);
	return filled;
}

bool summary_net_total(const struct summary_net *n, const bool *filled, const int64_t *values, size_t k,
		       int64_t *total, bool *ok)
{
	bool any = false;
	*total = 0;
	for (size_t i = 0; i < n->ncols; i++) {
		if (!filled[k * n->ncols + i])
			continue;
		if (!summary_sum_add(total, values[k * n->ncols + i]))
			*ok = false;
		any = true;
	}
	return any;
}

int summary_networth_csv(const struct summary_net *n, struct strbuf *out)
{
	size_t len = out->len;
	if (n->overflow)
		return summary_undo(out, len);
	sb_adds(out, "Month");
	for (size_t i = 0; i < n->ncols; i++) {
		sb_addch(out, ',');
		render_csv_text(n->cols[i].name, out);
	}
	sb_adds(out, ",Total\n");
	summary_mon lo, hi;
	if (!summary_net_range(n, &lo, &hi))
		return 0;
	int64_t *values;
	bool *filled = summary_net_cells(n, lo, hi, &values), ok = filled != NULL;
	for (summary_mon mon = lo; ok && mon <= hi; mon++) {
		size_t k = (size_t)(mon - lo);
		char text[8];
		summary_month_text(mon, text);
		sb_adds(out, text);
		for (size_t i = 0; i < n->ncols; i++) {
			sb_addch(out, ',');
			if (filled[k * n->ncols + i])
				money_format(values[k * n->ncols + i], n->currency, out);
		}
		int64_t total;
		sb_addch(out, ',');
		if (summary_net_total(n, filled, values, k, &total, &ok))
			money_format(total, n->currency, out);
		sb_addch(out, '\n');
	}
	free(filled);
	free(values);
	return ok ? 0 : summary_undo(out, len);
}
