/* cache_spill: a rendered file that outgrows CACHE_SPILL_AT moves, between rows as it
 * is rendered, into a memory file (memfd) that reads are served from, so a 150 MB
 * transactions.json is never held on the heap; the digest that tells versions apart
 * is the same for both kinds of copy. */
#include "cache_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xalloc.h"

/* Only to notice that bytes changed, not against an adversary: eight bytes at a time,
 * multiply and fold, so a 20 MB file costs a few milliseconds. */
static uint64_t cache_digest_words(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
		h ^= h >> 29;
	}
	for (size_t i = n & ~(size_t)7; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

static uint64_t cache_digest(const char *p, size_t n)
{
	return cache_digest_words(1469598103934665603ULL ^ n, p, n);
}

/* The same digest over n bytes of fd, read in pieces of a multiple of eight. */
static int cache_digest_fd(int fd, size_t n, uint64_t *out)
{
	char *buf = xmalloc(CACHE_SPILL_PIECE);
	uint64_t h = 1469598103934665603ULL ^ n;
	size_t done = 0;
	while (done < n) {
		size_t want = n - done < CACHE_SPILL_PIECE ? n - done : CACHE_SPILL_PIECE;
		ssize_t got = pread(fd, buf, want, (off_t)done);
		if (got <= 0) {
			free(buf);
			return got < 0 ? -errno : -EIO;
		}
		/* A short read that is not at the end is read again from a whole word. */
		size_t use = (size_t)got == want ? (size_t)got : (size_t)got & ~(size_t)7;
		if (!use) {
			free(buf);
			return -EIO;
		}
		h = cache_digest_words(h, buf, use);
		done += use;
	}
	free(buf);
	*out = h;
	return 0;
}

void cache_spill_init(struct cache_spill *s)
{
	s->fd = -1;
	s->written = 0;
	s->err = 0;
}

static void cache_spill_write(struct cache_spill *s, struct strbuf *out)
{
	if (s->fd < 0 && (s->fd = memfd_create("monzohfs-file", MFD_CLOEXEC)) < 0) {
		s->err = -errno;
		return;
	}
	for (size_t done = 0; done < out->len;) {
		ssize_t n = write(s->fd, out->buf + done, out->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->err = n < 0 ? -errno : -EIO;
			return;
		}
		done += (size_t)n;
	}
	s->written += out->len;
	sb_reset(out);
}

int cache_spill_flush(void *ctx, struct strbuf *out)
{
	struct cache_spill *s = ctx;
	/* Small files stay on the heap; once spilling, move whole pieces at a time. */
	if (!s->err && out->len >= (s->fd < 0 ? CACHE_SPILL_AT : CACHE_SPILL_PIECE))
		cache_spill_write(s, out);
	return s->err ? -1 : 0;
}

int cache_spill_finish(struct cache_spill *s, struct strbuf *out, size_t *size, uint64_t *digest)
{
	if (s->fd < 0) {
		*size = out->len;
		*digest = cache_digest(sb_str(out), out->len);
		return 0;
	}
	if (out->len && !s->err)
		cache_spill_write(s, out);
	if (s->err)
		return s->err;
	*size = s->written;
	return cache_digest_fd(s->fd, s->written, digest);
}

void cache_spill_release(struct cache_spill *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
