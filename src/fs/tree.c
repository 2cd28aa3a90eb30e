/* tree: a fixed layout over the accounts list; every lookup that names an account
 * checks it against /accounts so unknown names get ENOENT, never an empty directory. */
#include "tree.h"

#include "json.h"
#include "tree_attach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tree_file {
	const char *name;
	enum file_kind kind;
};

static const struct tree_file tree_root_files[] = {
	{ "whoami.json", FILE_WHOAMI },
	{ "accounts.json", FILE_ACCOUNTS },
	{ ".status.json", FILE_STATUS },
	{ "transactions.tsv", FILE_ROOT_TSV },
};

static const struct tree_file tree_account_files[] = {
	{ "account.json", FILE_ACCOUNT },
	{ "balance.json", FILE_BALANCE },
	{ "pots.json", FILE_POTS },
	{ "transactions.json", FILE_TX_JSON },
	{ "transactions.csv", FILE_TX_CSV },
	{ "pending.csv", FILE_PENDING_CSV },
	{ "declined.csv", FILE_DECLINED_CSV },
	{ "transactions.tsv", FILE_TX_TSV },
	{ "transactions.ofx", FILE_TX_OFX },
	{ "transactions.qif", FILE_TX_QIF },
	{ "transactions.journal", FILE_TX_JOURNAL },
	{ "transactions.beancount", FILE_TX_BEANCOUNT },
};

#define TREE_COUNT(a) (sizeof(a) / sizeof((a)[0]))

void tree_init(struct tree *t, struct cache *c)
{
	t->cache = c;
}

void tree_file_id(const struct node *n, struct file_id *id)
{
	memset(id, 0, sizeof *id);
	id->kind = n->file;
	memcpy(id->account, n->account, sizeof id->account);
	memcpy(id->month, n->month, sizeof id->month);
	memcpy(id->name, n->name, sizeof id->name);
}

/* The months of an account's transactions/ directory, after its sync. */
static int tree_months(struct tree *t, const char *account, struct res_value **v)
{
	return cache_resource(t->cache, RES_TRANSACTIONS, account, v);
}

static int tree_month_file(struct tree *t, struct node *out, const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot || dot - name != 7 || (strcmp(dot, ".csv") && strcmp(dot, ".json")))
		return -ENOENT;
	struct res_value *v;
	int rc = tree_months(t, out->account, &v);
	if (rc)
		return rc;
	rc = -ENOENT;
	for (size_t i = 0; i < v->nmonths; i++)
		if (!strncmp(v->months[i], name, 7)) {
			memcpy(out->month, v->months[i], sizeof out->month);
			out->type = NODE_FILE;
			out->file = strcmp(dot, ".csv") ? FILE_MONTH_JSON : FILE_MONTH_CSV;
			rc = 0;
			break;
		}
	res_value_put(v);
	return rc;
}

/* Iterates the accounts as (id, link name) pairs; cb returns non-zero to stop. */
typedef int (*tree_account_fn)(void *ctx, const char *id, const char *link);

static int tree_walk_accounts(const struct res_value *v, tree_account_fn cb, void *ctx)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(v->json, "accounts");
	size_t i = 0;
	int rc = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, list) {
		const char *id = json_str(a, "id", "");
		if (*id && strlen(id) < sizeof((struct node *)0)->account && !strchr(id, '/') &&
		    (rc = cb(ctx, id, i < v->nlinks ? v->links[i] : "")))
			break;
		i++;
	}
	return rc > 0 ? 0 : rc;
}

static int tree_each_account(struct tree *t, struct instant *mtime, tree_account_fn cb, void *ctx)
{
	struct res_value *v;
	int rc = cache_resource(t->cache, RES_ACCOUNTS, NULL, &v);
	if (rc)
		return rc;
	if (mtime)
		*mtime = v->changed_at;
	rc = tree_walk_accounts(v, cb, ctx);
	res_value_put(v);
	return rc;
}

struct tree_find {
	const char *name;
	struct node *out;
	bool found;
};

static int tree_find_cb(void *ctx, const char *id, const char *link)
{
	struct tree_find *f = ctx;
	if (!strcmp(f->name, id)) {
		f->out->type = NODE_DIR;
		f->out->dir = DIR_ACCOUNT;
	} else if (*link && !strcmp(f->name, link)) {
		f->out->type = NODE_LINK;
	} else {
		return 0;
	}
	snprintf(f->out->account, sizeof f->out->account, "%s", id);
	f->found = true;
	return 1;
}

static int tree_find_account(struct tree *t, const char *name, size_t len, struct node *out)
{
	char buf[64];
	if (len >= sizeof buf)
		return -ENOENT;
	memcpy(buf, name, len);
	buf[len] = '\0';
	struct tree_find f = { buf, out, false };
	int rc = tree_each_account(t, &out->mtime, tree_find_cb, &f);
	if (rc)
		return rc;
	return f.found ? 0 : -ENOENT;
}

static int tree_match_file(const struct tree_file *files, size_t n, const char *name, struct node *out)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(files[i].name, name)) {
			out->type = NODE_FILE;
			out->file = files[i].kind;
			return 0;
		}
	return -ENOENT;
}

