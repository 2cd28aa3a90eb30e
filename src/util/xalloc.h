/* xalloc: allocations that cannot fail.  Like strbuf, they end the process with a
 * message when memory runs out: no caller here could do better, and an error path
 * nobody can test is worse than none.  Checked allocations stay only where a test
 * proves the checked path (the login's callback: tests/unit/test_callback_alloc.c). */
#ifndef MONZOHFS_XALLOC_H
#define MONZOHFS_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* At most n bytes of s, NUL-terminated. */
char *xstrndup(const char *s, size_t n);
/* realloc to count elements of size, checked for overflow. */
void *xreallocarray(void *p, size_t count, size_t size);

#endif
