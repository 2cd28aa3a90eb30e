/* Unit tests of ascii: accents, currency signs, punctuation, emoji dropped without
 * leaving stray spaces, and the length limit. */
#include "ascii.h"
#include "check.h"

static void check_ascii(const char *in, size_t max, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	sb_adds(&sb, "[");
	ascii_append(in, max, &sb);
	sb_adds(&sb, "]");
	CHECK_STR(sb.buf, want);
	sb_release(&sb);
}

int main(void)
{
	check_ascii("Café Müller — £4.20", 0, "[Cafe Muller - GBP 4.20]");
	check_ascii("🔒 House deposit", 0, "[House deposit]");
	check_ascii("Kit 🐈", 0, "[Kit]");
	check_ascii("Pizza night 🍕🎉 #treat", 0, "[Pizza night #treat]");
	check_ascii("line\none\ttab", 0, "[line one tab]");
	check_ascii("Œuvre ß Łódź", 0, "[OEuvre ss Lodz]");
	check_ascii("“quoted” ‘it’s’ …", 0, "[\"quoted\" 'it's' ...]");
	check_ascii("abcdef", 4, "[abcd]");
	check_ascii("ab£", 4, "[ab]");
	check_ascii("\xff\xfe broken", 0, "[broken]");
	check_ascii("", 0, "[]");
	return CHECK_DONE();
}
