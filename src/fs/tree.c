/* tree: a fixed layout over the accounts list; every lookup that names an account
 * checks it against /accounts so unknown names get ENOENT, never an empty directory. */
#include "tree.h"

#include "json.h"
#include "links.h"
#include "tree_attach.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


const char *tree_link_target(const struct node *n, char buf[TREE_TARGET_MAX])
{
	/* A pot's link sits beside its directory; an account's at the mount's root. */
	snprintf(buf, TREE_TARGET_MAX, "%s%s", n->pot[0] ? "" : "accounts/", n->pot[0] ? n->pot : n->account);
	return buf;
}

void tree_init(struct tree *t, struct cache *c)
{
	t->cache = c;
}

void tree_file_id(const struct node *n, struct file_id *id)
{
	memset(id, 0, sizeof *id);
	id->kind = n->file;
	memcpy(id->account, n->account, sizeof id->account);
	memcpy(id->pot, n->pot, sizeof id->pot);
	memcpy(id->month, n->month, sizeof id->month);
	memcpy(id->name, n->name, sizeof id->name);
}

/* The account that holds a pot's own transactions, once a transfer has named it. */
static int tree_pot_account(struct tree *t, const char *account, const char *pot, char out[64])
{
	struct res_value *v;
	int rc = cache_resource(t->cache, RES_TRANSACTIONS, account, &v);
	if (rc)
		return rc;
	const char *acc = cache_pot_account(v, pot);
	if (acc)
		snprintf(out, 64, "%s", acc);
	res_value_put(v);
	return acc ? 0 : -ENOENT;
}

/* A pot's own ledger: its account, once a transfer has named it, and the bank serves
 * it.  Until both, the pot is pot.json alone (DESIGN: a refused ledger is shown like a
 * pot nothing was moved into); the refusal is remembered by the cache for the
 * transactions TTL, so a traversal asks once. */
static int tree_pot_ledger(struct tree *t, const char *account, const char *pot, char out[64])
{
	int rc = tree_pot_account(t, account, pot, out);
	struct res_value *v;
	if (!rc && !(rc = cache_resource(t->cache, RES_POT_TRANSACTIONS, out, &v)))
		res_value_put(v);
	return rc;
}

/* The months of a transactions/ directory (an account's or a pot's), after its sync. */
static int tree_months(struct tree *t, const struct node *n, struct res_value **v)
{
	if (!n->pot[0])
		return cache_resource(t->cache, RES_TRANSACTIONS, n->account, v);
	char pot_account[64];
	int rc = tree_pot_account(t, n->account, n->pot, pot_account);
	return rc ? rc : cache_resource(t->cache, RES_POT_TRANSACTIONS, pot_account, v);
}

static int tree_month_file(struct tree *t, struct node *out, const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot || dot - name != 7 || (strcmp(dot, ".csv") && strcmp(dot, ".json")))
		return -ENOENT;
	struct res_value *v;
	int rc = tree_months(t, out, &v);
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

/* Iterates a list reply (the accounts, an account's pots) as (id, link name) pairs;
 * cb returns non-zero to stop.  Ids that cannot name a node are passed over. */
typedef int (*tree_named_fn)(void *ctx, const char *id, const char *link);

static int tree_walk_named(const struct res_value *v, const char *key, tree_named_fn cb, void *ctx)
{
	size_t i = 0;
	int rc = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(v->json, key)) {
		const char *id = json_str(a, "id", "");
		if (*id && strlen(id) < sizeof((struct node *)0)->account && !strchr(id, '/') &&
		    (rc = cb(ctx, id, i < v->nlinks ? v->links[i] : "")))
			break;
		i++;
	}
	return rc > 0 ? 0 : rc;
}

static int tree_walk_accounts(const struct res_value *v, tree_named_fn cb, void *ctx)
{
	return tree_walk_named(v, "accounts", cb, ctx);
}

static int tree_walk_pots(const struct res_value *v, tree_named_fn cb, void *ctx)
{
	return tree_walk_named(v, "pots", cb, ctx);
}

