/* json: reading fields of API objects parsed with cJSON, the same way everywhere, and
 * writing a JSON string literal. */
#ifndef MONZOHFS_JSON_H
#define MONZOHFS_JSON_H

#include <cjson/cJSON.h>

#include "strbuf.h"

/* obj's string member key when it is there and not empty; otherwise fallback. */
const char *json_str(const cJSON *obj, const char *key, const char *fallback);
/* s as a JSON string literal, quoted and escaped. */
void json_quote(const char *s, struct strbuf *out);

#endif
