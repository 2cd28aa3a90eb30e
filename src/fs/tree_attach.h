/* tree_attach: the attachments/ directory of an account: a directory per month with
 * an attachment, a file per attachment (names from cache_attach.h). */
#ifndef MONZOHFS_TREE_ATTACH_H
#define MONZOHFS_TREE_ATTACH_H

#include "tree.h"

/* out: the account's directory node, as tree_lookup found it; rest: what follows
 * "attachments" in the path ("", "/2024-06" or "/2024-06/tx_…-1.jpg").  0 or -ENOENT
 * (or the cache's error). */
int tree_attach_lookup(struct tree *t, struct node *out, const char *rest);
/* Lists a DIR_ATTACHMENTS or DIR_ATTACH_MONTH node, as tree_list does. */
int tree_attach_list(struct tree *t, const struct node *dir, tree_fill_fn fill, void *ctx);

#endif