/* The list of kind (of account, for pots) walked with cb; *mtime its change time. */
static int tree_each_named(struct tree *t, enum res_kind kind, const char *account, struct instant *mtime,
			   tree_named_fn cb, void *ctx)
{
	struct res_value *v;
	int rc = cache_resource(t->cache, kind, account, &v);
	if (rc)
		return rc;
	if (mtime)
		*mtime = v->changed_at;
	rc = tree_walk_named(v, kind == RES_POTS ? "pots" : "accounts", cb, ctx);
	res_value_put(v);
	return rc;
}

/* Finding a name among (id, link name) pairs: the id is a directory (dir), the link
 * name a link; either way the id goes into what (the node's account or pot). */
struct tree_find {
	const char *name;
	struct node *out;
	enum dir_kind dir;
	char *what;
	bool found;
	bool ids, links;          /* what the name may be */
};

static int tree_find_cb(void *ctx, const char *id, const char *link)
{
	struct tree_find *f = ctx;
	if (f->ids && !strcmp(f->name, id)) {
		f->out->type = NODE_DIR;
		f->out->dir = f->dir;
	} else if (f->links && *link && !strcmp(f->name, link)) {
		f->out->type = NODE_LINK;
	} else {
		return 0;
	}
	snprintf(f->what, 64, "%s", id);
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
	/* accounts/ holds the ids alone, so a glob of its entries is each account once. */
	struct tree_find f = { buf, out, DIR_ACCOUNT, out->account, false, true, false };
	int rc = tree_each_named(t, RES_ACCOUNTS, NULL, &out->mtime, tree_find_cb, &f);
	if (rc)
		return rc;
	return f.found ? 0 : -ENOENT;
}

/* A friendly link at the mount's root (current, joint, ...): an open account by type. */
static int tree_find_root_link(struct tree *t, const char *name, struct node *out)
{
	struct tree_find f = { name, out, DIR_ACCOUNT, out->account, false, false, true };
	int rc = tree_each_named(t, RES_ACCOUNTS, NULL, &out->mtime, tree_find_cb, &f);
	if (rc)
		return rc;
	return f.found ? 0 : -ENOENT;
}

/* name as a file of place, by render/files.h's table. */
static int tree_match_file(enum file_place place, const char *name, struct node *out)
{
	const struct file_row *row = files_named(place, name);
	if (!row)
		return -ENOENT;
	out->type = NODE_FILE;
	out->file = row->kind;
	return 0;
}

/* rest: what follows "accounts/ACC/pots/". */
static int tree_pots_lookup(struct tree *t, const char *rest, struct node *out)
{
	const char *slash = strchr(rest, '/');
	size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
	char name[LINKS_NAME_MAX];
	if (len >= sizeof name)
		return -ENOENT;
	memcpy(name, rest, len);
	name[len] = '\0';
	struct tree_find f = { name, out, DIR_POT, out->pot, false, true, true };
	int rc = tree_each_named(t, RES_POTS, out->account, &out->mtime, tree_find_cb, &f);
	if (rc || !f.found)
		return rc ? rc : -ENOENT;
	if (!slash)
		return 0;
	if (out->type != NODE_DIR)
		return -ENOTDIR;
	rest = slash + 1;
	if (!strcmp(rest, "pot.json"))
		return tree_match_file(PLACE_POT, rest, out);
	/* The rest exists once the pot's own ledger can be had, as its listing says. */
	char pot_account[64];
	if ((rc = tree_pot_ledger(t, out->account, out->pot, pot_account)))
		return rc == -EACCES || rc == -EINTR ? rc : -ENOENT;
	if (!strcmp(rest, "transactions")) {
		out->dir = DIR_MONTHS;
		return 0;
	}
	if (!strncmp(rest, "transactions/", 13) && !strchr(rest + 13, '/'))
		return tree_month_file(t, out, rest + 13);
	if (strchr(rest, '/'))
		return -ENOENT;
	return tree_match_file(PLACE_POT, rest, out);
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
	if (!strchr(p, '/')) {
		if (!strcmp(p, "accounts") || !strcmp(p, "reports")) {
			out->type = NODE_DIR;
			out->dir = strcmp(p, "reports") ? DIR_ACCOUNTS : DIR_REPORTS;
			out->mtime = cache_started(t->cache);
			return 0;
		}
		if (tree_match_file(PLACE_ROOT, p, out) == 0)
			return 0;
		return tree_find_root_link(t, p, out);
	}
	if (!strncmp(p, "reports/", 8))
		return strchr(p + 8, '/') ? -ENOENT : tree_match_file(PLACE_ROOT_REPORTS, p + 8, out);
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
	if (!strcmp(rest, "pots")) {
		out->dir = DIR_POTS;
		return 0;
	}
	if (!strcmp(rest, "reports")) {
		out->dir = DIR_REPORTS;
		return 0;
	}
	if (!strncmp(rest, "reports/", 8))
		return strchr(rest + 8, '/') ? -ENOENT : tree_match_file(PLACE_REPORTS, rest + 8, out);
	if (!strncmp(rest, "pots/", 5))
		return tree_pots_lookup(t, rest + 5, out);
	if (!strncmp(rest, "transactions/", 13) && !strchr(rest + 13, '/'))
		return tree_month_file(t, out, rest + 13);
	if (!strncmp(rest, "attachments", 11) && (!rest[11] || rest[11] == '/'))
		return tree_attach_lookup(t, out, rest + 11);
	if (strchr(rest, '/'))
		return -ENOENT;
	return tree_match_file(PLACE_ACCOUNT, rest, out);
}

