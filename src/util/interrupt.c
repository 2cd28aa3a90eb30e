/* interrupt: a thread-local pointer to the request's flag, so a wait deep in the cache
 * needs no argument threaded through every call to learn that its reader is gone. */
#include "interrupt.h"

#include <stddef.h>

static _Thread_local struct interrupt *interrupt_current;

void interrupt_enter(struct interrupt *i)
{
	interrupt_current = i;
}

void interrupt_request(struct interrupt *i)
{
	__atomic_store_n(&i->requested, true, __ATOMIC_RELEASE);
}

bool interrupt_requested(void)
{
	struct interrupt *i = interrupt_current;
	return i && __atomic_load_n(&i->requested, __ATOMIC_ACQUIRE);
}
