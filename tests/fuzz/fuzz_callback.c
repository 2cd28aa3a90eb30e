/* Fuzz target: what the login takes from outside — the redirect URI it parses and the
 * text it puts in HTML pages. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "callback.h"

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
	free(text);
	return 0;
}
