/* Unit tests of links: the friendly names: open accounts only, by type, "-2" for the
 * second of a type, none for types without a friendly name. */
#include <string.h>

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
			       "{\"id\":\"a7\",\"type\":\"uk_business\",\"closed\":false},"
			       "{\"id\":\"a8\",\"type\":\"uk_prepaid\",\"closed\":false},"
			       "{\"id\":\"a9\",\"type\":\"uk_savings\",\"closed\":false}]}");
	char names[10][LINKS_NAME_MAX];
	links_names(j, names, 10);
	CHECK_STR(names[0], "");
	CHECK_STR(names[1], "current");
	CHECK_STR(names[2], "");
	CHECK_STR(names[3], "business");
	CHECK_STR(names[4], "joint");
	CHECK_STR(names[5], "business-2");
	CHECK_STR(names[6], "flex");
	CHECK_STR(names[7], "business-3");
	CHECK_STR(names[8], "prepaid");
	CHECK_STR(names[9], "");        /* a type DESIGN gives no name */
	cJSON_Delete(j);

	/* Pots: live ones keep the plain name, a deleted namesake gets -2; no slashes,
	 * control characters or leading dots; a cut never splits a character. */
	j = cJSON_Parse("{\"pots\":["
			"{\"id\":\"p0\",\"name\":\"Holiday\",\"deleted\":true},"
			"{\"id\":\"p1\",\"name\":\"Holiday\",\"deleted\":false},"
			"{\"id\":\"p2\",\"name\":\"../etc/passwd\",\"deleted\":false},"
			"{\"id\":\"p3\",\"name\":\"  Tab\\there  \",\"deleted\":false},"
			"{\"id\":\"p4\",\"name\":\"\",\"deleted\":false},"
			"{\"id\":\"p5\",\"name\":\"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
			"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
			"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
			"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
			"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\"}]}");
	char pots[6][LINKS_NAME_MAX];
	links_pot_names(j, pots, 6);
	CHECK_STR(pots[0], "Holiday-2");
	CHECK_STR(pots[1], "Holiday");
	CHECK_STR(pots[2], "_.-etc-passwd");
	CHECK_STR(pots[3], "Tab here");
	CHECK_STR(pots[4], "");
	/* Cut at a whole character, with room left for a "-N" that tells two apart: 43 of
	 * the two-byte ones, not an empty or half-character name. */
	char cut[LINKS_NAME_MAX] = "";
	for (int i = 0; i < 43; i++)
		strcat(cut, "\u00e9");
	CHECK_STR(pots[5], cut);
	cJSON_Delete(j);
	return CHECK_DONE();
}
