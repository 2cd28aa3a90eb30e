/* render_ofx: an OFX 1.0.2 (SGML) bank statement, ASCII only, elements in the DTD's
 * order.  Rows are held until the end because DTSTART/DTEND come before them. */
#include "export.h"

#include <string.h>

#include "ascii.h"
#include "localtime.h"
#include "money.h"
#include "txfields.h"
#include "json.h"

/* ASCII, & < > escaped, at most max characters. */
static void ofx_text(const char *s, size_t max, struct strbuf *out)
{
	struct strbuf a = STRBUF_INIT;
	ascii_append(s, 0, &a);
	size_t n = 0;
	for (const char *p = sb_str(&a); *p; p++) {
		const char *esc = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : NULL;
		/* Count characters of the text, not of its escapes, against the limit. */
		if (++n > max)
			break;
		if (esc)
			sb_adds(out, esc);
		else
			sb_addch(out, *p);
	}
	sb_release(&a);
}

static void ofx_date(int64_t sec, struct strbuf *out)
{
	char d[11];
	export_iso_date(sec, d);
	sb_add(out, d, 4);
	sb_add(out, d + 5, 2);
	sb_add(out, d + 8, 2);
}

static const char *ofx_trntype(const struct tx_row *r)
{
	bool in = r->amount > 0;
	if (!strcmp(r->scheme, "bacs"))
		return r->bacs_direct_debit && !in ? "DIRECTDEBIT" : in ? "DIRECTDEP" : "DEBIT";
	if (!strcmp(r->scheme, "mastercard"))
		return !strcmp(r->category, "cash") && !in ? "ATM" : in ? "CREDIT" : "POS";
	if (!strcmp(r->scheme, "payport_faster_payments") || !strcmp(r->scheme, "uk_retail_pot") ||
	    !strcmp(r->scheme, "p2p_payment"))
		return "XFER";
	return in ? "CREDIT" : "DEBIT";
}

static void ofx_begin(struct export *e)
{
	sb_init(&e->held);
}

static void ofx_row(struct export *e, const struct tx_row *r)
{
	struct strbuf *out = &e->held, tmp = STRBUF_INIT;
	/* The statement's dates come from the rows it holds back until ofx_end. */
	if (!e->count++)
		e->first_sec = r->created.sec;
	e->last_sec = r->created.sec;
	sb_addf(out, "<STMTTRN>\r\n<TRNTYPE>%s\r\n<DTPOSTED>", ofx_trntype(r));
	ofx_date(r->created.sec, out);
	sb_adds(out, "120000\r\n<TRNAMT>");
	money_format(r->amount, r->currency, out);
	sb_adds(out, "\r\n<FITID>");
	ofx_text(r->id, 255, out);
	txfields_name(r, e->pots, &tmp);
	sb_adds(out, "\r\n<NAME>");
	ofx_text(sb_str(&tmp), 32, out);
	sb_reset(&tmp);
	txfields_memo(r, true, &tmp);
	if (tmp.len) {
		sb_adds(out, "\r\n<MEMO>");
		ofx_text(tmp.buf, 255, out);
	}
	sb_adds(out, "\r\n</STMTTRN>\r\n");
	sb_release(&tmp);
}

static void ofx_end(struct export *e)
{
	struct strbuf *out = e->out;
	const char *sort = json_str(e->account, "sort_code", NULL), *number = json_str(e->account, "account_number", NULL);
	int64_t first = e->first_sec, last = e->last_sec;   /* 0 with no rows */
	sb_adds(out, "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\n"
		     "CHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n");
	/* DTSERVER and DTASOF: the last transaction's day, so the same data gives the same
	 * bytes whenever the file is read. */
	sb_adds(out, "<OFX>\r\n<SIGNONMSGSRSV1>\r\n<SONRS>\r\n<STATUS>\r\n<CODE>0\r\n<SEVERITY>INFO\r\n</STATUS>\r\n"
		     "<DTSERVER>");
	ofx_date(last, out);
	sb_adds(out, "235959\r\n<LANGUAGE>ENG\r\n</SONRS>\r\n</SIGNONMSGSRSV1>\r\n<BANKMSGSRSV1>\r\n<STMTTRNRS>\r\n"
		     "<TRNUID>0\r\n<STATUS>\r\n<CODE>0\r\n<SEVERITY>INFO\r\n</STATUS>\r\n<STMTRS>\r\n<CURDEF>");
	ofx_text(e->currency, 3, out);
	sb_adds(out, "\r\n<BANKACCTFROM>\r\n<BANKID>");
	ofx_text(sort ? sort : "monzo", 9, out);
	sb_adds(out, "\r\n<ACCTID>");
	ofx_text(sort && number ? number : e->account_id, 22, out);
	sb_adds(out, "\r\n<ACCTTYPE>CHECKING\r\n</BANKACCTFROM>\r\n<BANKTRANLIST>\r\n<DTSTART>");
	ofx_date(first, out);
	sb_adds(out, "000000\r\n<DTEND>");
	ofx_date(last, out);
	sb_adds(out, "235959\r\n");
	sb_add(out, sb_str(&e->held), e->held.len);
	sb_adds(out, "</BANKTRANLIST>\r\n<LEDGERBAL>\r\n<BALAMT>");
	money_format(e->have_balance ? e->balance : 0, e->currency, out);
	sb_adds(out, "\r\n<DTASOF>");
	ofx_date(last, out);
	sb_adds(out, "235959\r\n</LEDGERBAL>\r\n</STMTRS>\r\n</STMTTRNRS>\r\n</BANKMSGSRSV1>\r\n</OFX>\r\n");
	sb_release(&e->held);
}

const struct export_writer export_ofx = { ofx_begin, ofx_row, ofx_end, false };
