/* tokens: monzoh's tokens.json, read and written byte-compatibly so that monzohfs and
 * the Python client share one login. */
#ifndef MONZOHFS_TOKENS_H
#define MONZOHFS_TOKENS_H

#include "strbuf.h"
#include "timefmt.h"

struct tokens {
	char *access_token;
	char *refresh_token; /* NULL when monzoh wrote null */
	struct instant expires_at;
	char *user_id;
	char *client_id;
};

/* A tokens file is a few hundred bytes; anything past this is not one. */
#define TOKENS_MAX_BYTES (64 * 1024)

/* 0, or -1 with a reason in err (never a token's text).  -ENOENT-like cases are told
 * apart by *missing so callers can suggest the right fix.  Only a regular file of at
 * most TOKENS_MAX_BYTES is read. */
int tokens_load(const char *path, struct tokens *t, int *missing, struct strbuf *err);
int tokens_parse(const char *text, size_t len, struct tokens *t, struct strbuf *err);
/* monzoh's exact layout: five keys in order, two-space indent, no final newline. */
void tokens_format(const struct tokens *t, struct strbuf *out);
/* Atomic: temp file in the same directory, fsync, rename, fsync of the directory;
 * file 0600, directory 0700 (made so when it was looser). */
int tokens_save(const char *path, const struct tokens *t, struct strbuf *err);
/* Frees t's strings, wiping the tokens first, and zeroes t. */
void tokens_free(struct tokens *t);
int tokens_copy(struct tokens *dst, const struct tokens *src);

#endif
