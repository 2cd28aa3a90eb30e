/* Unit test of sync_writer: a batch that meets another connection's hold on the store
 * is written again once the hold is gone, instead of failing the capture (a reader of
 * the store, another mount or the login must not cost it what it fetched).  The
 * writer's connection waits no time for locks; its busy handler tells the test when a
 * try has failed, and holds the next try until the other connection lets go, so no
 * clock decides the outcome. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "check.h"
#include "store.h"
#include "store_internal.h"
#include "sync_pages.h"
#include "sync_writer.h"
#include "xalloc.h"

struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int failed;               /* tries the busy handler let fail */
	bool released;            /* the other connection has committed */
};

static struct gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false };

/* The first try fails at once; a later one waits for the hold to end, then retries. */
static int busy(void *ctx, int count)
{
	struct gate *g = ctx;
	pthread_mutex_lock(&g->lock);
	int go_on = 0;
	if (!g->failed && count == 0) {
		g->failed = 1;
		pthread_cond_broadcast(&g->cond);
	} else {
		while (!g->released)
			pthread_cond_wait(&g->cond, &g->lock);
		go_on = 1;
	}
	pthread_mutex_unlock(&g->lock);
	return go_on;
}

static const char page[] =
	"{\"transactions\":["
	"{\"id\":\"tx_1\",\"account_id\":\"acc\",\"created\":\"2024-01-01T00:00:00Z\",\"amount\":-1,\"currency\":\"GBP\"},"
	"{\"id\":\"tx_2\",\"account_id\":\"acc\",\"created\":\"2024-01-02T00:00:00Z\",\"amount\":-2,\"currency\":\"GBP\"}]}";

static int count_rows(void *ctx, const struct tx_row *r)
{
	(*(int *)ctx)++;
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/monzohfs-writer-XXXXXX";
	CHECK(mkdtemp(dir));
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	sb_addf(&path, "%s/history.sqlite3", dir);
	struct store *mine, *other;
	CHECK(store_open(path.buf, &mine, &err) == 0 && store_open(path.buf, &other, &err) == 0);
	sqlite3_busy_handler(store_sqlite(mine), busy, &gate);

	/* The other connection holds the write lock. */
	CHECK(store_begin(other) == 0);

	struct sync_fetch *j = xcalloc(1, sizeof *j);
	monzo_reply_init(&j->reply);
	sb_adds(&j->reply.body, page);
	struct sync_page_info info;
	CHECK(sync_page_scan(j->reply.body.buf, j->reply.body.len, NULL, &info, &j->spans) == 0);
	j->keep_to = info.count;
	struct sync_writer *w = sync_writer_new(mine, "acc", 1, true);
	CHECK(w && sync_writer_give(w, j, NULL, 0, true) == 0);

	/* Once a try has failed, the hold ends. */
	pthread_mutex_lock(&gate.lock);
	while (!gate.failed)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
	CHECK(store_commit(other) == 0);
	pthread_mutex_lock(&gate.lock);
	gate.released = true;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);

	int64_t changed, newest;
	char why[256] = "";
	CHECK(sync_writer_finish(w, &changed, &newest, why, sizeof why) == 0);
	if (*why)
		fprintf(stderr, "the writer failed: %s\n", why);
	CHECK(changed == 2);
	sync_writer_free(w);
	int rows = 0;
	CHECK(store_each_transaction(other, "acc", INT64_MIN, INT64_MAX, false, count_rows, &rows) == 0 && rows == 2);

	store_close(mine);
	store_close(other);
	sb_release(&err);
	struct strbuf rm = STRBUF_INIT;
	sb_addf(&rm, "rm -rf '%s'", dir);
	CHECK(system(rm.buf) == 0);
	sb_release(&rm);
	sb_release(&path);
	return CHECK_DONE();
}
