/* jsonspan: finds where each element of a JSON array lies in the original text, so
 * transactions are stored byte for byte as the API sent them. */
#ifndef MONZOHFS_JSONSPAN_H
#define MONZOHFS_JSONSPAN_H

#include <stddef.h>

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
 * Returns the count (spans malloc'd in *out), or -1. */
long jsonspan_array(const char *text, size_t len, const char *key, struct jsonspan **out);

#endif
