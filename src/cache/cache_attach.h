/* cache_attach: a transaction's attachments as files of the mount,
 * accounts/acc_…/attachments/YYYY-MM/<tx_id>-<n>.<ext>.  Which there are follows the
 * account's sync (the stored transactions' JSON, no request of its own); a file's
 * size is asked of its host at its first lookup, its bytes fetched once, at its
 * first read, and kept by the store for good. */
#ifndef MONZOHFS_CACHE_ATTACH_H
#define MONZOHFS_CACHE_ATTACH_H

#include <stddef.h>

#include "cache.h"

struct cache_attach_entry {
	char month[8];           /* of the transaction's created, in the mount's zone */
	char name[96];           /* "<tx_id>-<n>.<ext>", n from 1 in the array's order */
	char *url;               /* file_url */
	struct instant mtime;    /* the attachment's created, else the transaction's */
};

/* An account's attachments as of its last sync: immutable, shared by reference. */
struct cache_attach_list {
	int refs;
	struct cache_attach_entry *e;   /* by the transactions' (created, id), then n */
	size_t n;
	char (*months)[8];              /* the months with any, oldest first */
	size_t nmonths;
};

/* The account's list, its sync brought up to its TTL first.  0 or a negative errno;
 * release with cache_attach_list_put. */
int cache_attach_list(struct cache *c, const char *account, struct cache_attach_list **out);
void cache_attach_list_put(struct cache_attach_list *l);
/* The entry named name in month, or NULL. */
const struct cache_attach_entry *cache_attach_find(const struct cache_attach_list *l, const char *month,
						   const char *name);
/* The extension a file of file_type gets, from a list of receipt types: jpg
 * (image/jpeg), png, gif, heic, webp, pdf; bin for any other type. */
void cache_attach_ext(const char *file_type, char out[8]);

#endif
