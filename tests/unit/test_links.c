/* Unit tests of links: the friendly names: open accounts only, by type, "-2" for the
 * second of a type, none for types without a friendly name. */
#include "check.h"
#include "links.h"

int main(void)
{
	cJSON *j = cJSON_Parse("{\"accounts\":["
			       "{\"id\":\"a0\",\"type\":\"uk_prepaid\",\"closed\":true},"
			       "{\"id\":\"a1\",\"type\":\"uk_retail\",\"closed\":false},"
			       "{\"id\":\"a2\",\"type\":\"uk_retail_joint\",\"closed\":true},"
			       "{\"id\":\"a3\",\"type\":\"uk_business\",\"closed\":false},"
			       "{\"id\":\"a4\",\"type\":\"uk_retail_joint\",\"closed\":false},"
			       "{\"id\":\"a5\",\"type\":\"uk_business\",\"closed\":false},"
			       "{\"id\":\"a6\",\"type\":\"uk_monzo_flex\",\"closed\":false},"
			       "{\"id\":\"a7\",\"type\":\"uk_business\",\"closed\":false}]}");
	char names[8][32];
	links_names(j, names, 8);
	CHECK_STR(names[0], "");
	CHECK_STR(names[1], "current");
	CHECK_STR(names[2], "");
	CHECK_STR(names[3], "business");
	CHECK_STR(names[4], "joint");
	CHECK_STR(names[5], "business-2");
	CHECK_STR(names[6], "");
	CHECK_STR(names[7], "business-3");
	cJSON_Delete(j);
	return CHECK_DONE();
}
