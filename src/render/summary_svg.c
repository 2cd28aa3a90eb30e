/* summary_svg: spending.svg, balance.svg and networth.svg.  Each bar segment and each
 * point carries a <title> "MONTH SERIES: AMOUNT" whose amount is its CSV cell, and
 * its size is that amount on the axis's integer scale (summary_plot), so a reader can
 * check a picture against its CSV. */
#include "summary_data.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define SUMMARY_TOP 30           /* above the plot: room for the top tick's label */
#define SUMMARY_PLOT 240         /* the plot's height */
#define SUMMARY_BELOW 40         /* below it: the month labels */
#define SUMMARY_SLOT 32          /* spending.svg: a month's bar and the gap after it */
#define SUMMARY_BAR 20
#define SUMMARY_BARS 24          /* spending.svg: the last 24 months */
#define SUMMARY_LINE_W 720       /* balance.svg, networth.svg: the plot's width */

static int summary_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void summary_svg_empty(struct strbuf *out, const char *title, const char *why)
{
	summary_svg_begin(out, 360, 60, title);
	sb_addf(out, "<text x=\"20\" y=\"34\">%s</text>\n", why);
	summary_svg_end(out);
}

/* The categories with spending above zero in months lo..hi, sorted (pointers into r). */
static const char **summary_spent_cats(const struct summary *r, summary_mon lo, size_t *n)
{
	size_t cap = 0, k = 0;
	for (size_t i = 0; i < r->months.n; i++)
		if (r->months.m[i].month >= lo)
			cap += r->months.m[i].ncats;
	const char **names = xcalloc(cap ? cap : 1, sizeof *names);
	for (size_t i = 0; i < r->months.n; i++) {
		const struct summary_month *m = &r->months.m[i];
		for (size_t j = 0; m->month >= lo && j < m->ncats; j++)
			if (m->cats[j].spending > 0)
				names[k++] = m->cats[j].name;
	}
	qsort(names, k, sizeof *names, summary_cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (!u || strcmp(names[u - 1], names[i]))
			names[u++] = names[i];
	*n = u;
	return names;
}

/* The tallest bar of months lo.. (its positive segments); false when it does not fit. */
static bool summary_tallest(const struct summary *r, summary_mon lo, int64_t *most)
{
	*most = 0;
	for (size_t i = 0; i < r->months.n; i++) {
		int64_t stack = 0;
		for (size_t j = 0; r->months.m[i].month >= lo && j < r->months.m[i].ncats; j++)
			if (r->months.m[i].cats[j].spending > 0 &&
			    !summary_sum_add(&stack, r->months.m[i].cats[j].spending))
				return false;
		if (stack > *most)
			*most = stack;
	}
	return true;
}

int summary_spending_svg(const struct summary *r, struct strbuf *out)
{
	const char *title = "Spending by category, by month";
	if (r->overflow)
		return summary_undo(out, out->len);
	if (!r->months.n) {
		summary_svg_empty(out, title, "No transactions");
		return 0;
	}
	summary_mon hi = r->months.m[r->months.n - 1].month;
	summary_mon lo = r->months.m[0].month;
	if (hi - lo >= SUMMARY_BARS)
		lo = hi - SUMMARY_BARS + 1;
	int64_t most;
	if (!summary_tallest(r, lo, &most))
		return summary_undo(out, out->len);
	size_t nbars = (size_t)(hi - lo) + 1, ncats;
	const char **cats = summary_spent_cats(r, lo, &ncats);
	const char **colours = xcalloc(ncats ? ncats : 1, sizeof *colours);
	for (size_t i = 0; i < ncats; i++)
		colours[i] = summary_svg_colour(i);
	struct summary_axis axis;
	summary_axis_fit(&axis, 0, most, SUMMARY_PLOT);
	int left = 16 + summary_svg_axis_width(&axis, r->currency);
	int plot_w = (int)nbars * SUMMARY_SLOT;
	int legend_x = left + plot_w + 24;
	int width = legend_x + summary_svg_legend_width(cats, ncats) + 16;
	int height = SUMMARY_TOP + SUMMARY_PLOT + SUMMARY_BELOW;
	int legend_h = SUMMARY_TOP + (int)ncats * SUMMARY_SVG_LINE + 16;
	if (legend_h > height)
		height = legend_h;
	int y0 = SUMMARY_TOP + SUMMARY_PLOT;

	summary_svg_begin(out, width, height, title);
	summary_svg_axis(out, &axis, r->currency, left, left + plot_w, y0);
	int *xs = xcalloc(nbars, sizeof *xs);
	size_t j = 0;
	while (r->months.m[j].month < lo)
		j++;
	for (size_t b = 0; b < nbars; b++) {
		summary_mon mon = lo + (summary_mon)b;
		int x = left + (int)b * SUMMARY_SLOT + (SUMMARY_SLOT - SUMMARY_BAR) / 2;
		xs[b] = x + SUMMARY_BAR / 2;
		const struct summary_month *m = NULL;
		if (j < r->months.n && r->months.m[j].month == mon)
			m = &r->months.m[j++];
		sb_adds(out, "<g class=\"bar\">");
		summary_svg_title(out, mon, "Spending", m ? m->spending : 0, r->currency);
		sb_adds(out, "\n");
		/* Segments in the legend's order; each spans its running sum's pixels. */
		int64_t run = 0;
		size_t c = 0;
		for (size_t k = 0; m && k < m->ncats; k++) {
			const struct summary_cat *cat = &m->cats[k];
			if (cat->spending <= 0)
				continue;
			while (strcmp(cats[c], cat->name))
				c++;
			int below = summary_axis_px(&axis, run);
			run += cat->spending; /* no larger than the tallest bar */
			int above = summary_axis_px(&axis, run);
			sb_addf(out, "<rect class=\"seg\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\">", x,
				y0 - above, SUMMARY_BAR, above - below, colours[c]);
			summary_svg_title(out, mon, cat->name, cat->spending, r->currency);
			sb_adds(out, "</rect>\n");
		}
		sb_adds(out, "</g>\n");
	}
	summary_svg_months(out, lo, nbars, xs, y0 + 18);
	summary_svg_legend(out, legend_x, SUMMARY_TOP, cats, colours, ncats);
	summary_svg_end(out);
	free(xs);
	free(colours);
	free(cats);
	return 0;
}

/* The x of each of n points across the line charts' plot. */
static int *summary_line_xs(size_t n, int left)
{
	int *xs = xcalloc(n, sizeof *xs);
	for (size_t i = 0; i < n; i++)
		xs[i] = n > 1 ? left + 10 + (int)(i * (SUMMARY_LINE_W - 20) / (n - 1)) : left + SUMMARY_LINE_W / 2;
	return xs;
}

/* One series of a line chart: a polyline through each run of filled points (a gap
 * breaks it) and a point with its title at each. */
static void summary_line(struct strbuf *out, const struct summary_axis *axis, const int *xs, int y0,
			 summary_mon first, size_t n, const int64_t *v, const bool *filled, size_t stride,
			 const char *series, const char *colour, int thick, const char *currency)
{
	sb_adds(out, "<g class=\"series\">\n");
	for (size_t i = 0; i < n;) {
		if (!filled[i * stride]) {
			i++;
			continue;
		}
		sb_addf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%d\" points=\"", colour, thick);
		for (bool first_pt = true; i < n && filled[i * stride]; i++, first_pt = false)
			sb_addf(out, "%s%d,%d", first_pt ? "" : " ", xs[i], y0 - summary_axis_px(axis, v[i * stride]));
		sb_adds(out, "\"/>\n");
	}
	for (size_t i = 0; i < n; i++) {
		if (!filled[i * stride])
			continue;
		sb_addf(out, "<circle class=\"point\" cx=\"%d\" cy=\"%d\" r=\"3\" fill=\"%s\">", xs[i],
			y0 - summary_axis_px(axis, v[i * stride]), colour);
		summary_svg_title(out, first + (summary_mon)i, series, v[i * stride], currency);
		sb_adds(out, "</circle>\n");
	}
	sb_adds(out, "</g>\n");
}

