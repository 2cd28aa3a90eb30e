/* inodes: versioned inodes keyed by path.  Ids handed to the kernel are the inodes'
 * addresses (the root is 1); an inode lives until the kernel forgets every lookup of
 * it, which is when no open file or cached name can reach its bytes any more. */
#include "inodes.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static size_t inodes_hash(const char *path, size_t nbuckets)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t)(h & (nbuckets - 1));
}

void inodes_init(struct inodes *t, size_t keep_bytes, uid_t uid, gid_t gid, struct instant root_mtime)
{
	memset(t, 0, sizeof *t);
	pthread_mutex_init(&t->lock, NULL);
	t->nbuckets = 256;
	t->buckets = xcalloc(t->nbuckets, sizeof *t->buckets);
	t->keep_bytes = keep_bytes;
	t->uid = uid;
	t->gid = gid;
	t->next_serial = INODES_ROOT_ID + 1;
	t->root.serial = INODES_ROOT_ID;
	t->root.type = NODE_DIR;
	t->root.path = xstrdup("/");
	t->root.mtime = root_mtime;
	t->root.current = true;
}

static void inodes_free_one(struct inode *i)
{
	if (i->snap)
		snapshot_put(i->snap);
	free(i->target);
	free(i->path);
	free(i);
}

void inodes_destroy(struct inodes *t)
{
	/* Inodes the kernel never forgot (a lazy unmount with files open). */
	while (t->all) {
		struct inode *i = t->all;
		t->all = i->next;
		inodes_free_one(i);
	}
	free(t->root.path);
	free(t->buckets);
	pthread_mutex_destroy(&t->lock);
}

struct inode *inodes_get(struct inodes *t, uint64_t id)
{
	return id == INODES_ROOT_ID ? &t->root : (struct inode *)(uintptr_t)id;
}

uint64_t inodes_id(const struct inodes *t, const struct inode *i)
{
	return i == &t->root ? INODES_ROOT_ID : (uint64_t)(uintptr_t)i;
}

/* Under t->lock. */
static struct inode *inodes_current(struct inodes *t, const char *path)
{
	if (!strcmp(path, "/"))
		return &t->root;
	for (struct inode *i = t->buckets[inodes_hash(path, t->nbuckets)]; i; i = i->hnext)
		if (!strcmp(i->path, path))
			return i;
	return NULL;
}

static void inodes_unhash(struct inodes *t, struct inode *i)
{
	struct inode **p = &t->buckets[inodes_hash(i->path, t->nbuckets)];
	while (*p && *p != i)
		p = &(*p)->hnext;
	if (*p)
		*p = i->hnext;
	i->hnext = NULL;
	i->current = false;
	t->count--;
}

static void inodes_rehash(struct inodes *t)
{
	size_t n = t->nbuckets * 2;
	struct inode **b = xcalloc(n, sizeof *b);
	for (size_t k = 0; k < t->nbuckets; k++)
		while (t->buckets[k]) {
			struct inode *i = t->buckets[k];
			t->buckets[k] = i->hnext;
			size_t h = inodes_hash(i->path, n);
			i->hnext = b[h];
			b[h] = i;
		}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

static void inodes_hash_in(struct inodes *t, struct inode *i)
{
	if (t->count >= t->nbuckets * 2)
		inodes_rehash(t);
	size_t h = inodes_hash(i->path, t->nbuckets);
	i->hnext = t->buckets[h];
	t->buckets[h] = i;
	i->current = true;
	t->count++;
}

static bool inodes_same(const struct inode *i, const struct node *n, const struct snapshot *snap)
{
	if (i->type != n->type)
		return false;
	switch (n->type) {
	case NODE_DIR:
		return true;   /* a directory's attributes may move; it stays one inode */
	case NODE_LINK: {
		char target[TREE_TARGET_MAX];
		return !strcmp(i->target, tree_link_target(n, target));
	}
	case NODE_FILE:
		return i->snap == snap || (i->snap->size == snap->size && i->snap->digest == snap->digest &&
					   !timefmt_cmp(i->snap->mtime, snap->mtime));
	}
	return false;
}

/* Under t->lock. */
static void inodes_fill(const struct inodes *t, const struct inode *i, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = (ino_t)i->serial;
	st->st_uid = t->uid;
	st->st_gid = t->gid;
	struct instant m = i->mtime;
	switch (i->type) {
	case NODE_DIR:
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
		break;
	case NODE_FILE:
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = (off_t)i->snap->size;
		st->st_blocks = (st->st_size + 511) / 512;
		m = i->snap->mtime;
		break;
	case NODE_LINK:
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)strlen(i->target);
		break;
	}
	st->st_mtim.tv_sec = m.sec;
	st->st_mtim.tv_nsec = m.nsec;
	st->st_ctim = st->st_mtim;
	st->st_atim = st->st_mtim;
}

