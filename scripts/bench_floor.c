/* bench_floor: the least a FUSE filesystem can cost, for scripts/bench to hold monzohfs
 * against.  It serves a copy of a directory tree from memory with everything the
 * kernel allows to be cached (no opens, names and attributes kept for a day, pages
 * kept) and nothing else: what is left of a read is the kernel's own work.
 *
 *   bench_floor SOURCE MOUNTPOINT      (foreground; unmount with fusermount3 -u)
 */
#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct floor_node {
	char *name;
	bool dir;
	char *data;
	size_t size;
	size_t parent, first_child, next;   /* indexes; 0 is none (the root is 1) */
};

static struct floor_node *nodes;
static size_t nnodes = 1;   /* nodes[0] unused: inode numbers are indexes */

static size_t floor_add(const char *name, bool dir, size_t parent)
{
	nodes = realloc(nodes, (nnodes + 1) * sizeof *nodes);
	struct floor_node *n = &nodes[nnodes];
	memset(n, 0, sizeof *n);
	n->name = strdup(name);
	n->dir = dir;
	n->parent = parent;
	if (parent) {
		n->next = nodes[parent].first_child;
		nodes[parent].first_child = nnodes;
	}
	return nnodes++;
}

static void floor_load(const char *path, size_t parent)
{
	DIR *d = opendir(path);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		char full[4096];
		snprintf(full, sizeof full, "%s/%s", path, e->d_name);
		struct stat st;
		if (lstat(full, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			floor_load(full, floor_add(e->d_name, true, parent));
		} else if (S_ISREG(st.st_mode)) {
			size_t i = floor_add(e->d_name, false, parent);
			FILE *f = fopen(full, "rb");
			nodes[i].data = malloc((size_t)st.st_size + 1);
			nodes[i].size = f ? fread(nodes[i].data, 1, (size_t)st.st_size, f) : 0;
			if (f)
				fclose(f);
		}
	}
	if (d)
		closedir(d);
}

static void floor_stat(size_t i, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_ino = i;
	st->st_mode = nodes[i].dir ? S_IFDIR | 0555 : S_IFREG | 0444;
	st->st_nlink = nodes[i].dir ? 2 : 1;
	st->st_size = (off_t)nodes[i].size;
}

static void floor_init(void *u, struct fuse_conn_info *c)
{
	if (c->capable & FUSE_CAP_NO_OPEN_SUPPORT)
		c->want |= FUSE_CAP_NO_OPEN_SUPPORT;
}

static void floor_lookup(fuse_req_t r, fuse_ino_t parent, const char *name)
{
	for (size_t i = parent < nnodes ? nodes[parent].first_child : 0; i; i = nodes[i].next)
		if (!strcmp(nodes[i].name, name)) {
			struct fuse_entry_param e;
			memset(&e, 0, sizeof e);
			e.ino = i;
			e.attr_timeout = e.entry_timeout = 86400;
			floor_stat(i, &e.attr);
			fuse_reply_entry(r, &e);
			return;
		}
	fuse_reply_err(r, ENOENT);
}

static void floor_getattr(fuse_req_t r, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;
	floor_stat(ino, &st);
	fuse_reply_attr(r, &st, 86400);
}

static void floor_open(fuse_req_t r, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_reply_err(r, ENOSYS);
}

static void floor_read(fuse_req_t r, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	const struct floor_node *n = &nodes[ino];
	size_t left = (size_t)off < n->size ? n->size - (size_t)off : 0;
	fuse_reply_buf(r, left ? n->data + off : NULL, left < size ? left : size);
}

static void floor_readdir(fuse_req_t r, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	char *buf = calloc(1, size);
	size_t len = 0;
	off_t k = 0;
	for (size_t i = nodes[ino].first_child; i; i = nodes[i].next, k++) {
		if (k < off)
			continue;
		struct stat st;
		floor_stat(i, &st);
		size_t need = fuse_add_direntry(r, buf + len, size - len, nodes[i].name, &st, k + 1);
		if (need > size - len)
			break;
		len += need;
	}
	fuse_reply_buf(r, buf, len);
	free(buf);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bench_floor SOURCE MOUNTPOINT\n");
		return 2;
	}
	floor_add("", true, 0);
	floor_load(argv[1], 1);
	static const struct fuse_lowlevel_ops ops = {
		.init = floor_init, .lookup = floor_lookup, .getattr = floor_getattr,
		.open = floor_open, .read = floor_read, .readdir = floor_readdir,
	};
	char *args_v[] = { argv[0], "-o", "ro,default_permissions", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, args_v);
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
	if (!se || fuse_set_signal_handlers(se) || fuse_session_mount(se, argv[2]))
		return 1;
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	int rc = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	return rc ? 1 : 0;
}
