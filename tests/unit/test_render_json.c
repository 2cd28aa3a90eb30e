/* Unit tests of render_json: field order and unknown fields kept, exact integers,
 * escapes, deleted pots left out, one account picked out of the list. */
#include <stdlib.h>

#include "check.h"
#include "render_json.h"

int main(void)
{
	struct strbuf out = STRBUF_INIT;
	cJSON *j = cJSON_Parse("{\"b\":1,\"a\":[],\"c\":{},\"big\":123456789012,\"neg\":-510,\"f\":51.54151,"
			       "\"s\":\"q\\\"\\\\\\n\\t\\u0001é🍞\",\"n\":null,\"t\":true,\"x_unknown\":[1,{\"k\":false}]}");
	render_json_document(j, &out);
	CHECK_STR(out.buf, "{\n"
			   "  \"b\": 1,\n"
			   "  \"a\": [],\n"
			   "  \"c\": {},\n"
			   "  \"big\": 123456789012,\n"
			   "  \"neg\": -510,\n"
			   "  \"f\": 51.54151,\n"
			   "  \"s\": \"q\\\"\\\\\\n\\t\\u0001é🍞\",\n"
			   "  \"n\": null,\n"
			   "  \"t\": true,\n"
			   "  \"x_unknown\": [\n"
			   "    1,\n"
			   "    {\n"
			   "      \"k\": false\n"
			   "    }\n"
			   "  ]\n"
			   "}\n");
	cJSON *back = cJSON_Parse(out.buf);
	CHECK(cJSON_Compare(j, back, 1));
	cJSON_Delete(back);
	cJSON_Delete(j);

	sb_reset(&out);
	j = cJSON_Parse("{\"pots\":[{\"id\":\"p1\",\"deleted\":true},{\"id\":\"p2\",\"deleted\":false}]}");
	render_json_pots(j, &out);
	CHECK_STR(out.buf, "{\n  \"pots\": [\n    {\n      \"id\": \"p2\",\n      \"deleted\": false\n    }\n  ]\n}\n");
	cJSON_Delete(j);
	sb_reset(&out);
	j = cJSON_Parse("{\"pots\":[{\"id\":\"p1\",\"deleted\":true}]}");
	render_json_pots(j, &out);
	CHECK_STR(out.buf, "{\n  \"pots\": []\n}\n");
	cJSON_Delete(j);

	sb_reset(&out);
	j = cJSON_Parse("{\"accounts\":[{\"id\":\"acc_1\",\"x\":1},{\"id\":\"acc_2\",\"x\":2}]}");
	CHECK(render_json_account(j, "acc_2", &out) == 0);
	CHECK_STR(out.buf, "{\n  \"id\": \"acc_2\",\n  \"x\": 2\n}\n");
	CHECK(render_json_account(j, "acc_3", &out) < 0);
	cJSON_Delete(j);
	sb_release(&out);
	return CHECK_DONE();
}
