/* json: reading fields of API objects (the API leaves members out or sends null or ""
 * for the same absence; callers say once what absence should read as) and quoting
 * strings for the JSON we write ourselves (files, tokens.json). */
#include "json.h"

const char *json_str(const cJSON *obj, const char *key, const char *fallback)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : fallback;
}

void json_quote(const char *s, struct strbuf *out)
{
	static const char hex[] = "0123456789abcdef";
	sb_addch(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': sb_adds(out, "\\\""); break;
		case '\\': sb_adds(out, "\\\\"); break;
		case '\n': sb_adds(out, "\\n"); break;
		case '\r': sb_adds(out, "\\r"); break;
		case '\t': sb_adds(out, "\\t"); break;
		case '\b': sb_adds(out, "\\b"); break;
		case '\f': sb_adds(out, "\\f"); break;
		default:
			if (*p < 0x20) {
				char esc[7] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], 0 };
				sb_adds(out, esc);
			} else {
				sb_addch(out, (char)*p);
			}
		}
	}
	sb_addch(out, '"');
}
