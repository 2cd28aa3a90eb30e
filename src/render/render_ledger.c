/* render_ledger: an hledger/Ledger journal of the settled transactions.  An opening
 * balance comes first so the running total ends at the settled balance, and the last
 * posting of each day asserts that total; a transaction is held back until the next
 * one shows whether its day has ended. */
#include "export.h"

#include <string.h>

#include "amount.h"
#include "money.h"
#include "txfields.h"

/* Journal syntax reserves ; (comments), | (payee | note), two spaces (end of an
 * account name) and newlines; keep text clear of them.  In an account name : is a
 * separator; in a comment, a word and : make a tag, so the : is set apart. */
enum ledger_where { LEDGER_PAYEE, LEDGER_ACCOUNT, LEDGER_COMMENT };

static void ledger_text(const char *s, enum ledger_where where, struct strbuf *out)
{
	size_t start = out->len;
	for (; *s; s++) {
		char c = *s;
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		else if (c == ';')
			c = ',';
		else if (c == '|')
			c = '/';
		else if (where == LEDGER_ACCOUNT && c == ':')
			c = '-';
		if (c == ' ' && (out->len == start || out->buf[out->len - 1] == ' '))
			continue;
		if (where == LEDGER_COMMENT && c == ':' && out->len > start && out->buf[out->len - 1] != ' ')
			sb_addch(out, ' ');
		sb_addch(out, c);
	}
	while (out->len > start && out->buf[out->len - 1] == ' ')
		out->len--;
	if (out->buf)
		out->buf[out->len] = '\0';
}

static void ledger_amount(int64_t v, const char *cur, struct strbuf *out)
{
	money_format(v, cur, out);
	sb_addf(out, " %s", cur);
}

/* A pot's own journal books the pot under the name the account's journal uses. */
static void ledger_asset(const struct export *e, struct strbuf *out)
{
	sb_adds(out, e->pot_name ? "    assets:monzo:pots:" : "    assets:monzo:");
	ledger_text(e->pot_name ? e->pot_name : e->link_name, LEDGER_ACCOUNT, out);
}

static void ledger_begin(struct export *e)
{
	sb_init(&e->held);
	sb_addf(e->out, "; monzohfs: the settled transactions of %s, in %s\n\n", e->account_id, e->currency);
	if (!e->count)
		return;
	char day[11];
	export_iso_date(e->first_sec, day);
	e->running = export_opening(e);
	sb_addf(e->out, "%s * opening balance\n", day);
	ledger_asset(e, e->out);
	sb_adds(e->out, "  ");
	ledger_amount(e->running, e->currency, e->out);
	sb_adds(e->out, "\n    equity:opening balances\n\n");
}

/* Writes the held transaction; with its day over, its last posting asserts the total
 * (not in a pot's journal: its total is only whole read with the account's). */
static void ledger_flush(struct export *e, bool day_over)
{
	if (!e->held.len)
		return;
	sb_add(e->out, e->held.buf, e->held.len);
	if (day_over && !e->pot_name) {
		sb_adds(e->out, " = ");
		ledger_amount(e->running, e->currency, e->out);
	}
	sb_adds(e->out, "\n\n");
	sb_reset(&e->held);
}

static void ledger_row(struct export *e, const struct tx_row *r)
{
	char day[11];
	export_iso_date(r->created.sec, day);
	ledger_flush(e, strcmp(day, e->day) != 0);
	memcpy(e->day, day, sizeof day);
	if (!amount_add(&e->running, r->amount))
		e->overflow = true;
	if (export_booked_elsewhere(e, r)) {
		sb_addf(e->out, "; %s transfer with the account, booked in its journal: %s\n\n", day, r->id);
		return;
	}

	struct strbuf *h = &e->held, tmp = STRBUF_INIT;
	bool pot;
	sb_addf(h, "%s * ", day);
	txfields_name(r, e->pots, &tmp);
	ledger_text(sb_str(&tmp), LEDGER_PAYEE, h);
	sb_adds(h, " | ");
	ledger_text(txfields_type(r), LEDGER_PAYEE, h);
	sb_addf(h, "  ; id:%s\n", r->id);
	if (*r->notes) {
		sb_adds(h, "    ; ");
		ledger_text(r->notes, LEDGER_COMMENT, h);
		sb_addch(h, '\n');
	}
	sb_reset(&tmp);
	export_counter_name(e, r, &pot, &tmp);
	if (pot && e->pot_name) {
		/* In a pot's own journal, a transfer its account's journal does not have. */
		sb_reset(&tmp);
		sb_adds(&tmp, "transfers");
		sb_adds(h, "    equity:");
	} else {
		sb_adds(h, pot ? "    assets:monzo:pots:" : r->amount > 0 ? "    income:" : "    expenses:");
	}
	size_t before = h->len;
	ledger_text(sb_str(&tmp), LEDGER_ACCOUNT, h);
	if (h->len == before)
		sb_adds(h, "uncategorised");
	sb_adds(h, "  ");
	ledger_amount(-r->amount, r->currency, h);
	sb_addch(h, '\n');
	ledger_asset(e, h);
	sb_adds(h, "  ");
	ledger_amount(r->amount, r->currency, h);
	sb_release(&tmp);
}

static void ledger_end(struct export *e)
{
	ledger_flush(e, true);
	sb_release(&e->held);
}

const struct export_writer export_ledger = { ledger_begin, ledger_row, ledger_end, true };
