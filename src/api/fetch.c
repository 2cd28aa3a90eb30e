/* fetch: one GET through http_perform_retry with no bearer, so the request can carry
 * no Authorization header; anything but a complete 200 is a failure, never a file. */
#include "fetch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

void fetch_reply_init(struct fetch_reply *r)
{
	memset(r, 0, sizeof *r);
	sb_init(&r->body);
}

void fetch_reply_release(struct fetch_reply *r)
{
	sb_release(&r->body);
}

int fetch_public(const char *url, struct fetch_reply *r)
{
	struct http_request req = {
		.method = "GET",
		.url = url,
		.bearer = NULL,
		.accept = "*/*",
		.follow_redirects = true,
	};
	struct http_response res;
	http_response_init(&res);
	int rc = http_perform_retry(&req, &res);
	r->status = res.status;
	snprintf(r->content_type, sizeof r->content_type, "%s", res.content_type);
	if (rc < 0) {
		snprintf(r->error, sizeof r->error, "%s", res.error);
	} else if (res.status != 200) {
		snprintf(r->error, sizeof r->error, "HTTP %ld", res.status);
		rc = -1;
	} else {
		/* libcurl has checked the length against Content-Length: a cut-off reply
		 * is a transport error above. */
		sb_release(&r->body);
		r->body = res.body;
		sb_init(&res.body);
	}
	http_response_release(&res);
	return rc < 0 ? -EIO : 0;
}
