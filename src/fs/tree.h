/* tree: the mount's namespace.  Turns a path into a node (directory, file or friendly
 * link) and lists directories, from the accounts the cache holds. */
#ifndef MONZOHFS_TREE_H
#define MONZOHFS_TREE_H

#include <errno.h>

#include "cache.h"

enum node_type { NODE_DIR, NODE_FILE, NODE_LINK };
enum dir_kind { DIR_ROOT, DIR_ACCOUNTS, DIR_ACCOUNT, DIR_MONTHS, DIR_POTS, DIR_POT, DIR_ATTACHMENTS,
		DIR_ATTACH_MONTH, DIR_REPORTS /* an account's reports/, or with no account the root's */ };

/* A pot's directory and files are those of an account with pot set (DIR_MONTHS with
 * pot set is the pot's transactions/). */
struct node {
	enum node_type type;
	enum dir_kind dir;     /* NODE_DIR */
	enum file_kind file;   /* NODE_FILE */
	char account[64];      /* NODE_DIR of an account, its files, NODE_LINK's target */
	char pot[64];          /* a pot's directory and files; a pot link's target */
	char month[8];         /* month files: "YYYY-MM" */
	char name[96];         /* attachment files (tree_attach.h) */
	struct instant mtime;  /* directories and links */
};

/* What a link points at, relative to its directory ("accounts/acc_…" for an
 * account's at the root, "pot_…" for a pot's), written into buf. */
#define TREE_TARGET_MAX 80
const char *tree_link_target(const struct node *n, char buf[TREE_TARGET_MAX]);

/* The cache's name for a file node. */
void tree_file_id(const struct node *n, struct file_id *id);

struct tree {
	struct cache *cache;
};

void tree_init(struct tree *t, struct cache *c);
/* 0, -ENOENT for a name that is not there, or the cache's error. */
int tree_lookup(struct tree *t, const char *path, struct node *out);

/* A listing whose part cannot be had (EIO: refused, or not fetched and not stored)
 * lists nothing of it, so every other name keeps serving and no name is listed that
 * cannot be opened (DESIGN: a listing and a lookup always agree).  The login's own
 * refusal (EACCES) and other errors stay errors. */
static inline int tree_list_part(int rc)
{
	return rc == -EIO ? 0 : rc;
}

typedef int (*tree_fill_fn)(void *ctx, const char *name, const struct node *n);
/* Calls fill for each entry of a directory node (not "." and ".."); stops early when
 * fill returns non-zero. */
int tree_list(struct tree *t, const struct node *dir, tree_fill_fn fill, void *ctx);

#endif
