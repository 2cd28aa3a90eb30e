/* Unit tests of the cache's resource tier with a scripted fetch (cache_options.get):
 * TTLs, one fetch for many readers (single flight), the older copy served when a
 * refresh fails, a refusal remembered for its TTL, a reader's interrupt that leaves
 * the fetch running, and the kernel told about the files a change touches.  No
 * network and no store: milliseconds, beside the mount tests that run it all. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "check.h"
#include "interrupt.h"

/* The bank as the script plays it: what each GET answers, counted. */
struct script {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	int gets;
	int answer_status;        /* 0: the body; else this HTTP error */
	char code[64];
	char body[128];
	bool hold;                /* GETs wait until released */
	int waiting;              /* GETs waiting now */
};

static int script_get(void *ctx, const char *path, struct monzo_reply *reply)
{
	struct script *s = ctx;
	(void)path;
	pthread_mutex_lock(&s->lock);
	s->gets++;
	s->waiting++;
	pthread_cond_broadcast(&s->changed);
	while (s->hold)
		pthread_cond_wait(&s->changed, &s->lock);
	s->waiting--;
	int rc = 0;
	if (s->answer_status) {
		reply->err.http_status = s->answer_status;
		snprintf(reply->err.code, sizeof reply->err.code, "%s", s->code);
		rc = s->answer_status == 403 ? -EACCES : -EIO;
	} else {
		sb_adds(&reply->body, s->body);
		reply->json = cJSON_Parse(s->body);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static struct cache *cache_with(struct script *s, unsigned ttl)
{
	struct cache_options o;
	cache_options_default(&o);
	for (int k = 0; k < RES_KIND_COUNT; k++)
		o.ttl[k] = ttl;
	o.get = script_get;
	o.get_ctx = s;
	struct cache *c = cache_new(NULL, &o, "");
	cache_start(c);   /* fetches on threads of their own, as in the daemon */
	return c;
}

static int64_t balance_of(struct cache *c, int *rc)
{
	struct res_value *v;
	*rc = cache_resource(c, RES_BALANCE, "acc_1", &v);
	if (*rc)
		return -1;
	int64_t b = (int64_t)cJSON_GetObjectItemCaseSensitive(v->json, "balance")->valuedouble;
	res_value_put(v);
	return b;
}

struct reader {
	struct cache *c;
	struct interrupt *flag;   /* this reader's request, or NULL */
	int rc;
	int64_t balance;
};

static void *read_balance(void *arg)
{
	struct reader *r = arg;
	interrupt_enter(r->flag);
	r->balance = balance_of(r->c, &r->rc);
	interrupt_enter(NULL);
	return NULL;
}

static void wait_for_gets_waiting(struct script *s, int n)
{
	pthread_mutex_lock(&s->lock);
	while (s->waiting < n)
		pthread_cond_wait(&s->changed, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

/* How many GETs wait at once, once n do or after seconds. */
static int gets_waiting_within(struct script *s, int n, int seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&s->lock);
	while (s->waiting < n && pthread_cond_timedwait(&s->changed, &s->lock, &until) == 0)
		;
	int got = s->waiting;
	pthread_mutex_unlock(&s->lock);
	return got;
}

static void release(struct script *s)
{
	pthread_mutex_lock(&s->lock);
	s->hold = false;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->lock);
}

/* What the kernel was told: the flight that fetched tells it once its readers have
 * their answer, so a test waits for the telling (at most 5 s), never just looks. */
struct seen {
	pthread_mutex_t lock;
	pthread_cond_t told;
	int calls;
	char last[128];
};

static void note_invalidated(void *ctx, const char *path)
{
	struct seen *seen = ctx;
	pthread_mutex_lock(&seen->lock);
	seen->calls++;
	snprintf(seen->last, sizeof seen->last, "%s", path);
	pthread_cond_broadcast(&seen->told);
	pthread_mutex_unlock(&seen->lock);
}

static int told(struct seen *seen, int calls)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&seen->lock);
	while (seen->calls < calls && pthread_cond_timedwait(&seen->told, &seen->lock, &until) == 0)
		;
	int n = seen->calls;
	pthread_mutex_unlock(&seen->lock);
	return n;
}

