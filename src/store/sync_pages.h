/* sync_pages: what a sync does with pages of transactions between fetching and
 * storing them: checks their shape, notes the ids it saw, and keeps them in a spool
 * file so no database lock waits on the network. */
#ifndef MONZOHFS_SYNC_PAGES_H
#define MONZOHFS_SYNC_PAGES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "jsonspan.h"
#include "strbuf.h"

/* The ids of the transactions a sync received, to find the stored ones it did not. */
struct sync_seen {
	struct strbuf ids;        /* "ID\0ID\0..." */
	size_t *at;               /* offsets into ids, sorted by sync_seen_sort */
	size_t n, cap;
};

void sync_seen_init(struct sync_seen *s);
void sync_seen_release(struct sync_seen *s);
void sync_seen_sort(struct sync_seen *s);
bool sync_seen_has(const struct sync_seen *s, const char *id);

/* What a page says about itself. */
struct sync_page_info {
	long count;
	char last_id[128];
	int64_t first_created, last_created;   /* seconds; INT64_MIN when the page is empty */
};

/* Checks that body is a transactions page whose items all have an id and a created
 * time, adding the ids to seen (when not NULL) and setting *spans (malloc'd) to where
 * the items lie.  0; -EBADMSG when it is not such a page; -ERANGE when an item's
 * amount, local_amount or category amount is beyond AMOUNT_LIMIT (bad input all the
 * same). */
int sync_page_scan(const char *body, size_t len, struct sync_seen *seen, struct sync_page_info *info,
		   struct jsonspan **spans);

/* A spool: an unlinked temporary file (0600) of pages, each its body and where its
 * items lie, so a page is scanned once. */
int sync_spool_put(FILE *f, const char *body, size_t len, const struct jsonspan *spans, long n);
/* 1 with the next page (spans point into body, a malloc'd array of *n), 0 at the end,
 * -EIO on a read error or a spool not written by sync_spool_put. */
int sync_spool_get(FILE *f, struct strbuf *body, struct jsonspan **spans, long *n);

#endif
