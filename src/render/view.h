/* view: the transaction files of an account, rendered from the store month by month
 * (never the whole history in memory): which rows each file holds, in (created, id)
 * order, with the running balance counted back from the sync's balance. */
#ifndef MONZOHFS_VIEW_H
#define MONZOHFS_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store.h"
#include "strbuf.h"

enum view_kind {
	VIEW_TRANSACTIONS_JSON,
	VIEW_TRANSACTIONS_CSV,  /* settled, not declined */
	VIEW_PENDING_CSV,       /* not settled, not declined */
	VIEW_DECLINED_CSV,      /* declined */
	VIEW_MONTH_CSV,         /* a month of transactions.csv */
	VIEW_MONTH_JSON,        /* a month of every transaction */
	VIEW_TSV,               /* every transaction, one escaped line each */
	VIEW_TSV_BODY,          /* the same without the header (for the root file) */
	VIEW_OFX,               /* settled, not declined, not zero */
	VIEW_QIF,               /* the same rows */
	VIEW_JOURNAL,           /* settled, not declined */
	VIEW_BEANCOUNT,         /* the same rows */
	VIEW_KIND_COUNT
};

struct view_input {
	struct store *store;
	const char *account_id;
	const cJSON *pots;      /* /pots reply with deleted pots, for pot names; may be NULL */
	bool have_balance;
	int64_t balance;        /* the balance fetched by the same sync */
	const char *month;      /* "YYYY-MM" for the month views */
	const cJSON *account;   /* the account object (bank details, currency), or NULL */
	const char *link_name;  /* its friendly name, else its id */
	const char *pot_name;   /* a pot's own account: the pot's name (journals book it as
				 * assets:monzo:pots:NAME); NULL for an account */
	const char *pot_of;     /* ... the account the pot belongs to, and the pot */
	const char *pot_id;
	/* The Balance column's sums when the caller knows them (see view_sums): every
	 * non-declined amount, and those before the month's start (0 for the whole
	 * history).  Otherwise the CSV views sum them from the store. */
	bool have_sums;
	int64_t total, prefix;
	/* Called between rows with what out holds; it may take the bytes away (a large
	 * file goes on into a memory file).  A negative return stops the render there,
	 * and view_render fails.  NULL: out holds the whole file. */
	int (*flush)(void *ctx, struct strbuf *out);
	void *flush_ctx;
};

int view_render(enum view_kind kind, const struct view_input *in, struct strbuf *out);
/* The local months ("YYYY-MM") in which the account has any transaction, oldest
 * first; *months malloc'd. */
int view_months(struct store *s, const char *account, char (**months)[8], size_t *n);
/* The non-declined amounts of each local month with transactions, oldest first:
 * what the Balance column of each month's CSV counts back from, read once for every
 * month file of a store version rather than once per file. */
struct view_sums {
	size_t n;
	int64_t *start;           /* each month's first second */
	int64_t *sum;
};
int view_sums_read(struct store *s, const char *account, struct view_sums *out);
void view_sums_release(struct view_sums *v);
/* The sum of the months before the one starting at from; false when no month starts
 * there. */
bool view_sums_before(const struct view_sums *v, int64_t from, int64_t *prefix);
/* Checks "YYYY-MM" and gives its [start, end) in seconds in the mount's zone. */
bool view_month_range(const char *month, int64_t *start, int64_t *end);

#endif
