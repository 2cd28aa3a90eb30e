/* Unit tests of the login's callback: which redirect URIs it accepts and where it
 * then listens. */
#include <stdlib.h>
#include <string.h>

#include "callback.h"
#include "check.h"

static void check_redirect(const char *uri, const char *host, int port, const char *path)
{
	char *h, *p;
	int po = -1;
	int rc = callback_parse_redirect(uri, &h, &po, &p);
	if (!host) {
		if (rc != -1)
			fprintf(stderr, "accepted: %s\n", uri);
		CHECK(rc == -1 && !h && !p);
	} else {
		if (rc != 0)
			fprintf(stderr, "refused: %s\n", uri);
		CHECK(rc == 0);
		CHECK_STR(h, host);
		CHECK(po == port);
		CHECK_STR(p, path);
	}
	free(h);
	free(p);
}

int main(void)
{
	check_redirect("http://localhost:8080/callback", "localhost", 8080, "/callback");
	check_redirect("http://127.0.0.1:9/cb", "127.0.0.1", 9, "/cb");
	check_redirect("http://127.3.2.1/cb", "127.3.2.1", 80, "/cb");
	check_redirect("http://[::1]:8080/callback", "[::1]", 8080, "/callback");
	/* Only what is this machine, as libcurl and the browser read the URI. */
	check_redirect("http://127.0.0.1.evil.com:8080/callback", NULL, 0, NULL);
	check_redirect("http://127.0.0.1@evil.com:8080/callback", NULL, 0, NULL);
	check_redirect("http://localhost.evil.com/callback", NULL, 0, NULL);
	/* A browser reads a backslash as a slash (host evil.com) where libcurl sees
	 * userinfo: nothing that the two may read apart. */
	check_redirect("http://evil.com\\@127.0.0.1:8080/callback", NULL, 0, NULL);
	check_redirect("http://user@127.0.0.1:8080/callback", NULL, 0, NULL);
	check_redirect("http://127.0.0.1:8080/callback#x", NULL, 0, NULL);
	check_redirect("http://127.0.0.1:8080/callback#", NULL, 0, NULL); /* found by fuzz_url */
	check_redirect("http://10.0.0.1:8080/callback", NULL, 0, NULL);
	check_redirect("https://localhost:8080/callback", NULL, 0, NULL);
	/* Port 0 would listen wherever the kernel chose, never where Monzo redirects. */
	check_redirect("http://localhost:0/callback", NULL, 0, NULL);

	/* The state is compared in full whatever differs first; its length is no secret. */
	const char *state = "bG5v0_W7KTV8slHYTD3gst7B-65wVZeuuinCHXb-vMgj";
	CHECK(callback_state_matches(state, state));
	CHECK(!callback_state_matches("", state) && !callback_state_matches(NULL, state));
	CHECK(!callback_state_matches("cG5v0_W7KTV8slHYTD3gst7B-65wVZeuuinCHXb-vMgj", state));
	CHECK(!callback_state_matches("bG5v0_W7KTV8slHYTD3gst7B-65wVZeuuinCHXb-vMgk", state));
	CHECK(!callback_state_matches("bG5v0_W7KTV8slHYTD3gst7B-65wVZeuuinCHXb-vMg", state));
	CHECK(!callback_state_matches("bG5v0_W7KTV8slHYTD3gst7B-65wVZeuuinCHXb-vMgjX", state));

	return CHECK_DONE();
}
