/* Unit tests of xmltext: the markup characters become entities, and what XML 1.0
 * cannot hold (controls, bad UTF-8, U+FFFE/U+FFFF) becomes U+FFFD, one per bad byte. */
#include "check.h"
#include "xmltext.h"

#define FFFD "\xef\xbf\xbd"

static void check_escape(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	xmltext_escape(in, &sb);
	CHECK_STR(sb_str(&sb), want);
	sb_release(&sb);
}

int main(void)
{
	check_escape("", "");
	check_escape("Groceries", "Groceries");
	check_escape("Side <hustle> & \"co\" 'n'", "Side &lt;hustle&gt; &amp; &quot;co&quot; &apos;n&apos;");
	check_escape("&amp;", "&amp;amp;");
	check_escape("tab\there\nand\rthere", "tab\there\nand\rthere");
	check_escape("bell\x07 esc\x1b[31m", "bell" FFFD " esc" FFFD "[31m");
	check_escape("Café Müller 🍕", "Café Müller 🍕");
	check_escape("bad \xff byte", "bad " FFFD " byte");
	check_escape("overlong \xc0\xaf", "overlong " FFFD FFFD);
	check_escape("surrogate \xed\xa0\x80", "surrogate " FFFD FFFD FFFD);
	check_escape("cut \xe2\x82", "cut " FFFD FFFD);
	check_escape("beyond \xf4\x90\x80\x80", "beyond " FFFD FFFD FFFD FFFD);
	check_escape("not a character \xef\xbf\xbe\xef\xbf\xbf", "not a character " FFFD FFFD);
	CHECK(xmltext_length("") == 0);
	CHECK(xmltext_length("Café") == 4);
	CHECK(xmltext_length("🏖️ Holiday") == 10); /* the emoji, its variation selector, " Holiday" */
	CHECK(xmltext_length("a\xff" "b") == 3);
	return CHECK_DONE();
}
