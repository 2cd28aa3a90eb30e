/* links: only open accounts of the everyday types get a name; the second of a type is
 * "-2", in the order the API lists them, so names are stable.  A name never equals an
 * id of its list: the directory of that id beside it would be hidden. */
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

/* Whether name is the id of an item of list: the directory beside the links holds
 * one of that name, which a link must not hide. */
static bool links_is_id(const cJSON *list, const char *name)
{
	const cJSON *item;
	cJSON_ArrayForEach(item, list)
		if (!strcmp(json_str(item, "id", ""), name))
			return true;
	return false;
}

/* Whether name is another's (of the first n) or an id of list. */
static bool links_taken(const cJSON *list, char (*names)[LINKS_NAME_MAX], size_t n, size_t self, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (i != self && !strcmp(names[i], name))
			return true;
	return links_is_id(list, name);
}

void links_names(const cJSON *accounts_reply, char (*names)[LINKS_NAME_MAX], size_t n)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(accounts_reply, "accounts");
	int seen[LINKS_TYPES] = { 0 };
	size_t i = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, list) {
		if (i >= n)
			break;
		names[i][0] = '\0';
		const char *type = json_str(a, "type", "");
		for (size_t k = 0; k < LINKS_TYPES && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "closed")); k++) {
			if (strcmp(type, links_types[k].type))
				continue;
			/* The plain name for the first of a type, then -2, -3…; past any id. */
			int m = ++seen[k];
			for (;; m++) {
				if (m == 1)
					snprintf(names[i], LINKS_NAME_MAX, "%s", links_types[k].name);
				else
					snprintf(names[i], LINKS_NAME_MAX, "%s-%d", links_types[k].name, m);
				if (!links_taken(list, names, i, i, names[i]) || m >= 1000)
					break;
			}
			seen[k] = m;
			break;
		}
		i++;
	}
}

/* The length of an invisible character at p that a name must not keep: a C1 control
 * (U+0080-U+009F), or a mark, embedding, override or isolate that turns the text
 * around (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069), so "Rent<U+202E>fdp.exe"
 * cannot show as "Rentexe.pdf".  0 for any other. */
static size_t links_hidden(const unsigned char *p)
{
	if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
		return 2;
	if (p[0] == 0xD8 && p[1] == 0x9C)
		return 2;
	if (p[0] == 0xE2 && p[1] == 0x80 && ((p[2] >= 0x8E && p[2] <= 0x8F) || (p[2] >= 0xAA && p[2] <= 0xAE)))
		return 3;
	if (p[0] == 0xE2 && p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)
		return 3;
	return 0;
}

/* name made safe as one file name, cut at a character boundary to fit cap. */
static void links_safe(const char *name, char *out, size_t cap)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p && n + 1 < cap; p++) {
		size_t hidden = links_hidden(p);
		if (hidden) {
			p += hidden - 1;
			continue;
		}
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

void links_pot_names(const cJSON *pots_reply, char (*names)[LINKS_NAME_MAX], size_t n)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(pots_reply, "pots");
	for (size_t i = 0; i < n; i++)
		names[i][0] = '\0';
	for (int deleted = 0; deleted < 2; deleted++) {
		size_t i = 0;
		const cJSON *p;
		cJSON_ArrayForEach(p, list) {
			if (i >= n)
				break;
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "deleted")) == (deleted != 0)) {
				char base[LINKS_NAME_MAX - 8];
				links_safe(json_str(p, "name", ""), base, sizeof base);
				if (*base) {
					snprintf(names[i], LINKS_NAME_MAX, "%s", base);
					for (int k = 2; links_taken(list, names, n, i, names[i]) && k < 1000; k++)
						snprintf(names[i], LINKS_NAME_MAX, "%s-%d", base, k);
				}
			}
			i++;
		}
	}
}
