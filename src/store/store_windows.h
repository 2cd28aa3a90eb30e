/* store_windows: the time windows of a full-history capture that commits as it goes:
 * where each starts and ends, the last transaction received in it, and whether it is
 * complete.  A capture cut short (a crash, Ctrl-C, a window that failed) leaves them,
 * and the next capture of the account fetches only the windows not complete. */
#ifndef MONZOHFS_STORE_WINDOWS_H
#define MONZOHFS_STORE_WINDOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_WINDOW_OPEN INT64_MAX   /* a window's end: none (the newest window) */

struct store_window {
	int64_t since;            /* seconds, inclusive: the window's key in its account */
	int64_t before;           /* seconds, exclusive, or STORE_WINDOW_OPEN */
	char cursor[128];         /* the last transaction received in it, "" for none */
	int64_t cursor_created;   /* its created second */
	bool done;
};

/* The account's windows, by since (*out malloc'd, NULL when none). */
int store_windows_get(struct store *s, const char *account, struct store_window **out, size_t *n);
/* Inserts or replaces the window of the account that starts at w->since. */
int store_window_put(struct store *s, const char *account, const struct store_window *w);
/* Forgets the window that starts at since. */
int store_window_drop(struct store *s, const char *account, int64_t since);
/* Forgets every window of the account: its capture is over. */
int store_windows_clear(struct store *s, const char *account);

#endif
