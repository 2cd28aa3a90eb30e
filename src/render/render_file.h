/* render_file: the bytes of one file of the table (files.h), from the values it is
 * made from, as the cache resolved them, and the store's rows.  The rules of what a
 * file shows live here: a pot's balance, the root TSV's ledgers, accounts.tsv's cells. */
#ifndef MONZOHFS_RENDER_FILE_H
#define MONZOHFS_RENDER_FILE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "files.h"
#include "store.h"
#include "strbuf.h"
#include "view.h"

/* One ledger the root TSV holds: an account's, or a pot's own account's. */
struct render_ledger {
	const char *account;
	const char *pot_of;       /* a pot's own account: the account the pot is of... */
	const char *pot;          /* ... and the pot; both NULL for an account */
	const cJSON *pots;        /* the /pots reply of the account (or pot_of), or NULL */
};

struct render_inputs {
	const cJSON *doc;         /* the file's first input: whoami, the account list, a
				   * balance or a /pots reply */
	const cJSON *accounts;    /* the account list, or NULL */
	const char (*links)[96];  /* ... each account's friendly link name ("" for none) */
	size_t nlinks;
	const cJSON *pots;        /* an account's files: its /pots (a pot's: its account's) */
	const char *pot_account;  /* a pot's ledger files: the pot's own account */
	const struct render_ledger *ledgers;   /* the root TSV: what it holds, in order */
	size_t nledgers;
	const cJSON *const *balances;          /* accounts.tsv: each account's balance reply
						* in the list's order, NULL where none */
	size_t nbalances;
	struct store *store;      /* the rows; NULL when there is no store */
	/* Fills in the Balance column's sums of a CSV render when the caller keeps them
	 * (see view_input.have_sums); may be NULL. */
	void (*sums)(void *ctx, struct store *st, int64_t version, int64_t from, struct view_input *in);
	void *sums_ctx;
	/* Bytes a render made beside the ones asked for (the other reports of one pass
	 * over an account's rows), kept by the caller under a key while sig, the
	 * signature of everything the file is made from, stands; NULL: none kept. */
	uint64_t sig;
	bool (*memo_get)(void *ctx, const char *key, uint64_t sig, struct strbuf *out);
	void (*memo_put)(void *ctx, const char *key, uint64_t sig, const char *bytes, size_t len);
	void *memo_ctx;
	/* As view_input's flush: where a large file's bytes go meanwhile. */
	int (*flush)(void *ctx, struct strbuf *out);
	void *flush_ctx;
};

/* The account object of id in in->accounts, and its friendly link name (NULL for
 * none); NULL when it is not listed. */
const cJSON *render_file_account(const struct render_inputs *in, const char *id, const char **link);
/* The pot object of pot in a /pots reply, or NULL. */
const cJSON *render_file_pot(const cJSON *pots, const char *pot);
/* In a read snapshot of st: whether l's account has been synced (*ss its state,
 * sync_state_release it), and then the balance synced with its rows into *balance
 * (*have_balance set) when the sync took one; else both are left as they were (a
 * pot's own balance, set by the caller, stands). */
bool render_file_synced(struct store *st, const struct render_ledger *l, struct sync_state *ss, bool *have_balance,
			int64_t *balance);

/* 0; -ENOENT when what names the file is not in its inputs (an account or pot that
 * has gone); -EIO when the store cannot be read or flush failed (its caller knows
 * why). */
int render_file(const struct file_id *id, const struct render_inputs *in, struct strbuf *out);

#endif
