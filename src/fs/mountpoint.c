/* mountpoint: checked before mounting, so that a file, a missing directory or a
 * second mount on the same point fails at once with what to do, rather than as
 * FUSE's usage text, a mount that only gives EIO, or two daemons stacked. */
#include "mountpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

/* mountinfo writes space, tab, newline and backslash in a path as \ooo. */
static void mountpoint_unescape(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

bool mountpoint_is_monzohfs(const char *mountinfo, const char *path)
{
	bool found = false;
	char *text = xstrdup(mountinfo), *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		/* id parent major:minor root MOUNTPOINT options [optional...] - FSTYPE source super */
		char *f[5], *sep = strstr(line, " - "), *s2 = NULL;
		if (!sep)
			continue;
		*sep = '\0';
		int n = 0;
		for (char *t = strtok_r(line, " ", &s2); t && n < 5; t = strtok_r(NULL, " ", &s2))
			f[n++] = t;
		char *fstype = strtok_r(sep + 3, " ", &s2);
		if (n < 5 || !fstype || strcmp(fstype, "fuse.monzohfs"))
			continue;
		mountpoint_unescape(f[4]);
		found = !strcmp(f[4], path);
	}
	free(text);
	return found;
}

/* The mount point a monzohfs command line names: its last argument that is neither
 * an option nor an option's value. */
static const char *mountpoint_of_argv(const char *args, size_t len)
{
	const char *last = NULL;
	bool value_next = false;
	size_t i = strlen(args) + 1;   /* past argv[0] */
	while (i < len) {
		const char *a = args + i;
		if (value_next)
			value_next = false;
		else if (!strcmp(a, "-o"))
			value_next = true;
		else if (a[0] != '-')
			last = a;
		i += strlen(a) + 1;
	}
	return last;
}

/* Whether process pid is a monzohfs whose mount point is path. */
static bool mountpoint_served_by(const char *pid, const char *path)
{
	char file[64], args[8192];
	snprintf(file, sizeof file, "/proc/%s/cmdline", pid);
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t len = read(fd, args, sizeof args - 1);
	close(fd);
	if (len <= 0)
		return false;
	args[len] = '\0';
	const char *prog = strrchr(args, '/') ? strrchr(args, '/') + 1 : args;
	if (!strstr(prog, "monzohfs") || strstr(prog, "monzohfs-login"))
		return false;
	const char *arg = mountpoint_of_argv(args, (size_t)len);
	if (!arg)
		return false;
	/* A relative one is taken from the process's working directory (a detached
	 * daemon's is /, so only one started with -f can be matched that way). */
	char joined[PATH_MAX * 2], cwd[PATH_MAX], real[PATH_MAX];
	if (arg[0] != '/') {
		snprintf(file, sizeof file, "/proc/%s/cwd", pid);
		ssize_t n = readlink(file, cwd, sizeof cwd - 1);
		if (n <= 0)
			return false;
		cwd[n] = '\0';
		snprintf(joined, sizeof joined, "%s/%s", cwd, arg);
		arg = joined;
	}
	return realpath(arg, real) && !strcmp(real, path);
}

pid_t mountpoint_server_pid(const char *path)
{
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	pid_t found = 0, self = getpid();
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid == self)
			continue;
		if (mountpoint_served_by(e->d_name, path))
			found = (pid_t)pid;
	}
	closedir(d);
	return found;
}

/* The text of /proc/self/mountinfo (malloc'd), or NULL. */
static char *mountpoint_read_mountinfo(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return NULL;
	struct strbuf text = STRBUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		sb_add(&text, chunk, n);
	fclose(f);
	return sb_detach(&text, NULL);
}

int mountpoint_check(const char *dir, struct strbuf *why)
{
	struct stat st;
	if (stat(dir, &st) < 0) {
		if (errno == ENOENT)
			sb_addf(why, "the mount point %s does not exist: make it first with  mkdir -p %s", dir, dir);
		else if (errno == ENOTCONN)
			sb_addf(why,
				"%s is the mount of a monzohfs that has stopped: unmount it with  fusermount3 -u %s  and "
				"mount again",
				dir, dir);
		else
			sb_addf(why, "cannot use the mount point %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		sb_addf(why, "the mount point %s is not a directory: mount on an empty directory, for example  "
			     "mkdir -p ~/monzo && monzohfs ~/monzo",
			dir);
		return -1;
	}
	char real[PATH_MAX];
	char *mountinfo = realpath(dir, real) ? mountpoint_read_mountinfo() : NULL;
	bool taken = mountinfo && mountpoint_is_monzohfs(mountinfo, real);
	free(mountinfo);
	if (!taken)
		return 0;
	pid_t pid = mountpoint_server_pid(real);
	if (pid)
		sb_addf(why, "%s is already mounted by monzohfs (pid %ld): unmount it first with  fusermount3 -u %s",
			dir, (long)pid, dir);
	else
		sb_addf(why, "%s is already mounted by monzohfs (its pid could not be found): unmount it first with  "
			     "fusermount3 -u %s",
			dir, dir);
	return -1;
}

/* Whether fusermount3 is found on PATH (libfuse runs it for a user who may not mount). */
static bool mountpoint_have_fusermount(void)
{
	const char *path = getenv("PATH");
	char *copy = xstrdup(path && *path ? path : "/usr/bin:/bin"), *save = NULL;
	bool found = false;
	for (char *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/fusermount3", d);
		found = access(p, X_OK) == 0;
	}
	free(copy);
	return found;
}

void mountpoint_explain_failure(struct strbuf *why)
{
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (fd < 0 && (e == ENOENT || e == ENODEV || e == ENXIO))
		sb_addf(why, "/dev/fuse: %s: load the fuse kernel module (sudo modprobe fuse) and check that the fuse3 "
			     "package is installed",
			strerror(e));
	else if (!mountpoint_have_fusermount())
		sb_adds(why, "fusermount3 is not installed: install the fuse3 package");
	else if (fd < 0)
		sb_addf(why, "/dev/fuse: %s: check that fusermount3 is setuid root (reinstall the fuse3 package) or "
			     "that you may read and write /dev/fuse (ls -l /dev/fuse)",
			strerror(e));
	else
		sb_adds(why, "see FUSE's message above; check that the fuse3 package is installed and the fuse module "
			     "is loaded (lsmod | grep fuse)");
}
