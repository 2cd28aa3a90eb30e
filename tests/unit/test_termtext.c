/* Unit tests of termtext: what reaches a terminal of text from outside: escape
 * sequences, bells, C1 controls and other bytes outside printable ASCII as \xNN, a
 * backslash doubled (so the escaped text reads back unambiguously), and a cut that
 * never splits an escape. */
#include "check.h"
#include "termtext.h"

int main(void)
{
	struct strbuf out = STRBUF_INIT;
	termtext_escape("access_denied\x1b[2J\x07\r\n\\ \xc2\x9b~", &out);
	CHECK_STR(out.buf, "access_denied\\x1b[2J\\x07\\x0d\\x0a\\\\ \\xc2\\x9b~");
	sb_release(&out);

	char buf[12];
	CHECK_STR(termtext_cut("acc_0001", buf, sizeof buf), "acc_0001");
	CHECK_STR(termtext_cut("acc\x1b]0;x\x07", buf, sizeof buf), "acc\\x1b]0;x");
	CHECK_STR(termtext_cut("abcdefgh\x1b", buf, sizeof buf), "abcdefgh");
	CHECK_STR(termtext_cut("", buf, 1), "");
	return CHECK_DONE();
}
