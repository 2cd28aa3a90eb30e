/* Unit test of every file a ledger makes, through render_file: one fixed set of rows
 * (a BST night, a foreign payment, a salary whose reference has a comma and quotes,
 * a pending one, a declined one, a stranger's formula, a pot transfer and the pot's
 * own ledger) rendered as each kind, compared byte for byte with tests/unit/golden.
 * A writer that changes its output shows here in milliseconds; MONZOHFS_UPDATE_GOLDEN=1
 * writes the files anew (read the diff before committing them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "render_file.h"
#include "smallfile.h"
#include "store.h"

static const char *const rows[] = {
	/* The night the clocks go forward: 23:30 UTC is still the 30th in London. */
	"{\"id\":\"tx_01\",\"account_id\":\"acc_1\",\"created\":\"2024-03-30T23:30:00.000Z\","
	"\"settled\":\"2024-03-31T05:00:00.000Z\",\"amount\":-1234,\"currency\":\"GBP\",\"local_amount\":-1234,"
	"\"local_currency\":\"GBP\",\"scheme\":\"mastercard\",\"category\":\"groceries\",\"description\":\"TESCO STORES\","
	"\"merchant\":{\"id\":\"merch_1\",\"name\":\"Tesco\",\"emoji\":\"\\ud83d\\uded2\"},\"notes\":\"\","
	"\"include_in_spending\":true}",
	"{\"id\":\"tx_02\",\"account_id\":\"acc_1\",\"created\":\"2024-03-31T01:30:00.000Z\","
	"\"settled\":\"2024-04-01T09:00:00.000Z\",\"amount\":-850,\"currency\":\"GBP\",\"local_amount\":-1000,"
	"\"local_currency\":\"EUR\",\"scheme\":\"mastercard\",\"category\":\"eating_out\",\"description\":\"CAFE PARIS\","
	"\"merchant\":{\"id\":\"merch_2\",\"name\":\"Caf\\u00e9 de Paris\"},\"include_in_spending\":true}",
	"{\"id\":\"tx_03\",\"account_id\":\"acc_1\",\"created\":\"2024-03-28T08:00:00.000Z\","
	"\"settled\":\"2024-03-28T08:00:00.000Z\",\"amount\":250000,\"currency\":\"GBP\",\"local_amount\":250000,"
	"\"local_currency\":\"GBP\",\"scheme\":\"payport_faster_payments\",\"category\":\"income\","
	"\"description\":\"Salary, \\\"March\\\"\",\"counterparty\":{\"name\":\"ACME Ltd\"},\"include_in_spending\":false}",
	"{\"id\":\"tx_04\",\"account_id\":\"acc_1\",\"created\":\"2024-04-02T12:00:00.000Z\",\"settled\":\"\","
	"\"amount\":-500,\"currency\":\"GBP\",\"local_amount\":-500,\"local_currency\":\"GBP\",\"scheme\":\"mastercard\","
	"\"category\":\"transport\",\"description\":\"TFL\",\"include_in_spending\":true}",
	"{\"id\":\"tx_05\",\"account_id\":\"acc_1\",\"created\":\"2024-04-02T13:00:00.000Z\",\"settled\":\"\","
	"\"amount\":-99999,\"currency\":\"GBP\",\"local_amount\":-99999,\"local_currency\":\"GBP\",\"scheme\":\"mastercard\","
	"\"category\":\"shopping\",\"description\":\"BIG TV\",\"decline_reason\":\"INSUFFICIENT_FUNDS\"}",
	"{\"id\":\"tx_06\",\"account_id\":\"acc_1\",\"created\":\"2024-04-01T10:00:00.000Z\","
	"\"settled\":\"2024-04-01T10:00:00.000Z\",\"amount\":-1,\"currency\":\"GBP\",\"local_amount\":-1,"
	"\"local_currency\":\"GBP\",\"scheme\":\"payport_faster_payments\",\"category\":\"general\","
	"\"description\":\"=HYPERLINK(\\\"http://x\\\")\\n<b>&\",\"counterparty\":{\"name\":\"+stranger\"},"
	"\"notes\":\"@note\\ttab\",\"include_in_spending\":true}",
	"{\"id\":\"tx_07\",\"account_id\":\"acc_1\",\"created\":\"2024-04-01T11:00:00.000Z\","
	"\"settled\":\"2024-04-01T11:00:00.000Z\",\"amount\":-10000,\"currency\":\"GBP\",\"local_amount\":-10000,"
	"\"local_currency\":\"GBP\",\"scheme\":\"uk_retail_pot\",\"category\":\"savings\",\"description\":\"pot_1\","
	"\"metadata\":{\"pot_id\":\"pot_1\",\"pot_account_id\":\"acc_pot\"},\"include_in_spending\":false}",
	/* The pot's own ledger: the same money arriving. */
	"{\"id\":\"tx_08\",\"account_id\":\"acc_pot\",\"created\":\"2024-04-01T11:00:00.000Z\","
	"\"settled\":\"2024-04-01T11:00:00.000Z\",\"amount\":10000,\"currency\":\"GBP\",\"local_amount\":10000,"
	"\"local_currency\":\"GBP\",\"scheme\":\"uk_retail_pot\",\"category\":\"savings\",\"description\":\"acc_1\","
	"\"include_in_spending\":false}",
};

