/* smallfile: the open does not block (O_NONBLOCK: a FIFO with no writer would), the
 * descriptor is checked with fstat before a byte is read, and a file that grows after
 * fstat is still read no further than the cap. */
#include "smallfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int smallfile_read(const char *path, size_t cap, struct strbuf *out, const char **why)
{
	sb_reset(out);
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	struct stat st;
	int trouble = 0;
	if (fstat(fd, &st) < 0) {
		trouble = errno;
		*why = strerror(errno);
	} else if (!S_ISREG(st.st_mode)) {
		trouble = EINVAL;
		*why = "not a regular file";
	} else if ((unsigned long long)st.st_size > cap) {
		trouble = EFBIG;
		*why = "too large";
	}
	if (!trouble) {
		sb_grow(out, cap + 1);
		ssize_t n = 0;
		while (out->len <= cap && (n = read(fd, out->buf + out->len, cap + 1 - out->len)) > 0)
			out->len += (size_t)n;
		if (n < 0) {
			trouble = errno;
			*why = strerror(errno);
		} else if (out->len > cap) {
			trouble = EFBIG;
			*why = "too large";
		}
		out->buf[out->len] = '\0';
	}
	close(fd);
	if (trouble) {
		if (out->buf)
			explicit_bzero(out->buf, out->alloc);
		sb_reset(out);
		errno = trouble;
		return -1;
	}
	return 0;
}
