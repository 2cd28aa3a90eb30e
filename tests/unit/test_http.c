/* Unit tests of the parts of http that need no network: what is retried, how long
 * the pauses are, and where a bearer token may be sent. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "http.h"

static void check_public(const char *url, const char *want)
{
	char *got = http_url_public(url);
	if (want)
		CHECK_STR(got, want);
	else
		CHECK(got == NULL);
	free(got);
}

static void check_join(const char *base, const char *path, const char *want)
{
	char *got = http_url_join(base, path);
	CHECK_STR(got, want);
	free(got);
}

int main(void)
{
	check_join("https://api.monzo.com", "/ping/whoami", "https://api.monzo.com/ping/whoami");
	check_join("http://127.0.0.1:8080//", "/oauth2/token", "http://127.0.0.1:8080/oauth2/token");
	check_join("https://auth.monzo.com/", "", "https://auth.monzo.com");

	/* What may be a credential goes: a signed URL's query, user and password, fragment. */
	check_public("https://files.example/u/a/receipt.jpg?X-Amz-Signature=abc&X-Amz-Credential=k#p=1",
		     "https://files.example/u/a/receipt.jpg");
	check_public("https://user:secret@files.example:8443/a%20b/r.pdf?sig=1", "https://files.example:8443/a%20b/r.pdf");
	check_public("https://user@files.example/r.png#frag", "https://files.example/r.png");
	check_public("http://127.0.0.2:4000/file/r.png", "http://127.0.0.2:4000/file/r.png");
	check_public("https://files.example", "https://files.example/");
	check_public("ftp://files.example/r.png", NULL);
	check_public("not a url", NULL);

	/* A token is never sent in the clear off this machine: refused before any network. */
	struct http_request req = { .method = "GET", .url = "http://example.invalid/ping/whoami", .bearer = "t" };
	struct http_response resp;
	http_response_init(&resp);
	CHECK(http_perform_retry(&req, &resp) < 0 && resp.status == 0 && strstr(resp.error, "access token"));
	http_response_release(&resp);
	CHECK(http_is_transient(0) && http_is_transient(429) && http_is_transient(500));
	CHECK(http_is_transient(502) && http_is_transient(503) && http_is_transient(504));
	CHECK(!http_is_transient(200) && !http_is_transient(400) && !http_is_transient(401));
	CHECK(!http_is_transient(403) && !http_is_transient(404) && !http_is_transient(501));

	/* Doubling from 250 ms with up to half again of jitter. */
	for (unsigned r = 0; r < 1000; r += 37) {
		long a = http_backoff_ms(1, -1, 10000, r), b = http_backoff_ms(2, -1, 10000, r);
		CHECK(a >= 250 && a <= 375);
		CHECK(b >= 500 && b <= 750);
	}
	/* Retry-After wins, but never beyond what is left of the budget. */
	CHECK(http_backoff_ms(1, 2, 10000, 7) == 2000);
	CHECK(http_backoff_ms(1, 30, 4000, 7) == 4000);
	CHECK(http_backoff_ms(3, -1, 100, 7) == 100);
	/* A huge Retry-After is a long pause (all that is left), never an overflow. */
	CHECK(http_backoff_ms(1, LONG_MAX, 4000, 7) == 4000);
	CHECK(http_backoff_ms(1, LONG_MAX / 1000 + 1, 4000, 7) == 4000);
	CHECK(http_retry_after("Retry-After: 9223372036854775807\r\n") == HTTP_RETRY_AFTER_MAX);
	CHECK(http_retry_after("Retry-After: 99999999999999999999999\r\n") == HTTP_RETRY_AFTER_MAX);
	CHECK(http_retry_after("retry-after:7\r\n") == 7);
	CHECK(http_retry_after("Retry-After: -3\r\n") == -1);
	CHECK(http_retry_after("Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n") == -1);
	CHECK(http_retry_after("Retry-After-Not: 5\r\n") == -1);
	CHECK(http_retry_after("Content-Length: 5\r\n") == -1);

	CHECK(http_url_allows_bearer("https://api.monzo.com/accounts"));
	CHECK(http_url_allows_bearer("http://127.0.0.1:8080/x"));
	CHECK(http_url_allows_bearer("http://localhost/x"));
	CHECK(http_url_allows_bearer("http://[::1]:9/x"));
	CHECK(!http_url_allows_bearer("http://api.monzo.com/accounts"));
	CHECK(!http_url_allows_bearer("http://10.0.0.1/x"));
	CHECK(!http_url_allows_bearer("ftp://127.0.0.1/x"));
	CHECK(!http_url_allows_bearer("not a url"));

	/* Loopback is what libcurl will connect to, not what the text starts with. */
	CHECK(!http_url_allows_bearer("http://127.0.0.1.evil.com/x"));
	CHECK(!http_url_allows_bearer("http://127.0.0.1%2eevil.com/x"));
	CHECK(!http_url_allows_bearer("http://127.evil.com/x"));
	CHECK(!http_url_allows_bearer("http://127.0.0.1@evil.com/x"));
	CHECK(!http_url_allows_bearer("http://evil.com#@127.0.0.1/x"));
	CHECK(!http_url_allows_bearer("http://localhost.evil.com/x"));
	CHECK(!http_url_allows_bearer("http://localhost./x"));
	CHECK(!http_url_allows_bearer("http://foo.localhost/x"));
	CHECK(!http_url_allows_bearer("http://0.0.0.0/x"));
	CHECK(!http_url_allows_bearer("http://[::ffff:127.0.0.1]/x"));
	CHECK(!http_url_allows_bearer("http://[::2]/x"));
	CHECK(!http_url_allows_bearer("127.0.0.1/x"));
	CHECK(http_url_allows_bearer("http://127.255.3.4:1/x"));
	CHECK(http_url_allows_bearer("http://127.1/x"));  /* libcurl connects to 127.0.0.1 */
	CHECK(http_url_allows_bearer("http://%31%32%37.0.0.1/x"));
	CHECK(http_url_allows_bearer("http://[0:0:0:0:0:0:0:1]/x"));
	CHECK(http_url_allows_bearer("http://LOCALHOST/x"));
	CHECK(http_url_allows_bearer("HTTP://127.0.0.1/x"));
	/* libcurl reads this as user "evil.com\" at 127.0.0.1, and connects there. */
	CHECK(http_url_allows_bearer("http://evil.com\\@127.0.0.1/x"));

	CHECK(http_host_is_loopback("127.0.0.1") && http_host_is_loopback("[::1]") && http_host_is_loopback("localhost"));
	CHECK(!http_host_is_loopback("127.0.0.1.evil.com") && !http_host_is_loopback("::1x"));
	CHECK(!http_host_is_loopback("128.0.0.1") && !http_host_is_loopback("") && !http_host_is_loopback("[::1"));
	return CHECK_DONE();
}
