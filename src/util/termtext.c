/* termtext: every byte outside printable ASCII is escaped, UTF-8 included: the text
 * it is used for (error codes and messages, ids) is ASCII when it is what it claims
 * to be, and a byte-exact rule has no decoder to get wrong. */
#include "termtext.h"

#include <stdio.h>
#include <string.h>

/* One byte as printed: 1, 2 or 4 characters into e. */
static size_t termtext_byte(unsigned char c, char e[5])
{
	if (c == '\\')
		return (size_t)snprintf(e, 5, "\\\\");
	if (c < 0x20 || c > 0x7e)
		return (size_t)snprintf(e, 5, "\\x%02x", c);
	e[0] = (char)c;
	e[1] = '\0';
	return 1;
}

void termtext_escape(const char *s, struct strbuf *out)
{
	char e[5];
	for (; *s; s++)
		sb_add(out, e, termtext_byte((unsigned char)*s, e));
}

const char *termtext_cut(const char *s, char *buf, size_t cap)
{
	size_t n = 0;
	char e[5];
	for (; *s; s++) {
		size_t k = termtext_byte((unsigned char)*s, e);
		if (n + k >= cap)
			break;
		memcpy(buf + n, e, k);
		n += k;
	}
	buf[n] = '\0';
	return buf;
}
