/* Fuzz target: tokens.json parsing (monzoh's format, anything a person may write). */
#include <stddef.h>
#include <stdint.h>

#include "tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tokens t;
	struct strbuf err = STRBUF_INIT;
	if (tokens_parse((const char *)data, size, &t, &err) == 0) {
		struct strbuf out = STRBUF_INIT;
		tokens_format(&t, &out);
		struct tokens back;
		/* What we write must read back. */
		if (tokens_parse(out.buf, out.len, &back, &err) != 0)
			__builtin_trap();
		tokens_free(&back);
		sb_release(&out);
		tokens_free(&t);
	}
	sb_release(&err);
	return 0;
}
