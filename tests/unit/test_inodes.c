/* Unit tests of the versioned inodes: one inode per version of a file, old versions
 * kept for whoever holds them, and the budget that hands idle files back. */
#include "inodes.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"

static struct snapshot *snap_of(const char *text, struct instant mtime)
{
	uint64_t digest = 0;
	for (const char *p = text; *p; p++)
		digest = digest * 31 + (unsigned char)*p;
	return snapshot_new(strdup(text), -1, strlen(text), mtime, digest);
}

static uint64_t look_file(struct inodes *t, const char *path, struct snapshot *s, struct stat *st)
{
	struct node n = { .type = NODE_FILE };
	uint64_t id = inodes_lookup(t, path, &n, s, st);
	snapshot_put(s);   /* the inode holds its own reference */
	return id;
}

static void test_versions(void)
{
	struct inodes t;
	struct instant t1 = { 1000, 0 }, t2 = { 2000, 0 };
	struct stat st;
	inodes_init(&t, 1 << 20, 1000, 1000, t1);

	struct node dir = { .type = NODE_DIR, .mtime = t1 };
	uint64_t acc = inodes_lookup(&t, "/accounts", &dir, NULL, &st);
	CHECK(S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0555);
	CHECK(inodes_lookup(&t, "/accounts", &dir, NULL, &st) == acc);

	uint64_t a = look_file(&t, "/accounts/b.json", snap_of("{\"a\":1}\n", t1), &st);
	CHECK(st.st_size == 8 && st.st_mtim.tv_sec == 1000 && (st.st_mode & 0777) == 0444);
	/* The same bytes in a new render: the same inode, so the kernel keeps its pages. */
	CHECK(look_file(&t, "/accounts/b.json", snap_of("{\"a\":1}\n", t1), &st) == a);
	/* New bytes: a new inode; the old one still serves what it served. */
	uint64_t b = look_file(&t, "/accounts/b.json", snap_of("{\"a\":22}\n", t2), &st);
	CHECK(b != a && st.st_size == 9 && st.st_mtim.tv_sec == 2000);
	struct inode *old = inodes_get(&t, a), *cur = inodes_get(&t, b);
	CHECK(old->snap->size == 8 && !memcmp(old->snap->data, "{\"a\":1}\n", 8));
	CHECK(!old->current && cur->current);

	/* Entry invalidations name the current version through its parent. */
	uint64_t parent;
	struct strbuf name = STRBUF_INIT;
	CHECK(inodes_entry(&t, "/accounts/b.json", 0, &parent, &name) && parent == acc);
	CHECK_STR(sb_str(&name), "b.json");
	CHECK(!inodes_entry(&t, "/accounts/none.json", 0, &parent, &name));
	CHECK(inodes_entry(&t, "/accounts", 0, &parent, &name) && parent == INODES_ROOT_ID);
	/* A hand-back names one version, and only while it waits to be handed back. */
	CHECK(!inodes_entry(&t, "/accounts/b.json", cur->serial, &parent, &name));
	sb_release(&name);

	/* Two lookups of a, two forgets: then it is gone (ASan checks the frees). */
	inodes_forget(&t, a, 1);
	inodes_forget(&t, a, 1);
	CHECK(t.pinned_bytes == 9);
	inodes_forget(&t, b, 1);
	CHECK(t.pinned_bytes == 0);
	/* Forgotten entirely, a path is new again; a link is an inode of its own. */
	uint64_t c = look_file(&t, "/accounts/b.json", snap_of("{\"a\":22}\n", t2), &st);
	CHECK(inodes_get(&t, c)->current && st.st_size == 9);
	struct node link = { .type = NODE_LINK, .mtime = t1 };
	strcpy(link.account, "acc_1");
	/* An account's link is at the root: its target is "accounts/acc_1". */
	uint64_t l = inodes_lookup(&t, "/current", &link, NULL, &st);
	CHECK(S_ISLNK(st.st_mode) && st.st_size == 14);
	strcpy(link.account, "acc_22");
	CHECK(inodes_lookup(&t, "/current", &link, NULL, &st) != l && st.st_size == 15);
	/* The rest is still held at teardown, as after a lazy unmount. */
	inodes_destroy(&t);
}

/* The "SERIAL PATH" items of one budget check, as paths. */
static void budget_paths(struct inodes *t, struct strbuf *paths, uint64_t *serial)
{
	size_t n;
	struct inodes_drop *drops = inodes_over_budget(t, &n);
	sb_reset(paths);
	for (size_t i = 0; i < n; i++) {
		*serial = drops[i].serial;
		sb_adds(paths, drops[i].path);
		sb_addch(paths, ' ');
	}
	inodes_drops_free(drops, n);
}

static void test_budget(void)
{
	struct inodes t;
	struct instant t1 = { 1000, 0 }, t2 = { 2000, 0 };
	struct stat st;
	inodes_init(&t, 20, 0, 0, t1);
	struct strbuf paths = STRBUF_INIT, name = STRBUF_INIT;
	uint64_t serial = 0, parent;

	uint64_t a = look_file(&t, "/a", snap_of("0123456789", t1), &st);
	look_file(&t, "/b", snap_of("0123456789", t1), &st);
	budget_paths(&t, &paths, &serial);
	CHECK_STR(sb_str(&paths), "");   /* 20 bytes: at the budget, not over it */

	look_file(&t, "/c", snap_of("0123456789", t1), &st);
	budget_paths(&t, &paths, &serial);
	CHECK_STR(sb_str(&paths), "/a ");   /* the least recently used */
	CHECK(serial == inodes_get(&t, a)->serial);
	CHECK(inodes_entry(&t, "/a", serial, &parent, &name) && parent == INODES_ROOT_ID);
	/* Asked once: the kernel may keep it while it is open, and is not asked again. */
	budget_paths(&t, &paths, &serial);
	CHECK_STR(sb_str(&paths), "");
	/* Used again before the hand-back went out: it stays, and b goes instead. */
	CHECK(look_file(&t, "/a", snap_of("0123456789", t1), &st) == a);
	CHECK(!inodes_entry(&t, "/a", serial, &parent, &name));
	budget_paths(&t, &paths, &serial);
	CHECK_STR(sb_str(&paths), "/b ");

	/* Old versions held by open files are not the budget's to hand back, and the
	 * file just asked for is never handed back, even alone over the budget. */
	inodes_destroy(&t);
	inodes_init(&t, 20, 0, 0, t1);
	uint64_t big = look_file(&t, "/big", snap_of("0123456789012345678901234", t1), &st);
	budget_paths(&t, &paths, &serial);
	CHECK_STR(sb_str(&paths), "");
	look_file(&t, "/big", snap_of("012345678901234567890123456789", t2), &st);
	CHECK(!inodes_get(&t, big)->current);
	budget_paths(&t, &paths, &serial);
	CHECK_STR(sb_str(&paths), "");
	inodes_destroy(&t);
	sb_release(&paths);
	sb_release(&name);
}

int main(void)
{
	test_versions();
	test_budget();
	return CHECK_DONE();
}
