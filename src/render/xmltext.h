/* xmltext: text from strangers (category and merchant names) made safe inside XML
 * text and attribute values, so that a picture stays well-formed whatever they say. */
#ifndef MONZOHFS_XMLTEXT_H
#define MONZOHFS_XMLTEXT_H

#include <stddef.h>

#include "strbuf.h"

/* Appends s with & < > " ' as entities, and each character XML 1.0 cannot hold (C0
 * controls but tab, LF and CR; U+FFFE, U+FFFF) and each byte that is not part of
 * well-formed UTF-8 as U+FFFD. */
void xmltext_escape(const char *s, struct strbuf *out);
/* The characters (code points) xmltext_escape shows for s. */
size_t xmltext_length(const char *s);

#endif
