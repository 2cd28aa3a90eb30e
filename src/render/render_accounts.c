/* render_accounts: accounts.tsv, escaped as transactions.tsv is (export.h's tsv_text),
 * so `cut -f` and awk read it; the balance is a decimal in the account's currency, made
 * with integer arithmetic. */
#include "render_accounts.h"

#include <stdint.h>

#include "export.h"
#include "json.h"
#include "money.h"

void render_accounts_tsv(const cJSON *accounts_reply, const char (*links)[96], size_t nlinks,
			 const cJSON *const *balances, struct strbuf *out)
{
	sb_adds(out, "link\tid\ttype\tclosed\tcurrency\tbalance\n");
	size_t i = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(accounts_reply, "accounts")) {
		tsv_text(i < nlinks ? links[i] : "", out);
		sb_addch(out, '\t');
		tsv_text(json_str(a, "id", ""), out);
		sb_addch(out, '\t');
		tsv_text(json_str(a, "type", ""), out);
		sb_adds(out, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "closed")) ? "\ttrue\t" : "\tfalse\t");
		const char *currency = json_str(a, "currency", "");
		const cJSON *b = balances ? balances[i] : NULL;
		const char *bal_currency = json_str(b, "currency", currency);
		tsv_text(*currency ? currency : bal_currency, out);
		sb_addch(out, '\t');
		const cJSON *minor = cJSON_GetObjectItemCaseSensitive(b, "balance");
		if (cJSON_IsNumber(minor))
			money_format((int64_t)minor->valuedouble, bal_currency, out);
		sb_addch(out, '\n');
		i++;
	}
}
