/* tokens: parsing is strict about types but accepts every expires_at form monzoh or a
 * person may have written (no fraction, any fraction, +00:00, Z). */
#include "tokens.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "atomicfile.h"
#include "dirs.h"
#include "json.h"
#include "smallfile.h"
#include "xalloc.h"

/* Secrets are wiped before their memory goes back to the allocator. */
static void tokens_wipe(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void tokens_free(struct tokens *t)
{
	tokens_wipe(t->access_token);
	tokens_wipe(t->refresh_token);
	free(t->user_id);
	free(t->client_id);
	memset(t, 0, sizeof *t);
}

static char *tokens_dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int tokens_copy(struct tokens *dst, const struct tokens *src)
{
	dst->access_token = tokens_dup(src->access_token);
	dst->refresh_token = tokens_dup(src->refresh_token);
	dst->expires_at = src->expires_at;
	dst->user_id = tokens_dup(src->user_id);
	dst->client_id = tokens_dup(src->client_id);
	return 0;
}

static int tokens_string(const cJSON *root, const char *key, bool nullable, char **out, struct strbuf *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
	if (nullable && (!v || cJSON_IsNull(v))) {
		*out = NULL;
		return 0;
	}
	if (!cJSON_IsString(v) || !v->valuestring[0]) {
		sb_addf(err, "\"%s\" is missing or not a string", key);
		return -1;
	}
	*out = xstrdup(v->valuestring);
	return 0;
}

int tokens_parse(const char *text, size_t len, struct tokens *t, struct strbuf *err)
{
	memset(t, 0, sizeof *t);
	cJSON *root = cJSON_ParseWithLength(text, len);
	if (!cJSON_IsObject(root)) {
		sb_adds(err, "not a JSON object");
		cJSON_Delete(root);
		return -1;
	}
	char *exp = NULL;
	int rc = -1;
	if (tokens_string(root, "access_token", false, &t->access_token, err) ||
	    tokens_string(root, "refresh_token", true, &t->refresh_token, err) ||
	    tokens_string(root, "expires_at", false, &exp, err) ||
	    tokens_string(root, "user_id", true, &t->user_id, err) ||
	    tokens_string(root, "client_id", true, &t->client_id, err))
		goto out;
	if (!timefmt_parse(exp, &t->expires_at)) {
		sb_adds(err, "\"expires_at\" is not an ISO 8601 time with an offset");
		goto out;
	}
	rc = 0;
out:
	free(exp);
	cJSON_Delete(root);
	if (rc)
		tokens_free(t);
	return rc;
}

int tokens_load(const char *path, struct tokens *t, int *missing, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	const char *why;
	int rc = -1;
	if (smallfile_read(path, TOKENS_MAX_BYTES, &text, &why) < 0) {
		*missing = errno == ENOENT;
		sb_adds(err, errno == EFBIG ? "too large for a tokens file" : why);
	} else {
		*missing = 0;
		rc = tokens_parse(text.buf, text.len, t, err);
	}
	if (text.buf)
		explicit_bzero(text.buf, text.alloc);
	sb_release(&text);
	return rc;
}

static void tokens_json_string(struct strbuf *out, const char *s)
{
	if (!s) {
		sb_adds(out, "null");
		return;
	}
	json_quote(s, out);
}

void tokens_format(const struct tokens *t, struct strbuf *out)
{
	char when[40];
	timefmt_utc_micro(t->expires_at, when);
	sb_adds(out, "{\n  \"access_token\": ");
	tokens_json_string(out, t->access_token);
	sb_adds(out, ",\n  \"refresh_token\": ");
	tokens_json_string(out, t->refresh_token);
	sb_addf(out, ",\n  \"expires_at\": \"%s\",\n  \"user_id\": ", when);
	tokens_json_string(out, t->user_id);
	sb_adds(out, ",\n  \"client_id\": ");
	tokens_json_string(out, t->client_id);
	sb_adds(out, "\n}");
}

int tokens_save(const char *path, const struct tokens *t, struct strbuf *err)
{
	char *pcopy = xstrdup(path);
	char *dir = xstrdup(dirname(pcopy));
	free(pcopy);
	struct strbuf body = STRBUF_INIT;
	int rc = -1;

	/* The directory may predate us (monzoh makes it too): it is made 0700 either way. */
	if (dirs_make_private(dir) < 0 || dirs_tighten(dir) < 0) {
		sb_addf(err, "cannot create %s or make it private: %s", dir, strerror(errno));
		goto out;
	}
	tokens_format(t, &body);
	const char *step = "write";
	rc = atomicfile_write(dir, path, body.buf, body.len, &step);
	if (rc < 0 && !strcmp(step, "create"))
		sb_addf(err, "cannot create a file in %s: %s", dir, strerror(errno));
	else if (rc < 0)
		sb_addf(err, "cannot write %s: %s", path, strerror(errno));
out:
	/* The body held both tokens. */
	if (body.buf)
		explicit_bzero(body.buf, body.len);
	sb_release(&body);
	free(dir);
	return rc;
}
