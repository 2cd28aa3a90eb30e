/* termtext: text from outside (the bank's error messages, ids, a callback's error)
 * made safe to print on a terminal: no escape sequence, bell or C1 control of the
 * sender's gets through. */
#ifndef MONZOHFS_TERMTEXT_H
#define MONZOHFS_TERMTEXT_H

#include <stddef.h>

#include "strbuf.h"

/* Appends s with bytes outside printable ASCII as \xNN and \ as \\. */
void termtext_escape(const char *s, struct strbuf *out);
/* The same into buf (cap bytes, at least 1), cut before an escape that does not fit;
 * returns buf, for a log line's argument. */
const char *termtext_cut(const char *s, char *buf, size_t cap);

#endif
