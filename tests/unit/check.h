/* check.h: the few assertion macros the unit tests need; a failed check prints where
 * and what, and the test exits non-zero at the end. */
#ifndef MONZOHFS_CHECK_H
#define MONZOHFS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			check_failures++;                                               \
		}                                                                       \
	} while (0)

#define CHECK_STR(a, b)                                                                 \
	do {                                                                            \
		const char *check_a = (a), *check_b = (b);                              \
		if (!check_a || !check_b || strcmp(check_a, check_b)) {                 \
			fprintf(stderr, "%s:%d: %s\n  got:      %s\n  expected: %s\n", __FILE__, __LINE__, \
				#a, check_a ? check_a : "(null)", check_b ? check_b : "(null)"); \
			check_failures++;                                               \
		}                                                                       \
	} while (0)

#define CHECK_DONE() (check_failures ? (fprintf(stderr, "%d check(s) failed\n", check_failures), 1) : 0)

#endif
