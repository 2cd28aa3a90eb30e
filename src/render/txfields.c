/* txfields: the mapping rules of DESIGN.md's CSV layout, in one place so every format
 * names a transaction the same way. */
#include "txfields.h"

#include "money.h"

#include <ctype.h>
#include <string.h>

struct txfields_scheme {
	const char *scheme;
	const char *type;
};

static const struct txfields_scheme txfields_schemes[] = {
	{ "mastercard", "Card payment" },
	{ "payport_faster_payments", "Faster payment" },
	{ "uk_retail_pot", "Pot transfer" },
	{ "p2p_payment", "Monzo-to-Monzo" },
};

const char *txfields_type(const struct tx_row *r)
{
	if (!strcmp(r->scheme, "bacs"))
		return r->bacs_direct_debit ? "Direct Debit" : "Bacs";
	for (size_t i = 0; i < sizeof txfields_schemes / sizeof txfields_schemes[0]; i++)
		if (!strcmp(r->scheme, txfields_schemes[i].scheme))
			return txfields_schemes[i].type;
	return r->scheme;
}

const char *txfields_pot_name(const cJSON *pots_reply, const char *pot_id)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(pots_reply, "pots")) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "id");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "name");
		if (cJSON_IsString(id) && !strcmp(id->valuestring, pot_id) && cJSON_IsString(name))
			return name->valuestring;
	}
	return "";
}

void txfields_name(const struct tx_row *r, const cJSON *pots_reply, struct strbuf *out)
{
	const char *name = r->merchant_name;
	if (!*name)
		name = r->cp_name;
	if (!*name)
		name = r->cp_preferred_name;
	if (!*name && !strcmp(r->scheme, "uk_retail_pot") && *r->pot_id && pots_reply)
		name = txfields_pot_name(pots_reply, r->pot_id);
	if (!*name)
		name = r->description;
	sb_adds(out, name);
}

static int txfields_is_snake(const char *s)
{
	if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s))
		return 0;
	for (const char *p = s; *p; p++) {
		if (*p == '_') {
			if (p[1] == '_' || p[1] == '\0')
				return 0;
		} else if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p)) {
			return 0;
		}
	}
	return 1;
}

void txfields_category(const char *category, struct strbuf *out)
{
	if (!txfields_is_snake(category)) {
		sb_adds(out, category);
		return;
	}
	size_t start = out->len;
	for (const char *p = category; *p; p++)
		sb_addch(out, *p == '_' ? ' ' : *p);
	out->buf[start] = (char)toupper((unsigned char)out->buf[start]);
}

void txfields_memo(const struct tx_row *r, bool foreign, struct strbuf *out)
{
	sb_adds(out, r->description);
	if (*r->notes)
		sb_addf(out, "; %s", r->notes);
	if (foreign && *r->local_currency && strcmp(r->local_currency, r->currency)) {
		sb_adds(out, "; ");
		money_format(r->local_amount, r->local_currency, out);
		sb_addf(out, " %s", r->local_currency);
	}
}
