/* Unit tests of strbuf: growth, formatting and detaching keep the bytes intact. */
#include <stdlib.h>

#include "check.h"
#include "strbuf.h"

int main(void)
{
	struct strbuf sb = STRBUF_INIT;
	CHECK_STR(sb_str(&sb), "");
	for (int i = 0; i < 1000; i++)
		sb_addf(&sb, "%d,", i);
	CHECK(sb.len == strlen(sb.buf));
	CHECK(!strncmp(sb.buf, "0,1,2,", 6));
	CHECK(!strcmp(sb.buf + sb.len - 4, "999,"));
	sb_reset(&sb);
	sb_add(&sb, "a\0b", 3);
	CHECK(sb.len == 3 && sb.buf[1] == '\0' && sb.buf[2] == 'b' && sb.buf[3] == '\0');
	size_t len;
	char *p = sb_detach(&sb, &len);
	CHECK(len == 3 && sb.buf == NULL && sb.len == 0);
	free(p);
	p = sb_detach(&sb, &len);
	CHECK(p && len == 0 && p[0] == '\0');
	free(p);
	return CHECK_DONE();
}
