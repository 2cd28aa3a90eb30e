/* xmltext: UTF-8 is checked by hand because XML parsers refuse a document with one
 * bad byte, and a merchant's name comes from the bank's JSON unchecked. */
#include "xmltext.h"

#include <stdbool.h>
#include <stdint.h>

/* The length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF) and its code point, or 0. */
static size_t xmltext_seq(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		min = 0x80;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		min = 0x800;
		*cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		min = 0x10000;
		*cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

static bool xmltext_allowed(uint32_t cp)
{
	if (cp < 0x20)
		return cp == '\t' || cp == '\n' || cp == '\r';
	return cp != 0xfffe && cp != 0xffff;
}

void xmltext_escape(const char *s, struct strbuf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t cp;
		size_t len = xmltext_seq(p, &cp);
		if (!len || !xmltext_allowed(cp)) {
			sb_adds(out, "\xef\xbf\xbd");
			p += len ? len : 1;
			continue;
		}
		switch (*p) {
		case '&':
			sb_adds(out, "&amp;");
			break;
		case '<':
			sb_adds(out, "&lt;");
			break;
		case '>':
			sb_adds(out, "&gt;");
			break;
		case '"':
			sb_adds(out, "&quot;");
			break;
		case '\'':
			sb_adds(out, "&apos;");
			break;
		default:
			sb_add(out, p, len);
			break;
		}
		p += len;
	}
}

size_t xmltext_length(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	while (*p) {
		uint32_t cp;
		size_t len = xmltext_seq(p, &cp);
		p += len ? len : 1;
		n++;
	}
	return n;
}
