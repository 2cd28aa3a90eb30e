/* render_tsv: one line per transaction for grep, awk, cut and pandas.  Text is escaped
 * (\t \r \n \\) instead of quoted, so every record is exactly one line of 14 fields. */
#include "export.h"

#include <stdio.h>

#include "localtime.h"
#include "money.h"
#include "txfields.h"

void tsv_header(struct strbuf *out)
{
	sb_adds(out, "account\tid\tstatus\tdate\ttime\tamount_minor\tamount\tcurrency\tlocal_amount_minor\t"
		     "local_currency\tcategory\tname\tdescription\tnotes\n");
}

void tsv_text(const char *s, struct strbuf *out)
{
	for (; *s; s++) {
		switch (*s) {
		case '\t': sb_adds(out, "\\t"); break;
		case '\r': sb_adds(out, "\\r"); break;
		case '\n': sb_adds(out, "\\n"); break;
		case '\\': sb_adds(out, "\\\\"); break;
		default: sb_addch(out, *s);
		}
	}
}

static void tsv_row(struct export *e, const struct tx_row *r)
{
	struct strbuf *out = e->out, name = STRBUF_INIT;
	struct tm tm;
	localtime_of(r->created.sec, &tm);
	tsv_text(r->account_id, out);
	sb_addch(out, '\t');
	tsv_text(r->id, out);
	sb_addf(out, "\t%s\t%04d-%02d-%02d\t%02d:%02d:%02d\t%lld\t",
		r->declined ? "declined" : r->settled ? "settled" : "pending", tm.tm_year + 1900, tm.tm_mon + 1,
		tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)r->amount);
	money_format(r->amount, r->currency, out);
	sb_addch(out, '\t');
	tsv_text(r->currency, out);
	sb_addf(out, "\t%lld\t", (long long)r->local_amount);
	tsv_text(r->local_currency, out);
	sb_addch(out, '\t');
	tsv_text(r->category, out);
	sb_addch(out, '\t');
	txfields_name(r, e->pots, &name);
	tsv_text(name.buf ? name.buf : "", out);
	sb_addch(out, '\t');
	tsv_text(r->description, out);
	sb_addch(out, '\t');
	tsv_text(r->notes, out);
	sb_addch(out, '\n');
	sb_release(&name);
}

static void tsv_begin(struct export *e)
{
	tsv_header(e->out);
}

const struct export_writer export_tsv = { tsv_begin, tsv_row, NULL, false };
const struct export_writer export_tsv_body = { NULL, tsv_row, NULL, false };
