/* strbuf: the one growable byte buffer used everywhere (HTTP bodies, rendered files,
 * paths).  Always NUL-terminated so its bytes can be handed to string functions. */
#ifndef MONZOHFS_STRBUF_H
#define MONZOHFS_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

#define STRBUF_INIT { NULL, 0, 0 }

void sb_init(struct strbuf *sb);
void sb_release(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_grow(struct strbuf *sb, size_t extra);
void sb_add(struct strbuf *sb, const void *data, size_t len);
void sb_adds(struct strbuf *sb, const char *s);
/* Inline: renderers add a character at a time between fields, a hundred per row. */
static inline void sb_addch(struct strbuf *sb, char c)
{
	if (sb->len + 2 > sb->alloc)
		sb_grow(sb, 1);
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Hands the bytes to the caller (never NULL) and leaves the buffer empty. */
char *sb_detach(struct strbuf *sb, size_t *len);
/* The buffer's text; "" for a buffer that never grew. */
const char *sb_str(const struct strbuf *sb);

#endif
