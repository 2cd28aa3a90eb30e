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
/* Spans of the elements of the array under key in the top-level object of text.
 * Returns the count (spans malloc'd in *out), or -1. */
long jsonspan_array(const char *text, size_t len, const char *key, struct jsonspan **out);

#endif
