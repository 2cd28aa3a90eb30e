/* Unit tests of the table of file kinds: a row per kind at its place in the enum, one
 * name per place, the listing orders the tree shows, and what each kind is made from. */
#include <string.h>

#include "check.h"
#include "files.h"

static size_t listed(enum file_place place, const char *want)
{
	char got[512] = "";
	const struct file_row *row;
	size_t n = 0;
	for (; (row = files_listed(place, n)); n++) {
		strcat(got, n ? " " : "");
		strcat(got, row->name);
		/* Every name listed is found again by its name. */
		CHECK(files_named(place, row->name) == row);
	}
	CHECK_STR(got, want);
	return n;
}

int main(void)
{
	for (int k = 0; k < FILE_KIND_COUNT; k++) {
		const struct file_row *row = files_row((enum file_kind)k);
		CHECK(row && (int)row->kind == k);
		/* Named by the table, or by their month or attachment. */
		CHECK(!row->name == ((row->places & (PLACE_MONTHS | PLACE_ATTACHMENTS)) != 0));
		/* A transaction file has a view, a report is made by summary; a pot's files
		 * are transaction files or pot.json. */
		if (row->needs & INPUT_TRANSACTIONS)
			CHECK(row->view >= 0 || row->places == PLACE_REPORTS);
		if (row->places & PLACE_POT)
			CHECK(row->kind == FILE_POT || (row->needs & INPUT_TRANSACTIONS));
	}
	CHECK(files_row(FILE_KIND_COUNT) == NULL);
	listed(PLACE_REPORTS, "monthly.csv categories.csv merchants.csv spending.svg balance.svg");
	listed(PLACE_ROOT_REPORTS, "networth.csv networth.svg");
	listed(PLACE_ROOT, "whoami.json accounts.json .status.json transactions.tsv accounts.tsv");
	listed(PLACE_ACCOUNT, "account.json balance.json pots.json transactions.json transactions.csv pending.csv "
			      "declined.csv transactions.tsv transactions.ofx transactions.qif transactions.journal "
			      "transactions.beancount");
	listed(PLACE_POT, "pot.json transactions.json transactions.csv transactions.tsv transactions.ofx "
			  "transactions.qif transactions.journal transactions.beancount");
	/* One name, two kinds by place: the top TSV gathers every account's. */
	CHECK(files_named(PLACE_ROOT, "transactions.tsv")->kind == FILE_ROOT_TSV);
	CHECK(files_named(PLACE_ACCOUNT, "transactions.tsv")->kind == FILE_TX_TSV);
	CHECK(files_named(PLACE_ROOT, "balance.json") == NULL && files_named(PLACE_POT, "pending.csv") == NULL);
	CHECK(files_row(FILE_ROOT_TSV)->wants & INPUT_EVERY_ACCOUNT);
	/* The import formats are made with the account's details; the JSON with nothing more. */
	CHECK(files_row(FILE_TX_OFX)->wants & INPUT_ACCOUNTS);
	CHECK(files_row(FILE_TX_JSON)->wants == 0);
	return CHECK_DONE();
}