/* The axis over every filled value and 0. */
static void summary_line_axis(struct summary_axis *axis, const int64_t *v, const bool *filled, size_t n)
{
	int64_t lo = 0, hi = 0;
	for (size_t i = 0; i < n; i++) {
		if (!filled[i])
			continue;
		if (v[i] < lo)
			lo = v[i];
		if (v[i] > hi)
			hi = v[i];
	}
	summary_axis_fit(axis, lo, hi, SUMMARY_PLOT);
}

int summary_balance_svg(const struct summary *r, struct strbuf *out)
{
	const char *title = "Balance at the end of each month";
	if (r->overflow)
		return summary_undo(out, out->len);
	if (!r->months.n || !r->have_balance) {
		summary_svg_empty(out, title, r->months.n ? "No balance known" : "No transactions");
		return 0;
	}
	summary_mon lo = r->months.m[0].month, hi = r->months.m[r->months.n - 1].month;
	size_t n = (size_t)(hi - lo) + 1;
	int64_t *closing = xcalloc(n, sizeof *closing);
	if (!summary_closings(&r->months, r->balance, lo, hi, closing)) {
		free(closing);
		return summary_undo(out, out->len);
	}
	bool *filled = xcalloc(n, sizeof *filled);
	memset(filled, 1, n * sizeof *filled);
	struct summary_axis axis;
	summary_line_axis(&axis, closing, filled, n);
	int left = 16 + summary_svg_axis_width(&axis, r->currency);
	int y0 = SUMMARY_TOP + SUMMARY_PLOT;
	summary_svg_begin(out, left + SUMMARY_LINE_W + 32, y0 + SUMMARY_BELOW, title);
	summary_svg_axis(out, &axis, r->currency, left, left + SUMMARY_LINE_W, y0);
	int *xs = summary_line_xs(n, left);
	summary_line(out, &axis, xs, y0, lo, n, closing, filled, 1, "Closing balance", summary_svg_colour(0), 2,
		    r->currency);
	summary_svg_months(out, lo, n, xs, y0 + 18);
	summary_svg_end(out);
	free(xs);
	free(filled);
	free(closing);
	return 0;
}

