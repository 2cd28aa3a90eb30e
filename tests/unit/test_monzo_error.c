/* Unit tests of monzo_error: error bodies read as Monzo and OAuth send them, which
 * answers are one part refused for good rather than the login or a passing fault, and
 * the line that describes one with the sender's text escaped. */
#include <string.h>

#include "check.h"
#include "monzo_error.h"

static struct monzo_error parsed(const char *body, long status)
{
	struct monzo_error e;
	monzo_error_parse(body, strlen(body), status, &e);
	return e;
}

int main(void)
{
	struct monzo_error e = parsed("{\"code\":\"not_found.account\",\"message\":\"Account not found\"}", 404);
	CHECK_STR(e.code, "not_found.account");
	CHECK(monzo_error_is_refusal(&e));
	e = parsed("{\"code\":\"forbidden.insufficient_permissions\",\"message\":\"nope\"}", 403);
	CHECK(monzo_error_is_refusal(&e));
	/* The 90-day window is the sync's to handle, not a refusal of the part. */
	e = parsed("{\"code\":\"forbidden.verification_required\",\"message\":\"x\"}", 403);
	CHECK(!monzo_error_is_refusal(&e));
	/* The login's own refusal never counts as one part's. */
	e = parsed("{\"code\":\"forbidden.insufficient_permissions\"}", 403);
	e.login = true;
	CHECK(!monzo_error_is_refusal(&e));
	e = parsed("{\"code\":\"unauthorized.bad_access_token\"}", 401);
	CHECK(!monzo_error_is_refusal(&e));
	/* Passing faults and transport failures are tried again, not remembered. */
	e = parsed("{\"code\":\"internal_service\"}", 500);
	CHECK(!monzo_error_is_refusal(&e));
	e = parsed("", 0);
	CHECK(!monzo_error_is_refusal(&e));
	/* OAuth bodies: "error" when there is no code. */
	e = parsed("{\"error\":\"invalid_grant\",\"error_description\":\"used\"}", 400);
	CHECK_STR(e.code, "invalid_grant");
	CHECK_STR(e.message, "used");
	/* The line for a terminal or a log: the sender's escape sequences escaped. */
	e = parsed("{\"error\":\"invalid\\u001b[31m\",\"error_description\":\"no\\u0007\\u001b]0;x\\u0007\\u009b2J\"}", 400);
	struct strbuf line = STRBUF_INIT;
	monzo_error_describe(&e, &line);
	CHECK_STR(line.buf, "HTTP 400 invalid\\x1b[31m: no\\x07\\x1b]0;x\\x07\\xc2\\x9b2J");
	sb_release(&line);
	return CHECK_DONE();
}
