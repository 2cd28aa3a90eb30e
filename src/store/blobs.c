/* blobs: libcrypto hashes; atomicfile writes, so a blob under its name is always
 * whole.  Names are checked to be 64 hex digits before they become paths. */
#include "blobs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "atomicfile.h"
#include "dirs.h"
#include "strbuf.h"
#include "xalloc.h"

char *blobs_dir(const char *store_path)
{
	char *copy = xstrdup(store_path), *out = NULL;
	if (asprintf(&out, "%s/attachments", dirname(copy)) < 0)
		out = NULL;
	free(copy);
	return out;
}

void blobs_sha256(const void *data, size_t len, char hex[BLOBS_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	hex[0] = '\0';
	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n * 2 != BLOBS_HEX_LEN)
		return;
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static bool blobs_name_ok(const char *hex)
{
	return strlen(hex) == BLOBS_HEX_LEN && strspn(hex, "0123456789abcdef") == BLOBS_HEX_LEN;
}

static void blobs_path(const char *dir, const char *hex, struct strbuf *out)
{
	sb_addf(out, "%s/%s", dir, hex);
}

/* The bytes of the regular files in dir, temporary ones included (they are what a
 * write under way will take). */
static int blobs_used(const char *dir, uint64_t *used)
{
	*used = 0;
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	struct stat st;
	while ((e = readdir(d)))
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			*used += (uint64_t)st.st_size;
	closedir(d);
	return 0;
}

/* Whether len more bytes fit within quota and the file system's free space. */
static int blobs_room(const char *dir, uint64_t len, uint64_t quota)
{
	uint64_t used;
	struct statvfs fs;
	if (blobs_used(dir, &used) < 0 || statvfs(dir, &fs) < 0)
		return -1;
	if (len > quota || used > quota - len) {
		errno = EDQUOT;
		return -1;
	}
	if ((uint64_t)fs.f_bavail * fs.f_frsize < len + BLOBS_FREE_RESERVE) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

int blobs_put(const char *dir, const char *hex, const void *data, size_t len, uint64_t quota)
{
	if (!blobs_name_ok(hex)) {
		errno = EINVAL;
		return -1;
	}
	if (dirs_make_private(dir) < 0 || dirs_tighten(dir) < 0)
		return -1;
	struct strbuf path = STRBUF_INIT;
	blobs_path(dir, hex, &path);
	struct stat st;
	int rc = stat(path.buf, &st) == 0 && (size_t)st.st_size == len ? 0
		 : blobs_room(dir, len, quota) < 0 ? -1
		 : atomicfile_write(dir, path.buf, data, len, NULL);
	sb_release(&path);
	return rc;
}

int blobs_open(const char *dir, const char *hex, uint64_t size)
{
	if (!blobs_name_ok(hex)) {
		errno = EINVAL;
		return -1;
	}
	struct strbuf path = STRBUF_INIT;
	blobs_path(dir, hex, &path);
	int fd = open(path.buf, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	sb_release(&path);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != size)) {
		close(fd);
		errno = EIO;
		return -1;
	}
	return fd;
}

int blobs_check(int fd, const char *hex)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char buf[1 << 16], sum[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (off_t at = 0; ok;) {
		ssize_t got = pread(fd, buf, sizeof buf, at);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			ok = got == 0 && EVP_DigestFinal_ex(md, sum, &n) && n * 2 == BLOBS_HEX_LEN;
			break;
		}
		ok = EVP_DigestUpdate(md, buf, (size_t)got);
		at += got;
	}
	EVP_MD_CTX_free(md);
	char got_hex[BLOBS_HEX_LEN + 1];
	for (unsigned i = 0; ok && i < n; i++)
		snprintf(got_hex + 2 * i, 3, "%02x", sum[i]);
	if (!ok || strcmp(got_hex, hex)) {
		errno = EIO;
		return -1;
	}
	return 0;
}

int blobs_remove(const char *dir, const char *hex)
{
	if (!blobs_name_ok(hex)) {
		errno = EINVAL;
		return -1;
	}
	struct strbuf path = STRBUF_INIT;
	blobs_path(dir, hex, &path);
	int rc = unlink(path.buf) < 0 && errno != ENOENT ? -1 : 0;
	sb_release(&path);
	return rc;
}

/* ".<64 hex digits>.XXXXXX": atomicfile's temporary name for a blob. */
static bool blobs_is_temp(const char *name)
{
	return name[0] == '.' && strspn(name + 1, "0123456789abcdef") == BLOBS_HEX_LEN &&
	       name[1 + BLOBS_HEX_LEN] == '.' && strlen(name + 2 + BLOBS_HEX_LEN) == 6;
}

int blobs_sweep(const char *dir, time_t older_than)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	int removed = 0;
	struct dirent *e;
	struct stat st;
	while ((e = readdir(d)))
		if (blobs_is_temp(e->d_name) && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime < older_than && unlinkat(dirfd(d), e->d_name, 0) == 0)
			removed++;
	closedir(d);
	return removed;
}

uint64_t blobs_digest(const char *hex)
{
	char head[17];
	snprintf(head, sizeof head, "%s", hex);
	return strtoull(head, NULL, 16);
}
