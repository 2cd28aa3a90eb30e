/* jsonspan: a validating scanner, not a tree builder: it checks the JSON grammar as it
 * walks (strings, escapes, numbers, literals, nesting) and reports where values lie,
 * so a page of transactions is checked and taken apart without an allocation per
 * value.  UTF-8 inside strings is passed through as sent. */
#include "jsonspan.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Deeper nesting than any API reply has is refused rather than recursed into. */
#define JSONSPAN_MAX_DEPTH 256

static const char *jsonspan_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static bool jsonspan_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A mark in the high bit of each of the 8 bytes of w that is '"', '\\' or below 0x20:
 * the bytes a string scan must stop at, found a word at a time (bit tricks on 64-bit
 * words).  The lowest mark is exact; marks above it may be false. */
static uint64_t jsonspan_word_special(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
	uint64_t zero_q = (quote - ones) & ~quote & highs;
	uint64_t zero_s = (slash - ones) & ~slash & highs;
	uint64_t control = (w - ones * 0x20) & ~w & highs;
	return zero_q | zero_s | control;
}

/* The first byte at or after p that a string scan must look at, a word at a time; in
 * the last 7 bytes before end, p itself (the caller goes on a byte at a time).  Most
 * strings are shorter than a word or two, so the byte is found from the mark rather
 * than by stepping up to it. */
static const char *jsonspan_plain(const char *p, const char *end)
{
	while (end - p >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		uint64_t special = jsonspan_word_special(w);
		if (special) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return p + (__builtin_ctzll(special) >> 3);
#else
			return p;
#endif
		}
		p += 8;
	}
	return p;
}

/* p at the opening quote; the end after the closing one, or NULL. */
static const char *jsonspan_string_end(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if ((p = jsonspan_plain(p, end)) >= end)
			break;
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			if (++p >= end)
				return NULL;
			if (*p == 'u') {
				if (end - p < 5 || !jsonspan_is_hex(p[1]) || !jsonspan_is_hex(p[2]) ||
				    !jsonspan_is_hex(p[3]) || !jsonspan_is_hex(p[4]))
					return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
	}
	return NULL;
}

static const char *jsonspan_digits(const char *p, const char *end)
{
	const char *start = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p > start ? p : NULL;
}

static const char *jsonspan_number_end(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (!(p = jsonspan_digits(p, end)))
		return NULL;
	if (p < end && *p == '.' && !(p = jsonspan_digits(p + 1, end)))
		return NULL;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!(p = jsonspan_digits(p, end)))
			return NULL;
	}
	return p;
}

static const char *jsonspan_literal_end(const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);
	return (size_t)(end - p) >= n && !memcmp(p, word, n) ? p + n : NULL;
}

static const char *jsonspan_value(const char *p, const char *end, int depth);

/* p after '{' or '['. */
static const char *jsonspan_container_end(const char *p, const char *end, char close, int depth)
{
	p = jsonspan_ws(p, end);
	if (p < end && *p == close)
		return p + 1;
	for (;;) {
		if (close == '}') {
			p = jsonspan_ws(p, end);
			if (p >= end || *p != '"' || !(p = jsonspan_string_end(p, end)))
				return NULL;
			p = jsonspan_ws(p, end);
			if (p >= end || *p++ != ':')
				return NULL;
		}
		if (!(p = jsonspan_value(p, end, depth + 1)))
			return NULL;
		p = jsonspan_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		return p < end && *p == close ? p + 1 : NULL;
	}
}

static const char *jsonspan_value(const char *p, const char *end, int depth)
{
	p = jsonspan_ws(p, end);
	if (p >= end || depth > JSONSPAN_MAX_DEPTH)
		return NULL;
	switch (*p) {
	case '"': return jsonspan_string_end(p, end);
	case '{': return jsonspan_container_end(p + 1, end, '}', depth);
	case '[': return jsonspan_container_end(p + 1, end, ']', depth);
	case 't': return jsonspan_literal_end(p, end, "true");
	case 'f': return jsonspan_literal_end(p, end, "false");
	case 'n': return jsonspan_literal_end(p, end, "null");
	default: return jsonspan_number_end(p, end);
	}
}

const char *jsonspan_value_end(const char *p, const char *end)
{
	return jsonspan_value(p, end, 0);
}

/* The end of the string at p for text already known to be well formed: only quotes
 * and backslashes matter, found a word at a time. */