uint64_t inodes_lookup(struct inodes *t, const char *path, const struct node *n, struct snapshot *snap,
		       struct stat *st)
{
	pthread_mutex_lock(&t->lock);
	struct inode *i = inodes_current(t, path);
	if (!i || !inodes_same(i, n, snap)) {
		if (i)
			inodes_unhash(t, i);   /* lives on for whoever still has it open */
		i = xcalloc(1, sizeof *i);
		i->serial = t->next_serial++;
		i->type = n->type;
		i->path = xstrdup(path);
		if (n->type == NODE_FILE) {
			snapshot_get(snap);
			i->snap = snap;
			tree_file_id(n, &i->id);
			t->pinned_bytes += snap->size;
		} else if (n->type == NODE_LINK) {
			char target[TREE_TARGET_MAX];
			i->target = xstrdup(tree_link_target(n, target));
		}
		i->next = t->all;
		if (t->all)
			t->all->prev = i;
		t->all = i;
		inodes_hash_in(t, i);
	}
	if (n->type != NODE_FILE)
		i->mtime = n->mtime;
	if (i != &t->root)
		i->nlookup++;
	i->used = ++t->use_counter;
	i->evicting = false;
	inodes_fill(t, i, st);
	uint64_t id = inodes_id(t, i);
	pthread_mutex_unlock(&t->lock);
	return id;
}

void inodes_stat(struct inodes *t, struct inode *i, const struct node *n, struct stat *st)
{
	pthread_mutex_lock(&t->lock);
	if (n && i->type == NODE_DIR && n->type == NODE_DIR)
		i->mtime = n->mtime;
	i->used = ++t->use_counter;
	inodes_fill(t, i, st);
	pthread_mutex_unlock(&t->lock);
}

void inodes_touch(struct inodes *t, struct inode *i)
{
	pthread_mutex_lock(&t->lock);
	i->used = ++t->use_counter;
	pthread_mutex_unlock(&t->lock);
}

void inodes_forget(struct inodes *t, uint64_t id, uint64_t n)
{
	struct inode *i = inodes_get(t, id);
	if (i == &t->root)
		return;
	pthread_mutex_lock(&t->lock);
	i->nlookup = n < i->nlookup ? i->nlookup - n : 0;
	if (i->nlookup) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	if (i->current)
		inodes_unhash(t, i);
	if (i->snap)
		t->pinned_bytes -= i->snap->size;
	if (i->prev)
		i->prev->next = i->next;
	else
		t->all = i->next;
	if (i->next)
		i->next->prev = i->prev;
	pthread_mutex_unlock(&t->lock);
	inodes_free_one(i);
}

bool inodes_entry(struct inodes *t, const char *path, uint64_t serial, uint64_t *parent, struct strbuf *name)
{
	const char *slash = strrchr(path, '/');
	if (!slash || !slash[1])
		return false;
	struct strbuf dir = STRBUF_INIT;
	sb_add(&dir, path, slash == path ? 1 : (size_t)(slash - path));
	pthread_mutex_lock(&t->lock);
	struct inode *i = inodes_current(t, path), *p = inodes_current(t, sb_str(&dir));
	bool known = i && p && i->nlookup;
	/* A hand-back is for the version chosen, and only while nobody used it since. */
	if (known && serial)
		known = i->serial == serial && i->evicting;
	if (known) {
		*parent = inodes_id(t, p);
		sb_reset(name);
		sb_adds(name, slash + 1);
	}
	pthread_mutex_unlock(&t->lock);
	sb_release(&dir);
	return known;
}

struct inodes_drop *inodes_over_budget(struct inodes *t, size_t *n)
{
	struct inodes_drop *out = NULL;
	size_t cap = 0;
	*n = 0;
	pthread_mutex_lock(&t->lock);
	if (t->pinned_bytes <= t->keep_bytes) {
		pthread_mutex_unlock(&t->lock);
		return NULL;
	}
	/* Only current versions nobody was asked about yet can be handed back; old
	 * versions stay while open, whatever the budget. */
	size_t held = 0;
	for (struct inode *i = t->all; i; i = i->next)
		if (i->snap && i->current && !i->evicting)
			held += i->snap->size;
	while (held > t->keep_bytes) {
		struct inode *victim = NULL;
		for (struct inode *i = t->all; i; i = i->next)
			if (i->snap && i->current && !i->evicting && (!victim || i->used < victim->used))
				victim = i;
		/* The newest is what was just asked for: never hand that back. */
		if (!victim || victim->used == t->use_counter)
			break;
		victim->evicting = true;
		held -= victim->snap->size;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			out = xreallocarray(out, cap, sizeof *out);
		}
		out[(*n)++] = (struct inodes_drop){ victim->serial, xstrdup(victim->path) };
	}
	pthread_mutex_unlock(&t->lock);
	return out;
}

void inodes_drops_free(struct inodes_drop *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(d[i].path);
	free(d);
}
