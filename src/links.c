/* links: only open accounts of the three everyday types get a name; the second of a
 * type is "-2", in the order the API lists them, so names are stable. */
#include "links.h"

#include <stdio.h>
#include <stdlib.h>
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

static const char *links_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : "";
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
		const char *base = links_base(links_str(a, "type"));
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

void links_name_of(const cJSON *accounts_reply, const char *account, char out[64])
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(accounts_reply, "accounts");
	size_t n = (size_t)cJSON_GetArraySize(list);
	char (*names)[32] = calloc(n ? n : 1, sizeof *names);
	links_names(accounts_reply, names, n);
	snprintf(out, 64, "%s", account);
	size_t i = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, list) {
		if (i < n && !strcmp(links_str(a, "id"), account) && names[i][0])
			snprintf(out, 64, "%s", names[i]);
		i++;
	}
	free(names);
}