static const char accounts_json[] =
	"{\"accounts\":[{\"id\":\"acc_1\",\"description\":\"user_1\",\"type\":\"uk_retail\",\"currency\":\"GBP\","
	"\"country_code\":\"GB\",\"sort_code\":\"040004\",\"account_number\":\"12345678\",\"closed\":false,"
	"\"created\":\"2020-01-01T00:00:00.000Z\"}]}";
static const char pots_json[] =
	"{\"pots\":[{\"id\":\"pot_1\",\"name\":\"Rainy <day>\",\"balance\":10000,\"currency\":\"GBP\","
	"\"current_account_id\":\"acc_1\",\"deleted\":false}]}";
static const char balance_json[] = "{\"balance\":138417,\"total_balance\":148417,\"currency\":\"GBP\","
				   "\"spend_today\":0}";

struct golden {
	enum file_kind kind;
	const char *pot;           /* a pot's file: the pot */
	const char *month;
	const char *file;
};

static const struct golden goldens[] = {
	{ FILE_TX_JSON, NULL, NULL, "transactions.json" },
	{ FILE_TX_CSV, NULL, NULL, "transactions.csv" },
	{ FILE_PENDING_CSV, NULL, NULL, "pending.csv" },
	{ FILE_DECLINED_CSV, NULL, NULL, "declined.csv" },
	{ FILE_MONTH_CSV, NULL, "2024-03", "2024-03.csv" },
	{ FILE_MONTH_JSON, NULL, "2024-04", "2024-04.json" },
	{ FILE_TX_TSV, NULL, NULL, "transactions.tsv" },
	{ FILE_TX_OFX, NULL, NULL, "transactions.ofx" },
	{ FILE_TX_QIF, NULL, NULL, "transactions.qif" },
	{ FILE_TX_JOURNAL, NULL, NULL, "transactions.journal" },
	{ FILE_TX_BEANCOUNT, NULL, NULL, "transactions.beancount" },
	{ FILE_TX_CSV, "pot_1", NULL, "pot-transactions.csv" },
	{ FILE_ROOT_TSV, NULL, NULL, "root-transactions.tsv" },
	{ FILE_ACCOUNTS_TSV, NULL, NULL, "accounts.tsv" },
};

