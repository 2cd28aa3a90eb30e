/* money: the exponent table lists only the currencies whose minor unit is not the
 * hundredth; everything else, unknown codes included, has two decimals. */
#include "money.h"

#include <string.h>

static const char *const money_exp0[] = { "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
					  "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF" };
static const char *const money_exp3[] = { "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND" };
static const char *const money_exp4[] = { "CLF", "UYW" };

static int money_in(const char *cur, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cur, list[i]))
			return 1;
	return 0;
}

#define MONEY_IN(cur, list) money_in(cur, list, sizeof(list) / sizeof((list)[0]))

int money_exponent(const char *currency)
{
	if (!currency || !strcmp(currency, "GBP"))
		return 2;
	if (MONEY_IN(currency, money_exp0))
		return 0;
	if (MONEY_IN(currency, money_exp3))
		return 3;
	if (MONEY_IN(currency, money_exp4))
		return 4;
	return 2;
}

void money_format(int64_t minor, const char *currency, struct strbuf *out)
{
	int exp = money_exponent(currency);
	/* Work on the magnitude as unsigned so INT64_MIN has one too. */
	uint64_t mag = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	uint64_t scale = 1;
	for (int i = 0; i < exp; i++)
		scale *= 10;
	/* Digits by hand, right to left: this runs several times per CSV row. */
	char buf[32];
	char *p = buf + sizeof buf;
	uint64_t whole = mag / scale, frac = mag % scale;
	for (int i = 0; i < exp; i++) {
		*--p = (char)('0' + frac % 10);
		frac /= 10;
	}
	if (exp)
		*--p = '.';
	do {
		*--p = (char)('0' + whole % 10);
		whole /= 10;
	} while (whole);
	if (minor < 0)
		*--p = '-';
	sb_add(out, p, (size_t)(buf + sizeof buf - p));
}
