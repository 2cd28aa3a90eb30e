/* Fuzz target: .env and config file lines. */
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
			free(k);
			free(v);
		}
	}
	free(text);
	return 0;
}
