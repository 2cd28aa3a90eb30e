/* links: only open accounts of the three everyday types get a name; the second of a
 * type is "-2", in the order the API lists them, so names are stable. */
#include "links.h"

#include "json.h"

#include <stdio.h>
#include <string.h>

static const char *links_base(const char *type)
{
	if (!strcmp(type, "uk_retail"))
		return "current";
	if (!strcmp(type, "uk_retail_joint"))
		return "joint";
	if (!strcmp(type, "uk_business"))
		return "business";
	return NULL;
}

void links_names(const cJSON *accounts_reply, char (*names)[32], size_t n)
{
	int seen[3] = { 0, 0, 0 };
	size_t i = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(accounts_reply, "accounts")) {
		if (i >= n)
			break;
		names[i][0] = '\0';
		const char *base = links_base(json_str(a, "type", ""));
		if (base && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "closed"))) {
			int k = !strcmp(base, "current") ? 0 : !strcmp(base, "joint") ? 1 : 2;
			if (++seen[k] == 1)
				snprintf(names[i], 32, "%s", base);
			else
				snprintf(names[i], 32, "%s-%d", base, seen[k]);
		}
		i++;
	}
}
