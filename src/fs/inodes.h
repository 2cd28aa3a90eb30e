/* inodes: the mount as the kernel sees it, one inode per version of a file.  A file's
 * bytes never change under an inode: new bytes get a new inode, so open files keep
 * reading what they opened and the kernel may keep every page it caches. */
#ifndef MONZOHFS_INODES_H
#define MONZOHFS_INODES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "cache.h"
#include "strbuf.h"
#include "tree.h"

struct inode {
	uint64_t serial;          /* st_ino: unique to this version */
	uint64_t nlookup;         /* the kernel's references; freed at 0 */
	enum node_type type;
	char *path;               /* "/" or "/accounts/acc_1/balance.json" */
	struct snapshot *snap;    /* files: the bytes this inode always serves */
	struct file_id id;        /* files: the cache's name for them */
	char *target;             /* links */
	struct instant mtime;     /* directories and links */
	bool current;             /* what a lookup of path answers while the content holds */
	bool evicting;            /* asked the kernel to let go, to bound pinned bytes */
	uint64_t used;
	struct inode *hnext;      /* path hash chain, current inodes only */
	struct inode *prev, *next;
};

struct inodes {
	pthread_mutex_t lock;
	struct inode root;
	struct inode **buckets;
	size_t nbuckets, count;
	struct inode *all;
	uint64_t next_serial, use_counter;
	size_t pinned_bytes;      /* bytes held by file inodes the kernel knows */
	size_t keep_bytes;        /* beyond this, idle files are handed back */
	uid_t uid;
	gid_t gid;
};

#define INODES_ROOT_ID 1

void inodes_init(struct inodes *t, size_t keep_bytes, uid_t uid, gid_t gid, struct instant root_mtime);
void inodes_destroy(struct inodes *t);

/* The inode of id, as handed to the kernel; NULL for an id never handed out. */
struct inode *inodes_get(struct inodes *t, uint64_t id);
uint64_t inodes_id(const struct inodes *t, const struct inode *i);

/* Answers a lookup of path, found as n (with snap its bytes when a file): the current
 * inode when its content is the same, else a new one that becomes current.  Counts
 * one kernel reference and fills st.  Returns the inode's id. */
uint64_t inodes_lookup(struct inodes *t, const char *path, const struct node *n, struct snapshot *snap,
		       struct stat *st);
/* The attributes of an inode; directories take mtime from n when it is non-NULL. */
void inodes_stat(struct inodes *t, struct inode *i, const struct node *n, struct stat *st);
/* Marks a use, for choosing which files to hand back first. */
void inodes_touch(struct inodes *t, struct inode *i);
/* Drops n kernel references of id. */
void inodes_forget(struct inodes *t, uint64_t id, uint64_t n);

/* For an entry notification about path: the id of its parent directory and its
 * name, when the kernel holds an inode for it (and, with serial non-zero, when that
 * inode is still the version of that serial, waiting to be handed back).  Returns
 * false otherwise. */
bool inodes_entry(struct inodes *t, const char *path, uint64_t serial, uint64_t *parent, struct strbuf *name);
/* A file to hand back: the version (serial) and its path. */
struct inodes_drop {
	uint64_t serial;
	char *path;
};
/* The least recently used files to hand back to bring the bytes of current versions
 * under keep_bytes (*n of them, malloc'd; free with inodes_drops_free), marked as
 * being handed back (a lookup takes that back). */
struct inodes_drop *inodes_over_budget(struct inodes *t, size_t *n);
void inodes_drops_free(struct inodes_drop *d, size_t n);

#endif