/* Listing (id, link name) pairs: links first, then a directory per id; proto is the
 * node they share (its dir kind, the account of pots), and pot says where the id goes. */
struct tree_list_ctx {
	tree_fill_fn fill;
	void *ctx;
	struct node proto;
	bool pot;
	bool links;
};

static int tree_list_cb(void *ctx, const char *id, const char *link)
{
	struct tree_list_ctx *l = ctx;
	struct node n = l->proto;
	snprintf(l->pot ? n.pot : n.account, sizeof n.account, "%s", id);
	if (l->links) {
		if (!*link)
			return 0;
		n.type = NODE_LINK;
		return l->fill(l->ctx, link, &n);
	}
	n.type = NODE_DIR;
	return l->fill(l->ctx, id, &n);
}

/* The files of place (the table's, in its order; count: at most that many), with
 * the account and pot of dir. */
static int tree_list_files(enum file_place place, size_t count, const struct node *dir, tree_fill_fn fill,
			   void *ctx)
{
	const struct file_row *row;
	for (size_t i = 0; i < count && (row = files_listed(place, i)); i++) {
		struct node n = { .type = NODE_FILE, .file = row->kind };
		if (dir) {
			snprintf(n.account, sizeof n.account, "%s", dir->account);
			snprintf(n.pot, sizeof n.pot, "%s", dir->pot);
		}
		int rc = fill(ctx, row->name, &n);
		if (rc)
			return rc > 0 ? 0 : rc;
	}
	return 0;
}

/* Links by name first, then a directory per pot, deleted ones too. */
static int tree_list_pots(struct tree *t, const struct node *dir, tree_fill_fn fill, void *ctx)
{
	struct tree_list_ctx l = { fill, ctx, { .dir = DIR_POT, .mtime = dir->mtime }, true, true };
	snprintf(l.proto.account, sizeof l.proto.account, "%s", dir->account);
	/* Both from one copy of the list, as the accounts are. */
	struct res_value *v;
	int rc = cache_resource(t->cache, RES_POTS, dir->account, &v);
	if (rc)
		return tree_list_part(rc);
	rc = tree_walk_pots(v, tree_list_cb, &l);
	l.links = false;
	if (!rc)
		rc = tree_walk_pots(v, tree_list_cb, &l);
	res_value_put(v);
	return rc;
}

