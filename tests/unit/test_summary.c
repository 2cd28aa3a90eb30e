/* Unit tests of summary: a year of rows across the new year, the spring clock change
 * and a month of declined and pending rows alone give exact CSV bytes; the pictures
 * are well-formed SVG whose <title>s carry the CSVs' numbers, whose bar heights follow
 * the axis, whose strangers' text is escaped, and whose bytes depend on the data
 * alone (twice, and with the rows in another order); a sum beyond 64 bits makes no
 * file. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "localtime.h"
#include "summary.h"
#include "timefmt.h"

static int64_t at(const char *rfc3339)
{
	struct instant t;
	CHECK(timefmt_parse(rfc3339, &t));
	return t.sec;
}

static const struct summary_split split[] = { { "eating_out", -1500 }, { "shopping", -700 } };
#define ODD_CATEGORY "Side <hustle> & \"co\""

/* created, amount, declined, settled, include_in_spending, category, name */
static struct summary_row rows[16];
static size_t nrows;

static void row(const char *when, int64_t amount, bool declined, bool settled, bool spending, const char *category,
		const char *name)
{
	rows[nrows++] = (struct summary_row){ .created = at(when), .amount = amount, .declined = declined,
					     .settled = settled, .include_in_spending = spending,
					     .category = category, .name = name };
}

static void make_rows(void)
{
	nrows = 0;
	row("2024-12-01T10:00:00Z", 250000, false, true, false, "income", "Acme Widgets Ltd");
	row("2024-12-15T12:00:00Z", -4550, false, true, true, "groceries", "Greenleaf Market");
	row("2024-12-20T09:00:00Z", -1200, false, true, true, "groceries", "Corner Larder");
	row("2024-12-31T23:59:59Z", -1200, false, true, true, "eating_out", "Noodle Yard"); /* GMT: December */
	row("2025-01-01T00:00:00Z", -800, false, true, true, "eating_out", "Noodle Yard");
	row("2025-01-10T12:00:00Z", -20000, false, true, false, "savings", "Holiday");
	row("2025-01-12T12:00:00Z", 2999, false, true, true, "shopping", "Tandem Outdoor"); /* a refund */
	row("2025-01-20T12:00:00Z", -2200, false, true, true, "eating_out", "Bramble & Oak Café");
	rows[nrows - 1].splits = split;
	rows[nrows - 1].nsplits = 2;
	/* February: a declined payment and a pending one, nothing settled */
	row("2025-02-03T12:00:00Z", -9999, true, false, true, "shopping", "Pixel Parts");
	row("2025-02-27T12:00:00Z", -385, false, false, true, "eating_out", "Bramble & Oak Café");
	/* March has none; BST began on 30 March, so 23:30 UTC on the 31st is in April */
	row("2025-03-31T23:30:00Z", -1640, false, true, true, "eating_out", "Noodle Yard");
	row("2025-04-30T23:30:00Z", -560, false, true, true, ODD_CATEGORY, "=cmd"); /* May */
	row("2025-05-02T12:00:00Z", -5000, false, true, false, "transfers", "Renée Okafor & Jürgen Dahl");
}

static const char monthly_csv[] = "Month,Money in,Money out,Net,Spending,Transactions,Closing balance\n"
				  "2024-12,2500.00,69.50,2430.50,69.50,4,1275.86\n"
				  "2025-01,29.99,230.00,-200.01,0.01,4,1075.85\n"
				  "2025-02,0.00,0.00,0.00,3.85,0,1072.00\n"
				  "2025-03,0.00,0.00,0.00,0.00,0,1072.00\n"
				  "2025-04,0.00,16.40,-16.40,16.40,1,1055.60\n"
				  "2025-05,0.00,55.60,-55.60,5.60,2,1000.00\n";

static const char categories_csv[] = "Month,Category,Spending,Money in,Transactions\n"
				     "2024-12,Eating out,12.00,0.00,1\n"
				     "2024-12,Groceries,57.50,0.00,2\n"
				     "2024-12,Income,0.00,2500.00,1\n"
				     "2025-01,Eating out,23.00,0.00,2\n"
				     "2025-01,Savings,0.00,0.00,1\n"
				     "2025-01,Shopping,-22.99,29.99,2\n"
				     "2025-02,Eating out,3.85,0.00,0\n"
				     "2025-04,Eating out,16.40,0.00,1\n"
				     "2025-05,\"Side <hustle> & \"\"co\"\"\",5.60,0.00,1\n"
				     "2025-05,Transfers,0.00,0.00,1\n";

