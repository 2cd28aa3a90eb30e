/* fs_io: the session's reads and writes of /dev/fuse, passed straight through except
 * that the INIT exchange is shown to init_flags, so that a libfuse older than 3.16
 * still lets the kernel run lookups in one directory side by side. */
#include "fs_io.h"

#include <unistd.h>

#include "init_flags.h"
#include "log.h"

/* One session per process; its INIT is read and answered before any other request. */
static struct init_flags fs_io_init;

static ssize_t fs_io_read(int fd, void *buf, size_t len, void *userdata)
{
	(void)userdata;
	ssize_t n = read(fd, buf, len);
	if (n > 0)
		init_flags_request(&fs_io_init, buf, (size_t)n);
	return n;
}

static ssize_t fs_io_writev(int fd, struct iovec *iov, int count, void *userdata)
{
	(void)userdata;
	if (init_flags_reply(&fs_io_init, iov, count))
		log_debug("lookups and listings of one directory run side by side (FUSE_PARALLEL_DIROPS granted)");
	return writev(fd, iov, count);
}

int fs_io_install(struct fuse_session *se)
{
#if FUSE_VERSION < FUSE_MAKE_VERSION(3, 16)
	static const struct fuse_custom_io io = { .read = fs_io_read, .writev = fs_io_writev };
	return fuse_session_custom_io(se, &io, fuse_session_fd(se));
#else
	(void)se;   /* libfuse grants it itself */
	return 0;
#endif
}
