/* tx_columns: the columns the store keeps of a transaction beside its JSON text, read
 * from that text in one pass over its members, without building a tree. */
#ifndef MONZOHFS_TX_COLUMNS_H
#define MONZOHFS_TX_COLUMNS_H

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"
#include "timefmt.h"

enum tx_text {
	TX_ID, TX_ACCOUNT, TX_CREATED, TX_UPDATED, TX_SETTLED, TX_CURRENCY, TX_LOCAL_CURRENCY, TX_SCHEME,
	TX_CATEGORY, TX_CATEGORIES, TX_DESCRIPTION, TX_NOTES, TX_MERCHANT_NAME, TX_MERCHANT_EMOJI,
	TX_MERCHANT_ADDRESS, TX_CP_NAME, TX_CP_PREFERRED_NAME, TX_POT_ID, TX_POT_ACCOUNT, TX_TEXT_COUNT
};

struct tx_columns {
	struct strbuf text;              /* the text columns, each NUL-terminated */
	size_t at[TX_TEXT_COUNT];        /* where each starts in text */
	bool has[TX_TEXT_COUNT];
	int64_t amount, local_amount;
	bool declined;                   /* decline_reason present, not null, not "" */
	bool bacs_direct_debit;          /* metadata.bacs_direct_debit_instruction_id */
	bool include_in_spending;        /* true, as the API flags what the app counts as
					  * spending; absent or anything else: false */
	struct instant created, updated; /* updated {0, 0} when absent */
};

void tx_columns_init(struct tx_columns *c);
void tx_columns_release(struct tx_columns *c);
/* Reads raw (one transaction object).  0; -EBADMSG when it is not well-formed JSON;
 * -ENODATA when it lacks an id or a valid created time (not storable). */
int tx_columns_read(struct tx_columns *c, const char *raw, size_t len);
/* A text column: what the API sent when it was a non-empty string, else "". */
const char *tx_columns_text(const struct tx_columns *c, enum tx_text which);

#endif
