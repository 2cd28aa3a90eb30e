/* monzo_error: Monzo error bodies carry "code" and "message"; OAuth failures may
 * carry only "error"/"error_description", so fall back in that order. */
#include "monzo_error.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "termtext.h"

static void monzo_error_copy(char *dst, size_t cap, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!dst[0] && cJSON_IsString(v) && v->valuestring[0])
		snprintf(dst, cap, "%s", v->valuestring);
}

void monzo_error_parse(const char *body, size_t len, long status, struct monzo_error *e)
{
	memset(e, 0, sizeof *e);
	e->http_status = status;
	cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
	if (cJSON_IsObject(j)) {
		monzo_error_copy(e->code, sizeof e->code, j, "code");
		monzo_error_copy(e->code, sizeof e->code, j, "error");
		monzo_error_copy(e->message, sizeof e->message, j, "message");
		monzo_error_copy(e->message, sizeof e->message, j, "error_description");
		monzo_error_copy(e->message, sizeof e->message, j, "error");
	}
	cJSON_Delete(j);
}

void monzo_error_describe(const struct monzo_error *e, struct strbuf *out)
{
	size_t start = out->len;
	if (e->http_status)
		sb_addf(out, "HTTP %ld", e->http_status);
	/* The sender's words go to terminals and logs: escaped, so none of its escape
	 * sequences gets there. */
	if (e->code[0]) {
		sb_adds(out, out->len > start ? " " : "");
		termtext_escape(e->code, out);
	}
	if (e->message[0]) {
		sb_adds(out, out->len > start ? ": " : "");
		termtext_escape(e->message, out);
	}
}

bool monzo_error_is_refusal(const struct monzo_error *e)
{
	if (e->login)
		return false;
	return e->http_status == 404 ||
	       (e->http_status == 403 && strcmp(e->code, "forbidden.verification_required") != 0);
}
