/* init_flags: the kernel's INIT request and the daemon's reply to it, as the bytes
 * that pass over /dev/fuse.  libfuse before 3.16 never grants FUSE_PARALLEL_DIROPS,
 * so the kernel runs every lookup and readdir of a directory one at a time, behind
 * the slowest: a first sync of transactions.csv held up `cat balance.json` beside it.
 * The daemon grants it in the reply itself where the kernel offers it. */
#ifndef MONZOHFS_INIT_FLAGS_H
#define MONZOHFS_INIT_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct init_flags {
	uint64_t unique;      /* the INIT request's, once read */
	bool offered;         /* the kernel offers parallel lookups and readdirs */
	bool seen;            /* the INIT request was read */
	bool done;            /* its reply went by: nothing more to look at (atomic) */
	bool granted;         /* ... with parallel lookups granted */
};

/* A request just read from /dev/fuse (buf, len bytes): the INIT is remembered. */
void init_flags_request(struct init_flags *f, const void *buf, size_t len);
/* A reply about to be written, as libfuse hands it over (a header, then the body):
 * the INIT reply gets FUSE_PARALLEL_DIROPS when the kernel offered it.  Returns
 * whether it changed the reply. */
bool init_flags_reply(struct init_flags *f, const struct iovec *iov, int count);

#endif
