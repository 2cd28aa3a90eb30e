/* sync_fetchers: two queues under one lock, requests in and replies out; a thread
 * blocks in the network or on the queue, never on the capture's SQLite writes. */
#include "sync_fetchers.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "xalloc.h"

struct sync_fetchers {
	struct monzo *api;
	pthread_mutex_t lock;
	pthread_cond_t work, ready_cond;
	struct sync_fetch *todo, **todo_end;
	struct sync_fetch *ready, **ready_end;
	bool stop;
	pthread_t threads[PACE_CAP_MAX];
	int nthreads;
};

void sync_fetch_free(struct sync_fetch *j)
{
	if (!j)
		return;
	monzo_reply_release(&j->reply);
	free(j->spans);
	free(j->path);
	free(j);
}

void sync_fetch_free_list(struct sync_fetch *j)
{
	while (j) {
		struct sync_fetch *next = j->next;
		sync_fetch_free(j);
		j = next;
	}
}

static void *sync_fetcher_main(void *arg)
{
	struct sync_fetchers *f = arg;
	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->stop && !f->todo)
			pthread_cond_wait(&f->work, &f->lock);
		if (f->stop)
			break;
		struct sync_fetch *j = f->todo;
		f->todo = j->next;
		if (!f->todo)
			f->todo_end = &f->todo;
		pthread_mutex_unlock(&f->lock);
		j->rc = monzo_get_paced(f->api, j->path, &j->reply);
		pthread_mutex_lock(&f->lock);
		j->next = NULL;
		*f->ready_end = j;
		f->ready_end = &j->next;
		pthread_cond_signal(&f->ready_cond);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

struct sync_fetchers *sync_fetchers_new(struct monzo *api)
{
	struct sync_fetchers *f = xcalloc(1, sizeof *f);
	f->api = api;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->work, NULL);
	pthread_cond_init(&f->ready_cond, NULL);
	f->todo_end = &f->todo;
	f->ready_end = &f->ready;
	return f;
}

int sync_fetchers_send(struct sync_fetchers *f, struct sync_fetch *job, int flying)
{
	pthread_mutex_lock(&f->lock);
	job->next = NULL;
	*f->todo_end = job;
	f->todo_end = &job->next;
	pthread_cond_signal(&f->work);
	pthread_mutex_unlock(&f->lock);
	if (f->nthreads < flying && f->nthreads < PACE_CAP_MAX &&
	    pthread_create(&f->threads[f->nthreads], NULL, sync_fetcher_main, f) == 0)
		f->nthreads++;
	return f->nthreads ? 0 : -1;
}

struct sync_fetch *sync_fetchers_take(struct sync_fetchers *f, long timeout_ms)
{
	struct timespec until;
	if (timeout_ms >= 0) {
		/* The condition variable waits by CLOCK_REALTIME. */
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += timeout_ms / 1000;
		until.tv_nsec += (timeout_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
	}
	pthread_mutex_lock(&f->lock);
	while (!f->ready) {
		if (timeout_ms < 0)
			pthread_cond_wait(&f->ready_cond, &f->lock);
		else if (pthread_cond_timedwait(&f->ready_cond, &f->lock, &until) != 0)
			break;
	}
	struct sync_fetch *j = f->ready;
	if (j) {
		f->ready = j->next;
		if (!f->ready)
			f->ready_end = &f->ready;
		j->next = NULL;
	}
	pthread_mutex_unlock(&f->lock);
	return j;
}

void sync_fetchers_free(struct sync_fetchers *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_broadcast(&f->work);
	pthread_mutex_unlock(&f->lock);
	for (int i = 0; i < f->nthreads; i++)
		pthread_join(f->threads[i], NULL);
	sync_fetch_free_list(f->todo);
	sync_fetch_free_list(f->ready);
	pthread_cond_destroy(&f->ready_cond);
	pthread_cond_destroy(&f->work);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
