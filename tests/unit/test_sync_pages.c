/* Unit tests of sync_pages: a page's scan (ids seen, its first and last times, where
 * its transactions lie) and the spool that keeps pages with their spans between
 * fetching and storing, including a spool that does not read back whole. */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sync_pages.h"

static const char page1[] = "{\"transactions\":[{\"id\":\"tx_1\",\"created\":\"2026-01-01T10:00:00Z\",\"notes\":\"a]\\\"\"},"
			    " {\"id\":\"tx_2\",\"created\":\"2026-01-02T10:00:00.5Z\"}]}";
static const char page2[] = "{\"transactions\":[]}";

int main(void)
{
	struct sync_seen seen;
	struct sync_page_info info;
	struct jsonspan *spans;
	sync_seen_init(&seen);
	CHECK(sync_page_scan(page1, sizeof page1 - 1, &seen, &info, &spans) == 0 && info.count == 2);
	CHECK_STR(info.last_id, "tx_2");
	CHECK(info.first_created == 1767261600 && info.last_created == 1767348000);
	sync_seen_sort(&seen);
	CHECK(sync_seen_has(&seen, "tx_1") && sync_seen_has(&seen, "tx_2") && !sync_seen_has(&seen, "tx_3"));

	/* Two pages out and back: the same bodies, spans at the same offsets. */
	FILE *f = tmpfile();
	CHECK(f != NULL);
	CHECK(sync_spool_put(f, page1, sizeof page1 - 1, spans, info.count) == 0);
	struct jsonspan *none;
	struct sync_page_info empty;
	CHECK(sync_page_scan(page2, sizeof page2 - 1, NULL, &empty, &none) == 0 && empty.count == 0);
	CHECK(sync_spool_put(f, page2, sizeof page2 - 1, none, 0) == 0);
	free(none);
	rewind(f);
	struct strbuf body = STRBUF_INIT;
	struct jsonspan *back;
	long n;
	CHECK(sync_spool_get(f, &body, &back, &n) == 1 && n == 2);
	CHECK_STR(body.buf, page1);
	for (long i = 0; i < n; i++)
		CHECK(back[i].p - body.buf == spans[i].p - page1 && back[i].len == spans[i].len);
	free(back);
	CHECK(sync_spool_get(f, &body, &back, &n) == 1 && n == 0 && back == NULL);
	CHECK_STR(body.buf, page2);
	CHECK(sync_spool_get(f, &body, &back, &n) == 0);
	free(spans);

	/* An amount, local amount or category amount beyond ±10^15 minor units makes the
	 * page bad input, told apart from a page that is not JSON. */
	static const char *const beyond[] = {
		"{\"transactions\":[{\"id\":\"tx_1\",\"created\":\"2026-01-01T10:00:00Z\",\"amount\":1e300}]}",
		"{\"transactions\":[{\"id\":\"tx_1\",\"created\":\"2026-01-01T10:00:00Z\",\"local_amount\":-9223372036854775808}]}",
		"{\"transactions\":[{\"id\":\"tx_1\",\"created\":\"2026-01-01T10:00:00Z\",\"categories\":{\"a\":1000000000000001}}]}",
	};
	for (size_t i = 0; i < sizeof beyond / sizeof beyond[0]; i++) {
		struct jsonspan *s = NULL;
		struct sync_page_info bi;
		CHECK(sync_page_scan(beyond[i], strlen(beyond[i]), NULL, &bi, &s) == -ERANGE && s == NULL);
	}
	static const char edge[] = "{\"transactions\":[{\"id\":\"tx_1\",\"created\":\"2026-01-01T10:00:00Z\","
				   "\"amount\":-1000000000000000,\"categories\":{\"a\":-1000000000000000}}]}";
	struct jsonspan *es;
	struct sync_page_info ei;
	CHECK(sync_page_scan(edge, sizeof edge - 1, NULL, &ei, &es) == 0 && ei.count == 1);
	free(es);
	CHECK(sync_page_scan("{\"transactions\":[{\"id\":1}]}", 26, NULL, &ei, &es) == -EBADMSG);

	/* A spool cut short or with a span outside its page is refused. */
	long size = ftell(f);
	for (long cut = 1; cut < size; cut += 7) {
		rewind(f);
		char *bytes = malloc((size_t)size);
		CHECK(fread(bytes, 1, (size_t)size, f) == (size_t)size);
		FILE *g = tmpfile();
		CHECK(fwrite(bytes, 1, (size_t)cut, g) == (size_t)cut);
		rewind(g);
		int rc;
		while ((rc = sync_spool_get(g, &body, &back, &n)) == 1)
			free(back);
		/* Cut at a page's end reads as the end; anywhere else is an error. */
		CHECK(rc == -EIO || cut == (long)(8 + sizeof page1 - 1 + 8 + 2 * 16));
		fclose(g);
		free(bytes);
	}
	uint64_t bad[] = { 2, 1, 1, 5 };   /* a 2-byte page whose one span runs past it */
	FILE *g = tmpfile();
	CHECK(fwrite(bad, 8, 1, g) == 1 && fwrite("{}", 1, 2, g) == 2 && fwrite(bad + 1, 8, 3, g) == 3);
	rewind(g);
	CHECK(sync_spool_get(g, &body, &back, &n) == -EIO);
	fclose(g);
	fclose(f);
	sb_release(&body);
	sync_seen_release(&seen);
	return CHECK_DONE();
}
