/* interrupt: whether the reader a thread works for has given up (Ctrl-C on a `cat`
 * that waits for a first sync).  The fs layer marks the thread's request; the layers
 * below, which know nothing of FUSE, look at it wherever they wait for another
 * thread's work and stop waiting (the work itself goes on for the next reader). */
#ifndef MONZOHFS_INTERRUPT_H
#define MONZOHFS_INTERRUPT_H

#include <stdbool.h>

struct interrupt {
	bool requested;   /* atomic */
};

/* i: the current request of this thread (NULL: none, e.g. at the end of it). */
void interrupt_enter(struct interrupt *i);
/* Called from any thread: the request has been interrupted. */
void interrupt_request(struct interrupt *i);
/* Whether the current request of this thread has been interrupted. */
bool interrupt_requested(void);

#endif
