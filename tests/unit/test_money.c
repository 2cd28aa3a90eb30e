/* Unit tests of money: exponents and exact decimal formatting, extremes included. */
#include <stdint.h>

#include "check.h"
#include "money.h"

static void check_fmt(int64_t v, const char *cur, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	money_format(v, cur, &sb);
	CHECK_STR(sb.buf, want);
	sb_release(&sb);
}

int main(void)
{
	CHECK(money_exponent("GBP") == 2 && money_exponent("JPY") == 0 && money_exponent("KWD") == 3);
	CHECK(money_exponent("XYZ") == 2 && money_exponent(NULL) == 2 && money_exponent("CLF") == 4);
	check_fmt(-510, "GBP", "-5.10");
	check_fmt(5, "GBP", "0.05");
	check_fmt(-5, "GBP", "-0.05");
	check_fmt(0, "GBP", "0.00");
	check_fmt(150000, "GBP", "1500.00");
	check_fmt(-1200, "JPY", "-1200");
	check_fmt(0, "JPY", "0");
	check_fmt(-1234, "KWD", "-1.234");
	check_fmt(7, "KWD", "0.007");
	check_fmt(INT64_MIN, "GBP", "-92233720368547758.08");
	check_fmt(INT64_MAX, "GBP", "92233720368547758.07");
	return CHECK_DONE();
}
