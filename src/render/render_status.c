/* render_status: builds the document with cJSON and prints it with render_json. */
#include "render_status.h"

#include <cjson/cJSON.h>

#include "render_json.h"

static void render_status_time(cJSON *obj, const char *key, struct instant t)
{
	char buf[32];
	timefmt_utc_z(t.sec, buf);
	cJSON_AddStringToObject(obj, key, buf);
}

static cJSON *render_status_error(const struct status_resource *r)
{
	cJSON *e = cJSON_CreateObject();
	render_status_time(e, "at", r->error_at);
	if (r->err.http_status)
		cJSON_AddNumberToObject(e, "http_status", (double)r->err.http_status);
	else
		cJSON_AddNullToObject(e, "http_status");
	if (r->err.code[0])
		cJSON_AddStringToObject(e, "code", r->err.code);
	else
		cJSON_AddNullToObject(e, "code");
	cJSON_AddStringToObject(e, "message", r->err.message);
	return e;
}

void render_status(const struct status_info *s, struct strbuf *out)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "api", s->api);
	cJSON_AddBoolToObject(root, "offline", s->offline);
	render_status_time(root, "mounted_at", s->mounted_at);
	if (s->api_unreachable_at_mount)
		cJSON_AddStringToObject(root, "mount_warning",
					"the API could not be reached at mount time; serving what is stored");

	cJSON *login = cJSON_AddObjectToObject(root, "login");
	cJSON_AddStringToObject(login, "tokens_file", s->tokens_path);
	render_status_time(login, "access_token_expires_at", s->token_expires_at);
	cJSON_AddStringToObject(login, "state", s->login_refused ? "refused" : "ok");
	if (s->login_refused)
		cJSON_AddStringToObject(login, "fix", "run monzohfs-login");

	cJSON *res = cJSON_AddObjectToObject(root, "resources");
	for (size_t i = 0; i < s->nres; i++) {
		const struct status_resource *r = &s->res[i];
		cJSON *o = cJSON_AddObjectToObject(res, r->name);
		if (r->have) {
			render_status_time(o, "fetched_at", r->fetched_at);
			render_status_time(o, "changed_at", r->changed_at);
		} else {
			cJSON_AddNullToObject(o, "fetched_at");
			cJSON_AddNullToObject(o, "changed_at");
		}
		/* A failure newer than the copy held means the copy is being served stale. */
		cJSON_AddBoolToObject(o, "stale", r->have && r->failed);
		if (r->failed)
			cJSON_AddItemToObject(o, "last_error", render_status_error(r));
		else
			cJSON_AddNullToObject(o, "last_error");
	}
	cJSON *hist = cJSON_AddObjectToObject(root, "history");
	for (size_t i = 0; i < s->nhist; i++) {
		const struct status_history *h = &s->hist[i];
		cJSON *o = cJSON_AddObjectToObject(hist, h->account);
		cJSON_AddBoolToObject(o, "complete", h->complete);
		if (h->complete)
			cJSON_AddNullToObject(o, "known_from");
		else
			render_status_time(o, "known_from", (struct instant){ h->starts, 0 });
		render_status_time(o, "last_sync", (struct instant){ h->last_sync, 0 });
		if (h->gap_to > h->gap_from) {
			cJSON *gap = cJSON_AddObjectToObject(o, "gap");
			render_status_time(gap, "from", (struct instant){ h->gap_from, 0 });
			render_status_time(gap, "to", (struct instant){ h->gap_to, 0 });
		}
	}
	render_json_document(root, out);
	cJSON_Delete(root);
}
