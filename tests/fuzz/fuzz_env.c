/* Fuzz target: .env and config file lines, and the lines the login writes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *k, *v;
		if (config_parse_line(line, &k, &v) == 1) {
			if (!k || !v || !*k)
				__builtin_trap();
			/* What the login saves reads back as it was (a CR never gets this far). */
			struct strbuf saved = STRBUF_INIT;
			config_format_line("K", v, &saved);
			saved.buf[--saved.len] = '\0';
			char *k2, *v2;
			if (config_parse_line(saved.buf, &k2, &v2) != 1 || strcmp(v, v2))
				__builtin_trap();
			free(k2);
			free(v2);
			sb_release(&saved);
			free(k);
			free(v);
		}
	}
	free(text);
	return 0;
}
