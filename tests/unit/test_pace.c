/* Unit tests of pace: the number of a capture's requests in flight grows by one per
 * window done, halves once for 429s to requests sent together, and a 429's pause holds
 * every request that starts after it. */
#include <time.h>

#include "check.h"
#include "pace.h"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void)
{
	struct pace p;
	pace_init(&p, PACE_CAP_DEFAULT);
	CHECK(pace_limit(&p) == 2 && pace_cap(&p) == 8);
	for (int i = 0; i < 10; i++)
		pace_grow(&p);
	CHECK(pace_limit(&p) == 8);

	/* Three requests sent together all meet a 429: one halving, not three. */
	uint64_t e1 = pace_enter(&p), e2 = pace_enter(&p), e3 = pace_enter(&p);
	pace_leave(&p, e1, true, 0);
	CHECK(pace_limit(&p) == 4);
	pace_leave(&p, e2, true, 0);
	pace_leave(&p, e3, true, 0);
	CHECK(pace_limit(&p) == 4 && pace_throttled(&p) == 3);
	/* A request sent after the halving that meets one halves again. */
	uint64_t e4 = pace_enter(&p);
	pace_leave(&p, e4, true, 0);
	CHECK(pace_limit(&p) == 2);
	e4 = pace_enter(&p);
	pace_leave(&p, e4, true, 0);
	e4 = pace_enter(&p);
	pace_leave(&p, e4, true, 0);
	CHECK(pace_limit(&p) == 1);   /* never below one */
	/* The last 429 came at 2: 1 stays until PACE_PROBE_AFTER windows went well. */
	for (int i = 0; i < PACE_PROBE_AFTER - 1; i++)
		pace_grow(&p);
	CHECK(pace_limit(&p) == 1);
	pace_grow(&p);
	CHECK(pace_limit(&p) == 2);

	/* After a 429 at 8, growth stops at 7 until PACE_PROBE_AFTER windows more went
	 * without one; then 8 is tried again. */
	for (int i = 0; i < 10; i++)
		pace_grow(&p);
	for (int i = 0; i < 20 && pace_limit(&p) < 8; i++)
		pace_grow(&p);
	CHECK(pace_limit(&p) == 8);
	e4 = pace_enter(&p);
	pace_leave(&p, e4, true, 0);
	CHECK(pace_limit(&p) == 4);
	for (int i = 0; i < 3 + PACE_PROBE_AFTER - 1; i++)
		pace_grow(&p);
	CHECK(pace_limit(&p) == 7);
	pace_grow(&p);
	CHECK(pace_limit(&p) == 8);
	for (int i = 0; i < 2; i++) {
		e4 = pace_enter(&p);
		pace_leave(&p, e4, true, 0);
	}
	CHECK(pace_limit(&p) == 2);

	/* The pause: Retry-After: 1 holds the next request a second; none given, the
	 * default second. */
	uint64_t e = pace_enter(&p);
	pace_leave(&p, e, true, 1);
	long long t0 = now_ms();
	e = pace_enter(&p);
	CHECK(now_ms() - t0 >= 990);
	pace_leave(&p, e, false, -1);
	pace_pause(&p, -1);
	t0 = now_ms();
	pace_wait_pause(&p);
	CHECK(now_ms() - t0 >= PACE_PAUSE_DEFAULT_MS - 10);
	t0 = now_ms();
	e = pace_enter(&p);   /* the pause is over: no wait */
	CHECK(now_ms() - t0 < 500);
	pace_leave(&p, e, false, -1);

	/* 1 is one after another; the cap is bounded. */
	pace_set_cap(&p, 1);
	CHECK(pace_limit(&p) == 1 && pace_cap(&p) == 1);
	pace_grow(&p);
	CHECK(pace_limit(&p) == 1);
	pace_set_cap(&p, 1000);
	CHECK(pace_cap(&p) == PACE_CAP_MAX && pace_limit(&p) == 2);
	pace_set_cap(&p, 0);
	CHECK(pace_cap(&p) == 1);
	pace_destroy(&p);
	return CHECK_DONE();
}
