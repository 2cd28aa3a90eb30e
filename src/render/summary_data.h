/* summary_data: what the report files share behind summary.h — the gathered months,
 * categories and names, month arithmetic, and the drawing kit of the pictures.
 * Only summary*.c include it. */
#ifndef MONZOHFS_SUMMARY_DATA_H
#define MONZOHFS_SUMMARY_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "summary.h"
#include "strbuf.h"

/* A month is year * 12 + (month - 1), so months compare and step as integers. */
typedef int32_t summary_mon;

/* The month of an instant through the last month found (summary_month_of): rows come
 * month by month, and the zone's offset is looked up afresh for rows an hour apart,
 * so this spares the calendar work for all but a month's first row. */
struct summary_clock {
	bool valid;
	summary_mon mon;
	int64_t start, end;     /* [start, end): the month's instants */
};
bool summary_clock_month(struct summary_clock *c, int64_t sec, summary_mon *out);

struct summary_cat {
	char *name;                 /* the Category column's text ("Eating out") */
	int64_t spending, money_in;
	size_t count;
};

struct summary_month {
	summary_mon month;
	int64_t sum;                /* every non-declined amount: the balance's moves */
	int64_t in, out;            /* settled, not declined: credits, -debits */
	int64_t spending;           /* -amount of include_in_spending, not declined */
	size_t count;               /* settled, not declined */
	struct summary_cat *cats;   /* sorted by name */
	size_t ncats, acats;
};

/* A sorted run of months. */
struct summary_months {
	struct summary_month *m;
	size_t n, alloc;
};

struct summary_name {
	char *name;
	int64_t spending;
	size_t count;
};

struct summary_year {
	int year;
	struct summary_name *names; /* sorted by name while gathering */
	size_t n, alloc;
};

struct summary {
	char *currency;
	bool have_balance;
	int64_t balance;
	struct summary_months months;
	struct summary_year *years;
	size_t nyears, ayears;
	bool overflow;              /* a sum did not fit in 64 bits: no file */
	struct summary_clock clock;
	struct strbuf scratch;
};

struct summary_col {
	char *name;
	bool have_balance;
	int64_t balance;
	int64_t known_from;
	struct summary_months months;
};

struct summary_net {
	char *currency;
	struct summary_col *cols;
	size_t ncols, acols;
	bool overflow;
	struct summary_clock clock;
};

/* *acc += v and *acc -= v; false, *acc unchanged, when the result does not fit in 64
 * bits.  Amounts are bounded (the store's ±10^15); sums of thousands of them are not,
 * and a report that cannot count is not made, as the CSVs' Balance is not. */
bool summary_sum_add(int64_t *acc, int64_t v);
bool summary_sum_sub(int64_t *acc, int64_t v);
/* Takes out back to len bytes and returns -1: a render that could not count. */
int summary_undo(struct strbuf *out, size_t len);

/* The local month of an instant; false outside years 1..9999. */
bool summary_month_of(int64_t sec, summary_mon *out);
/* "2024-06". */
void summary_month_text(summary_mon m, char out[8]);
/* The first instant after the month, in the mount's zone. */
int64_t summary_month_end(summary_mon m);
/* The month's entry, added (zeroed) where missing. */
struct summary_month *summary_months_at(struct summary_months *ms, summary_mon m);
void summary_months_release(struct summary_months *ms);
/* out[i]: the balance at the end of month lo + i, for lo..hi: balance less the sums
 * of every later month; false when one does not fit in 64 bits. */
bool summary_closings(const struct summary_months *ms, int64_t balance, summary_mon lo, summary_mon hi,
		      int64_t *out);

/* Net worth's months (false when no column has any), and its cells: filled[k * ncols
 * + i] and (*values)[...] for month lo + k and column i; both malloc'd. */
bool summary_net_range(const struct summary_net *n, summary_mon *lo, summary_mon *hi);
bool *summary_net_cells(const struct summary_net *n, summary_mon lo, summary_mon hi, int64_t **values);
/* The month's total over its filled cells (false when none is); *ok false when it
 * does not fit in 64 bits. */
bool summary_net_total(const struct summary_net *n, const bool *filled, const int64_t *values, size_t k,
		       int64_t *total, bool *ok);

/* The drawing kit (summary_plot.c): integer coordinates only, so the same numbers
 * give the same bytes. */
struct summary_axis {
	int64_t bottom, top, step;  /* ticks at bottom, bottom + step, ..., top */
	int height;                 /* pixels from bottom to top */
};
/* An axis over lo..hi (lo <= 0 <= hi): its step the smallest of 1, 2 or 5 times a
 * power of ten minor units that covers hi - lo in 4 steps, its bottom and top the
 * multiples of the step at or beyond lo and hi (top above bottom). */
void summary_axis_fit(struct summary_axis *a, int64_t lo, int64_t hi, int height);
/* Pixels above the axis's bottom of v: floor((v - bottom) * height / (top - bottom)). */
int summary_axis_px(const struct summary_axis *a, int64_t v);
/* The opening <svg> element with its size and title, and the closing one. */
void summary_svg_begin(struct strbuf *out, int width, int height, const char *title);
void summary_svg_end(struct strbuf *out);
/* The ticks, their labels (decimals in currency) and grid lines of an axis whose
 * bottom is at pixel row y0, across x0..x1. */
void summary_svg_axis(struct strbuf *out, const struct summary_axis *a, const char *currency, int x0, int x1,
		      int y0);
/* <title>MONTH SERIES: AMOUNT</title>, the series escaped. */
void summary_svg_title(struct strbuf *out, summary_mon m, const char *series, int64_t amount,
		       const char *currency);
/* The i-th colour of the palette ("#4e79a7"), round again after its last. */
const char *summary_svg_colour(size_t i);
/* Legend lines from (x, y) down, one per name, each after a square of its colour. */
void summary_svg_legend(struct strbuf *out, int x, int y, const char *const *names, const char *const *colours,
			size_t n);
/* Pixels a legend of these names needs across (a fixed width per character). */
int summary_svg_legend_width(const char *const *names, size_t n);
/* Pixels a text of n characters needs across, and the height of a legend line. */
#define SUMMARY_SVG_CHAR 7
#define SUMMARY_SVG_LINE 16
/* Month labels centred on xs[0..n-1] at row y, months first, first + 1, ...: every
 * k-th one, k as small as keeps labels apart, counted so the last month has one. */
void summary_svg_months(struct strbuf *out, summary_mon first, size_t n, const int *xs, int y);
/* The width of the widest tick label of an axis, in pixels. */
int summary_svg_axis_width(const struct summary_axis *a, const char *currency);

#endif
