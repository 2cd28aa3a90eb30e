/* monzo: builds each request from the base URL and the current access token and
 * turns every outcome into JSON or a monzo_error; status → errno lives here alone. */
#include "monzo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"

int monzo_init(struct monzo *m, const char *base_url, struct auth *auth)
{
	memset(m, 0, sizeof *m);
	m->base_url = http_url_join(base_url, "");
	m->auth = auth;
	pace_init(&m->pace, PACE_CAP_DEFAULT);
	return 0;
}

void monzo_destroy(struct monzo *m)
{
	free(m->base_url);
	pace_destroy(&m->pace);
}

void monzo_set_parallel(struct monzo *m, int n)
{
	pace_set_cap(&m->pace, n);
}

void monzo_reply_init(struct monzo_reply *r)
{
	memset(r, 0, sizeof *r);
	sb_init(&r->body);
	r->retry_after = -1;
}

void monzo_reply_release(struct monzo_reply *r)
{
	cJSON_Delete(r->json);
	sb_release(&r->body);
	monzo_reply_init(r);
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

int64_t monzo_bank_time(struct monzo *m, int64_t t)
{
	return t + __atomic_load_n(&m->clock_ahead, __ATOMIC_RELAXED);
}

struct instant monzo_bank_now(struct monzo *m)
{
	struct instant now = timefmt_now();
	now.sec = monzo_bank_time(m, now.sec);
	return now;
}

void monzo_login_info(struct monzo *m, struct instant *expires_at, enum auth_state *state,
		      struct monzo_error *why)
{
	auth_info(m->auth, expires_at, state, why);
}

/* How a request is made. */
enum {
	MONZO_PARSE = 1,     /* the body is parsed into r->json */
	MONZO_PACED = 2,     /* one of a capture's: a 429 comes back to its caller */
};

/* One exchange with the token of the moment; *gen says which token that was. */
static int monzo_once(struct monzo *m, const char *url, const char *path_query, int how, struct monzo_reply *r,
		      uint64_t *gen)
{
	bool parse = how & MONZO_PARSE;
	struct http_response resp;
	char *bearer;
	int rc = auth_bearer(m->auth, &bearer, gen, &r->err);
	if (rc) {
		r->err.login = rc == -EACCES;
		return rc;
	}
	http_response_init(&resp);
	struct http_request req = { .method = "GET", .url = url, .bearer = bearer, .no_retry_429 = how & MONZO_PACED };
	/* After a 429, every request waits as it asked, not only the one it answered. */
	pace_wait_pause(&m->pace);
	if (http_perform_retry(&req, &resp) < 0) {
		memset(&r->err, 0, sizeof r->err);
		snprintf(r->err.message, sizeof r->err.message, "%s", resp.error);
		log_debug("GET %s: %s", path_query, resp.error);
		rc = -EIO;
		goto out;
	}
	r->status = resp.status;
	r->retry_after = resp.retry_after;
	if (resp.status == 429 && !(how & MONZO_PACED))
		pace_pause(&m->pace, resp.retry_after);   /* its own retries are spent */
	r->date = (struct instant){ resp.date, 0 };
	if (resp.date)
		__atomic_store_n(&m->clock_ahead, resp.date - timefmt_now().sec, __ATOMIC_RELAXED);
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
		memset(&r->err, 0, sizeof r->err);
		rc = 0;
		goto out;
	}
	monzo_error_parse(sb_str(&resp.body), resp.body.len, resp.status, &r->err);
	rc = -monzo_errno_for_status(resp.status);
out:
	explicit_bzero(bearer, strlen(bearer));
	free(bearer);
	http_response_release(&resp);
	return rc;
}

static int monzo_request(struct monzo *m, const char *path_query, int how, struct monzo_reply *r)
{
	struct strbuf url = STRBUF_INIT;
	uint64_t gen;
	sb_addf(&url, "%s%s", m->base_url, path_query);
	int rc = monzo_once(m, url.buf, path_query, how, r, &gen);
	if (rc == -EACCES && r->status == 401) {
		/* Expired or replaced: refresh once (shared with every thread that saw it). */
		struct monzo_error why = r->err;
		if (auth_rejected(m->auth, gen, &r->err) == 0) {
			r->status = 0;
			rc = monzo_once(m, url.buf, path_query, how, r, &gen);
		} else {
			struct strbuf d = STRBUF_INIT;
			monzo_error_describe(&why, &d);
			log_debug("GET %s refused: %s", path_query, sb_str(&d));
			sb_release(&d);
		}
	}
	/* Still 401 after a refresh, or no token to send: the login's, not the part's. */
	if (rc == -EACCES && (r->status == 401 || r->status == 0))
		r->err.login = true;
	sb_release(&url);
	return rc;
}
int monzo_get(struct monzo *m, const char *path_query, struct monzo_reply *r)
{
	return monzo_request(m, path_query, MONZO_PARSE, r);
}

int monzo_get_raw(struct monzo *m, const char *path_query, struct monzo_reply *r)
{
	return monzo_request(m, path_query, 0, r);
}

int monzo_get_paced(struct monzo *m, const char *path_query, struct monzo_reply *r)
{
	uint64_t epoch = pace_enter(&m->pace);
	int rc = monzo_request(m, path_query, MONZO_PACED, r);
	bool throttled = rc < 0 && r->status == 429;
	pace_leave(&m->pace, epoch, throttled, r->retry_after);
	return throttled ? -EAGAIN : rc;
}

char *monzo_escape(const char *s)
{
	return http_escape(s);
}