static const char *jsonspan_string_skip(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if ((p = jsonspan_plain(p, end)) >= end)
			break;
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* The end of the value at p, tracking only strings and nesting: never reads past end,
 * but checks nothing else (the text is checked where it is taken apart). */
static const char *jsonspan_value_skip(const char *p, const char *end)
{
	p = jsonspan_ws(p, end);
	if (p >= end)
		return NULL;
	if (*p == '"')
		return jsonspan_string_skip(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && !strchr(",]} \t\r\n", *p))
			p++;
		return p;
	}
	int depth = 0;
	while (p < end) {
		if (*p == '"') {
			if (!(p = jsonspan_string_skip(p, end)))
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

int jsonspan_each_member(const char *text, size_t len, enum jsonspan_check check, jsonspan_member_fn fn,
			 void *ctx)
{
	bool trust = check == JSONSPAN_TRUST;
	const char *p = text, *end = text + len;
	p = jsonspan_ws(p, end);
	if (p >= end || *p++ != '{')
		return -1;
	p = jsonspan_ws(p, end);
	if (p < end && *p == '}')
		return 0;
	for (;;) {
		p = jsonspan_ws(p, end);
		const char *kend = NULL;
		if (p < end && *p == '"')
			kend = trust ? jsonspan_string_skip(p, end) : jsonspan_string_end(p, end);
		if (!kend)
			return -1;
		const char *key = p + 1;
		size_t klen = (size_t)(kend - p - 2);
		p = jsonspan_ws(kend, end);
		if (p >= end || *p++ != ':')
			return -1;
		p = jsonspan_ws(p, end);
		const char *vend = trust ? jsonspan_value_skip(p, end) : jsonspan_value_end(p, end);
		if (!vend || vend == p)
			return -1;
		int rc = fn(ctx, key, klen, (struct jsonspan){ p, (size_t)(vend - p) });
		if (rc)
			return rc;
		p = jsonspan_ws(vend, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		return p < end && *p == '}' ? 0 : -1;
	}
}

/* Where the value of member key of the top-level object starts, without skipping it:
 * a page's array of transactions is walked once, not skipped first. */
static const char *jsonspan_value_start(const char *text, size_t len, const char *key)
{
	const char *p = text, *end = text + len;
	size_t klen = strlen(key);
	p = jsonspan_ws(p, end);
	if (p >= end || *p++ != '{')
		return NULL;
	for (;;) {
		p = jsonspan_ws(p, end);
		if (p >= end || *p != '"')
			return NULL;
		const char *kend = jsonspan_string_end(p, end);
		if (!kend)
			return NULL;
		bool match = (size_t)(kend - p - 2) == klen && !memcmp(p + 1, key, klen);
		p = jsonspan_ws(kend, end);
		if (p >= end || *p++ != ':')
			return NULL;
		p = jsonspan_ws(p, end);
		if (match)
			return p < end ? p : NULL;
		if (!(p = jsonspan_value_end(p, end)))
			return NULL;
		p = jsonspan_ws(p, end);
		if (p >= end || *p++ != ',')
			return NULL;
	}
}

int jsonspan_member(const char *text, size_t len, const char *key, struct jsonspan *out)
{
	const char *p = jsonspan_value_start(text, len, key);
	const char *vend = p ? jsonspan_value_end(p, text + len) : NULL;
	if (!vend)
		return -1;
	*out = (struct jsonspan){ p, (size_t)(vend - p) };
	return 0;
}

int jsonspan_string(const char *text, size_t len, const char *key, char *buf, size_t cap)
{
	struct jsonspan v;
	if (jsonspan_member(text, len, key, &v) < 0 || v.len < 2 || v.p[0] != '"' || v.len - 2 >= cap ||
	    memchr(v.p + 1, '\\', v.len - 2))
		return -1;
	memcpy(buf, v.p + 1, v.len - 2);
	buf[v.len - 2] = '\0';
	return 0;
}

static unsigned jsonspan_hex4(const char *p)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

static void jsonspan_utf8(uint32_t cp, struct strbuf *out)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	sb_add(out, b, n);
}

int jsonspan_decode(struct jsonspan v, struct strbuf *out)
{
	/* v was found by the scanner, so its escapes are already known to be whole. */
	if (v.len < 2 || v.p[0] != '"' || v.p[v.len - 1] != '"')
		return -1;
	const char *p = v.p + 1, *end = v.p + v.len - 1;
	while (p < end) {
		const char *esc = memchr(p, '\\', (size_t)(end - p));
		if (!esc) {
			sb_add(out, p, (size_t)(end - p));
			break;
		}
		sb_add(out, p, (size_t)(esc - p));
		p = esc + 1;
		switch (*p++) {
		case 'b': sb_addch(out, '\b'); break;
		case 'f': sb_addch(out, '\f'); break;
		case 'n': sb_addch(out, '\n'); break;
		case 'r': sb_addch(out, '\r'); break;
		case 't': sb_addch(out, '\t'); break;
		case 'u': {
			uint32_t cp = jsonspan_hex4(p);
			p += 4;
			/* A surrogate pair is one character; a lone half becomes U+FFFD. */
			if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
				uint32_t lo = jsonspan_hex4(p + 2);
				if (lo >= 0xDC00 && lo < 0xE000) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					p += 6;
				}
			}
			if (cp >= 0xD800 && cp < 0xE000)
				cp = 0xFFFD;
			jsonspan_utf8(cp, out);
			break;
		}
		default: sb_addch(out, p[-1]); break; /* " \ / */
		}
	}
	return 0;
}

bool jsonspan_int(struct jsonspan v, int64_t *out)
{
	const char *p = v.p, *end = v.p + v.len;
	bool neg = p < end && *p == '-';
	if (neg)
		p++;
	if (p >= end)
		return false;
	uint64_t n = 0;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		if (n > (UINT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	if (n > (uint64_t)INT64_MAX + neg)
		return false;
	*out = neg ? (int64_t)(0 - n) : (int64_t)n;
	return true;
}

long jsonspan_array(const char *text, size_t len, const char *key, enum jsonspan_check check, struct jsonspan **out)
{
	*out = NULL;
	const char *p = jsonspan_value_start(text, len, key), *end = text + len;
	if (!p || *p++ != '[')
		return -1;
	size_t n = 0, cap = 0;
	struct jsonspan *spans = NULL;
	for (;;) {
		p = jsonspan_ws(p, end);
		if (p < end && *p == ']' && n == 0)
			break;
		const char *e = check == JSONSPAN_CHECK ? jsonspan_value_end(p, end) : jsonspan_value_skip(p, end);
		if (!e) {
			free(spans);
			return -1;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 128;
			spans = xreallocarray(spans, cap, sizeof *spans);
		}
		spans[n++] = (struct jsonspan){ p, (size_t)(e - p) };
		p = jsonspan_ws(e, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == ']')
			break;
		free(spans);
		return -1;
	}
	*out = spans;
	return (long)n;
}