static const char merchants_csv[] = "Year,Name,Spending,Transactions\n"
				    "2024,Greenleaf Market,45.50,1\n"
				    "2024,Corner Larder,12.00,1\n"
				    "2024,Noodle Yard,12.00,1\n"
				    "2025,Bramble & Oak Café,25.85,2\n"
				    "2025,Noodle Yard,24.40,2\n"
				    "2025,'=cmd,5.60,1\n"
				    "2025,Tandem Outdoor,-29.99,1\n";

static struct summary *fed(bool reversed, bool balance)
{
	struct summary *r = summary_new("GBP");
	if (balance)
		summary_set_balance(r, 100000);
	for (size_t i = 0; i < nrows; i++)
		CHECK(summary_add(r, &rows[reversed ? nrows - 1 - i : i]) == 0);
	return r;
}

/* ---- a tiny XML check: tags nest, attributes are quoted, & starts an entity */

static bool xml_entity(const char **p)
{
	static const char *const names[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
	for (size_t i = 0; i < 5; i++)
		if (!strncmp(*p, names[i], strlen(names[i]))) {
			*p += strlen(names[i]);
			return true;
		}
	return false;
}

static size_t xml_name(const char *p)
{
	size_t n = 0;
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') || p[n] == '-' || p[n] == ':' ||
	       (n && p[n] >= '0' && p[n] <= '9'))
		n++;
	return n;
}

