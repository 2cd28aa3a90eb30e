/* jsonspan: a skipper, not a parser: it trusts cJSON to have validated the text and
 * only tracks strings and nesting to find element boundaries. */
#include "jsonspan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *jsonspan_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static const char *jsonspan_string_end(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

const char *jsonspan_value_end(const char *p, const char *end)
{
	p = jsonspan_ws(p, end);
	if (p >= end)
		return NULL;
	if (*p == '"')
		return jsonspan_string_end(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && !strchr(",]} \t\r\n", *p))
			p++;
		return p;
	}
	int depth = 0;
	while (p < end) {
		if (*p == '"') {
			if (!(p = jsonspan_string_end(p, end)))
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

int jsonspan_member(const char *text, size_t len, const char *key, struct jsonspan *out)
{
	const char *p = text, *end = text + len;
	size_t klen = strlen(key);
	p = jsonspan_ws(p, end);
	if (p >= end || *p++ != '{')
		return -1;
	for (;;) {
		p = jsonspan_ws(p, end);
		if (p >= end || *p != '"')
			return -1;
		const char *kend = jsonspan_string_end(p, end);
		if (!kend)
			return -1;
		bool match = (size_t)(kend - p - 2) == klen && !memcmp(p + 1, key, klen);
		p = jsonspan_ws(kend, end);
		if (p >= end || *p++ != ':')
			return -1;
		p = jsonspan_ws(p, end);
		const char *vend = jsonspan_value_end(p, end);
		if (!vend)
			return -1;
		if (match) {
			*out = (struct jsonspan){ p, (size_t)(vend - p) };
			return 0;
		}
		p = jsonspan_ws(vend, end);
		if (p >= end || *p++ != ',')
			return -1;
	}
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

long jsonspan_array(const char *text, size_t len, const char *key, struct jsonspan **out)
{
	struct jsonspan arr;
	*out = NULL;
	if (jsonspan_member(text, len, key, &arr) < 0)
		return -1;
	const char *p = arr.p, *end = arr.p + arr.len;
	if (p >= end || *p++ != '[')
		return -1;
	size_t n = 0, cap = 0;
	struct jsonspan *spans = NULL;
	for (;;) {
		p = jsonspan_ws(p, end);
		if (p < end && *p == ']' && n == 0)
			break;
		const char *e = jsonspan_value_end(p, end);
		if (!e) {
			free(spans);
			return -1;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 128;
			spans = realloc(spans, cap * sizeof *spans);
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
