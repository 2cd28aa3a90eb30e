/* render_json: the mount's JSON files, pretty-printed with two-space indents and a
 * final newline.  Objects keep every field the API sent, in its order. */
#ifndef MONZOHFS_RENDER_JSON_H
#define MONZOHFS_RENDER_JSON_H

#include <cjson/cJSON.h>

#include "strbuf.h"

/* Any JSON value at the given indent level, without a trailing newline. */
void render_json_value(const cJSON *v, int indent, struct strbuf *out);
/* A whole document: the value and "\n". */
void render_json_document(const cJSON *v, struct strbuf *out);
/* The account whose id is id, out of an /accounts reply; -1 when it is not there. */
int render_json_account(const cJSON *accounts_reply, const char *id, struct strbuf *out);
/* A /pots reply without the deleted pots, keeping the {"pots": [...]} wrapper. */
void render_json_pots(const cJSON *pots_reply, struct strbuf *out);

#endif
