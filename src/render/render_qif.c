/* render_qif: the old Quicken interchange format, kept to what every reader agrees
 * on: !Type:Bank, day-first dates, ASCII text, one ^-terminated record per row. */
#include "export.h"

#include "ascii.h"
#include "localtime.h"
#include "money.h"
#include "txfields.h"

static void qif_begin(struct export *e)
{
	sb_adds(e->out, "!Type:Bank\n");
}

static void qif_row(struct export *e, const struct tx_row *r)
{
	struct strbuf *out = e->out, tmp = STRBUF_INIT;
	struct tm tm;
	localtime_of(r->created.sec, &tm);
	sb_addf(out, "D%02d/%02d/%04d\nT", tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900);
	money_format(r->amount, r->currency, out);
	txfields_name(r, e->pots, &tmp);
	sb_adds(out, "\nP");
	ascii_append(sb_str(&tmp), 0, out);
	sb_reset(&tmp);
	txfields_memo(r, false, &tmp);
	sb_adds(out, "\nM");
	ascii_append(sb_str(&tmp), 0, out);
	sb_adds(out, "\nN");
	ascii_append(r->id, 0, out);
	sb_adds(out, "\nC*\n^\n");
	sb_release(&tmp);
}

const struct export_writer export_qif = { qif_begin, qif_row, NULL, false };
