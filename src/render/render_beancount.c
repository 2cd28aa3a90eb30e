/* render_beancount: the settled transactions as a beancount ledger.  Accounts are
 * opened on the day of their first use, an opening balance comes first, and a balance
 * directive the day after the last transaction checks the settled balance. */
#include "export.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "money.h"
#include "txfields.h"

/* One account-name component: ASCII words, each capitalised, joined by '-'. */
static void beancount_component(const char *s, struct strbuf *out)
{
	struct strbuf a = STRBUF_INIT;
	ascii_append(s, 0, &a);
	size_t start = out->len;
	bool word = false;
	for (const char *p = sb_str(&a); *p; p++) {
		if (isalnum((unsigned char)*p)) {
			if (!word && out->len > start)
				sb_addch(out, '-');
			sb_addch(out, (char)(word ? *p : toupper((unsigned char)*p)));
			word = true;
		} else {
			word = false;
		}
	}
	if (out->len == start)
		sb_adds(out, "Other");
	sb_release(&a);
}

static void beancount_string(const char *s, struct strbuf *out)
{
	sb_addch(out, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_addch(out, '\\');
		sb_addch(out, *s == '\n' || *s == '\r' ? ' ' : *s);
	}
	sb_addch(out, '"');
}

/* A pot's own ledger books the pot under the name the account's ledger uses. */
static void beancount_asset(const struct export *e, struct strbuf *out)
{
	sb_adds(out, e->pot_name ? "Assets:Monzo:Pots:" : "Assets:Monzo:");
	beancount_component(e->pot_name ? e->pot_name : e->link_name, out);
}

/* Opens an account the first time it is used. */
static void beancount_open(struct export *e, const char *day, const char *account)
{
	for (size_t i = 0; i < e->nopened; i++)
		if (!strcmp(e->opened[i], account))
			return;
	e->opened = xreallocarray(e->opened, e->nopened + 1, sizeof *e->opened);
	e->opened[e->nopened++] = xstrdup(account);
	sb_addf(e->out, "%s open %s\n", day, account);
}

static void beancount_begin(struct export *e)
{
	sb_addf(e->out, "; monzohfs: the settled transactions of %s, in %s\n\n", e->account_id, e->currency);
	if (!e->count)
		return;
	char day[11];
	struct strbuf asset = STRBUF_INIT;
	export_iso_date(e->first_sec, day);
	beancount_asset(e, &asset);
	sb_addf(e->out, "%s open %s %s\n", day, asset.buf, e->currency);
	beancount_open(e, day, "Equity:Opening-Balances");
	sb_addf(e->out, "\n%s * \"Opening balance\" \"\"\n  %s  ", day, asset.buf);
	money_format(export_opening(e), e->currency, e->out);
	sb_addf(e->out, " %s\n  Equity:Opening-Balances\n\n", e->currency);
	sb_release(&asset);
}

static void beancount_row(struct export *e, const struct tx_row *r)
{
	char day[11];
	struct strbuf other = STRBUF_INIT, tmp = STRBUF_INIT, asset = STRBUF_INIT;
	bool pot;
	export_iso_date(r->created.sec, day);
	memcpy(e->day, day, sizeof day);
	if (export_booked_elsewhere(e, r)) {
		sb_addf(e->out, "; %s transfer with the account, booked in its ledger: %s\n\n", day, r->id);
		return;
	}
	export_counter_name(e, r, &pot, &tmp);
	if (pot && e->pot_name) {
		/* In a pot's own ledger, a transfer its account's ledger does not have. */
		sb_reset(&tmp);
		sb_adds(&other, "Equity:");
		sb_adds(&tmp, "Transfers");
	} else if (pot) {
		sb_adds(&other, "Assets:Monzo:Pots:");
	} else {
		sb_adds(&other, r->amount > 0 ? "Income:" : "Expenses:");
		if (!tmp.len)
			sb_adds(&tmp, "Uncategorised");
	}
	beancount_component(sb_str(&tmp), &other);
	beancount_open(e, day, other.buf);
	beancount_asset(e, &asset);

	sb_reset(&tmp);
	txfields_name(r, e->pots, &tmp);
	sb_addf(e->out, "%s * ", day);
	beancount_string(sb_str(&tmp), e->out);
	sb_addch(e->out, ' ');
	beancount_string(txfields_type(r), e->out);
	sb_addf(e->out, "\n  id: \"%s\"\n", r->id);
	if (*r->notes) {
		sb_adds(e->out, "  notes: ");
		beancount_string(r->notes, e->out);
		sb_addch(e->out, '\n');
	}
	sb_addf(e->out, "  %s  ", other.buf);
	money_format(-r->amount, r->currency, e->out);
	sb_addf(e->out, " %s\n  %s  ", r->currency, asset.buf);
	money_format(r->amount, r->currency, e->out);
	sb_addf(e->out, " %s\n\n", r->currency);
	sb_release(&other);
	sb_release(&tmp);
	sb_release(&asset);
}

static void beancount_end(struct export *e)
{
	/* A pot's balance is only whole read with its account's ledger: no check here. */
	if (e->count && !e->pot_name) {
		char next[11];
		struct strbuf asset = STRBUF_INIT;
		export_next_day(e->day, next);
		beancount_asset(e, &asset);
		sb_addf(e->out, "%s balance %s  ", next, asset.buf);
		money_format(export_settled_balance(e), e->currency, e->out);
		sb_addf(e->out, " %s\n", e->currency);
		sb_release(&asset);
	}
	for (size_t i = 0; i < e->nopened; i++)
		free(e->opened[i]);
	free(e->opened);
	e->opened = NULL;
	e->nopened = 0;
}

const struct export_writer export_beancount = { beancount_begin, beancount_row, beancount_end, true };
