/* monzo: builds each request from the base URL and the current access token and
 * turns every outcome into JSON or a monzo_error; status → errno lives here alone. */
#include "monzo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"

int monzo_init(struct monzo *m, const char *base_url, const char *tokens_path, const struct tokens *t)
{
	memset(m, 0, sizeof *m);
	size_t n = strlen(base_url);
	while (n && base_url[n - 1] == '/')
		n--;
	m->base_url = strndup(base_url, n);
	m->tokens_path = strdup(tokens_path);
	pthread_mutex_init(&m->lock, NULL);
	if (t)
		tokens_copy(&m->tokens, t);
	return 0;
}

void monzo_destroy(struct monzo *m)
{
	free(m->base_url);
	free(m->tokens_path);
	if (m->tokens.access_token)
		explicit_bzero(m->tokens.access_token, strlen(m->tokens.access_token));
	tokens_free(&m->tokens);
	pthread_mutex_destroy(&m->lock);
}

void monzo_reply_init(struct monzo_reply *r)
{
	memset(r, 0, sizeof *r);
	sb_init(&r->body);
}

void monzo_reply_release(struct monzo_reply *r)
{
	cJSON_Delete(r->json);
	sb_release(&r->body);
	monzo_reply_init(r);
}

static void monzo_copy_field(char *dst, size_t cap, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (cJSON_IsString(v) && v->valuestring[0])
		snprintf(dst, cap, "%s", v->valuestring);
}

void monzo_error_parse(const char *body, size_t len, long status, struct monzo_error *e)
{
	memset(e, 0, sizeof *e);
	e->http_status = status;
	cJSON *j = body ? cJSON_ParseWithLength(body, len) : NULL;
	if (cJSON_IsObject(j)) {
		monzo_copy_field(e->code, sizeof e->code, j, "code");
		monzo_copy_field(e->message, sizeof e->message, j, "message");
		if (!e->message[0])
			monzo_copy_field(e->message, sizeof e->message, j, "error");
		if (!e->code[0])
			monzo_copy_field(e->code, sizeof e->code, j, "error");
	}
	cJSON_Delete(j);
}

void monzo_error_describe(const struct monzo_error *e, struct strbuf *out)
{
	if (e->http_status)
		sb_addf(out, "HTTP %ld", e->http_status);
	if (e->code[0])
		sb_addf(out, "%s%s", out->len ? " " : "", e->code);
	if (e->message[0])
		sb_addf(out, "%s%s", out->len ? ": " : "", e->message);
}

int monzo_errno_for_status(long status)
{
	switch (status) {
	case 401:
	case 403:
		return EACCES;
	case 404:
		return ENOENT;
	default:
		return EIO;
	}
}

void monzo_login_info(struct monzo *m, struct instant *expires_at, bool *refused)
{
	pthread_mutex_lock(&m->lock);
	*expires_at = m->tokens.expires_at;
	*refused = m->login_refused;
	pthread_mutex_unlock(&m->lock);
}

static int monzo_request(struct monzo *m, const char *path_query, bool parse, struct monzo_reply *r)
{
	struct strbuf url = STRBUF_INIT;
	struct http_response resp;
	char *bearer;
	int rc;

	sb_addf(&url, "%s%s", m->base_url, path_query);
	pthread_mutex_lock(&m->lock);
	bearer = m->tokens.access_token ? strdup(m->tokens.access_token) : NULL;
	pthread_mutex_unlock(&m->lock);

	http_response_init(&resp);
	struct http_request req = { .method = "GET", .url = url.buf, .bearer = bearer };
	if (http_perform(&req, &resp) < 0) {
		memset(&r->err, 0, sizeof r->err);
		snprintf(r->err.message, sizeof r->err.message, "%s", resp.error);
		log_debug("GET %s: %s", path_query, resp.error);
		rc = -EIO;
		goto out;
	}
	r->status = resp.status;
	log_debug("GET %s %ld %ldms", path_query, resp.status, resp.elapsed_ms);
	if (resp.status >= 200 && resp.status < 300) {
		r->json = parse ? cJSON_ParseWithLength(sb_str(&resp.body), resp.body.len) : NULL;
		if (parse && !r->json) {
			memset(&r->err, 0, sizeof r->err);
			r->err.http_status = resp.status;
			snprintf(r->err.message, sizeof r->err.message, "the reply is not valid JSON");
			rc = -EIO;
			goto out;
		}
		r->body = resp.body;
		sb_init(&resp.body);
		rc = 0;
		goto out;
	}
	monzo_error_parse(sb_str(&resp.body), resp.body.len, resp.status, &r->err);
	if (resp.status == 401) {
		pthread_mutex_lock(&m->lock);
		m->login_refused = true;
		pthread_mutex_unlock(&m->lock);
	}
	rc = -monzo_errno_for_status(resp.status);
out:
	if (bearer) {
		explicit_bzero(bearer, strlen(bearer));
		free(bearer);
	}
	http_response_release(&resp);
	sb_release(&url);
	return rc;
}

int monzo_get(struct monzo *m, const char *path_query, struct monzo_reply *r)
{
	return monzo_request(m, path_query, true, r);
}

int monzo_get_raw(struct monzo *m, const char *path_query, struct monzo_reply *r)
{
	return monzo_request(m, path_query, false, r);
}
