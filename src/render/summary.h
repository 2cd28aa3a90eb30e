/* summary: the reports people build by hand from a statement (each month's money in
 * and out, spending by category, spending by merchant, net worth) as CSVs and SVG
 * pictures, gathered from rows given one at a time: no store, no whole history.
 *
 * The rules, for rows of one account in its currency:
 * - A row's month is the local month of created in the mount's zone (localtime); a
 *   month with any row, declined ones too, is a month of the reports, as it is one
 *   of transactions/.
 * - Money in and Money out: the credits and the debits (shown positive) of settled,
 *   non-declined rows; Net = in - out; Transactions: those rows (the rows of the
 *   month's CSV).
 * - Spending: -sum of the rows with include_in_spending, not declined, pending ones
 *   included (as the app counts them); a refund in spending lowers it, and a month or
 *   name can spend less than nothing.
 * - Closing balance: the balance synced with the rows less every non-declined amount
 *   created after the month's end: the CSVs' Balance after the month's last row.
 * - A category is the CSV's Category text (txfields_category, so eating_out and a
 *   custom "Eating out" are one); a split that adds up to the amount spreads it, and
 *   the row counts once in each of its categories.
 * - Amounts are decimals with the currency's exponent (money_format), never floats;
 *   text cells take render_csv's quoting and formula guard.
 * - Pictures: plain SVG 1.1, integer coordinates, no script, link or clock.  Each
 *   bar segment and point holds <title>MONTH SERIES: AMOUNT</title>, AMOUNT its CSV
 *   cell; the plot is 240 px high and a value v stands floor((v - bottom) * 240 /
 *   (top - bottom)) px above the axis's bottom (bottom and top: the lowest and
 *   highest tick labels, steps of 1, 2 or 5 x 10^k minor units); a bar's segment
 *   spans the running sum of the segments below it to that sum plus its own. */
#ifndef MONZOHFS_SUMMARY_H
#define MONZOHFS_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* One entry of a transaction's category split (the API's "categories"). */
struct summary_split {
	const char *category;
	int64_t amount;
};

/* One transaction, as the report needs it.  The strings are copied when kept. */
struct summary_row {
	int64_t created;            /* seconds since the epoch; the month is the local one */
	int64_t amount;             /* minor units of the account's currency, signed */
	bool declined, settled;     /* has a decline_reason; settled is not "" */
	bool include_in_spending;   /* the bank's flag */
	const char *category;       /* the API's id ("eating_out") or a custom name */
	const char *name;           /* the CSV's Name (txfields_name): merchant name,
				     * counterparty name, preferred name, pot name,
				     * description */
	/* Two or more entries: the amount is spread over them when they add up to it
	 * exactly (otherwise it all goes to category). */
	const struct summary_split *splits;
	size_t nsplits;
};

/* One account's reports.  Every month, category and name is kept once, so memory
 * grows with months x categories and years x names, never with rows. */
struct summary;

/* currency: the account's (ISO 4217, for the decimal places). */
struct summary *summary_new(const char *currency);
void summary_free(struct summary *r);
/* The balance synced with the rows, which Closing balance counts back from; without
 * it that column is empty and balance.svg has no points. */
void summary_set_balance(struct summary *r, int64_t balance);
/* Rows in any order ((created, id) costs least); -1 for a created outside years
 * 1..9999, which is left out. */
int summary_add(struct summary *r, const struct summary_row *row);

/* Each appends one whole file to out and returns 0, or -1 with out as it was when a
 * sum does not fit in 64 bits (as the CSVs' Balance, such a report is not made). */
/* Month,Money in,Money out,Net,Spending,Transactions,Closing balance: every month
 * from the first row's to the last row's, gaps included. */
int summary_monthly_csv(const struct summary *r, struct strbuf *out);
/* Month,Category,Spending,Money in,Transactions: a row per month and category that
 * has a counted row, in month order then category (bytewise). */
int summary_categories_csv(const struct summary *r, struct strbuf *out);
/* Year,Name,Spending,Transactions: the names spending went to, per year, largest
 * spending first, ties by name (bytewise). */
int summary_merchants_csv(const struct summary *r, struct strbuf *out);
/* A stacked bar per month by category, the last 24 months of monthly.csv. */
int summary_spending_svg(const struct summary *r, struct strbuf *out);
/* Closing balance at each month's end, the whole range of monthly.csv. */
int summary_balance_svg(const struct summary *r, struct strbuf *out);

/* Net worth: month-end balances of several accounts and pots, one column each. */
struct summary_net;

struct summary_net *summary_net_new(const char *currency);
void summary_net_free(struct summary_net *n);
/* A column, in the order the CSV shows them; returns its index.  The month-end
 * balances count back from balance, as Closing balance does.  known_from: the first
 * instant the balance is known at (a pot whose ledger the bank does not serve: when
 * its balance was fetched); months that end at or before it have empty cells, and
 * the table reaches its month.  0: known throughout. */
size_t summary_net_column(struct summary_net *n, const char *name, bool have_balance, int64_t balance,
			  int64_t known_from);
/* One of column's transactions (only non-declined amounts move a balance); -1 for a
 * created outside years 1..9999 or an unknown column. */
int summary_net_add(struct summary_net *n, size_t column, int64_t created, int64_t amount, bool declined);
/* Month,<each column's name>,Total: every month from the earliest to the latest of
 * any column; Total sums the month's filled cells.  0, or -1 as above. */
int summary_networth_csv(const struct summary_net *n, struct strbuf *out);
/* The total and each column over time.  0, or -1 as above. */
int summary_networth_svg(const struct summary_net *n, struct strbuf *out);

#endif
