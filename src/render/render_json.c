/* render_json: a small printer instead of cJSON_Print so the layout is the familiar
 * two-space one of jq and Python, and numbers keep their integer form. */
#include "render_json.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void render_json_number(double d, struct strbuf *out)
{
	if (!isfinite(d)) {
		sb_adds(out, "null");
		return;
	}
	/* Money and counts are integers: print them as such, exactly. */
	if (d == trunc(d) && fabs(d) < 9007199254740992.0) {
		sb_addf(out, "%lld", (long long)d);
		return;
	}
	char buf[32];
	snprintf(buf, sizeof buf, "%.15g", d);
	if (strtod(buf, NULL) != d)
		snprintf(buf, sizeof buf, "%.17g", d);
	sb_adds(out, buf);
}

static void render_json_indent(int n, struct strbuf *out)
{
	sb_addch(out, '\n');
	for (int i = 0; i < n; i++)
		sb_adds(out, "  ");
}

void render_json_value(const cJSON *v, int indent, struct strbuf *out)
{
	if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		bool obj = cJSON_IsObject(v);
		if (!v->child) {
			sb_adds(out, obj ? "{}" : "[]");
			return;
		}
		sb_addch(out, obj ? '{' : '[');
		for (const cJSON *c = v->child; c; c = c->next) {
			render_json_indent(indent + 1, out);
			if (obj) {
				json_quote(c->string ? c->string : "", out);
				sb_adds(out, ": ");
			}
			render_json_value(c, indent + 1, out);
			if (c->next)
				sb_addch(out, ',');
		}
		render_json_indent(indent, out);
		sb_addch(out, obj ? '}' : ']');
	} else if (cJSON_IsString(v)) {
		json_quote(v->valuestring, out);
	} else if (cJSON_IsNumber(v)) {
		render_json_number(v->valuedouble, out);
	} else if (cJSON_IsTrue(v)) {
		sb_adds(out, "true");
	} else if (cJSON_IsFalse(v)) {
		sb_adds(out, "false");
	} else {
		sb_adds(out, "null");
	}
}

void render_json_document(const cJSON *v, struct strbuf *out)
{
	render_json_value(v, 0, out);
	sb_addch(out, '\n');
}

int render_json_account(const cJSON *accounts_reply, const char *id, struct strbuf *out)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(accounts_reply, "accounts");
	const cJSON *a;
	cJSON_ArrayForEach(a, list) {
		const cJSON *aid = cJSON_GetObjectItemCaseSensitive(a, "id");
		if (cJSON_IsString(aid) && !strcmp(aid->valuestring, id)) {
			render_json_document(a, out);
			return 0;
		}
	}
	return -1;
}

void render_json_pots(const cJSON *pots_reply, struct strbuf *out)
{
	/* Print the wrapper by hand so the pots themselves need no copy. */
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(pots_reply, "pots");
	const cJSON *p;
	bool any = false;
	sb_adds(out, "{\n  \"pots\": [");
	cJSON_ArrayForEach(p, list) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "deleted")))
			continue;
		sb_adds(out, any ? ",\n    " : "\n    ");
		render_json_value(p, 2, out);
		any = true;
	}
	sb_adds(out, any ? "\n  ]\n}\n" : "]\n}\n");
}
