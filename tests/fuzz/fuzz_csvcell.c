/* Fuzz target: the spreadsheet guard of the CSVs' text cells.  Whatever a stranger
 * sends, the field read back is the text or ' and the text; what is left unguarded
 * starts with no formula character; a guarded text is not guarded again; and the
 * fields that are never guarded (ids, currencies) read back as sent. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csvcell.h"
#include "render_csv.h"

/* An RFC 4180 reading of one field that is the whole of f, apart from the code under
 * test; NULL when f is not exactly one field. */
static char *fuzz_csvcell_read(const char *f, size_t n)
{
	char *v = malloc(n + 1), *w = v;
	if (n == 0 || f[0] != '"') {
		if (strcspn(f, ",\"\r\n") != n) {
			free(v);
			return NULL;
		}
		memcpy(v, f, n + 1);
		return v;
	}
	size_t i = 1;
	for (;;) {
		if (i >= n) {
			free(v);
			return NULL;
		}
		if (f[i] == '"') {
			if (i + 1 == n)
				break;
			if (f[i + 1] != '"') {
				free(v);
				return NULL;
			}
			i++;
		}
		*w++ = f[i++];
	}
	*w = '\0';
	return v;
}

/* The first byte past the blanks a trimming import drops. */
static const char *fuzz_csvcell_visible(const char *s)
{
	while (*s && (unsigned char)*s <= ' ')
		s++;
	return s;
}

static int fuzz_csvcell_starts_formula(const char *s)
{
	static const char *const wide[] = { "\xef\xbc\x9d", "\xef\xbc\x8b", "\xef\xbc\x8d", "\xef\xbc\xa0" };
	s = fuzz_csvcell_visible(s);
	if (*s && strchr("=@", *s))
		return 1;
	if ((*s == '+' || *s == '-') && s[1])
		return 1;
	for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
		if (!strncmp(s, wide[i], 3))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';  /* a cell is a C string: it ends at the first NUL */
	size_t len = strlen(text);

	struct strbuf out = STRBUF_INIT, again = STRBUF_INIT, plain = STRBUF_INIT;
	render_csv_text(text, &out);
	char *shown = fuzz_csvcell_read(sb_str(&out), out.len);
	if (!shown)
		__builtin_trap();
	int guarded = shown[0] == '\'' && strlen(shown) == len + 1 && !strcmp(shown + 1, text);
	if (!guarded && strcmp(shown, text))
		__builtin_trap();
	/* Unguarded: no formula character, even past blanks. */
	if (!guarded && fuzz_csvcell_starts_formula(shown))
		__builtin_trap();
	/* Guarded: the ' comes first, and guarding again changes nothing. */
	if (guarded) {
		if (fuzz_csvcell_starts_formula(shown) || csvcell_is_formula(shown))
			__builtin_trap();
		render_csv_text(shown, &again);
		if (again.len != out.len || memcmp(again.buf, out.buf, out.len))
			__builtin_trap();
	}
	if (guarded != csvcell_is_formula(text))
		__builtin_trap();
	/* The columns that are never guarded read back as sent. */
	render_csv_field(text, &plain);
	char *raw = fuzz_csvcell_read(sb_str(&plain), plain.len);
	if (!raw || strcmp(raw, text))
		__builtin_trap();

	free(raw);
	free(shown);
	sb_release(&out);
	sb_release(&again);
	sb_release(&plain);
	free(text);
	return 0;
}
