/* blobs: files kept by content (attachments), each named by the SHA-256 of its bytes
 * in one private directory beside the history store, so the same bytes are one file
 * and a file, once written, is never written again (unless found damaged). */
#ifndef MONZOHFS_BLOBS_H
#define MONZOHFS_BLOBS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define BLOBS_HEX_LEN 64

/* The directory of the blobs of the store at store_path (malloc'd): "attachments"
 * beside it. */
char *blobs_dir(const char *store_path);
/* SHA-256 of data as lower-case hex. */
void blobs_sha256(const void *data, size_t len, char hex[BLOBS_HEX_LEN + 1]);
/* Keeps data under its hash (given in hex) in dir, made 0700 if need be; a blob
 * already there is left as it is.  A new one is kept only while the files in dir
 * stay within quota bytes (else EDQUOT) and the file system keeps
 * BLOBS_FREE_RESERVE bytes free after it (else ENOSPC): attachments never fill the
 * disk the history store is on.  0, or -1 with errno set. */
#define BLOBS_FREE_RESERVE ((uint64_t)64 << 20)
int blobs_put(const char *dir, const char *hex, const void *data, size_t len, uint64_t quota);
/* A read-only descriptor of the blob, when it is there with exactly size bytes;
 * else -1 with errno set (ENOENT when absent, EIO when its size is wrong). */
int blobs_open(const char *dir, const char *hex, uint64_t size);
/* Whether the bytes behind fd have the SHA-256 hex: 0, or -1 with errno EIO (also
 * when they cannot be read). */
int blobs_check(int fd, const char *hex);
/* Removes a blob (one whose bytes are not its name's): 0 (also when it was not
 * there), or -1 with errno set. */
int blobs_remove(const char *dir, const char *hex);
/* Removes the temporary files a write left in dir when its process died (atomicfile's
 * ".HEX.XXXXXX") last changed before older_than, so that a write under way in another
 * process is left alone.  The number removed, or -1 with errno set. */
int blobs_sweep(const char *dir, time_t older_than);
/* The first eight bytes of the hash as a number: a digest that tells versions of a
 * file apart (struct snapshot). */
uint64_t blobs_digest(const char *hex);

#endif
