/* atomicfile: the rename is the commit point; the fsyncs before and after it make it
 * hold across a power cut, not only a crash of this process. */
#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"

int atomicfile_write(const char *dir, const char *path, const void *data, size_t len, const char **step)
{
	const char *base = strrchr(path, '/');
	struct strbuf tmp = STRBUF_INIT;
	sb_addf(&tmp, "%s/.%s.XXXXXX", dir, base ? base + 1 : path);
	/* mkostemp makes it 0600 from the start, whatever the umask. */
	int fd = mkostemp(tmp.buf, O_CLOEXEC);
	if (fd < 0) {
		if (step)
			*step = "create";
		sb_release(&tmp);
		return -1;
	}
	const char *p = data;
	size_t left = len;
	int rc = fchmod(fd, 0600);
	while (!rc && left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!w)
				errno = EIO;
			rc = -1;
			break;
		}
		p += w;
		left -= (size_t)w;
	}
	if (!rc)
		rc = fsync(fd);
	int err = rc ? errno : 0;
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err && rename(tmp.buf, path) < 0)
		err = errno;
	if (err) {
		unlink(tmp.buf);
		if (step)
			*step = "write";
		errno = err;
		rc = -1;
	} else {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	sb_release(&tmp);
	return rc;
}
