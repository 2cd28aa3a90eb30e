/* cache_snapshot: a version of a file's bytes, immutable once made and shared by
 * reference between the cache (its file's current version) and the inodes the kernel
 * has open.  An attachment's pending part is freed by the function it came with. */
#include "cache_internal.h"

#include <stdlib.h>
#include <unistd.h>

#include "xalloc.h"

struct snapshot *snapshot_new(char *data, int fd, size_t size, struct instant mtime, uint64_t digest)
{
	struct snapshot *s = xcalloc(1, sizeof *s);
	s->refs = 1;
	s->data = data;
	s->fd = fd;
	s->size = size;
	s->mtime = mtime;
	s->digest = digest;
	return s;
}

void snapshot_get(struct snapshot *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

void snapshot_put(struct snapshot *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL))
		return;
	free(s->source);
	if (s->pending)
		s->pending_free(s->pending);
	free(s->data);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}
