/* Unit tests of jsonspan: element boundaries with nesting, strings holding brackets
 * and escaped quotes, other keys first, empty arrays and malformed text; members of
 * one object. */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "jsonspan.h"

static long spans(const char *text, const char *key, struct jsonspan **out)
{
	struct jsonspan *trusted;
	long n = jsonspan_array(text, strlen(text), key, JSONSPAN_TRUST, &trusted);
	long m = jsonspan_array(text, strlen(text), key, JSONSPAN_CHECK, out);
	/* Well-formed text: both find the same elements. */
	if (m >= 0 && (n != m || (m && memcmp(trusted, *out, (size_t)m * sizeof *trusted))))
		m = -9;
	free(trusted);
	return m;
}

struct members {
	int n;
	char keys[64], values[128];
};

static int member_seen(void *ctx, const char *key, size_t klen, struct jsonspan v)
{
	struct members *m = ctx;
	m->n++;
	snprintf(m->keys + strlen(m->keys), sizeof m->keys - strlen(m->keys), "%.*s,", (int)klen, key);
	snprintf(m->values + strlen(m->values), sizeof m->values - strlen(m->values), "%.*s|", (int)v.len, v.p);
	return 0;
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

	/* The grammar is checked, not only the nesting. */
	static const char *const bad[] = { "{\"a\": tru}", "{\"a\": 01}", "{\"a\": -}", "{\"a\": 1.}",
					   "{\"a\": \"\\x\"}", "{\"a\": \"\\u12g4\"}", "{\"a\": \"tab\there\"}",
					   "{\"a\" 1}", "{\"a\": [1,]}", "{a: 1}", "{\"a\": 1,}" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *e = jsonspan_value_end(bad[i], bad[i] + strlen(bad[i]));
		CHECK(e == NULL);
	}
	const char *good = "{\"a\": [true, false, null, -0.5e+3, 0, \"\\u00e9\\n\"], \"b\": {}}";
	CHECK(jsonspan_value_end(good, good + strlen(good)) == good + strlen(good));
	char deep[2000];
	memset(deep, '[', 1000);
	memset(deep + 1000, ']', 1000);
	CHECK(jsonspan_value_end(deep, deep + 2000) == NULL);   /* deeper than any reply */

	/* Decoding: escapes, a surrogate pair, a lone half. */
	struct strbuf d = STRBUF_INIT;
	const char *str = "\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\/ \\ud800x\"";
	CHECK(jsonspan_decode((struct jsonspan){ str, strlen(str) }, &d) == 0);
	CHECK_STR(d.buf, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\" / \xef\xbf\xbdx");
	sb_release(&d);
	CHECK(jsonspan_decode((struct jsonspan){ "12", 2 }, &d) == -1);
	int64_t n;
	CHECK(jsonspan_int((struct jsonspan){ "-9223372036854775808", 20 }, &n) && n == INT64_MIN);
	CHECK(jsonspan_int((struct jsonspan){ "9007199254740993", 16 }, &n) && n == 9007199254740993LL);
	CHECK(!jsonspan_int((struct jsonspan){ "9223372036854775808", 19 }, &n));
	CHECK(!jsonspan_int((struct jsonspan){ "1.5", 3 }, &n));

	/* Strings are scanned a word at a time: an escaped quote, a quote or a control
	 * byte at every offset of strings longer than a word is found exactly where it is
	 * (the bytes after it in the same word included). */
	for (size_t len = 0; len < 40; len++) {
		for (size_t at = 0; at < len; at++) {
			char text[256], body[64];
			memset(body, 'x', len);
			body[len] = '\0';
			body[at] = '\xc3';   /* bytes above 0x7f are plain */
			snprintf(text, sizeof text, "{\"transactions\":[\"%s\",\"%s\\\"%s\"]}", body, body, body);
			CHECK(spans(text, "transactions", &s) == 2);
			CHECK(s[0].len == len + 2 && s[1].len == 2 * len + 4);
			free(s);
			body[at] = '\n';
			snprintf(text, sizeof text, "{\"a\":\"%s\"}", body);
			CHECK(jsonspan_value_end(text, text + strlen(text)) == NULL);
			struct jsonspan *one;
			snprintf(text, sizeof text, "{\"transactions\":[\"%s\"]}", body);
			CHECK(jsonspan_array(text, strlen(text), "transactions", JSONSPAN_TRUST, &one) == 1 &&
			      one[0].len == len + 2);
			free(one);
		}
	}

	/* Members, checked or (inside a checked whole) only found. */
	const char *obj = "{\"a\": {\"b\": \"}\\\"\"}, \"c\": [1, \"]\"], \"d\": -2.5e3}";
	for (int mode = 0; mode < 2; mode++) {
		struct members m = { 0 };
		CHECK(jsonspan_each_member(obj, strlen(obj), mode ? JSONSPAN_TRUST : JSONSPAN_CHECK, member_seen,
					   &m) == 0);
		CHECK(m.n == 3 && !strcmp(m.keys, "a,c,d,") && !strcmp(m.values, "{\"b\": \"}\\\"\"}|[1, \"]\"]|-2.5e3|"));
	}
	CHECK(jsonspan_each_member("{\"a\": tru}", 11, JSONSPAN_CHECK, member_seen, &(struct members){ 0 }) == -1);
	CHECK(jsonspan_each_member("{\"a\" 1}", 8, JSONSPAN_TRUST, member_seen, &(struct members){ 0 }) == -1);
	return CHECK_DONE();
}
