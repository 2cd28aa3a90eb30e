/* Unit tests of jsonspan: element boundaries with nesting, strings holding brackets
 * and escaped quotes, other keys first, empty arrays and malformed text. */
#include <stdlib.h>

#include "check.h"
#include "jsonspan.h"

static long spans(const char *text, const char *key, struct jsonspan **out)
{
	return jsonspan_array(text, strlen(text), key, out);
}

int main(void)
{
	struct jsonspan *s;
	const char *t = "{\"other\": {\"a\": [1, \"]\"]}, \"transactions\": [ {\"id\": \"x\\\"}\", \"n\": [1,{}]} ,"
			"\n{\"id\":\"y\"}, 3, \"str]\", null ]}";
	CHECK(spans(t, "transactions", &s) == 5);
	CHECK(s[0].len == strlen("{\"id\": \"x\\\"}\", \"n\": [1,{}]}") && !strncmp(s[0].p, "{\"id\": \"x", 9));
	CHECK(!strncmp(s[1].p, "{\"id\":\"y\"}", s[1].len) && s[1].len == 10);
	CHECK(s[2].len == 1 && s[2].p[0] == '3');
	CHECK(s[3].len == 6 && !strncmp(s[3].p, "\"str]\"", 6));
	CHECK(s[4].len == 4 && !strncmp(s[4].p, "null", 4));
	free(s);
	CHECK(spans("{\"transactions\": []}", "transactions", &s) == 0);
	free(s);
	CHECK(spans("{\"transactions\": [{\"a\":1}", "transactions", &s) == -1);
	CHECK(spans("{\"nope\": []}", "transactions", &s) == -1);
	CHECK(spans("[1,2]", "transactions", &s) == -1);
	CHECK(spans("", "transactions", &s) == -1);
	CHECK(spans("{\"transactions\": [1 2]}", "transactions", &s) == -1);
	return CHECK_DONE();
}
