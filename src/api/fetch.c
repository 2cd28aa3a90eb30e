/* fetch: one GET through http_perform_retry with no bearer, so the request can carry
 * no Authorization header; anything but a complete 200 is a failure, never a file.
 * The URL is a stranger's choice: https only, a few redirects, and only addresses on
 * the internet (addr.h), checked at each connection. */
#include "fetch.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "http.h"
#include "log.h"

#define FETCH_MAX_REDIRECTS 3L
/* A receipt on a slow link may take minutes; a host that sends nothing for this long
 * has stalled. */
#define FETCH_STALL_S 30L

/* For the tests alone (the fake bank's attachment host is on loopback): exact
 * addresses and ports that count as hosts on the internet, reachable over plain
 * http:// too.  Read once, at the first fetch. */
static struct addr_list fetch_test_hosts;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_read_test_hosts(void)
{
	const char *v = getenv(FETCH_TEST_HOSTS);
	if (v && *v && addr_list_parse(v, &fetch_test_hosts) < 0)
		log_warn("%s is not a list of ADDRESS:PORT: ignored", FETCH_TEST_HOSTS);
	else if (fetch_test_hosts.n)
		log_warn("%s is set: attachments may come over plain http:// from its hosts (for tests only)",
			 FETCH_TEST_HOSTS);
}

static bool fetch_peer_ok(const struct sockaddr *addr)
{
	return addr_is_public(addr) || addr_list_has(&fetch_test_hosts, addr);
}

void fetch_reply_init(struct fetch_reply *r)
{
	memset(r, 0, sizeof *r);
	sb_init(&r->body);
}

void fetch_reply_release(struct fetch_reply *r)
{
	sb_release(&r->body);
}

static void fetch_request(struct http_request *req, const char *method, const char *url, size_t max)
{
	pthread_once(&fetch_once, fetch_read_test_hosts);
	*req = (struct http_request){
		.method = method,
		.url = url,
		.bearer = NULL,
		.accept = "*/*",
		.follow_redirects = true,
		.protocols = fetch_test_hosts.n ? "http,https" : "https",
		.max_redirects = FETCH_MAX_REDIRECTS,
		.peer_ok = fetch_peer_ok,
		.max_body = max,
		.identity = true,
	};
}

static void fetch_outcome(int rc, struct http_response *res, struct fetch_reply *r)
{
	r->status = res->status;
	r->length = res->length;
	r->refused = res->refused;
	snprintf(r->content_type, sizeof r->content_type, "%s", res->content_type);
	if (rc < 0)
		snprintf(r->error, sizeof r->error, "%s", res->error);
	else if (res->status != 200)
		snprintf(r->error, sizeof r->error, "HTTP %ld", res->status);
}

int fetch_public(const char *url, size_t max, struct fetch_reply *r)
{
	struct http_request req;
	fetch_request(&req, "GET", url, max);
	struct http_response res;
	http_response_init(&res);
	req.stall_s = FETCH_STALL_S;
	int rc = http_perform_retry(&req, &res);
	fetch_outcome(rc, &res, r);
	if (rc == 0 && res.status == 200) {
		/* libcurl has checked the length against Content-Length: a cut-off reply
		 * is a transport error. */
		sb_release(&r->body);
		r->body = res.body;
		sb_init(&res.body);
	} else {
		rc = -1;
	}
	http_response_release(&res);
	return rc < 0 ? -EIO : 0;
}

int fetch_head(const char *url, struct fetch_reply *r)
{
	struct http_request req;
	fetch_request(&req, "HEAD", url, 0);
	req.connect_timeout_ms = 5000;
	req.timeout_ms = 10000;
	struct http_response res;
	http_response_init(&res);
	int rc = http_perform(&req, &res);
	fetch_outcome(rc, &res, r);
	http_response_release(&res);
	return rc == 0 && res.status == 200 ? 0 : -EIO;
}
