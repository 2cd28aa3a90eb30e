/* Fuzz target: an API transactions page into the store, then every file rendered
 * from it (CSV, JSON, TSV, OFX, QIF, journal, beancount), and the page itself as a
 * JSON document. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "jsonspan.h"
#include "localtime.h"
#include "render_json.h"
#include "store.h"
#include "view.h"

static struct store *fuzz_store;

static void fuzz_setup(void)
{
	/* A private directory of its own: the store refuses one others may write to. */
	char dir[] = "/tmp/monzohfs-fuzz-XXXXXX", path[64];
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/history.sqlite3", dir);
	struct strbuf err = STRBUF_INIT;
	localtime_set_zone("Europe/London", &err);
	if (store_open(path, &fuzz_store, &err) < 0) {
		fprintf(stderr, "store: %s\n", err.buf);
		abort();
	}
	sb_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fuzz_store)
		fuzz_setup();
	const char *text = (const char *)data;
	cJSON *doc = cJSON_ParseWithLength(text, size);
	if (doc) {
		struct strbuf out = STRBUF_INIT;
		render_json_document(doc, &out);
		render_json_pots(doc, &out);
		sb_release(&out);
		cJSON_Delete(doc);
	}
	struct jsonspan *spans;
	long n = jsonspan_array(text, size, "transactions", JSONSPAN_TRUST, &spans);
	if (n < 0)
		return 0;
	store_begin(fuzz_store);
	for (long i = 0; i < n; i++) {
		bool changed;
		store_upsert_transaction(fuzz_store, spans[i].p, spans[i].len, 1, &changed, NULL);
	}
	free(spans);
	cJSON *pots = cJSON_Parse("{\"pots\":[{\"id\":\"pot_1\",\"name\":\"P \\u00e9\"}]}");
	cJSON *account = cJSON_Parse("{\"id\":\"acc\",\"currency\":\"GBP\",\"sort_code\":\"040004\"}");
	static const char *const accounts[] = { "acc", "acc_1", "" };
	for (size_t a = 0; a < sizeof accounts / sizeof accounts[0]; a++) {
		for (int kind = VIEW_TRANSACTIONS_JSON; kind <= VIEW_BEANCOUNT; kind++) {
			struct view_input in = { .store = fuzz_store, .account_id = accounts[a], .pots = pots,
						 .have_balance = true, .balance = 12345, .month = "2024-06",
						 .account = account, .link_name = "current" };
			struct strbuf out = STRBUF_INIT;
			view_render((enum view_kind)kind, &in, &out);
			sb_release(&out);
		}
		char (*months)[8];
		size_t nm;
		if (view_months(fuzz_store, accounts[a], &months, &nm) == 0)
			free(months);
	}
	cJSON_Delete(pots);
	cJSON_Delete(account);
	store_rollback(fuzz_store);
	return 0;
}
