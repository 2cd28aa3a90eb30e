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

long jsonspan_array(const char *text, size_t len, const char *key, struct jsonspan **out)
{
	const char *p = text, *end = text + len;
	size_t klen = strlen(key);
	*out = NULL;
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
		if (match)
			break;
		if (!(p = jsonspan_value_end(p, end)))
			return -1;
		p = jsonspan_ws(p, end);
		if (p >= end || *p++ != ',')
			return -1;
	}
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
