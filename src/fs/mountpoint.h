/* mountpoint: what a mount point must be before anything is mounted on it — a
 * directory that exists, not a mount another monzohfs already serves (named by its
 * pid), not one a stopped daemon left behind — and, when the mount itself fails, what
 * to check about FUSE.  Built without FUSE, so unit tests can link it. */
#ifndef MONZOHFS_MOUNTPOINT_H
#define MONZOHFS_MOUNTPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "strbuf.h"

/* 0 when dir may be mounted on; -1 with one line in why that says what is wrong and
 * what to do. */
int mountpoint_check(const char *dir, struct strbuf *why);

/* Whether path (canonical) is a monzohfs mount in mountinfo (the text of
 * /proc/self/mountinfo). */
bool mountpoint_is_monzohfs(const char *mountinfo, const char *path);
/* The pid of a monzohfs process other than ours whose mount point argument is path
 * (canonical), from /proc; 0 when none is found. */
pid_t mountpoint_server_pid(const char *path);

/* After a mount failed: what to check about FUSE (/dev/fuse, the fuse module, the
 * fuse3 package and its fusermount3), as one line appended to why. */
void mountpoint_explain_failure(struct strbuf *why);

#endif
