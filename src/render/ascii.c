/* ascii: a table for Latin-1 Supplement and Latin Extended-A (the letters of
 * European names), a few punctuation marks, and nothing else: emoji have no ASCII.
 * Spaces are folded so that what was dropped leaves no trace. */
#include "ascii.h"

#include <string.h>

/* U+00C0 .. U+017F, two characters each ("A " when one letter is enough). */
static const char ascii_latin[] =
	"A A A A A A AEC E E E E I I I I D N O O O O O x O U U U U Y THssa a a a a a aec e e e e i i i i d n o o o o o / o u u u u y thy "
	"A a A a A a C c C c C c C c D d D d E e E e E e E e E e G g G g G g G g H h H h I i I i I i I i I i IJijJ j K k k L l L l L l L l L l N n N n N n n N n O o O o O o OEoeR r R r R r S s S s S s S s T t T t T t U u U u U u U u U u U u W w Y y Y Z z Z z Z z s ";

static const char *ascii_symbol(unsigned cp)
{
	switch (cp) {
	case 0xA3: return "GBP ";
	case 0x20AC: return "EUR ";
	case 0xA0: return " ";
	case 0x2018: case 0x2019: case 0x201A: case 0xB4: return "'";
	case 0x201C: case 0x201D: case 0x201E: return "\"";
	case 0x2013: case 0x2014: case 0x2212: return "-";
	case 0x2026: return "...";
	case 0xD7: return "x";
	default: return NULL;
	}
}

/* Decodes one UTF-8 sequence; returns its length (1 for a stray byte). */
static size_t ascii_decode(const unsigned char *p, unsigned *cp)
{
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	int n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
	unsigned v = n == 2 ? p[0] & 0x1F : n == 3 ? p[0] & 0x0F : p[0] & 0x07;
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		v = v << 6 | (p[i] & 0x3F);
	}
	*cp = n ? v : 0xFFFD;
	return n ? (size_t)n : 1;
}

void ascii_append(const char *utf8, size_t max, struct strbuf *out)
{
	size_t start = out->len;
	const unsigned char *p = (const unsigned char *)utf8;
	while (*p) {
		unsigned cp;
		p += ascii_decode(p, &cp);
		char one[2] = { 0, 0 };
		const char *rep = NULL;
		if (cp < 0x20 || cp == 0x7F)
			rep = " ";
		else if (cp < 0x80)
			rep = (one[0] = (char)cp, one);
		else if (cp >= 0xC0 && cp <= 0x17F) {
			const char *t = ascii_latin + (cp - 0xC0) * 2;
			one[0] = t[0];
			rep = t[1] == ' ' ? one : NULL;
			if (!rep) {
				char two[3] = { t[0], t[1], 0 };
				if (max && out->len - start + 2 > max)
					break;
				sb_adds(out, two);
				continue;
			}
		} else
			rep = ascii_symbol(cp);
		if (!rep)
			continue;
		/* A dropped emoji must not leave a double space or a space at either end. */
		if (!strcmp(rep, " ") && (out->len == start || out->buf[out->len - 1] == ' '))
			continue;
		if (max && out->len - start + strlen(rep) > max)
			break;
		sb_adds(out, rep);
	}
	while (out->len > start && out->buf[out->len - 1] == ' ')
		out->buf[--out->len] = '\0';
}
