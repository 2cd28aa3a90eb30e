/* jsonspan: finds where each value of JSON text lies, checking the grammar as it goes,
 * so transactions are stored byte for byte as the API sent them and read without a
 * tree of allocations. */
#ifndef MONZOHFS_JSONSPAN_H
#define MONZOHFS_JSONSPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct jsonspan {
	const char *p;
	size_t len;
};

/* The end of the JSON value starting at p (after leading white space), or NULL when
 * the text is not well formed before end. */
const char *jsonspan_value_end(const char *p, const char *end);
/* The span of the value of member key in the top-level object of text (keys are
 * compared as written).  0, or -1 when absent or not well formed. */
int jsonspan_member(const char *text, size_t len, const char *key, struct jsonspan *out);
/* The value of string member key copied to buf, when it is a string without escapes
 * that fits; 0 or -1.  For ids and timestamps, without building a tree. */
int jsonspan_string(const char *text, size_t len, const char *key, char *buf, size_t cap);
/* Spans of the elements of the array under key in the top-level object of text.
 * JSONSPAN_CHECK checks each element's grammar; JSONSPAN_TRUST only finds where they
 * lie (several times faster), for text checked elsewhere (each element taken apart
 * with jsonspan_each_member is checked there).  Returns the count (spans malloc'd in
 * *out), or -1. */
enum jsonspan_check { JSONSPAN_CHECK, JSONSPAN_TRUST };
long jsonspan_array(const char *text, size_t len, const char *key, enum jsonspan_check check,
		    struct jsonspan **out);

/* Calls fn with each member of the object text (the key as written, without quotes);
 * stops at fn's first non-zero return and returns it.  0, or -1 when not well formed
 * (JSONSPAN_TRUST: for an object already checked as part of a larger value, only where
 * its members lie is found). */
typedef int (*jsonspan_member_fn)(void *ctx, const char *key, size_t klen, struct jsonspan value);
int jsonspan_each_member(const char *text, size_t len, enum jsonspan_check check, jsonspan_member_fn fn,
			 void *ctx);
/* Appends the string value v (quotes included), as one of the functions above found
 * it, decoded to UTF-8.  0, or -1 when v is not a string. */
int jsonspan_decode(struct jsonspan v, struct strbuf *out);
/* v as an integer, exactly, when it is one that fits. */
bool jsonspan_int(struct jsonspan v, int64_t *out);

#endif
