/* store_attach: attachments in the store.  Which there are comes from the stored
 * transactions' JSON (their "attachments" arrays, no table of their own); which were
 * fetched, and where their bytes are kept (blobs.h), from the attachment_files table. */
#ifndef MONZOHFS_STORE_ATTACH_H
#define MONZOHFS_STORE_ATTACH_H

#include <stdint.h>

#include "store.h"
#include "timefmt.h"

/* One attachment of a stored transaction; strings valid during the callback only. */
struct store_attach {
	const char *tx_id;
	struct instant tx_created;
	int index;               /* its place in the transaction's attachments, from 0 */
	const char *file_url;
	const char *file_type;   /* "" when absent */
	const char *created;     /* the attachment's own created text, "" when absent */
};

typedef int (*store_attach_fn)(void *ctx, const struct store_attach *a);
/* Every attachment with a file_url of the account's transactions, by (created, id)
 * and then in array order.  Stops when fn returns non-zero and returns that value;
 * -EIO on a store error. */
int store_attach_each(struct store *s, const char *account, store_attach_fn fn, void *ctx);

/* A file fetched once: its bytes are the blob named sha256. */
struct store_attach_file {
	char sha256[65];
	uint64_t size;
	char content_type[128];
	struct instant fetched_at;
};

/* 0 with *f filled when url was fetched before; -ENOENT when it was not; -EIO on a
 * store error. */
int store_attach_find(struct store *s, const char *url, struct store_attach_file *f);
/* Records url's bytes (already kept as a blob).  0 or -EIO. */
int store_attach_record(struct store *s, const char *url, const struct store_attach_file *f);

#endif
