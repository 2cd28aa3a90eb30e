/* tree_attach: attachments/ is in every account's directory, empty or not; below it
 * every name is checked against the account's attachment list (as of its sync), so
 * a month or file that is not there gets ENOENT. */
#include "tree_attach.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cache_attach.h"

static bool tree_attach_has_month(const struct cache_attach_list *l, const char *month, size_t len)
{
	for (size_t i = 0; i < l->nmonths; i++)
		if (len == strlen(l->months[i]) && !strncmp(l->months[i], month, len))
			return true;
	return false;
}

int tree_attach_lookup(struct tree *t, struct node *out, const char *rest)
{
	out->type = NODE_DIR;
	out->dir = DIR_ATTACHMENTS;
	if (!*rest)
		return 0;
	const char *month = rest + 1, *slash = strchr(month, '/');
	size_t len = slash ? (size_t)(slash - month) : strlen(month);
	if (len != sizeof out->month - 1 || (slash && strchr(slash + 1, '/')))
		return -ENOENT;
	struct cache_attach_list *l;
	int rc = cache_attach_list(t->cache, out->account, &l);
	if (rc)
		return rc;
	rc = -ENOENT;
	if (tree_attach_has_month(l, month, len)) {
		memcpy(out->month, month, len);
		out->month[len] = '\0';
		if (!slash) {
			out->dir = DIR_ATTACH_MONTH;
			rc = 0;
		} else if (cache_attach_find(l, out->month, slash + 1)) {
			out->type = NODE_FILE;
			out->file = FILE_ATTACHMENT;
			snprintf(out->name, sizeof out->name, "%s", slash + 1);
			rc = 0;
		}
	}
	cache_attach_list_put(l);
	return rc;
}

int tree_attach_list(struct tree *t, const struct node *dir, tree_fill_fn fill, void *ctx)
{
	struct cache_attach_list *l;
	int rc = cache_attach_list(t->cache, dir->account, &l);
	if (rc)
		return tree_list_part(rc);
	struct node n = { .mtime = dir->mtime };
	memcpy(n.account, dir->account, sizeof n.account);
	if (dir->dir == DIR_ATTACHMENTS) {
		n.type = NODE_DIR;
		n.dir = DIR_ATTACH_MONTH;
		for (size_t i = 0; i < l->nmonths && !rc; i++) {
			memcpy(n.month, l->months[i], sizeof n.month);
			rc = fill(ctx, n.month, &n);
		}
	} else {
		n.type = NODE_FILE;
		n.file = FILE_ATTACHMENT;
		memcpy(n.month, dir->month, sizeof n.month);
		for (size_t i = 0; i < l->n && !rc; i++)
			if (!strcmp(l->e[i].month, dir->month)) {
				memcpy(n.name, l->e[i].name, sizeof n.name);
				rc = fill(ctx, n.name, &n);
			}
	}
	cache_attach_list_put(l);
	return rc > 0 ? 0 : rc;
}
