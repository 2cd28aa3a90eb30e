/* Fuzz target: what the login takes from outside — the redirect URI it parses and the
 * text it puts in HTML pages and on the terminal. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callback.h"
#include "termtext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char *host, *path;
	int port;
	if (callback_parse_redirect(text, &host, &port, &path) == 0) {
		if (!host || !path || port < 0)
			__builtin_trap();
		free(host);
		free(path);
	}
	struct strbuf page = STRBUF_INIT;
	callback_html_escape(text, &page);
	if (strpbrk(page.buf ? page.buf : "", "<>\"'"))
		__builtin_trap();
	sb_release(&page);
	struct strbuf line = STRBUF_INIT;
	termtext_escape(text, &line);
	for (size_t i = 0; i < line.len; i++)
		if (line.buf[i] < 0x20 || line.buf[i] > 0x7e)
			__builtin_trap();
	sb_release(&line);
	free(text);
	return 0;
}
