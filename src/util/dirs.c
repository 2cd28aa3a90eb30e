/* dirs: recursion over dirname(); existing directories keep their modes unless a
 * caller asks for one to be tightened. */
#include "dirs.h"

#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"
#include "xalloc.h"

/* Whether st is the home directory's. */
static bool dirs_is_home(const struct stat *st)
{
	const char *home = getenv("HOME");
	struct stat h;
	return home && *home && stat(home, &h) == 0 && h.st_dev == st->st_dev && h.st_ino == st->st_ino;
}

int dirs_make_private(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : (errno = ENOTDIR, -1);
	char *copy = xstrdup(dir);
	const char *parent = dirname(copy);
	int rc = strcmp(parent, dir) ? dirs_make_private(parent) : 0;
	free(copy);
	if (rc == 0 && mkdir(dir, 0700) < 0 && errno != EEXIST)
		rc = -1;
	return rc;
}

int dirs_make_parent(const char *path)
{
	char *copy = xstrdup(path);
	int rc = dirs_make_private(dirname(copy));
	free(copy);
	return rc;
}

int dirs_check_private(const char *dir, struct strbuf *why)
{
	struct stat st;
	if (stat(dir, &st) < 0)
		return errno == ENOENT ? 0 : (sb_addf(why, "%s: %s", dir, strerror(errno)), -1);
	if (!S_ISDIR(st.st_mode)) {
		sb_addf(why, "%s is not a directory", dir);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		sb_addf(why, "%s belongs to another user (uid %u)", dir, (unsigned)st.st_uid);
		return -1;
	}
	/* Sticky or not: where others may add names, they may add ours first. */
	if (st.st_mode & 022) {
		sb_addf(why, "%s is writable by other users", dir);
		return -1;
	}
	return 0;
}

char *dirs_absolute(const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	char *cwd = getcwd(NULL, 0), *out = NULL;
	if (cwd && asprintf(&out, "%s/%s", cwd, path) < 0)
		out = NULL;
	free(cwd);
	return out;
}

int dirs_tighten(const char *dir)
{
	struct stat st;
	if (stat(dir, &st) < 0)
		return -1;
	/* Another user's directory is not ours to change (and we could not); a directory
	 * shared by design (sticky, as /tmp is, root's own when we are root) or the home
	 * directory is the system's or the user's choice, never ours to narrow. */
	if (st.st_uid != geteuid() || !(st.st_mode & 077) || (st.st_mode & S_ISVTX) || dirs_is_home(&st))
		return 0;
	return chmod(dir, 0700);
}
