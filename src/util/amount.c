/* amount: integers are read exactly from the text; other numbers (a fraction, an
 * exponent) through strtod, range-checked before the cast, which is undefined beyond
 * int64_t.  Sums use the compiler's overflow checks. */
#include "amount.h"

#include <stdlib.h>
#include <string.h>

bool amount_within(int64_t v)
{
	return v >= -AMOUNT_LIMIT && v <= AMOUNT_LIMIT;
}

static enum amount_read amount_of_double(double d, int64_t *out)
{
	/* NaN fails both comparisons: beyond. */
	if (!(d >= -(double)AMOUNT_LIMIT && d <= (double)AMOUNT_LIMIT))
		return AMOUNT_BEYOND;
	*out = (int64_t)d;
	return AMOUNT_OK;
}

enum amount_read amount_of_span(struct jsonspan v, int64_t *out)
{
	*out = 0;
	if (v.len == 0 || (v.p[0] != '-' && (v.p[0] < '0' || v.p[0] > '9')))
		return AMOUNT_NONE;
	int64_t n;
	if (jsonspan_int(v, &n)) {
		if (!amount_within(n))
			return AMOUNT_BEYOND;
		*out = n;
		return AMOUNT_OK;
	}
	/* Longer than any number within the limit can usefully be written: beyond, or
	 * zeros no bank sends. */
	char buf[64];
	if (v.len >= sizeof buf)
		return AMOUNT_BEYOND;
	memcpy(buf, v.p, v.len);
	buf[v.len] = '\0';
	return amount_of_double(strtod(buf, NULL), out);
}

enum amount_read amount_of_json(const cJSON *item, int64_t *out)
{
	*out = 0;
	if (!cJSON_IsNumber(item))
		return AMOUNT_NONE;
	return amount_of_double(item->valuedouble, out);
}

static int amount_member_check(void *ctx, const char *key, size_t klen, struct jsonspan v)
{
	int64_t n;
	return amount_of_span(v, &n) == AMOUNT_BEYOND ? 1 : 0;
}

bool amount_members_within(struct jsonspan obj)
{
	if (obj.len == 0 || obj.p[0] != '{')
		return true;
	return jsonspan_each_member(obj.p, obj.len, JSONSPAN_TRUST, amount_member_check, NULL) != 1;
}

bool amount_add(int64_t *sum, int64_t v)
{
	int64_t r;
	if (__builtin_add_overflow(*sum, v, &r))
		return false;
	*sum = r;
	return true;
}

bool amount_sub(int64_t a, int64_t b, int64_t *out)
{
	return !__builtin_sub_overflow(a, b, out);
}