int tree_lookup(struct tree *t, const char *path, struct node *out)
{
	memset(out, 0, sizeof *out);
	if (path[0] != '/')
		return -ENOENT;
	const char *p = path + 1;
	if (!*p) {
		out->type = NODE_DIR;
		out->dir = DIR_ROOT;
		out->mtime = cache_started(t->cache);
		return 0;
	}
	if (!strchr(p, '/'))
		return strcmp(p, "accounts") ? tree_match_file(tree_root_files, TREE_COUNT(tree_root_files), p, out)
					     : (out->type = NODE_DIR, out->dir = DIR_ACCOUNTS,
						out->mtime = cache_started(t->cache), 0);
	if (strncmp(p, "accounts/", 9))
		return -ENOENT;
	p += 9;
	const char *slash = strchr(p, '/');
	size_t len = slash ? (size_t)(slash - p) : strlen(p);
	int rc = tree_find_account(t, p, len, out);
	if (rc || !slash)
		return rc;
	if (out->type != NODE_DIR)
		return -ENOTDIR;
	const char *rest = slash + 1;
	if (!strcmp(rest, "transactions")) {
		out->dir = DIR_MONTHS;
		return 0;
	}
	if (!strncmp(rest, "transactions/", 13) && !strchr(rest + 13, '/'))
		return tree_month_file(t, out, rest + 13);
	if (!strncmp(rest, "attachments", 11) && (!rest[11] || rest[11] == '/'))
		return tree_attach_lookup(t, out, rest + 11);
	if (strchr(rest, '/'))
		return -ENOENT;
	return tree_match_file(tree_account_files, TREE_COUNT(tree_account_files), rest, out);
}

struct tree_list_ctx {
	tree_fill_fn fill;
	void *ctx;
	struct instant mtime;
	bool links;
};

static int tree_list_cb(void *ctx, const char *id, const char *link)
{
	struct tree_list_ctx *l = ctx;
	struct node n = { .mtime = l->mtime };
	snprintf(n.account, sizeof n.account, "%s", id);
	if (l->links) {
		if (!*link)
			return 0;
		n.type = NODE_LINK;
		return l->fill(l->ctx, link, &n);
	}
	n.type = NODE_DIR;
	n.dir = DIR_ACCOUNT;
	return l->fill(l->ctx, id, &n);
}

static int tree_list_files(const struct tree_file *files, size_t count, const char *account, tree_fill_fn fill,
			   void *ctx)
{
	for (size_t i = 0; i < count; i++) {
		struct node n = { .type = NODE_FILE, .file = files[i].kind };
		if (account)
			snprintf(n.account, sizeof n.account, "%s", account);
		int rc = fill(ctx, files[i].name, &n);
		if (rc)
			return rc > 0 ? 0 : rc;
	}
	return 0;
}

int tree_list(struct tree *t, const struct node *dir, tree_fill_fn fill, void *ctx)
{
	if (dir->type != NODE_DIR)
		return -ENOTDIR;
	switch (dir->dir) {
	case DIR_ROOT: {
		struct node n = { .type = NODE_DIR, .dir = DIR_ACCOUNTS, .mtime = cache_started(t->cache) };
		int rc = fill(ctx, "accounts", &n);
		if (rc)
			return rc > 0 ? 0 : rc;
		return tree_list_files(tree_root_files, TREE_COUNT(tree_root_files), NULL, fill, ctx);
	}
	case DIR_ACCOUNTS: {
		/* Links first, then directories, from one copy of the list. */
		struct tree_list_ctx l = { fill, ctx, { 0, 0 }, true };
		struct res_value *v;
		int rc = cache_resource(t->cache, RES_ACCOUNTS, NULL, &v);
		if (rc)
			return rc;
		l.mtime = v->changed_at;
		if (!(rc = tree_walk_accounts(v, tree_list_cb, &l))) {
			l.links = false;
			rc = tree_walk_accounts(v, tree_list_cb, &l);
		}
		res_value_put(v);
		return rc;
	}
	case DIR_ACCOUNT: {
		struct node n = { .type = NODE_DIR, .dir = DIR_MONTHS, .mtime = dir->mtime };
		snprintf(n.account, sizeof n.account, "%s", dir->account);
		int rc = fill(ctx, "transactions", &n);
		if (!rc) {
			n.dir = DIR_ATTACHMENTS;
			rc = fill(ctx, "attachments", &n);
		}
		if (rc)
			return rc > 0 ? 0 : rc;
		return tree_list_files(tree_account_files, TREE_COUNT(tree_account_files), dir->account, fill, ctx);
	}
	case DIR_MONTHS: {
		struct res_value *v;
		int rc = tree_months(t, dir->account, &v);
		if (rc)
			return rc;
		for (size_t i = 0; i < v->nmonths && !rc; i++) {
			for (int json = 0; json < 2 && !rc; json++) {
				struct node n = { .type = NODE_FILE, .file = json ? FILE_MONTH_JSON : FILE_MONTH_CSV };
				char name[16];
				snprintf(n.account, sizeof n.account, "%s", dir->account);
				memcpy(n.month, v->months[i], sizeof n.month);
				snprintf(name, sizeof name, "%s.%s", v->months[i], json ? "json" : "csv");
				rc = fill(ctx, name, &n);
			}
		}
		res_value_put(v);
		return rc > 0 ? 0 : rc;
	}
	case DIR_ATTACHMENTS:
	case DIR_ATTACH_MONTH:
		return tree_attach_list(t, dir, fill, ctx);
	}
	return -ENOENT;
}
