/* render_csv: a row is built field by field straight into the output buffer; derived
 * fields that need quoting go through one scratch buffer per row.  Text cells pass the
 * spreadsheet guard (csvcell); ids, dates, amounts and currencies never do. */
#include "render_csv.h"

#include <string.h>

#include "csvcell.h"
#include "localtime.h"
#include "money.h"
#include "txfields.h"

void render_csv_header(struct strbuf *out)
{
	sb_adds(out, "Transaction ID,Date,Time,Type,Name,Emoji,Category,Amount,Currency,Local amount,"
		     "Local currency,Notes and #tags,Address,Receipt,Description,Category split,Money Out,"
		     "Money In,Balance,Balance currency\n");
}

/* guard: the cell gets csvcell's leading ', inside the quotes when there are any. */
static void render_csv_put(bool guard, const char *s, struct strbuf *out)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		sb_addch(out, '"');
	if (guard)
		sb_addch(out, '\'');
	if (!quote) {
		sb_adds(out, s);
		return;
	}
	for (; *s; s++) {
		if (*s == '"')
			sb_addch(out, '"');
		sb_addch(out, *s);
	}
	sb_addch(out, '"');
}

void render_csv_field(const char *s, struct strbuf *out)
{
	render_csv_put(false, s, out);
}

void render_csv_text(const char *s, struct strbuf *out)
{
	render_csv_put(csvcell_is_formula(s), s, out);
}

static void render_csv_scratch(struct strbuf *tmp, struct strbuf *out)
{
	render_csv_text(sb_str(tmp), out);
	sb_reset(tmp);
}

/* "Eating out:-5.10,Shopping:-2.00" for two or more categories, in the API's order. */
static void render_csv_split(const struct tx_row *r, struct strbuf *tmp)
{
	/* One entry has no comma at all: skip the parse for the common case. */
	if (!strchr(r->categories, ','))
		return;
	cJSON *cats = cJSON_Parse(r->categories);
	if (cJSON_GetArraySize(cats) >= 2) {
		const cJSON *c;
		bool first = true;
		cJSON_ArrayForEach(c, cats) {
			if (!first)
				sb_addch(tmp, ',');
			first = false;
			txfields_category(c->string, tmp);
			sb_addch(tmp, ':');
			money_format(cJSON_IsNumber(c) ? (int64_t)c->valuedouble : 0, r->currency, tmp);
		}
	}
	cJSON_Delete(cats);
}

static void render_csv_2(int v, char *p)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

/* ",dd/mm/yyyy,HH:MM:SS," */
static void render_csv_datetime(const struct tm *tm, struct strbuf *out)
{
	char b[21] = ",dd/mm/yyyy,HH:MM:SS,";
	int y = tm->tm_year + 1900;
	render_csv_2(tm->tm_mday, b + 1);
	render_csv_2(tm->tm_mon + 1, b + 4);
	render_csv_2(y / 100, b + 7);
	render_csv_2(y % 100, b + 9);
	render_csv_2(tm->tm_hour, b + 12);
	render_csv_2(tm->tm_min, b + 15);
	render_csv_2(tm->tm_sec, b + 18);
	sb_add(out, b, sizeof b);
}

void render_csv_row(const struct tx_row *r, const cJSON *pots_reply, bool have_balance, int64_t balance_after,
		    struct strbuf *out)
{
	struct strbuf tmp = STRBUF_INIT;
	struct tm tm;
	localtime_of(r->created.sec, &tm);

	render_csv_field(r->id, out);
	render_csv_datetime(&tm, out);
	render_csv_text(txfields_type(r), out);
	sb_addch(out, ',');
	txfields_name(r, pots_reply, &tmp);
	render_csv_scratch(&tmp, out);
	sb_addch(out, ',');
	render_csv_text(r->merchant_emoji, out);
	sb_addch(out, ',');
	txfields_category(r->category, &tmp);
	render_csv_scratch(&tmp, out);
	sb_addch(out, ',');
	money_format(r->amount, r->currency, out);
	sb_addch(out, ',');
	render_csv_field(r->currency, out);
	sb_addch(out, ',');
	money_format(r->local_amount, r->local_currency, out);
	sb_addch(out, ',');
	render_csv_field(r->local_currency, out);
	sb_addch(out, ',');
	render_csv_text(r->notes, out);
	sb_addch(out, ',');
	render_csv_text(r->merchant_address, out);
	sb_adds(out, ",,"); /* Receipt: the API gives no link to one */
	render_csv_text(r->description, out);
	sb_addch(out, ',');
	render_csv_split(r, &tmp);
	render_csv_scratch(&tmp, out);
	sb_addch(out, ',');
	if (r->amount < 0)
		money_format(r->amount, r->currency, out);
	sb_addch(out, ',');
	if (r->amount > 0)
		money_format(r->amount, r->currency, out);
	sb_addch(out, ',');
	if (have_balance)
		money_format(balance_after, r->currency, out);
	sb_addch(out, ',');
	render_csv_field(r->currency, out);
	sb_addch(out, '\n');
	sb_release(&tmp);
}
