/* summary_csv: monthly.csv, categories.csv and merchants.csv, in the CSVs' own layout
 * (render_csv: RFC 4180 quoting, LF line ends, text cells guarded against formulas);
 * amounts are decimals in the account's currency, made by money_format. */
#include "summary_data.h"

#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "render_csv.h"
#include "xalloc.h"

static void summary_csv_money(int64_t v, const char *currency, struct strbuf *out)
{
	sb_addch(out, ',');
	money_format(v, currency, out);
}

int summary_monthly_csv(const struct summary *r, struct strbuf *out)
{
	size_t len = out->len;
	if (r->overflow)
		return summary_undo(out, len);
	sb_adds(out, "Month,Money in,Money out,Net,Spending,Transactions,Closing balance\n");
	if (!r->months.n)
		return 0;
	summary_mon lo = r->months.m[0].month, hi = r->months.m[r->months.n - 1].month;
	int64_t *closing = xcalloc((size_t)(hi - lo) + 1, sizeof *closing);
	if (r->have_balance && !summary_closings(&r->months, r->balance, lo, hi, closing)) {
		free(closing);
		return summary_undo(out, len);
	}
	size_t j = 0;
	for (summary_mon mon = lo; mon <= hi; mon++) {
		static const struct summary_month none;
		const struct summary_month *m = &none;
		if (r->months.m[j].month == mon)
			m = &r->months.m[j++];
		char text[8];
		summary_month_text(mon, text);
		sb_adds(out, text);
		summary_csv_money(m->in, r->currency, out);
		summary_csv_money(m->out, r->currency, out);
		summary_csv_money(m->in - m->out, r->currency, out); /* both >= 0: fits */
		summary_csv_money(m->spending, r->currency, out);
		sb_addf(out, ",%zu,", m->count);
		if (r->have_balance)
			money_format(closing[mon - lo], r->currency, out);
		sb_addch(out, '\n');
	}
	free(closing);
	return 0;
}

int summary_categories_csv(const struct summary *r, struct strbuf *out)
{
	if (r->overflow)
		return summary_undo(out, out->len);
	sb_adds(out, "Month,Category,Spending,Money in,Transactions\n");
	for (size_t i = 0; i < r->months.n; i++) {
		const struct summary_month *m = &r->months.m[i];
		char text[8];
		summary_month_text(m->month, text);
		for (size_t j = 0; j < m->ncats; j++) {
			const struct summary_cat *c = &m->cats[j];
			sb_adds(out, text);
			sb_addch(out, ',');
			render_csv_text(c->name, out);
			summary_csv_money(c->spending, r->currency, out);
			summary_csv_money(c->money_in, r->currency, out);
			sb_addf(out, ",%zu\n", c->count);
		}
	}
	return 0;
}

static int summary_by_spending(const void *a, const void *b)
{
	const struct summary_name *x = *(const struct summary_name *const *)a;
	const struct summary_name *y = *(const struct summary_name *const *)b;
	if (x->spending != y->spending)
		return x->spending > y->spending ? -1 : 1;
	return strcmp(x->name, y->name);
}

int summary_merchants_csv(const struct summary *r, struct strbuf *out)
{
	if (r->overflow)
		return summary_undo(out, out->len);
	sb_adds(out, "Year,Name,Spending,Transactions\n");
	for (size_t i = 0; i < r->nyears; i++) {
		const struct summary_year *y = &r->years[i];
		/* Sorted through pointers: the gathered array stays sorted by name. */
		const struct summary_name **order = xcalloc(y->n ? y->n : 1, sizeof *order);
		for (size_t j = 0; j < y->n; j++)
			order[j] = &y->names[j];
		qsort(order, y->n, sizeof *order, summary_by_spending);
		for (size_t j = 0; j < y->n; j++) {
			sb_addf(out, "%04d,", y->year);
			render_csv_text(order[j]->name, out);
			summary_csv_money(order[j]->spending, r->currency, out);
			sb_addf(out, ",%zu\n", order[j]->count);
		}
		free(order);
	}
	return 0;
}
