/* Unit tests of amount: numbers as the API may write them read within ±10^15 minor
 * units or refused (1e300 never becomes INT64_MIN), categories checked member by
 * member, and sums that say when they do not fit instead of wrapping. */
#include <stdint.h>
#include <string.h>

#include "amount.h"
#include "check.h"

static enum amount_read span(const char *text, int64_t *out)
{
	return amount_of_span((struct jsonspan){ text, strlen(text) }, out);
}

int main(void)
{
	int64_t n;
	CHECK(span("-1234", &n) == AMOUNT_OK && n == -1234);
	CHECK(span("1000000000000000", &n) == AMOUNT_OK && n == AMOUNT_LIMIT);
	CHECK(span("-1000000000000000", &n) == AMOUNT_OK && n == -AMOUNT_LIMIT);
	CHECK(span("1000000000000001", &n) == AMOUNT_BEYOND && n == 0);
	CHECK(span("9223372036854775807", &n) == AMOUNT_BEYOND);
	CHECK(span("-9223372036854775808", &n) == AMOUNT_BEYOND);
	CHECK(span("99999999999999999999999", &n) == AMOUNT_BEYOND);
	CHECK(span("1e300", &n) == AMOUNT_BEYOND && n == 0);
	CHECK(span("-1e300", &n) == AMOUNT_BEYOND);
	CHECK(span("1e15", &n) == AMOUNT_OK && n == AMOUNT_LIMIT);
	CHECK(span("12.9", &n) == AMOUNT_OK && n == 12);   /* as a cast: the fraction dropped */
	CHECK(span("\"12\"", &n) == AMOUNT_NONE && n == 0);
	CHECK(span("null", &n) == AMOUNT_NONE);

	cJSON *j = cJSON_Parse("{\"a\":1e300,\"b\":-510,\"c\":\"x\",\"d\":-1e16}");
	CHECK(amount_of_json(cJSON_GetObjectItem(j, "a"), &n) == AMOUNT_BEYOND);
	CHECK(amount_of_json(cJSON_GetObjectItem(j, "b"), &n) == AMOUNT_OK && n == -510);
	CHECK(amount_of_json(cJSON_GetObjectItem(j, "c"), &n) == AMOUNT_NONE);
	CHECK(amount_of_json(cJSON_GetObjectItem(j, "d"), &n) == AMOUNT_BEYOND);
	CHECK(amount_of_json(NULL, &n) == AMOUNT_NONE);
	cJSON_Delete(j);

	const char ok[] = "{\"eating_out\": -510, \"shopping\": -200}";
	const char bad[] = "{\"eating_out\": -510, \"shopping\": 9223372036854775807}";
	CHECK(amount_members_within((struct jsonspan){ ok, sizeof ok - 1 }));
	CHECK(!amount_members_within((struct jsonspan){ bad, sizeof bad - 1 }));
	CHECK(amount_members_within((struct jsonspan){ "null", 4 }));

	int64_t sum = INT64_MAX;
	CHECK(!amount_add(&sum, INT64_MAX) && sum == INT64_MAX);
	CHECK(amount_add(&sum, -1) && sum == INT64_MAX - 1);
	CHECK(!amount_sub(INT64_MIN, 1, &n));
	CHECK(amount_sub(-5, 7, &n) && n == -12);
	return CHECK_DONE();
}
