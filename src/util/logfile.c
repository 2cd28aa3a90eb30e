/* logfile: one write(2) per line on an O_APPEND descriptor, so that lines never mix
 * with another mount's on the same file; the size is counted as we go, and the file
 * itself is looked at only when the count says it is full. */
#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dirs.h"
#include "xalloc.h"

static int logfile_fd = -1;
static char *logfile_path;
static off_t logfile_size;

static int logfile_reopen(void)
{
	int fd = open(logfile_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	struct stat st;
	int e = fstat(fd, &st) < 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : fchmod(fd, 0600) < 0 ? errno : 0;
	if (e) {
		close(fd);
		errno = e;
		return -1;
	}
	if (logfile_fd >= 0)
		close(logfile_fd);
	logfile_fd = fd;
	logfile_size = st.st_size;
	return 0;
}

int logfile_open(const char *path, struct strbuf *err)
{
	char *copy = xstrdup(path);
	const char *dir = dirname(copy);
	free(logfile_path);
	logfile_path = xstrdup(path);
	int rc = -1;
	if (dirs_make_private(dir) < 0 || dirs_tighten(dir) < 0)
		sb_addf(err, "cannot make the directory %s: %s", dir, strerror(errno));
	else if (logfile_reopen() < 0)
		sb_addf(err, "cannot open %s: %s", path, errno == EINVAL ? "not a regular file" : strerror(errno));
	else
		rc = 0;
	free(copy);
	return rc;
}

/* The line would take the file past its bound.  Another process on the same file
 * may have turned it over already (ours is then FILE.1): take up the new one; if
 * that one is full too, it becomes FILE.1 and a new file starts. */
static void logfile_turn_over(size_t len)
{
	struct stat ours, named;
	if (fstat(logfile_fd, &ours) == 0 &&
	    (stat(logfile_path, &named) < 0 || named.st_ino != ours.st_ino || named.st_dev != ours.st_dev))
		logfile_reopen();
	if (logfile_size + (off_t)len <= LOGFILE_MAX)
		return;
	char *old = NULL;
	if (asprintf(&old, "%s.1", logfile_path) >= 0 && rename(logfile_path, old) == 0)
		logfile_reopen();
	free(old);
}

void logfile_write(const char *line, size_t len)
{
	if (logfile_fd < 0)
		return;
	if (logfile_size + (off_t)len > LOGFILE_MAX)
		logfile_turn_over(len);
	ssize_t n = write(logfile_fd, line, len);
	if (n > 0)
		logfile_size += n;
}
