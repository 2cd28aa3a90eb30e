/* strlist: a growable array of owned strings.  Lists handed from one module to
 * another (ids to ask for, pots and their accounts) travel as one of these rather
 * than as NUL-joined bytes that each reader parses back. */
#ifndef MONZOHFS_STRLIST_H
#define MONZOHFS_STRLIST_H

#include <stddef.h>

struct strlist {
	char **v;
	size_t n, cap;
};

#define STRLIST_INIT { NULL, 0, 0 }

/* Appends a copy of s (dies on out-of-memory, as strbuf does). */
void strlist_add(struct strlist *l, const char *s);
void strlist_release(struct strlist *l);

#endif
