/* files: every kind of file the mount shows, one row each: its name, the directories
 * it stands in, what it is made from and the view that renders it.  The tree lists
 * and finds names by it, the cache fetches what a row names and invalidates by what
 * it fetched, and a new format is a writer (view.h) and a row. */
#ifndef MONZOHFS_FILES_H
#define MONZOHFS_FILES_H

#include <stddef.h>

#include "view.h"

enum file_kind {
	FILE_WHOAMI,
	FILE_ACCOUNTS,
	FILE_STATUS,
	FILE_ACCOUNT,
	FILE_BALANCE,
	FILE_POTS,
	FILE_TX_JSON,
	FILE_TX_CSV,
	FILE_PENDING_CSV,
	FILE_DECLINED_CSV,
	FILE_MONTH_CSV,
	FILE_MONTH_JSON,
	FILE_TX_TSV,
	FILE_TX_OFX,
	FILE_TX_QIF,
	FILE_TX_JOURNAL,
	FILE_TX_BEANCOUNT,
	FILE_ROOT_TSV,
	FILE_ACCOUNTS_TSV,       /* MOUNT/accounts.tsv: which account is which */
	FILE_POT,                /* a pot's pot.json */
	FILE_REPORT_MONTHLY,     /* accounts/acc_…/reports/ (summary.h) */
	FILE_REPORT_CATEGORIES,
	FILE_REPORT_MERCHANTS,
	FILE_REPORT_SPENDING,
	FILE_REPORT_BALANCE,
	FILE_NETWORTH_CSV,       /* MOUNT/reports/ */
	FILE_NETWORTH_SVG,
	FILE_ATTACHMENT,         /* accounts/acc_…/attachments/YYYY-MM/<name> (cache_attach.h) */
	FILE_KIND_COUNT
};

/* Where a kind's files stand, a bit each: the mount's root, an account's directory,
 * a pot's, a transactions/ directory (named by their month), attachments/YYYY-MM/. */
enum file_place {
	PLACE_ROOT = 1,
	PLACE_ACCOUNT = 2,
	PLACE_POT = 4,
	PLACE_MONTHS = 8,
	PLACE_ATTACHMENTS = 16,
	PLACE_REPORTS = 32,       /* an account's reports/ */
	PLACE_ROOT_REPORTS = 64,  /* the mount's reports/ */
};

/* What a kind is made from, a bit each.  TRANSACTIONS is the account's sync (in a
 * pot's directory: the pot's own ledger, found through its account's sync, with the
 * account's pots).  EVERY_ACCOUNT: the other inputs are wanted for every account of
 * the list (and, for TRANSACTIONS, every pot's ledger too), each only if it can be had. */
enum file_input {
	INPUT_WHOAMI = 1,
	INPUT_ACCOUNTS = 2,
	INPUT_BALANCE = 4,
	INPUT_POTS = 8,
	INPUT_TRANSACTIONS = 16,
	INPUT_EVERY_ACCOUNT = 32,
};

struct file_row {
	enum file_kind kind;
	const char *name;        /* its name; NULL when made from its month or attachment */
	unsigned places;         /* enum file_place bits */
	unsigned needs;          /* enum file_input bits it cannot be made without */
	unsigned wants;          /* ... and those it is made with when they can be had */
	int view;                /* the enum view_kind that renders it, or -1 */
};

/* One file of the mount: its kind and what names it among its kind's. */
struct file_id {
	enum file_kind kind;
	char account[64];
	char pot[64];            /* a pot's files: the pot id ("" for the account's own) */
	char month[8];           /* "YYYY-MM" for the month files */
	char name[96];           /* FILE_ATTACHMENT: "<tx_id>-<n>.<ext>" */
};

/* The row of kind. */
const struct file_row *files_row(enum file_kind kind);
/* The kind whose name is name in place, or NULL (month and attachment files are named
 * by their month or attachment, not by the table). */
const struct file_row *files_named(enum file_place place, const char *name);
/* The i-th named row that stands in place, in listing order; NULL past the last. */
const struct file_row *files_listed(enum file_place place, size_t i);

#endif
