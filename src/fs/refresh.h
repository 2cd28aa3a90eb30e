/* refresh: SIGHUP asks the daemon for fresh data without a remount: every TTL runs
 * out, so each file is fetched again at its next look.  A signal handler may do
 * almost nothing, so it only wakes a thread of its own, which expires the cache. */
#ifndef MONZOHFS_REFRESH_H
#define MONZOHFS_REFRESH_H

#include "cache.h"

/* Takes SIGHUP over (after libfuse's handlers, which would unmount on it).  0, or -1
 * with errno set (SIGHUP then keeps its earlier meaning). */
int refresh_start(struct cache *c);
/* SIGHUP is ignored from now on, and the thread ends. */
void refresh_stop(void);

#endif
