/* sync_fetchers: the threads of a capture that only wait on the network: each takes
 * a page request, asks the bank through monzo_get_paced (which keeps as many in flight
 * as the bank tolerates) and hands the reply back to the capture's own thread. */
#ifndef MONZOHFS_SYNC_FETCHERS_H
#define MONZOHFS_SYNC_FETCHERS_H

#include <stddef.h>

#include "jsonspan.h"
#include "monzo.h"

/* One page request of a window, its reply, and once the capture has read it, its
 * transactions to store. */
struct sync_fetch {
	struct sync_fetch *next;
	size_t win;               /* the capture's window it is for */
	char *path;               /* malloc'd */
	int rc;                   /* monzo_get_paced's */
	struct monzo_reply reply;
	struct jsonspan *spans;   /* malloc'd: the page's transactions */
	long keep_from, keep_to;  /* those inside the window */
};

struct sync_fetchers;

struct sync_fetchers *sync_fetchers_new(struct monzo *api);
/* Queues a request; a thread is started for each request in flight (flying, counting
 * this one) up to PACE_CAP_MAX.  -1 when no thread at all could be started. */
int sync_fetchers_send(struct sync_fetchers *f, struct sync_fetch *job, int flying);
/* The next reply, waiting at most timeout_ms (-1: as long as it takes); NULL if none
 * came in that time. */
struct sync_fetch *sync_fetchers_take(struct sync_fetchers *f, long timeout_ms);
/* Stops the threads once their requests are answered and frees what is left. */
void sync_fetchers_free(struct sync_fetchers *f);
void sync_fetch_free(struct sync_fetch *j);
void sync_fetch_free_list(struct sync_fetch *j);

#endif
