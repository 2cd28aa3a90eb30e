/* xalloc: one place that says "out of memory" and aborts, for strbuf and the rest. */
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xalloc_check(void *p)
{
	if (!p) {
		fputs("monzohfs: out of memory\n", stderr);
		abort();
	}
	return p;
}

void *xmalloc(size_t n)
{
	return xalloc_check(malloc(n ? n : 1));
}

void *xcalloc(size_t count, size_t size)
{
	return xalloc_check(calloc(count ? count : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t n)
{
	return xalloc_check(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s)
{
	return xalloc_check(strdup(s));
}

char *xstrndup(const char *s, size_t n)
{
	return xalloc_check(strndup(s, n));
}

void *xreallocarray(void *p, size_t count, size_t size)
{
	if (size && count > (size_t)-1 / size)
		xalloc_check(NULL);
	return xrealloc(p, count * size);
}
