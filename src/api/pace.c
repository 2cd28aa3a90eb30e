/* pace: additive increase, multiplicative decrease, as TCP paces a connection: the
 * bank documents no limit, so the client finds it, and backs off at once when told. */
#include "pace.h"

#include <errno.h>
#include <time.h>

static int64_t pace_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int pace_clamp(int cap)
{
	return cap < 1 ? 1 : cap > PACE_CAP_MAX ? PACE_CAP_MAX : cap;
}

void pace_init(struct pace *p, int cap)
{
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->room, NULL);
	p->flying = 0;
	p->epoch = 0;
	p->pause_until_ms = 0;
	p->throttled = 0;
	p->ceiling = p->steady = 0;
	p->cap = pace_clamp(cap);
	p->limit = p->cap < PACE_START ? p->cap : PACE_START;
}

void pace_destroy(struct pace *p)
{
	pthread_cond_destroy(&p->room);
	pthread_mutex_destroy(&p->lock);
}

void pace_set_cap(struct pace *p, int cap)
{
	pthread_mutex_lock(&p->lock);
	p->cap = pace_clamp(cap);
	p->limit = p->cap < PACE_START ? p->cap : PACE_START;
	p->ceiling = p->steady = 0;
	pthread_cond_broadcast(&p->room);
	pthread_mutex_unlock(&p->lock);
}

int pace_cap(struct pace *p)
{
	pthread_mutex_lock(&p->lock);
	int cap = p->cap;
	pthread_mutex_unlock(&p->lock);
	return cap;
}

int pace_limit(struct pace *p)
{
	pthread_mutex_lock(&p->lock);
	int limit = p->limit;
	pthread_mutex_unlock(&p->lock);
	return limit;
}

/* Sleeps, lock released, until the pause is over (it may move while we sleep). */
static void pace_sleep_locked(struct pace *p)
{
	for (;;) {
		int64_t left = p->pause_until_ms - pace_now_ms();
		if (left <= 0)
			return;
		pthread_mutex_unlock(&p->lock);
		struct timespec ts = { left / 1000, (left % 1000) * 1000000 };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&p->lock);
	}
}

uint64_t pace_enter(struct pace *p)
{
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->flying >= p->limit)
			pthread_cond_wait(&p->room, &p->lock);
		p->flying++;
		if (p->pause_until_ms <= pace_now_ms())
			break;
		/* Paused: wait it out holding no place, so the limit is what is in flight
		 * when the pause ends. */
		p->flying--;
		pace_sleep_locked(p);
	}
	uint64_t epoch = p->epoch;
	pthread_mutex_unlock(&p->lock);
	return epoch;
}

static void pace_pause_locked(struct pace *p, long retry_after_s)
{
	int64_t ms = retry_after_s >= 0 ? (int64_t)retry_after_s * 1000 : PACE_PAUSE_DEFAULT_MS;
	if (ms > PACE_PAUSE_MAX_MS)
		ms = PACE_PAUSE_MAX_MS;
	int64_t until = pace_now_ms() + ms;
	/* Once for everyone: 429s to requests sent together end one pause, not a series. */
	if (until > p->pause_until_ms)
		p->pause_until_ms = until;
	p->throttled++;
}

void pace_leave(struct pace *p, uint64_t epoch, bool throttled, long retry_after_s)
{
	pthread_mutex_lock(&p->lock);
	p->flying--;
	if (throttled) {
		pace_pause_locked(p, retry_after_s);
		if (epoch == p->epoch) {
			p->ceiling = p->limit;
			p->steady = 0;
			p->limit = p->limit / 2 > 1 ? p->limit / 2 : 1;
			p->epoch++;
		}
	}
	pthread_cond_broadcast(&p->room);
	pthread_mutex_unlock(&p->lock);
}

void pace_pause(struct pace *p, long retry_after_s)
{
	pthread_mutex_lock(&p->lock);
	pace_pause_locked(p, retry_after_s);
	pthread_mutex_unlock(&p->lock);
}

void pace_wait_pause(struct pace *p)
{
	pthread_mutex_lock(&p->lock);
	pace_sleep_locked(p);
	pthread_mutex_unlock(&p->lock);
}

void pace_grow(struct pace *p)
{
	pthread_mutex_lock(&p->lock);
	if (p->ceiling && p->limit + 1 >= p->ceiling && ++p->steady < PACE_PROBE_AFTER) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	if (p->ceiling && p->limit + 1 >= p->ceiling)
		p->ceiling = 0;   /* long enough without a 429: try one more again */
	p->steady = 0;
	if (p->limit < p->cap) {
		p->limit++;
		pthread_cond_broadcast(&p->room);
	}
	pthread_mutex_unlock(&p->lock);
}

int64_t pace_throttled(struct pace *p)
{
	pthread_mutex_lock(&p->lock);
	int64_t n = p->throttled;
	pthread_mutex_unlock(&p->lock);
	return n;
}