static void check_golden(const char *dir, const struct golden *g, const struct render_inputs *base)
{
	struct file_id id = { .kind = g->kind };
	snprintf(id.account, sizeof id.account, "%s", "acc_1");
	if (g->pot)
		snprintf(id.pot, sizeof id.pot, "%s", g->pot);
	if (g->month)
		snprintf(id.month, sizeof id.month, "%s", g->month);
	struct render_inputs in = *base;
	struct strbuf out = STRBUF_INIT;
	int rc = render_file(&id, &in, &out);
	CHECK(rc == 0);
	struct strbuf path = STRBUF_INIT;
	sb_addf(&path, "%s/%s", dir, g->file);
	if (getenv("MONZOHFS_UPDATE_GOLDEN")) {
		FILE *f = fopen(path.buf, "wb");
		CHECK(f && fwrite(out.buf, 1, out.len, f) == out.len && fclose(f) == 0);
	} else {
		struct strbuf want = STRBUF_INIT;
		const char *why;
		bool same = smallfile_read(path.buf, 1 << 20, &want, &why) == 0 && want.len == out.len &&
			    !memcmp(want.buf, out.buf, out.len);
		if (!same) {
			/* What it made, beside the build, to compare with the golden file. */
			struct strbuf got = STRBUF_INIT;
			sb_addf(&got, "%s.got", g->file);
			FILE *f = fopen(got.buf, "wb");
			if (f) {
				fwrite(out.buf, 1, out.len, f);
				fclose(f);
			}
			fprintf(stderr, "%s differs from %s: see %s\n", g->file, path.buf, got.buf);
			sb_release(&got);
		}
		CHECK(same);
		sb_release(&want);
	}
	sb_release(&path);
	sb_release(&out);
}

int main(int argc, char **argv)
{
	CHECK(argc == 2);
	if (argc != 2)
		return CHECK_DONE();
	char dir[] = "/tmp/monzohfs-writers-XXXXXX";
	CHECK(mkdtemp(dir));
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	sb_addf(&path, "%s/history.sqlite3", dir);
	struct store *s;
	CHECK(store_open(path.buf, &s, &err) == 0);
	CHECK(store_begin(s) == 0);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		bool changed;
		CHECK(store_upsert_transaction(s, rows[i], strlen(rows[i]), 1, &changed, NULL) == 0 && changed);
	}
	/* The balance the sync took with the rows: the Balance column counts back from it. */
	struct sync_state st = { .known = true, .history_complete = true, .version = 1,
				 .balance_json = (char *)balance_json };
	CHECK(store_put_sync_state(s, "acc_1", &st) == 0);
	CHECK(store_commit(s) == 0);

	cJSON *accounts = cJSON_Parse(accounts_json), *pots = cJSON_Parse(pots_json),
	      *balance = cJSON_Parse(balance_json);
	static const char links[1][96] = { "current" };
	const cJSON *balances[1] = { balance };
	struct render_ledger ledgers[2] = {
		{ .account = "acc_1", .pots = pots },
		{ .account = "acc_pot", .pot_of = "acc_1", .pot = "pot_1", .pots = pots },
	};
	struct render_inputs in = {
		.doc = accounts,
		.accounts = accounts,
		.links = links,
		.nlinks = 1,
		.pots = pots,
		.pot_account = "acc_pot",
		.ledgers = ledgers,
		.nledgers = 2,
		.balances = balances,
		.nbalances = 1,
		.store = s,
	};
	for (size_t i = 0; i < sizeof goldens / sizeof goldens[0]; i++)
		check_golden(argv[1], &goldens[i], &in);
	/* A pot that has gone is not a file. */
	struct file_id gone = { .kind = FILE_POT, .account = "acc_1", .pot = "pot_gone" };
	struct strbuf out = STRBUF_INIT;
	in.doc = pots;
	CHECK(render_file(&gone, &in, &out) == -ENOENT);
	sb_release(&out);

	cJSON_Delete(accounts);
	cJSON_Delete(pots);
	cJSON_Delete(balance);
	store_close(s);
	sb_release(&err);
	const char *suffixes[] = { "", "-wal", "-shm" };
	for (size_t i = 0; i < 3; i++) {
		sb_reset(&path);
		sb_addf(&path, "%s/history.sqlite3%s", dir, suffixes[i]);
		unlink(path.buf);
	}
	sb_reset(&path);
	sb_addf(&path, "%s/blobs", dir);
	rmdir(path.buf);
	rmdir(dir);
	sb_release(&path);
	return CHECK_DONE();
}
