/* Unit tests of view: every transaction file renders all its rows through the flush
 * it is given, and stops at the first flush that fails (a memory file that cannot be
 * written) instead of piling the rest of the file on the heap. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "store.h"
#include "view.h"

#define ROWS 50

struct flush_count {
	int calls;
	int fail_at;   /* the call that fails (0: none) */
};

static int count_flush(void *ctx, struct strbuf *out)
{
	struct flush_count *f = ctx;
	(void)out;
	return ++f->calls == f->fail_at ? -1 : 0;
}

static void check_kind(struct store *s, enum view_kind kind)
{
	struct view_input in = { .store = s, .account_id = "acc", .flush = count_flush };
	struct strbuf out = STRBUF_INIT;
	struct flush_count all = { 0, 0 }, failing = { 0, 1 };
	in.flush_ctx = &all;
	CHECK(view_render(kind, &in, &out) == 0);
	CHECK(all.calls == ROWS);
	sb_reset(&out);
	in.flush_ctx = &failing;
	CHECK(view_render(kind, &in, &out) < 0);
	if (failing.calls != 1)
		fprintf(stderr, "view kind %d went on for %d rows after its flush failed\n", (int)kind, failing.calls - 1);
	CHECK(failing.calls == 1);
	sb_release(&out);
}

int main(void)
{
	char dir[] = "/tmp/monzohfs-view-XXXXXX";
	CHECK(mkdtemp(dir));
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT, tx = STRBUF_INIT;
	sb_addf(&path, "%s/history.sqlite3", dir);
	struct store *s;
	CHECK(store_open(path.buf, &s, &err) == 0);
	CHECK(store_begin(s) == 0);
	for (int i = 0; i < ROWS; i++) {
		bool changed;
		sb_reset(&tx);
		sb_addf(&tx, "{\"id\":\"tx_%03d\",\"account_id\":\"acc\",\"created\":\"2024-01-%02dT10:00:00Z\","
			"\"settled\":\"2024-01-%02dT12:00:00Z\",\"amount\":%d,\"currency\":\"GBP\",\"description\":\"row\"}",
			i, 1 + i % 28, 1 + i % 28, -100 - i);
		CHECK(store_upsert_transaction(s, tx.buf, tx.len, 1, &changed, NULL) == 0);
	}
	CHECK(store_commit(s) == 0);
	CHECK(store_begin_read(s) == 0);
	const enum view_kind kinds[] = { VIEW_TRANSACTIONS_JSON, VIEW_TRANSACTIONS_CSV, VIEW_TSV, VIEW_OFX,
					 VIEW_QIF, VIEW_JOURNAL, VIEW_BEANCOUNT };
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		check_kind(s, kinds[i]);
	store_rollback(s);
	store_close(s);
	sb_release(&tx);
	sb_release(&err);
	unlink(path.buf);
	sb_addf(&path, "-wal");
	unlink(path.buf);
	sb_reset(&path);
	sb_addf(&path, "%s/history.sqlite3-shm", dir);
	unlink(path.buf);
	rmdir(dir);
	sb_release(&path);
	return CHECK_DONE();
}