static bool well_formed(const char *s)
{
	const char *stack[32];
	size_t depth = 0, roots = 0;
	const char *p = s;
	if (strncmp(p, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39))
		return false;
	p += 39;
	while (*p) {
		if (*p == '&') {
			if (!xml_entity(&p))
				return false;
			continue;
		}
		if (*p == '>')
			return false;
		if (*p != '<') {
			if (!depth && *p != '\n')
				return false;
			p++;
			continue;
		}
		if (p[1] == '/') {
			size_t n = xml_name(p + 2);
			if (!depth || !n || strncmp(stack[depth - 1], p + 2, n) || xml_name(stack[depth - 1]) != n ||
			    p[2 + n] != '>')
				return false;
			depth--;
			p += 3 + n;
			continue;
		}
		size_t n = xml_name(p + 1);
		if (!n)
			return false;
		const char *name = p + 1;
		p += 1 + n;
		for (;;) {
			if (*p == ' ') {
				size_t a = xml_name(p + 1);
				if (!a || p[1 + a] != '=' || p[2 + a] != '"')
					return false;
				p += 3 + a;
				while (*p != '"') {
					if (!*p || *p == '<' || (*p == '&' && !xml_entity(&p)))
						return false;
					if (*p != '&' && *p != '"')
						p++;
				}
				p++;
			} else if (!strncmp(p, "/>", 2)) {
				p += 2;
				roots += !depth;
				break;
			} else if (*p == '>') {
				if (depth == 32)
					return false;
				roots += !depth;
				stack[depth++] = name;
				p++;
				break;
			} else {
				return false;
			}
		}
	}
	static const char root[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" ";
	return depth == 0 && roots == 1 && !strncmp(s + 39, root, strlen(root));
}

/* Whether the picture has <title>text</title>, text written as XML. */
static bool has_title(const char *svg, const char *text)
{
	struct strbuf want = STRBUF_INIT;
	sb_addf(&want, "<title>%s</title>", text);
	bool found = strstr(svg, want.buf) != NULL;
	sb_release(&want);
	return found;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;
	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

/* The attribute name="…" of the element that holds the title text. */
static int attr_of(const char *svg, const char *title, const char *name)
{
	struct strbuf want = STRBUF_INIT, key = STRBUF_INIT;
	sb_addf(&want, "<title>%s</title>", title);
	sb_addf(&key, " %s=\"", name);
	const char *t = strstr(svg, want.buf);
	int v = -1;
	if (t) {
		const char *start = t;
		while (start > svg && *start != '\n')
			start--;
		const char *a = strstr(start, key.buf);
		if (a && a < t)
			v = atoi(a + key.len);
	}
	sb_release(&want);
	sb_release(&key);
	return v;
}

static void test_csvs(void)
{
	struct strbuf out = STRBUF_INIT;
	struct summary *r = fed(false, true);
	CHECK(summary_monthly_csv(r, &out) == 0);
	CHECK_STR(out.buf, monthly_csv);
	sb_reset(&out);
	CHECK(summary_categories_csv(r, &out) == 0);
	CHECK_STR(out.buf, categories_csv);
	sb_reset(&out);
	CHECK(summary_merchants_csv(r, &out) == 0);
	CHECK_STR(out.buf, merchants_csv);
	summary_free(r);

	/* Without a balance the closing balances are empty; the rest is the same. */
	r = fed(false, false);
	sb_reset(&out);
	CHECK(summary_monthly_csv(r, &out) == 0);
	CHECK(strstr(out.buf, "Closing balance\n2024-12,2500.00,69.50,2430.50,69.50,4,\n2025-01,") != NULL);
	CHECK(count(out.buf, ",\n") == 6);
	summary_free(r);

	/* No rows: headers alone.  A row beyond year 9999 is refused. */
	r = summary_new("JPY");
	struct summary_row far = { .created = INT64_MAX, .amount = -1, .settled = true, .category = "", .name = "" };
	CHECK(summary_add(r, &far) == -1);
	sb_reset(&out);
	CHECK(summary_monthly_csv(r, &out) == 0 && summary_categories_csv(r, &out) == 0 &&
	      summary_merchants_csv(r, &out) == 0);
	CHECK_STR(out.buf, "Month,Money in,Money out,Net,Spending,Transactions,Closing balance\n"
			   "Month,Category,Spending,Money in,Transactions\nYear,Name,Spending,Transactions\n");
	sb_reset(&out);
	CHECK(summary_spending_svg(r, &out) == 0 && well_formed(out.buf));
	sb_reset(&out);
	CHECK(summary_balance_svg(r, &out) == 0 && well_formed(out.buf));
	summary_free(r);

	/* The currency's exponent: yen have none. */
	r = summary_new("JPY");
	summary_set_balance(r, 5000);
	struct summary_row yen = { .created = at("2025-06-01T12:00:00Z"), .amount = -1200, .settled = true,
				  .include_in_spending = true, .category = "holidays", .name = "Ramen Ichiban" };
	CHECK(summary_add(r, &yen) == 0);
	sb_reset(&out);
	CHECK(summary_monthly_csv(r, &out) == 0);
	CHECK_STR(out.buf, "Month,Money in,Money out,Net,Spending,Transactions,Closing balance\n"
			   "2025-06,0,1200,-1200,1200,1,5000\n");
	summary_free(r);
	sb_release(&out);
}

static void test_checker(void)
{
	const char *head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
			   "version=\"1.1\" width=\"1\">";
	struct strbuf s = STRBUF_INIT;
	sb_addf(&s, "%s<g x1=\"&amp;\"><title>a &lt; b</title></g></svg>\n", head);
	CHECK(well_formed(s.buf));
	const char *bad[] = { "<g></svg>", "<g>a < b</g></svg>", "<g>a & b</g></svg>", "<g x=\"<\"/></svg>",
			      "<g x=1/></svg>", "</svg><svg>" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		sb_reset(&s);
		sb_addf(&s, "%s%s\n", head, bad[i]);
		CHECK(!well_formed(s.buf));
	}
	sb_release(&s);
}

static void test_pictures(void)
{
	struct strbuf svg = STRBUF_INIT, again = STRBUF_INIT;
	struct summary *r = fed(false, true), *other = fed(true, true);

	CHECK(summary_spending_svg(r, &svg) == 0);
	CHECK(well_formed(svg.buf));
	CHECK(!strstr(svg.buf, "<script") && !strstr(svg.buf, "href") && !strstr(svg.buf, "<image"));
	CHECK(strstr(svg.buf, "width=\"") && strstr(svg.buf, "viewBox=\"0 0 "));
	/* A bar per month, its title the month's Spending; a segment per category that
	 * spent, its title the categories.csv cell. */
	CHECK(count(svg.buf, "<g class=\"bar\">") == 6 && count(svg.buf, "class=\"seg\"") == 6);
	CHECK(has_title(svg.buf, "2024-12 Spending: 69.50") && has_title(svg.buf, "2025-01 Spending: 0.01"));
	CHECK(has_title(svg.buf, "2025-03 Spending: 0.00") && has_title(svg.buf, "2025-02 Spending: 3.85"));
	CHECK(has_title(svg.buf, "2024-12 Eating out: 12.00") && has_title(svg.buf, "2024-12 Groceries: 57.50"));
	CHECK(has_title(svg.buf, "2025-01 Eating out: 23.00") && has_title(svg.buf, "2025-02 Eating out: 3.85"));
	CHECK(has_title(svg.buf, "2025-04 Eating out: 16.40"));
	CHECK(has_title(svg.buf, "2025-05 Side &lt;hustle&gt; &amp; &quot;co&quot;: 5.60"));
	CHECK(!strstr(svg.buf, "<hustle>") && !strstr(svg.buf, "Shopping")); /* it spent less than nothing */
	/* The axis: 69.50 at most, in 4 steps of 20.00 up to 80.00; heights span each
	 * segment's running sum, floor(sum * 240 / 8000). */
	CHECK(strstr(svg.buf, ">80.00</text>") && strstr(svg.buf, ">0.00</text>") && !strstr(svg.buf, ">100.00<"));
	CHECK(attr_of(svg.buf, "2024-12 Eating out: 12.00", "height") == 1200 * 240 / 8000);
	CHECK(attr_of(svg.buf, "2024-12 Groceries: 57.50", "height") == 6950 * 240 / 8000 - 1200 * 240 / 8000);
	CHECK(attr_of(svg.buf, "2024-12 Groceries: 57.50", "y") == 30 + 240 - 6950 * 240 / 8000);
	CHECK(attr_of(svg.buf, "2025-04 Eating out: 16.40", "height") == 1640 * 240 / 8000);
	/* The same data, the same bytes: again, and with the rows in reverse order. */
	CHECK(summary_spending_svg(r, &again) == 0 && !strcmp(svg.buf, again.buf));
	sb_reset(&again);
	CHECK(summary_spending_svg(other, &again) == 0 && !strcmp(svg.buf, again.buf));

	sb_reset(&svg);
	sb_reset(&again);
	CHECK(summary_balance_svg(r, &svg) == 0);
	CHECK(well_formed(svg.buf));
	CHECK(count(svg.buf, "class=\"point\"") == 6);
	CHECK(has_title(svg.buf, "2024-12 Closing balance: 1275.86"));
	CHECK(has_title(svg.buf, "2025-03 Closing balance: 1072.00"));
	CHECK(has_title(svg.buf, "2025-05 Closing balance: 1000.00"));
	/* 0 to 1275.86 in steps of 500.00: 1500.00 at the top, 240 px above 0 */
	CHECK(strstr(svg.buf, ">1500.00</text>") != NULL);
	int bottom = 30 + 240;
	CHECK(attr_of(svg.buf, "2025-05 Closing balance: 1000.00", "cy") == bottom - 100000 * 240 / 150000);
	CHECK(attr_of(svg.buf, "2024-12 Closing balance: 1275.86", "cy") == bottom - 127586 * 240 / 150000);
	CHECK(summary_balance_svg(other, &again) == 0 && !strcmp(svg.buf, again.buf));

	summary_free(r);
	summary_free(other);
	/* No balance: the picture says so and has no points. */
	r = fed(false, false);
	sb_reset(&svg);
	CHECK(summary_balance_svg(r, &svg) == 0 && well_formed(svg.buf));
	CHECK(strstr(svg.buf, "No balance known") && !strstr(svg.buf, "class=\"point\""));
	summary_free(r);
	sb_release(&svg);
	sb_release(&again);
}

static const char networth_csv[] = "Month,current,joint,🏖️ Holiday,'=closed,Total\n"
				   "2024-10,-1154.64,450.00,,,-704.64\n"
				   "2024-11,-1154.64,450.00,,,-704.64\n"
				   "2024-12,1275.86,450.00,,,1725.86\n"
				   "2025-01,1075.85,450.00,,,1525.85\n"
				   "2025-02,1072.00,450.00,,,1522.00\n"
				   "2025-03,1072.00,450.00,,,1522.00\n"
				   "2025-04,1055.60,450.00,,,1505.60\n"
				   "2025-05,1000.00,500.00,642.50,,2142.50\n";

static struct summary_net *net_fed(bool reversed)
{
	struct summary_net *n = summary_net_new("GBP");
	size_t cur = summary_net_column(n, "current", true, 100000, 0);
	size_t joint = summary_net_column(n, "joint", true, 50000, 0);
	/* a pot whose ledger is not served: its balance is known from 10 May 2025 */
	CHECK(summary_net_column(n, "🏖️ Holiday", true, 64250, at("2025-05-10T00:00:00Z")) == 2);
	CHECK(summary_net_column(n, "=closed", false, 0, 0) == 3);
	for (size_t i = 0; i < nrows; i++) {
		const struct summary_row *r = &rows[reversed ? nrows - 1 - i : i];
		CHECK(summary_net_add(n, cur, r->created, r->amount, r->declined) == 0);
	}
	/* the other side of the transfer to the joint account; an older deposit */
	CHECK(summary_net_add(n, joint, at("2025-05-02T12:00:01Z"), 5000, false) == 0);
	CHECK(summary_net_add(n, joint, at("2024-10-27T03:33:20Z"), 45000, false) == 0);
	CHECK(summary_net_add(n, 9, at("2024-10-27T03:33:20Z"), 1, false) == -1);
	return n;
}

static void test_networth(void)
{
	struct strbuf out = STRBUF_INIT, again = STRBUF_INIT;
	struct summary_net *n = net_fed(false), *other = net_fed(true);
	CHECK(summary_networth_csv(n, &out) == 0);
	CHECK_STR(out.buf, networth_csv);
	sb_reset(&out);
	CHECK(summary_networth_svg(n, &out) == 0);
	CHECK(well_formed(out.buf));
	CHECK(has_title(out.buf, "2025-05 🏖️ Holiday: 642.50") && !has_title(out.buf, "2025-04 🏖️ Holiday: 642.50"));
	CHECK(has_title(out.buf, "2024-10 Total: -704.64") && has_title(out.buf, "2025-05 Total: 2142.50"));
	CHECK(has_title(out.buf, "2025-01 joint: 450.00") && has_title(out.buf, "2025-02 current: 1072.00"));
	CHECK(count(out.buf, "class=\"point\"") == 8 + 8 + 1 + 8);
	CHECK(!strstr(out.buf, "=closed:"));
	CHECK(summary_networth_svg(other, &again) == 0 && !strcmp(out.buf, again.buf));
	summary_net_free(n);
	summary_net_free(other);

	/* No column: the header alone. */
	n = summary_net_new("GBP");
	sb_reset(&out);
	CHECK(summary_networth_csv(n, &out) == 0);
	CHECK_STR(out.buf, "Month,Total\n");
	summary_net_free(n);
	sb_release(&out);
	sb_release(&again);
}

/* 9,300 rows of 10^15 minor units (each within the store's bound) in one month: the
 * sums do not fit in 64 bits, and no report is made. */
static void test_overflow(void)
{
	struct summary *r = summary_new("GBP");
	struct summary_net *n = summary_net_new("GBP");
	size_t col = summary_net_column(n, "current", true, 0, 0);
	struct summary_row big = { .created = at("2025-01-10T12:00:00Z"), .amount = 1000000000000000,
				  .settled = true, .include_in_spending = true, .category = "general", .name = "x" };
	for (int i = 0; i < 9300; i++) {
		CHECK(summary_add(r, &big) == 0);
		CHECK(summary_net_add(n, col, big.created, big.amount, false) == 0);
	}
	struct strbuf out = STRBUF_INIT;
	sb_adds(&out, "kept");
	CHECK(summary_monthly_csv(r, &out) == -1 && summary_categories_csv(r, &out) == -1);
	CHECK(summary_merchants_csv(r, &out) == -1 && summary_spending_svg(r, &out) == -1);
	CHECK(summary_balance_svg(r, &out) == -1);
	CHECK(summary_networth_csv(n, &out) == -1 && summary_networth_svg(n, &out) == -1);
	CHECK_STR(out.buf, "kept");
	summary_free(r);
	summary_net_free(n);

	/* Each month fits, the balance counted back past both does not. */
	r = summary_new("GBP");
	summary_set_balance(r, INT64_MIN + 10);
	big.amount = 5000000000000000000;
	CHECK(summary_add(r, &big) == 0);
	sb_reset(&out);
	CHECK(summary_monthly_csv(r, &out) == 0); /* one month: nothing after it to take away */
	big.created = at("2025-02-10T12:00:00Z");
	CHECK(summary_add(r, &big) == 0);
	sb_reset(&out);
	CHECK(summary_monthly_csv(r, &out) == -1 && out.len == 0);
	CHECK(summary_balance_svg(r, &out) == -1 && out.len == 0);
	summary_free(r);
	sb_release(&out);
}

int main(void)
{
	struct strbuf err = STRBUF_INIT;
	CHECK(localtime_set_zone("Europe/London", &err) == 0);
	make_rows();
	test_checker();
	test_csvs();
	test_pictures();
	test_networth();
	test_overflow();
	sb_release(&err);
	return CHECK_DONE();
}
