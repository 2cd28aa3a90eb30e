/* sync_writer: one batch at a time; the capture gives the next while one is written,
 * so fetching and writing overlap and memory holds at most two batches. */
#include "sync_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sync_internal.h"
#include "xalloc.h"

struct sync_writer {
	struct store *st;
	const char *account;
	int64_t sync_no;
	bool first;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t given, written;
	struct sync_fetch *batch;
	struct store_window *wins;
	size_t nwins;
	bool busy, stop, failed;
	char why[256];
	int64_t changed, newest;
};

/* One SQLite transaction: the batch's transactions, then its windows.  *transient:
 * it failed because another connection held the database. */
static int sync_writer_try(struct sync_writer *w, struct sync_fetch *batch, const struct store_window *wins,
			   size_t n, int64_t *changed, int64_t *newest, bool *transient)
{
	bool tombstones;
	int rc = -EIO;
	*transient = false;
	if (store_begin(w->st) < 0 || store_any_removed_after(w->st, w->account, w->sync_no, &tombstones) < 0)
		goto out;
	for (struct sync_fetch *j = batch; j; j = j->next)
		if ((rc = sync_store_page(w->st, j->spans + j->keep_from, j->keep_to - j->keep_from, w->first,
					  tombstones, w->sync_no, changed, newest)) < 0)
			goto out;
	rc = -EIO;
	for (size_t i = 0; i < n; i++)
		if (store_window_put(w->st, w->account, &wins[i]) < 0)
			goto out;
	rc = store_commit(w->st) < 0 ? -EIO : 0;
out:
	if (rc < 0) {
		*transient = rc == -EIO && store_transient(w->st);
		snprintf(w->why, sizeof w->why, rc == -EBADMSG ? "the transactions reply is not the JSON expected"
							  : "the history store: %s", store_errmsg(w->st));
		store_rollback(w->st);
	}
	return rc;
}

/* The batch, tried again while another connection's hold on the database is what
 * failed it: a reader of the store (another mount, the login, a backup) must not cost
 * the capture what it fetched. */
static int sync_writer_write(struct sync_writer *w, struct sync_fetch *batch, const struct store_window *wins,
			     size_t n, int64_t *changed, int64_t *newest)
{
	for (int tries = 1;; tries++) {
		int64_t ch = 0, nw = INT64_MIN;
		bool transient;
		int rc = sync_writer_try(w, batch, wins, n, &ch, &nw, &transient);
		if (!rc) {
			*changed += ch;
			if (nw > *newest)
				*newest = nw;
		}
		if (!rc || !transient || tries == STORE_TRIES)
			return rc;
		log_info("the history store was busy (%s); writing the capture's batch again", w->why);
		struct timespec pause = { 0, 100000000L * tries };
		nanosleep(&pause, NULL);
	}
}

static void *sync_writer_main(void *arg)
{
	struct sync_writer *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->busy && !w->stop)
			pthread_cond_wait(&w->given, &w->lock);
		if (!w->busy)
			break;
		struct sync_fetch *batch = w->batch;
		struct store_window *wins = w->wins;
		size_t n = w->nwins;
		bool failed = w->failed;
		pthread_mutex_unlock(&w->lock);
		int64_t changed = 0, newest = INT64_MIN;
		int rc = failed ? -1 : sync_writer_write(w, batch, wins, n, &changed, &newest);
		sync_fetch_free_list(batch);
		free(wins);
		pthread_mutex_lock(&w->lock);
		w->failed |= rc < 0;
		w->changed += changed;
		if (newest > w->newest)
			w->newest = newest;
		w->batch = NULL;
		w->wins = NULL;
		w->busy = false;
		pthread_cond_broadcast(&w->written);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct sync_writer *sync_writer_new(struct store *st, const char *account, int64_t sync_no, bool first)
{
	struct sync_writer *w = xcalloc(1, sizeof *w);
	w->st = st;
	w->account = account;
	w->sync_no = sync_no;
	w->first = first;
	w->newest = INT64_MIN;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->given, NULL);
	pthread_cond_init(&w->written, NULL);
	if (pthread_create(&w->thread, NULL, sync_writer_main, w) != 0) {
		sync_writer_free(w);
		return NULL;
	}
	w->started = true;
	return w;
}

int sync_writer_give(struct sync_writer *w, struct sync_fetch *batch, struct store_window *wins, size_t n,
		     bool wait)
{
	pthread_mutex_lock(&w->lock);
	while (w->busy && wait)
		pthread_cond_wait(&w->written, &w->lock);
	int rc = w->failed ? -1 : w->busy ? 1 : 0;
	if (rc == 0) {
		w->batch = batch;
		w->wins = wins;
		w->nwins = n;
		w->busy = true;
		pthread_cond_signal(&w->given);
	}
	pthread_mutex_unlock(&w->lock);
	if (rc < 0) {
		sync_fetch_free_list(batch);
		free(wins);
	}
	return rc;
}

const char *sync_writer_error(struct sync_writer *w)
{
	pthread_mutex_lock(&w->lock);
	const char *why = w->failed ? w->why : "";
	pthread_mutex_unlock(&w->lock);
	return why;
}

int sync_writer_finish(struct sync_writer *w, int64_t *changed, int64_t *newest, char *why, size_t cap)
{
	pthread_mutex_lock(&w->lock);
	while (w->busy)
		pthread_cond_wait(&w->written, &w->lock);
	w->stop = true;
	pthread_cond_signal(&w->given);
	*changed = w->changed;
	*newest = w->newest;
	int rc = w->failed ? -1 : 0;
	if (rc < 0)
		snprintf(why, cap, "%s", w->why);
	pthread_mutex_unlock(&w->lock);
	if (w->started)
		pthread_join(w->thread, NULL);
	w->started = false;
	return rc;
}

void sync_writer_free(struct sync_writer *w)
{
	if (!w)
		return;
	if (w->started) {
		int64_t changed, newest;
		char why[8];
		sync_writer_finish(w, &changed, &newest, why, sizeof why);
	}
	sync_fetch_free_list(w->batch);
	free(w->wins);
	pthread_cond_destroy(&w->written);
	pthread_cond_destroy(&w->given);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
