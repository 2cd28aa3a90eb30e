/* Unit tests of view's sums: a history whose amounts are each within the limit but
 * whose sum does not fit in 64 bits (9,300 of 10^15 minor units) makes the files that
 * count (the CSVs' Balance, the journals' totals) fail, with no overflow on the way
 * (the sanitizer build checks), while transactions.json, which counts nothing, is
 * made; the month sums say they cannot give a prefix past the overflow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "check.h"
#include "localtime.h"
#include "store.h"
#include "view.h"

#define ROWS 9300

int main(void)
{
	char dir[] = "/tmp/monzohfs-view-XXXXXX";
	CHECK(mkdtemp(dir));
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT, tx = STRBUF_INIT;
	sb_addf(&path, "%s/history.sqlite3", dir);
	CHECK(localtime_set_zone("Europe/London", &err) == 0);
	struct store *s;
	CHECK(store_open(path.buf, &s, &err) == 0);
	CHECK(store_begin_bulk(s, ROWS) == 0);
	for (int i = 0; i < ROWS; i++) {
		bool changed;
		sb_reset(&tx);
		/* Half in January, half in February: each month's sum fits, both do not. */
		sb_addf(&tx, "{\"id\":\"tx_%05d\",\"account_id\":\"acc\",\"created\":\"2024-%02d-10T12:00:00Z\","
			     "\"settled\":\"2024-03-01T00:00:00Z\",\"amount\":%lld,\"currency\":\"GBP\"}",
			i, i < ROWS / 2 ? 1 : 2, (long long)AMOUNT_LIMIT);
		CHECK(store_insert_transaction(s, tx.buf, tx.len, 1, &changed, NULL) == 0);
	}
	CHECK(store_commit(s) == 0);

	struct view_input in = { .store = s, .account_id = "acc", .have_balance = true, .balance = 0,
				 .have_sums = true, .total = 0, .prefix = 0 };
	struct strbuf out = STRBUF_INIT;
	CHECK(store_begin_read(s) == 0);
	CHECK(view_render(VIEW_TRANSACTIONS_CSV, &in, &out) < 0);
	sb_reset(&out);
	CHECK(view_render(VIEW_JOURNAL, &in, &out) < 0);
	sb_reset(&out);
	CHECK(view_render(VIEW_BEANCOUNT, &in, &out) < 0);
	sb_reset(&out);
	CHECK(view_render(VIEW_TRANSACTIONS_JSON, &in, &out) == 0 && strstr(out.buf, "tx_09299"));
	sb_reset(&out);
	/* Without the caller's sums, the store's SUM refuses to overflow too. */
	in.have_sums = false;
	CHECK(view_render(VIEW_TRANSACTIONS_CSV, &in, &out) < 0);

	struct view_sums sums;
	CHECK(view_sums_read(s, "acc", &sums) == 0 && sums.n == 2);
	int64_t prefix = -1;
	CHECK(view_sums_before(&sums, sums.start[1], &prefix) && prefix == sums.sum[0]);
	/* A third month after both would need their sum: it does not fit. */
	struct view_sums three = sums;
	int64_t start[3] = { sums.start[0], sums.start[1], sums.start[1] + 86400 * 31 };
	int64_t sum[3] = { INT64_MAX, INT64_MAX, 0 };
	three.n = 3;
	three.start = start;
	three.sum = sum;
	CHECK(!view_sums_before(&three, start[2], &prefix));
	view_sums_release(&sums);
	store_rollback(s);
	store_close(s);

	sb_release(&out);
	sb_release(&tx);
	sb_release(&path);
	sb_release(&err);
	char rm[96];
	snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
	CHECK(system(rm) == 0);
	return CHECK_DONE();
}
