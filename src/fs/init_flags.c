/* init_flags: reads the INIT request's offered flags and adds FUSE_PARALLEL_DIROPS to
 * the reply's granted ones.  The daemon's lookups and readdirs share nothing a
 * directory-wide lock would protect (the cache and the inode table take their own
 * locks), so granting it is safe; see init_flags.h for why it is needed. */
#include "init_flags.h"

#include <linux/fuse.h>
#include <stddef.h>
#include <string.h>

void init_flags_request(struct init_flags *f, const void *buf, size_t len)
{
	struct fuse_in_header in;
	struct fuse_init_in init;
	if (__atomic_load_n(&f->done, __ATOMIC_ACQUIRE) || len < sizeof in)
		return;
	memcpy(&in, buf, sizeof in);
	if (in.opcode != FUSE_INIT || len < sizeof in + offsetof(struct fuse_init_in, flags) + sizeof init.flags)
		return;
	memcpy(&init.flags, (const char *)buf + sizeof in + offsetof(struct fuse_init_in, flags), sizeof init.flags);
	f->unique = in.unique;
	f->offered = (init.flags & FUSE_PARALLEL_DIROPS) != 0;
	f->seen = true;
}

bool init_flags_reply(struct init_flags *f, const struct iovec *iov, int count)
{
	struct fuse_out_header out;
	if (__atomic_load_n(&f->done, __ATOMIC_ACQUIRE) || !f->seen || count < 2 || iov[0].iov_len != sizeof out)
		return false;
	memcpy(&out, iov[0].iov_base, sizeof out);
	if (out.unique != f->unique)
		return false;
	__atomic_store_n(&f->done, true, __ATOMIC_RELEASE);
	size_t at = offsetof(struct fuse_init_out, flags);
	uint32_t flags;
	if (out.error || !f->offered || iov[1].iov_len < at + sizeof flags)
		return false;
	memcpy(&flags, (const char *)iov[1].iov_base + at, sizeof flags);
	flags |= FUSE_PARALLEL_DIROPS;
	memcpy((char *)iov[1].iov_base + at, &flags, sizeof flags);
	f->granted = true;
	return true;
}
