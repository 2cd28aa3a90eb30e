/* Unit tests of links: the friendly names: open accounts only, by type, "-2" for the
 * second of a type, none for types without a friendly name; pot names made safe, never
 * an id of the list, without C1 controls or characters that turn text around. */
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

	/* A name that is a pot's id (its own or another's) would hide that pot's
	 * directory: it gets a suffix, past any other id or name. */
	j = cJSON_Parse("{\"pots\":["
			"{\"id\":\"pot_A\",\"name\":\"pot_B\",\"deleted\":false},"
			"{\"id\":\"pot_B\",\"name\":\"Savings\",\"deleted\":false},"
			"{\"id\":\"pot_B-2\",\"name\":\"pot_C\",\"deleted\":true},"
			"{\"id\":\"pot_C\",\"name\":\"pot_C\",\"deleted\":false}]}");
	char ids[4][LINKS_NAME_MAX];
	links_pot_names(j, ids, 4);
	CHECK_STR(ids[0], "pot_B-3");
	CHECK_STR(ids[1], "Savings");
	CHECK_STR(ids[2], "pot_C-3");
	CHECK_STR(ids[3], "pot_C-2");
	cJSON_Delete(j);

	/* C1 controls and the characters that turn text around are removed, whatever
	 * else is kept (an e with an accent, an emoji). */
	j = cJSON_Parse("{\"pots\":["
			"{\"id\":\"p0\",\"name\":\"Rent\\u202efdp.exe\"},"
			"{\"id\":\"p1\",\"name\":\"\\u2066a\\u2067b\\u2068c\\u2069\\u202a\\u202b\\u202c\\u202dd\"},"
			"{\"id\":\"p2\",\"name\":\"x\\u0080\\u0085\\u009fy\\u200e\\u200fz\\u061c\"},"
			"{\"id\":\"p3\",\"name\":\"Caf\\u00e9 \\u00a0\\u2070 \\ud83c\\udf89\"},"
			"{\"id\":\"p4\",\"name\":\"\\u202e\\u0085\"}]}");
	char marks[5][LINKS_NAME_MAX];
	links_pot_names(j, marks, 5);
	CHECK_STR(marks[0], "Rentfdp.exe");
	CHECK_STR(marks[1], "abcd");
	CHECK_STR(marks[2], "xyz");
	CHECK_STR(marks[3], "Caf\u00e9 \u00a0\u2070 \U0001F389");
	CHECK_STR(marks[4], "");
	cJSON_Delete(j);

	/* An account link never takes an account's id either. */
	j = cJSON_Parse("{\"accounts\":["
			"{\"id\":\"current\",\"type\":\"uk_retail\",\"closed\":false},"
			"{\"id\":\"a1\",\"type\":\"uk_retail\",\"closed\":false},"
			"{\"id\":\"joint-2\",\"type\":\"uk_retail_joint\",\"closed\":false},"
			"{\"id\":\"a3\",\"type\":\"uk_retail_joint\",\"closed\":false}]}");
	char accs[4][LINKS_NAME_MAX];
	links_names(j, accs, 4);
	CHECK_STR(accs[0], "current-2");
	CHECK_STR(accs[1], "current-3");
	CHECK_STR(accs[2], "joint");
	CHECK_STR(accs[3], "joint-3");
	cJSON_Delete(j);
	return CHECK_DONE();
}
