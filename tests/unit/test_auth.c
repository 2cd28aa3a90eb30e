/* Unit tests of the token grant: what a token endpoint may answer, served by a small
 * server on loopback, and what of it is kept. */
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "auth.h"
#include "check.h"
#include "http.h"

static const char *reply; /* the body the token endpoint answers with */

static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			     const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	if (!*con_cls) { /* the first call has the headers only */
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(reply), (void *)reply, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return rc;
}

/* The grant's result for a reply with this expires_in: 0 when it was taken. */
static int grant(const char *url, const char *expires_in, struct tokens *t)
{
	char body[256];
	snprintf(body, sizeof body, "{\"access_token\": \"at\", \"refresh_token\": \"rt\", \"expires_in\": %s}",
		 expires_in);
	reply = body;
	struct monzo_error err;
	int rc = auth_token_request(url, "grant_type=refresh_token", t, &err);
	if (rc < 0)
		CHECK(strstr(err.message, "expires_in") != NULL);
	return rc;
}

/* What was taken must be written and read back as it was. */
static void check_round_trip(const struct tokens *t)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct tokens back;
	tokens_format(t, &out);
	CHECK(tokens_parse(out.buf, out.len, &back, &err) == 0);
	CHECK(back.expires_at.sec == t->expires_at.sec);
	tokens_free(&back);
	sb_release(&out);
	sb_release(&err);
}

int main(void)
{
	CHECK(http_global_init() == 0);
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, serve, NULL,
						MHD_OPTION_END);
	CHECK(d != NULL);
	if (!d)
		return CHECK_DONE();
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/oauth2/token",
		 (unsigned)MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);

	struct tokens t;
	int64_t before = timefmt_now().sec;
	CHECK(grant(url, "21600", &t) == 0);
	CHECK(t.expires_at.sec >= before + 21600 && t.expires_at.sec <= timefmt_now().sec + 21600);
	CHECK_STR(t.refresh_token, "rt");
	check_round_trip(&t);
	tokens_free(&t);
	CHECK(grant(url, "0", &t) == 0);
	tokens_free(&t);
	CHECK(grant(url, "315576000", &t) == 0); /* ten years, the most believed */
	check_round_trip(&t);
	tokens_free(&t);

	/* Not finite, negative or past ten years: refused, not cast into nonsense. */
	const char *bad[] = { "1e999", "-1e999", "-1e30", "1e17", "-1", "315576001", "\"3600\"", "null" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = grant(url, bad[i], &t);
		if (rc == 0) {
			fprintf(stderr, "expires_in %s was taken\n", bad[i]);
			tokens_free(&t);
		}
		CHECK(rc < 0 && !t.access_token);
	}

	MHD_stop_daemon(d);
	http_global_cleanup();
	return CHECK_DONE();
}
