/* pace: how many requests a capture keeps in flight, as the bank tolerates it: a few
 * to start with, one more for each window completed without a 429, half as many after
 * one; and the pause a 429's Retry-After asks of every request. */
#ifndef MONZOHFS_PACE_H
#define MONZOHFS_PACE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PACE_START 2
#define PACE_CAP_DEFAULT 8
#define PACE_CAP_MAX 64
/* The pause after a 429 that says nothing of when to come back, and the longest one
 * honoured (the full-history window lasts five minutes). */
#define PACE_PAUSE_DEFAULT_MS 1000
#define PACE_PAUSE_MAX_MS 60000
/* After a 429 the number in flight grows back to one less than it was then, and only
 * after this many windows more without one does it try that number again (the bank's
 * limit may have moved). */
#define PACE_PROBE_AFTER 16

struct pace {
	pthread_mutex_t lock;
	pthread_cond_t room;
	int cap;                 /* most requests in flight */
	int limit;               /* requests in flight allowed now */
	int ceiling;             /* the limit a 429 last came at (0: none): grow below it */
	int steady;              /* windows done just below the ceiling since */
	int flying;
	uint64_t epoch;          /* moves at each halving: a 429 to a request sent
				  * before it has been answered for already */
	int64_t pause_until_ms;  /* CLOCK_MONOTONIC: no request starts before */
	int64_t throttled;       /* 429s met */
};

void pace_init(struct pace *p, int cap);
void pace_destroy(struct pace *p);
/* 1 (today's one after another) to PACE_CAP_MAX; the limit starts again from the
 * smaller of PACE_START and cap. */
void pace_set_cap(struct pace *p, int cap);
int pace_cap(struct pace *p);
/* The number of requests in flight allowed now. */
int pace_limit(struct pace *p);
/* Waits for room among the requests in flight, then for the pause; returns the epoch
 * to give back to pace_leave. */
uint64_t pace_enter(struct pace *p);
/* A request ended; throttled: with a 429, whose Retry-After (seconds, -1 when none)
 * pauses every request once, and which halves the limit unless a 429 to a later
 * request already did. */
void pace_leave(struct pace *p, uint64_t epoch, bool throttled, long retry_after_s);
/* A 429 met outside pace_enter/pace_leave: the pause alone. */
void pace_pause(struct pace *p, long retry_after_s);
/* Waits until the pause is over. */
void pace_wait_pause(struct pace *p);
/* A window completed without a 429: one request more, up to the cap (and below the
 * limit a 429 came at, for PACE_PROBE_AFTER windows). */
void pace_grow(struct pace *p);
int64_t pace_throttled(struct pace *p);

#endif
