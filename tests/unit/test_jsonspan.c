/* Unit tests of jsonspan: element boundaries with nesting, strings holding brackets
 * and escaped quotes, other keys first, empty arrays and malformed text; members of
 * one object. */
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

	/* Members of one object, found without building a tree. */
	const char *tx = "{\"merchant\": {\"id\": \"merch_1\", \"created\": \"2016\"}, \"id\" : \"tx_1\","
			 " \"created\":\"2024-06-01T12:20:18.503Z\", \"notes\": \"a \\\"q\\\"\", \"n\": 5}";
	struct jsonspan v;
	CHECK(jsonspan_member(tx, strlen(tx), "n", &v) == 0 && v.len == 1 && v.p[0] == '5');
	CHECK(jsonspan_member(tx, strlen(tx), "absent", &v) == -1);
	char buf[32];
	CHECK(jsonspan_string(tx, strlen(tx), "id", buf, sizeof buf) == 0 && !strcmp(buf, "tx_1"));
	CHECK(jsonspan_string(tx, strlen(tx), "created", buf, sizeof buf) == 0 &&
	      !strcmp(buf, "2024-06-01T12:20:18.503Z"));
	CHECK(jsonspan_string(tx, strlen(tx), "notes", buf, sizeof buf) == -1);   /* escapes */
	CHECK(jsonspan_string(tx, strlen(tx), "n", buf, sizeof buf) == -1);       /* not a string */
	CHECK(jsonspan_string(tx, strlen(tx), "created", buf, 8) == -1);          /* too long */
	CHECK(jsonspan_member("{\"a\": [1, {\"b\"", 14, "b", &v) == -1);
	return CHECK_DONE();
}
