/* Unit tests of init_flags: the INIT reply grants parallel lookups exactly when the
 * kernel's INIT request offered them, and no other reply is touched. */
#include <errno.h>
#include <linux/fuse.h>
#include <string.h>

#include "check.h"
#include "init_flags.h"

struct init_request {
	struct fuse_in_header h;
	struct fuse_init_in in;
};

static void request(struct init_flags *f, uint32_t opcode, uint64_t unique, uint32_t flags)
{
	struct init_request r;
	memset(&r, 0, sizeof r);
	r.h.len = sizeof r;
	r.h.opcode = opcode;
	r.h.unique = unique;
	r.in.major = 7;
	r.in.minor = 38;
	r.in.flags = flags;
	init_flags_request(f, &r, sizeof r);
}

/* The reply libfuse would write: a header, then the body; its granted flags after. */
static uint32_t reply(struct init_flags *f, uint64_t unique, int error, uint32_t flags, bool *changed)
{
	struct fuse_out_header h = { sizeof h + sizeof(struct fuse_init_out), error, unique };
	struct fuse_init_out out;
	memset(&out, 0, sizeof out);
	out.major = 7;
	out.minor = 38;
	out.flags = flags;
	struct iovec iov[2] = { { &h, sizeof h }, { &out, sizeof out } };
	*changed = init_flags_reply(f, iov, 2);
	return out.flags;
}

int main(void)
{
	bool changed;
	struct init_flags f;
	memset(&f, 0, sizeof f);
	request(&f, FUSE_INIT, 1, FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS);
	/* Another reply first (never happens, but must not be touched), then the INIT's. */
	CHECK(reply(&f, 2, 0, FUSE_ASYNC_READ, &changed) == FUSE_ASYNC_READ && !changed);
	CHECK(reply(&f, 1, 0, FUSE_ASYNC_READ, &changed) == (FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS) && changed);
	CHECK(f.granted);
	/* Once answered, nothing more is looked at, even a request that claims to be INIT. */
	request(&f, FUSE_INIT, 5, FUSE_PARALLEL_DIROPS);
	CHECK(reply(&f, 5, 0, 0, &changed) == 0 && !changed);

	/* A kernel that does not offer it is not given it. */
	memset(&f, 0, sizeof f);
	request(&f, FUSE_INIT, 7, FUSE_ASYNC_READ);
	CHECK(reply(&f, 7, 0, FUSE_ASYNC_READ, &changed) == FUSE_ASYNC_READ && !changed && !f.granted);

	/* An INIT answered with an error is left alone; a request too short is ignored. */
	memset(&f, 0, sizeof f);
	request(&f, FUSE_INIT, 9, FUSE_PARALLEL_DIROPS);
	CHECK(reply(&f, 9, -EPROTO, 0, &changed) == 0 && !changed);
	memset(&f, 0, sizeof f);
	char shorty[8] = { 0 };
	init_flags_request(&f, shorty, sizeof shorty);
	CHECK(!f.seen);
	/* A lookup request is not an INIT. */
	request(&f, FUSE_LOOKUP, 3, FUSE_PARALLEL_DIROPS);
	CHECK(!f.seen);
	return CHECK_DONE();
}