int main(void)
{
	struct script s = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, "", "{\"balance\":100}",
			    false, 0 };
	int rc;

	/* Within its TTL a resource is fetched once; with a TTL of 0, at every use. */
	struct cache *c = cache_with(&s, 3600);
	CHECK(balance_of(c, &rc) == 100 && rc == 0);
	CHECK(balance_of(c, &rc) == 100 && s.gets == 1);
	cache_free(c);
	s.gets = 0;
	c = cache_with(&s, 0);
	balance_of(c, &rc);
	balance_of(c, &rc);
	CHECK(s.gets == 2);

	/* A refresh that fails serves the older copy. */
	s.answer_status = 503;
	CHECK(balance_of(c, &rc) == 100 && rc == 0 && s.gets == 3);
	cache_free(c);

	/* Eight readers at once, one fetch, the same answer for all. */
	s = (struct script){ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, "", "{\"balance\":250}", true,
			     0 };
	c = cache_with(&s, 3600);
	struct reader readers[8];
	pthread_t t[8];
	for (int i = 0; i < 8; i++) {
		readers[i] = (struct reader){ c, NULL, -1, -1 };
		pthread_create(&t[i], NULL, read_balance, &readers[i]);
	}
	wait_for_gets_waiting(&s, 1);
	release(&s);
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		CHECK(readers[i].rc == 0 && readers[i].balance == 250);
	}
	CHECK(s.gets == 1);
	cache_free(c);

	/* A reader whose request is interrupted leaves at once; the fetch goes on and serves
	 * the next reader without another GET. */
	s = (struct script){ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, "", "{\"balance\":7}", true, 0 };
	c = cache_with(&s, 3600);
	struct interrupt flag = { false };
	struct reader gives_up = { c, &flag, -1, -1 };
	pthread_create(&t[0], NULL, read_balance, &gives_up);
	wait_for_gets_waiting(&s, 1);
	interrupt_request(&flag);
	cache_interrupted(c);
	pthread_join(t[0], NULL);
	CHECK(gives_up.rc == -EINTR);
	release(&s);
	CHECK(balance_of(c, &rc) == 7 && rc == 0 && s.gets == 1);
	cache_free(c);

	/* A part the bank refuses is EIO (EACCES is the login's) and is not asked again
	 * within its TTL. */
	s = (struct script){ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 403,
			     "forbidden.insufficient_permissions", "", false, 0 };
	c = cache_with(&s, 3600);
	balance_of(c, &rc);
	CHECK(rc == -EIO && s.gets == 1);
	balance_of(c, &rc);
	CHECK(rc == -EIO && s.gets == 1);
	cache_free(c);

	/* A change tells the kernel about each file made from the resource. */
	s = (struct script){ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, "", "{\"balance\":1}", false, 0 };
	c = cache_with(&s, 0);
	struct seen seen = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, "" };
	cache_set_invalidator(c, note_invalidated, &seen);
	struct file_id id = { .kind = FILE_BALANCE, .account = "acc_1" };
	struct snapshot *snap;
	CHECK(cache_file(c, &id, &snap, NULL) == 0 && snap->size == strlen("{\n  \"balance\": 1\n}\n"));
	snapshot_put(snap);
	CHECK(seen.calls == 0);
	snprintf(s.body, sizeof s.body, "{\"balance\":2}");
	balance_of(c, &rc);
	CHECK(told(&seen, 1) == 1 && !strcmp(seen.last, "accounts/acc_1/balance.json"));
	/* The same bytes again change nothing (its flight has ended once balance_of has
	 * its answer and the cache is freed: nothing can be told later). */
	balance_of(c, &rc);
	cache_set_invalidator(c, NULL, NULL);
	cache_free(c);
	CHECK(seen.calls == 1);

	/* Fetches asked for at once fly at once, even when a worker sat idle: it takes
	 * one, and a worker is started for each of the others (a file made from every
	 * account asks for all their syncs in a row). */
	s = (struct script){ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, "", "{\"balance\":3}", false, 0 };
	c = cache_with(&s, 3600);
	CHECK(balance_of(c, &rc) == 3 && rc == 0);   /* its worker is idle now */
	s.hold = true;
	static const char *const accounts[] = { "acc_a", "acc_b", "acc_c", "acc_d", "acc_e", "acc_f" };
	for (size_t i = 0; i < 6; i++)
		cache_resource_prefetch(c, RES_BALANCE, accounts[i]);
	CHECK(gets_waiting_within(&s, 6, 10) == 6);
	release(&s);
	cache_free(c);
	return CHECK_DONE();
}