int summary_networth_svg(const struct summary_net *n, struct strbuf *out)
{
	const char *title = "Net worth at the end of each month";
	summary_mon lo, hi;
	if (n->overflow)
		return summary_undo(out, out->len);
	if (!summary_net_range(n, &lo, &hi)) {
		summary_svg_empty(out, title, "No transactions");
		return 0;
	}
	size_t months = (size_t)(hi - lo) + 1, cols = n->ncols, stride = cols + 1;
	int64_t *values;
	bool *filled = summary_net_cells(n, lo, hi, &values), ok = filled != NULL;
	/* The table with a Total column, as networth.csv has it. */
	int64_t *v = xcalloc(months * stride, sizeof *v);
	bool *f = xcalloc(months * stride, sizeof *f);
	for (size_t k = 0; ok && k < months; k++) {
		for (size_t i = 0; i < cols; i++) {
			v[k * stride + i] = values[k * cols + i];
			f[k * stride + i] = filled[k * cols + i];
		}
		f[k * stride + cols] = summary_net_total(n, filled, values, k, &v[k * stride + cols], &ok);
	}
	if (!ok) {
		free(v);
		free(f);
		free(filled);
		free(values);
		return summary_undo(out, out->len);
	}
	const char **names = xcalloc(stride, sizeof *names);
	const char **colours = xcalloc(stride, sizeof *colours);
	for (size_t i = 0; i < cols; i++) {
		names[i] = n->cols[i].name;
		colours[i] = summary_svg_colour(i);
	}
	names[cols] = "Total";
	colours[cols] = "#000000";

	struct summary_axis axis;
	summary_line_axis(&axis, v, f, months * stride);
	int left = 16 + summary_svg_axis_width(&axis, n->currency);
	int y0 = SUMMARY_TOP + SUMMARY_PLOT;
	int legend_x = left + SUMMARY_LINE_W + 24;
	int height = y0 + SUMMARY_BELOW, legend_h = SUMMARY_TOP + (int)stride * SUMMARY_SVG_LINE + 16;
	summary_svg_begin(out, legend_x + summary_svg_legend_width(names, stride) + 16,
			 legend_h > height ? legend_h : height, title);
	summary_svg_axis(out, &axis, n->currency, left, left + SUMMARY_LINE_W, y0);
	int *xs = summary_line_xs(months, left);
	for (size_t i = 0; i < stride; i++)
		summary_line(out, &axis, xs, y0, lo, months, v + i, f + i, stride, names[i], colours[i],
			    i == cols ? 3 : 2, n->currency);
	summary_svg_months(out, lo, months, xs, y0 + 18);
	summary_svg_legend(out, legend_x, SUMMARY_TOP, names, colours, stride);
	summary_svg_end(out);
	free(xs);
	free(colours);
	free(names);
	free(f);
	free(v);
	free(filled);
	free(values);
	return 0;
}
