/* ascii: UTF-8 text made ASCII for the formats whose readers expect it (OFX, QIF,
 * beancount account names): accents lose their marks, £ € become codes, dashes and
 * quotes become their ASCII forms, control characters spaces, the rest is dropped. */
#ifndef MONZOHFS_ASCII_H
#define MONZOHFS_ASCII_H

#include <stddef.h>

#include "strbuf.h"

/* Appends at most max bytes (0: no limit), never cutting a replacement in two; runs
 * of spaces become one, and the text appended starts and ends with no space. */
void ascii_append(const char *utf8, size_t max, struct strbuf *out);

#endif