int tree_list(struct tree *t, const struct node *dir, tree_fill_fn fill, void *ctx)
{
	if (dir->type != NODE_DIR)
		return -ENOTDIR;
	switch (dir->dir) {
	case DIR_ROOT: {
		struct node n = { .type = NODE_DIR, .dir = DIR_ACCOUNTS, .mtime = cache_started(t->cache) };
		int rc = fill(ctx, "accounts", &n);
		n.dir = DIR_REPORTS;
		if (!rc)
			rc = fill(ctx, "reports", &n);
		if (!rc)
			rc = tree_list_files(PLACE_ROOT, SIZE_MAX, NULL, fill, ctx);
		if (rc)
			return rc > 0 ? 0 : rc;
		/* Then a link per open account with a friendly name; without the account
		 * list (the login refused, the API down and nothing stored) the files alone. */
		struct tree_list_ctx l = { fill, ctx, { .dir = DIR_ACCOUNT }, false, true };
		struct res_value *v;
		if ((rc = cache_resource(t->cache, RES_ACCOUNTS, NULL, &v)))
			return rc == -EINTR ? rc : 0;
		l.proto.mtime = v->changed_at;
		rc = tree_walk_accounts(v, tree_list_cb, &l);
		res_value_put(v);
		return rc;
	}
	case DIR_ACCOUNTS: {
		/* A directory per account, closed ones too: ids only. */
		struct tree_list_ctx l = { fill, ctx, { .dir = DIR_ACCOUNT }, false, false };
		struct res_value *v;
		int rc = cache_resource(t->cache, RES_ACCOUNTS, NULL, &v);
		if (rc)
			return rc;
		l.proto.mtime = v->changed_at;
		rc = tree_walk_accounts(v, tree_list_cb, &l);
		res_value_put(v);
		return rc;
	}
	case DIR_ACCOUNT: {
		struct node n = { .type = NODE_DIR, .dir = DIR_MONTHS, .mtime = dir->mtime };
		snprintf(n.account, sizeof n.account, "%s", dir->account);
		int rc = fill(ctx, "transactions", &n);
		n.dir = DIR_POTS;
		if (!rc)
			rc = fill(ctx, "pots", &n);
		if (!rc) {
			n.dir = DIR_ATTACHMENTS;
			rc = fill(ctx, "attachments", &n);
		}
		if (!rc) {
			n.dir = DIR_REPORTS;
			rc = fill(ctx, "reports", &n);
		}
		if (rc)
			return rc > 0 ? 0 : rc;
		return tree_list_files(PLACE_ACCOUNT, SIZE_MAX, dir, fill, ctx);
	}
	case DIR_POTS:
		return tree_list_pots(t, dir, fill, ctx);
	case DIR_POT: {
		char pot_account[64];
		int rc = tree_pot_ledger(t, dir->account, dir->pot, pot_account);
		if (rc == -EACCES || rc == -EINTR)
			return rc;
		struct node n = { .type = NODE_DIR, .dir = DIR_MONTHS, .mtime = dir->mtime };
		snprintf(n.account, sizeof n.account, "%s", dir->account);
		snprintf(n.pot, sizeof n.pot, "%s", dir->pot);
		if (rc)
			return tree_list_files(PLACE_POT, 1, dir, fill, ctx);
		if ((rc = fill(ctx, "transactions", &n)))
			return rc > 0 ? 0 : rc;
		return tree_list_files(PLACE_POT, SIZE_MAX, dir, fill, ctx);
	}
	case DIR_MONTHS: {
		struct res_value *v;
		int rc = tree_months(t, dir, &v);
		if (rc)
			return tree_list_part(rc == -ENOENT ? -EIO : rc);   /* -EINTR stays */
		for (size_t i = 0; i < v->nmonths && !rc; i++) {
			for (int json = 0; json < 2 && !rc; json++) {
				struct node n = { .type = NODE_FILE, .file = json ? FILE_MONTH_JSON : FILE_MONTH_CSV };
				char name[16];
				snprintf(n.account, sizeof n.account, "%s", dir->account);
				snprintf(n.pot, sizeof n.pot, "%s", dir->pot);
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
	case DIR_REPORTS: {
		if (!dir->account[0])
			return tree_list_files(PLACE_ROOT_REPORTS, SIZE_MAX, dir, fill, ctx);
		/* Made from the account's rows: nothing listed while they cannot be had. */
		struct res_value *v;
		int rc = cache_resource(t->cache, RES_TRANSACTIONS, dir->account, &v);
		if (rc)
			return tree_list_part(rc);
		res_value_put(v);
		return tree_list_files(PLACE_REPORTS, SIZE_MAX, dir, fill, ctx);
	}
	}
	return -ENOENT;
}
