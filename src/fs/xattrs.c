/* xattrs: every value comes from the inode (its version's mtime, its file id) and the
 * cache's record of where that version came from; nothing is fetched, so the kernel's
 * frequent questions (security.capability, security.selinux) cost a string compare. */
#include "xattrs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define XATTRS_PREFIX "user.monzo."

enum { XATTRS_FETCHED, XATTRS_CHANGED, XATTRS_SOURCE, XATTRS_ACCOUNT, XATTRS_POT, XATTRS_COUNT };

static const char *const xattrs_names[XATTRS_COUNT] = {
	[XATTRS_FETCHED] = XATTRS_PREFIX "fetched_at",
	[XATTRS_CHANGED] = XATTRS_PREFIX "changed_at",
	[XATTRS_SOURCE] = XATTRS_PREFIX "source",
	[XATTRS_ACCOUNT] = XATTRS_PREFIX "account_id",
	[XATTRS_POT] = XATTRS_PREFIX "pot_id",
};

struct xattrs_values {
	bool have[XATTRS_COUNT];
	char value[XATTRS_COUNT][sizeof((struct cache_origin *)0)->source];
};

/* A directory's account and pot, from its path alone ("/accounts/ID" and below,
 * "/accounts/ID/pots/POT" and below): looking them up would ask the cache for lists
 * that may be due for a fetch. */
static void xattrs_dir_account(const char *path, char *out, size_t size, char *pot, size_t pot_size)
{
	static const char prefix[] = "/accounts/";
	if (strncmp(path, prefix, sizeof prefix - 1))
		return;
	const char *id = path + sizeof prefix - 1;
	int len = (int)strcspn(id, "/");
	if (len)
		snprintf(out, size, "%.*s", len, id);
	if (!strncmp(id + len, "/pots/", 6) && (len = (int)strcspn(id + len + 6, "/")) > 0)
		snprintf(pot, pot_size, "%.*s", len, strstr(id, "/pots/") + 6);
}

static void xattrs_of(struct cache *c, const struct inode *i, struct xattrs_values *v)
{
	memset(v, 0, sizeof *v);
	char *account = v->value[XATTRS_ACCOUNT];
	if (i->type == NODE_FILE) {
		struct cache_origin o;
		if (cache_file_origin(c, &i->id, i->snap, &o) == 0) {
			timefmt_utc_z(o.fetched_at.sec, v->value[XATTRS_FETCHED]);
			snprintf(v->value[XATTRS_SOURCE], sizeof v->value[XATTRS_SOURCE], "%s", o.source);
			v->have[XATTRS_FETCHED] = true;
			v->have[XATTRS_SOURCE] = o.source[0] != '\0';
		}
		timefmt_utc_z(i->snap->mtime.sec, v->value[XATTRS_CHANGED]);
		v->have[XATTRS_CHANGED] = true;
		snprintf(account, sizeof v->value[XATTRS_ACCOUNT], "%s", i->id.account);
		snprintf(v->value[XATTRS_POT], sizeof v->value[XATTRS_POT], "%s", i->id.pot);
	} else if (i->type == NODE_DIR) {
		xattrs_dir_account(i->path, account, sizeof v->value[XATTRS_ACCOUNT], v->value[XATTRS_POT],
				   sizeof v->value[XATTRS_POT]);
	}
	v->have[XATTRS_ACCOUNT] = account[0] != '\0';
	v->have[XATTRS_POT] = v->value[XATTRS_POT][0] != '\0';
}

void xattrs_list(struct cache *c, const struct inode *i, struct strbuf *out)
{
	struct xattrs_values v;
	xattrs_of(c, i, &v);
	for (int k = 0; k < XATTRS_COUNT; k++)
		if (v.have[k])
			sb_add(out, xattrs_names[k], strlen(xattrs_names[k]) + 1);
}

int xattrs_get(struct cache *c, const struct inode *i, const char *name, struct strbuf *out)
{
	if (strncmp(name, XATTRS_PREFIX, sizeof XATTRS_PREFIX - 1))
		return -ENODATA;
	int k = 0;
	while (k < XATTRS_COUNT && strcmp(name, xattrs_names[k]))
		k++;
	if (k == XATTRS_COUNT)
		return -ENODATA;
	struct xattrs_values v;
	xattrs_of(c, i, &v);
	if (!v.have[k])
		return -ENODATA;
	sb_adds(out, v.value[k]);
	return 0;
}
