/* files: the table itself.  Rows are in listing order; a kind's position in the table
 * is its enum value, checked by files_row (and the unit test), so the two cannot drift
 * apart silently. */
#include "files.h"

#include <string.h>

#define ROOT PLACE_ROOT
#define ACC PLACE_ACCOUNT
#define POT PLACE_POT
#define TX INPUT_TRANSACTIONS
#define NAMES INPUT_POTS                           /* pot names for pot transfers */
#define BANK (INPUT_POTS | INPUT_ACCOUNTS)         /* names, and the account's details */

static const struct file_row files_table[FILE_KIND_COUNT] = {
	{ FILE_WHOAMI, "whoami.json", ROOT, INPUT_WHOAMI, 0, -1 },
	{ FILE_ACCOUNTS, "accounts.json", ROOT, INPUT_ACCOUNTS, 0, -1 },
	{ FILE_STATUS, ".status.json", ROOT, 0, 0, -1 },
	{ FILE_ACCOUNT, "account.json", ACC, INPUT_ACCOUNTS, 0, -1 },
	{ FILE_BALANCE, "balance.json", ACC, INPUT_BALANCE, 0, -1 },
	{ FILE_POTS, "pots.json", ACC, INPUT_POTS, 0, -1 },
	{ FILE_TX_JSON, "transactions.json", ACC | POT, TX, 0, VIEW_TRANSACTIONS_JSON },
	{ FILE_TX_CSV, "transactions.csv", ACC | POT, TX, NAMES, VIEW_TRANSACTIONS_CSV },
	{ FILE_PENDING_CSV, "pending.csv", ACC, TX, NAMES, VIEW_PENDING_CSV },
	{ FILE_DECLINED_CSV, "declined.csv", ACC, TX, NAMES, VIEW_DECLINED_CSV },
	{ FILE_MONTH_CSV, NULL, PLACE_MONTHS, TX, NAMES, VIEW_MONTH_CSV },
	{ FILE_MONTH_JSON, NULL, PLACE_MONTHS, TX, 0, VIEW_MONTH_JSON },
	{ FILE_TX_TSV, "transactions.tsv", ACC | POT, TX, BANK, VIEW_TSV },
	{ FILE_TX_OFX, "transactions.ofx", ACC | POT, TX, BANK, VIEW_OFX },
	{ FILE_TX_QIF, "transactions.qif", ACC | POT, TX, BANK, VIEW_QIF },
	{ FILE_TX_JOURNAL, "transactions.journal", ACC | POT, TX, BANK, VIEW_JOURNAL },
	{ FILE_TX_BEANCOUNT, "transactions.beancount", ACC | POT, TX, BANK, VIEW_BEANCOUNT },
	{ FILE_ROOT_TSV, "transactions.tsv", ROOT, INPUT_ACCOUNTS, INPUT_EVERY_ACCOUNT | TX | INPUT_POTS, -1 },
	{ FILE_ACCOUNTS_TSV, "accounts.tsv", ROOT, INPUT_ACCOUNTS, INPUT_EVERY_ACCOUNT | INPUT_BALANCE, -1 },
	{ FILE_POT, "pot.json", POT, INPUT_POTS, 0, -1 },
	{ FILE_REPORT_MONTHLY, "monthly.csv", PLACE_REPORTS, TX, BANK, -1 },
	{ FILE_REPORT_CATEGORIES, "categories.csv", PLACE_REPORTS, TX, BANK, -1 },
	{ FILE_REPORT_MERCHANTS, "merchants.csv", PLACE_REPORTS, TX, BANK, -1 },
	{ FILE_REPORT_SPENDING, "spending.svg", PLACE_REPORTS, TX, BANK, -1 },
	{ FILE_REPORT_BALANCE, "balance.svg", PLACE_REPORTS, TX, BANK, -1 },
	{ FILE_NETWORTH_CSV, "networth.csv", PLACE_ROOT_REPORTS, INPUT_ACCOUNTS, INPUT_EVERY_ACCOUNT | TX | INPUT_POTS,
	  -1 },
	{ FILE_NETWORTH_SVG, "networth.svg", PLACE_ROOT_REPORTS, INPUT_ACCOUNTS, INPUT_EVERY_ACCOUNT | TX | INPUT_POTS,
	  -1 },
	{ FILE_ATTACHMENT, NULL, PLACE_ATTACHMENTS, 0, 0, -1 },
};

const struct file_row *files_row(enum file_kind kind)
{
	return kind < FILE_KIND_COUNT && files_table[kind].kind == kind ? &files_table[kind] : NULL;
}

/* The listing order of a place: a pot's pot.json first (alone, until its ledger can
 * be had); otherwise the table's. */
static const enum file_kind files_order_pot[] = { FILE_POT, FILE_TX_JSON, FILE_TX_CSV, FILE_TX_TSV, FILE_TX_OFX,
						  FILE_TX_QIF, FILE_TX_JOURNAL, FILE_TX_BEANCOUNT };

const struct file_row *files_listed(enum file_place place, size_t i)
{
	if (place == PLACE_POT)
		return i < sizeof files_order_pot / sizeof *files_order_pot ? files_row(files_order_pot[i]) : NULL;
	for (size_t k = 0; k < FILE_KIND_COUNT; k++)
		if ((files_table[k].places & place) && files_table[k].name && i-- == 0)
			return &files_table[k];
	return NULL;
}

const struct file_row *files_named(enum file_place place, const char *name)
{
	for (size_t k = 0; k < FILE_KIND_COUNT; k++)
		if ((files_table[k].places & place) && files_table[k].name && !strcmp(files_table[k].name, name))
			return &files_table[k];
	return NULL;
}
