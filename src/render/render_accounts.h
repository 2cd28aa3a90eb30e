/* render_accounts: MOUNT/accounts.tsv, which account is which: one line per account
 * with its friendly link name (the name at the mount's root), id, type, whether it is
 * closed, its currency and balance, in accounts.json's order. */
#ifndef MONZOHFS_RENDER_ACCOUNTS_H
#define MONZOHFS_RENDER_ACCOUNTS_H

#include <cjson/cJSON.h>

#include "strbuf.h"

/* links[i]: the i-th account's link name ("" for none); balances[i]: its /balance
 * reply, or NULL when it cannot be had (the balance column is then empty). */
void render_accounts_tsv(const cJSON *accounts_reply, const char (*links)[96], size_t nlinks,
			 const cJSON *const *balances, struct strbuf *out);

#endif
