/* csvcell: Excel reads a cell that starts with = + - or @ as a formula, LibreOffice
 * and Gnumeric one that starts with =; an import that trims spaces (LibreOffice's
 * "Trim spaces") evaluates " =" too, so the leading blanks are looked past.  A lone -
 * or + has nothing to compute and is a common placeholder: it stays as it is. */
#include "csvcell.h"

#include <string.h>

/* The fullwidth forms: some spreadsheets, by locale, read them as the ASCII ones. */
static const char *const csvcell_wide[] = { "\xef\xbc\x9d", "\xef\xbc\x8b", "\xef\xbc\x8d", "\xef\xbc\xa0" };

bool csvcell_is_formula(const char *s)
{
	while (*s && (unsigned char)*s <= ' ')
		s++;
	if (*s == '=' || *s == '@')
		return true;
	if (*s == '+' || *s == '-')
		return s[1] != '\0';
	if ((unsigned char)*s != 0xef)
		return false;
	for (size_t i = 0; i < sizeof csvcell_wide / sizeof csvcell_wide[0]; i++)
		if (!strncmp(s, csvcell_wide[i], 3))
			return true;
	return false;
}
