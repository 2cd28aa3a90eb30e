/* links: only open accounts of the everyday types get a name; the second of a type is
 * "-2", in the order the API lists them, so names are stable. */
#include "links.h"

#include "json.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* DESIGN's names for the account types, in one table with their counts. */
static const struct {
	const char *type;
	const char *name;
} links_types[] = {
	{ "uk_retail", "current" }, { "uk_retail_joint", "joint" }, { "uk_business", "business" },
	{ "uk_monzo_flex", "flex" }, { "uk_prepaid", "prepaid" },
};
#define LINKS_TYPES (sizeof links_types / sizeof links_types[0])

void links_names(const cJSON *accounts_reply, char (*names)[LINKS_NAME_MAX], size_t n)
{
	int seen[LINKS_TYPES] = { 0 };
	size_t i = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(accounts_reply, "accounts")) {
		if (i >= n)
			break;
		names[i][0] = '\0';
		const char *type = json_str(a, "type", "");
		for (size_t k = 0; k < LINKS_TYPES && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "closed")); k++) {
			if (strcmp(type, links_types[k].type))
				continue;
			if (++seen[k] == 1)
				snprintf(names[i], LINKS_NAME_MAX, "%s", links_types[k].name);
			else
				snprintf(names[i], LINKS_NAME_MAX, "%s-%d", links_types[k].name, seen[k]);
			break;
		}
		i++;
	}
}

/* name made safe as one file name, cut at a character boundary to fit cap. */
static void links_safe(const char *name, char *out, size_t cap)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p && n + 1 < cap; p++) {
		unsigned char c = *p;
		if (c == '/')
			c = '-';
		else if (c < 0x20 || c == 0x7f)
			c = ' ';
		if (c == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		if (c == '.' && n == 0)
			c = '_';
		out[n++] = (char)c;
	}
	/* A character the cut left incomplete goes, then any trailing space. */
	size_t lead = n;
	while (lead && ((unsigned char)out[lead - 1] & 0xC0) == 0x80)
		lead--;
	if (lead) {
		unsigned char b = (unsigned char)out[lead - 1];
		size_t want = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
		if (n - (lead - 1) < want)
			n = lead - 1;
	}
	while (n && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static bool links_taken(char (*names)[LINKS_NAME_MAX], size_t n, size_t self, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (i != self && !strcmp(names[i], name))
			return true;
	return false;
}

void links_pot_names(const cJSON *pots_reply, char (*names)[LINKS_NAME_MAX], size_t n)
{
	for (size_t i = 0; i < n; i++)
		names[i][0] = '\0';
	for (int deleted = 0; deleted < 2; deleted++) {
		size_t i = 0;
		const cJSON *p;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(pots_reply, "pots")) {
			if (i >= n)
				break;
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "deleted")) == (deleted != 0)) {
				char base[LINKS_NAME_MAX - 8];
				links_safe(json_str(p, "name", ""), base, sizeof base);
				if (*base) {
					snprintf(names[i], LINKS_NAME_MAX, "%s", base);
					for (int k = 2; links_taken(names, n, i, names[i]) && k < 1000; k++)
						snprintf(names[i], LINKS_NAME_MAX, "%s-%d", base, k);
				}
			}
			i++;
		}
	}
}
