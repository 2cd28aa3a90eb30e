/* tx_columns: each column is "the member's string when there and not empty, else ''"
 * (the API leaves members out or sends null or "" for the same absence); amounts are
 * read as exact integers from the text (one beyond AMOUNT_LIMIT makes the transaction
 * not the one expected); categories keep their JSON text. */
#include "tx_columns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "jsonspan.h"

void tx_columns_init(struct tx_columns *c)
{
	memset(c, 0, sizeof *c);
	sb_init(&c->text);
}

void tx_columns_release(struct tx_columns *c)
{
	sb_release(&c->text);
}

const char *tx_columns_text(const struct tx_columns *c, enum tx_text which)
{
	return c->has[which] ? c->text.buf + c->at[which] : "";
}

/* Keeps v as column which: strings decoded; categories as their JSON text. */
static int tx_columns_put(struct tx_columns *c, enum tx_text which, struct jsonspan v)
{
	size_t at = c->text.len;
	if (which == TX_CATEGORIES) {
		if (v.p[0] != '{')
			return 0;
		sb_add(&c->text, v.p, v.len);
	} else {
		if (v.p[0] != '"')
			return 0;
		if (jsonspan_decode(v, &c->text) < 0)
			return -1;
		if (c->text.len == at)
			return 0;
	}
	sb_addch(&c->text, '\0');
	c->at[which] = at;
	c->has[which] = true;
	return 0;
}

enum tx_columns_other { TX_NO_OTHER, TX_AMOUNT, TX_LOCAL_AMOUNT, TX_DECLINE, TX_BACS_DD, TX_SPENDING };

/* One member name and what to do with it, in one of the objects read: keep it as a
 * text column, read the object it holds, or one of the others. */
struct tx_columns_field {
	const char *key;
	size_t klen;
	int text;                     /* an enum tx_text, or -1 */
	const struct tx_columns_field *inner;   /* an object to read into, or NULL */
	size_t ninner;
	enum tx_columns_other other;
};

struct tx_columns_walk {
	struct tx_columns *c;
	const struct tx_columns_field *fields;
	size_t n;
};

static int tx_columns_member(void *ctx, const char *key, size_t klen, struct jsonspan v);

/* The transaction is checked as a whole once, at the top; the objects inside it were
 * checked then, and are only walked. */
static int tx_columns_walk(struct tx_columns *c, struct jsonspan obj, enum jsonspan_check check,
			   const struct tx_columns_field *f, size_t n)
{
	if (obj.p[0] != '{')
		return 0;
	struct tx_columns_walk w = { c, f, n };
	return jsonspan_each_member(obj.p, obj.len, check, tx_columns_member, &w);
}

#define TX_TEXT(k, t) { .key = k, .klen = sizeof k - 1, .text = t }
#define TX_OBJECT(k, f) { .key = k, .klen = sizeof k - 1, .text = -1, .inner = f, .ninner = sizeof f / sizeof f[0] }
#define TX_OTHER(k, o) { .key = k, .klen = sizeof k - 1, .text = -1, .other = o }

static const struct tx_columns_field tx_columns_address[] = {
	TX_TEXT("short_formatted", TX_MERCHANT_ADDRESS),
};
static const struct tx_columns_field tx_columns_merchant[] = {
	TX_TEXT("name", TX_MERCHANT_NAME),
	TX_TEXT("emoji", TX_MERCHANT_EMOJI),
	TX_OBJECT("address", tx_columns_address),
};
static const struct tx_columns_field tx_columns_counterparty[] = {
	TX_TEXT("name", TX_CP_NAME),
	TX_TEXT("preferred_name", TX_CP_PREFERRED_NAME),
};
static const struct tx_columns_field tx_columns_metadata[] = {
	TX_TEXT("pot_id", TX_POT_ID),
	TX_TEXT("pot_account_id", TX_POT_ACCOUNT),
	TX_OTHER("bacs_direct_debit_instruction_id", TX_BACS_DD),
};
static const struct tx_columns_field tx_columns_top[] = {
	TX_TEXT("id", TX_ID),
	TX_TEXT("account_id", TX_ACCOUNT),
	TX_TEXT("created", TX_CREATED),
	TX_TEXT("updated", TX_UPDATED),
	TX_TEXT("settled", TX_SETTLED),
	TX_TEXT("currency", TX_CURRENCY),
	TX_TEXT("local_currency", TX_LOCAL_CURRENCY),
	TX_TEXT("scheme", TX_SCHEME),
	TX_TEXT("category", TX_CATEGORY),
	TX_TEXT("categories", TX_CATEGORIES),
	TX_TEXT("description", TX_DESCRIPTION),
	TX_TEXT("notes", TX_NOTES),
	TX_OBJECT("merchant", tx_columns_merchant),
	TX_OBJECT("counterparty", tx_columns_counterparty),
	TX_OBJECT("metadata", tx_columns_metadata),
	TX_OTHER("amount", TX_AMOUNT),
	TX_OTHER("local_amount", TX_LOCAL_AMOUNT),
	TX_OTHER("decline_reason", TX_DECLINE),
	TX_OTHER("include_in_spending", TX_SPENDING),
};

static int tx_columns_member(void *ctx, const char *key, size_t klen, struct jsonspan v)
{
	struct tx_columns_walk *w = ctx;
	struct tx_columns *c = w->c;
	for (size_t i = 0; i < w->n; i++) {
		const struct tx_columns_field *f = &w->fields[i];
		if (f->klen != klen || memcmp(key, f->key, klen))
			continue;
		if (f->text >= 0)
			return tx_columns_put(c, (enum tx_text)f->text, v);
		if (f->inner)
			return tx_columns_walk(c, v, JSONSPAN_TRUST, f->inner, f->ninner);
		switch (f->other) {
		case TX_NO_OTHER: break;
		case TX_AMOUNT:
			/* Beyond the limit: not the transaction expected (sync refuses its page). */
			return amount_of_span(v, &c->amount) == AMOUNT_BEYOND ? -1 : 0;
		case TX_LOCAL_AMOUNT: return amount_of_span(v, &c->local_amount) == AMOUNT_BEYOND ? -1 : 0;
		case TX_DECLINE: c->declined = v.p[0] != 'n' && !(v.len == 2 && v.p[0] == '"'); break;
		case TX_BACS_DD: c->bacs_direct_debit = v.p[0] != 'n'; break;
		case TX_SPENDING: c->include_in_spending = v.p[0] == 't'; break;
		}
		return 0;
	}
	return 0;
}

int tx_columns_read(struct tx_columns *c, const char *raw, size_t len)
{
	sb_reset(&c->text);
	memset(c->has, 0, sizeof c->has);
	c->amount = c->local_amount = 0;
	c->declined = c->bacs_direct_debit = c->include_in_spending = false;
	c->created = c->updated = (struct instant){ 0, 0 };
	if (len == 0 || raw[0] != '{' ||
	    tx_columns_walk(c, (struct jsonspan){ raw, len }, JSONSPAN_CHECK, tx_columns_top,
			    sizeof tx_columns_top / sizeof tx_columns_top[0]) < 0)
		return -EBADMSG;
	if (c->has[TX_UPDATED])
		timefmt_parse(tx_columns_text(c, TX_UPDATED), &c->updated);
	if (!c->has[TX_ID] || !timefmt_parse(tx_columns_text(c, TX_CREATED), &c->created))
		return -ENODATA;
	return 0;
}
