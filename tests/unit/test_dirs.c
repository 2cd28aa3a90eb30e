/* Unit tests of dirs: private directories made 0700, parents too; an existing one of
 * ours tightened, but never a sticky one (as /tmp is) or the home directory; and which
 * directories are fit to hold files only we may change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "dirs.h"

static unsigned mode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0;
}

int main(void)
{
	char top[] = "/tmp/monzohfs-dirs-XXXXXX";
	CHECK(mkdtemp(top));
	char deep[128], loose[128], shared[128], home[128];
	snprintf(deep, sizeof deep, "%s/a/b", top);
	snprintf(loose, sizeof loose, "%s/loose", top);
	snprintf(shared, sizeof shared, "%s/shared", top);
	snprintf(home, sizeof home, "%s/home", top);

	CHECK(dirs_make_private(deep) == 0 && mode_of(deep) == 0700);
	CHECK(mkdir(loose, 0700) == 0 && chmod(loose, 0775) == 0);
	CHECK(dirs_tighten(loose) == 0 && mode_of(loose) == 0700);
	CHECK(mkdir(shared, 0700) == 0 && chmod(shared, 01777) == 0);
	CHECK(dirs_tighten(shared) == 0 && mode_of(shared) == 01777);
	CHECK(mkdir(home, 0700) == 0 && chmod(home, 0755) == 0 && setenv("HOME", home, 1) == 0);
	CHECK(dirs_tighten(home) == 0 && mode_of(home) == 0755);

	/* Fit to hold our files: ours, and writable by no one else; a missing one is made
	 * private when needed. */
	struct strbuf why = STRBUF_INIT;
	CHECK(dirs_check_private(deep, &why) == 0 && why.len == 0);
	char missing[160];
	snprintf(missing, sizeof missing, "%s/none", top);
	CHECK(dirs_check_private(missing, &why) == 0);
	CHECK(dirs_check_private(shared, &why) < 0 && strstr(why.buf, "is writable by other users"));
	CHECK(strstr(why.buf, shared) != NULL);
	if (geteuid() == 0) {
		/* Another user's (nobody's), even with a mode that lets no one else write. */
		sb_reset(&why);
		CHECK(chown(loose, 65534, 65534) == 0);
		CHECK(dirs_check_private(loose, &why) < 0 && strstr(why.buf, "belongs to another user (uid 65534)"));
	}
	sb_release(&why);

	char rm[160];
	snprintf(rm, sizeof rm, "rm -rf '%s'", top);
	CHECK(system(rm) == 0);
	return CHECK_DONE();
}
