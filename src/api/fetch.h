/* fetch: a file at a URL that takes no credentials (an attachment's file_url).  No
 * token goes with it, whatever the host: tokens go only to the API. */
#ifndef MONZOHFS_FETCH_H
#define MONZOHFS_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

struct fetch_reply {
	long status;              /* the last attempt's HTTP status, 0 for none */
	struct strbuf body;       /* the whole file, once fetch_public returned 0 */
	long long length;         /* the reply's Content-Length, -1 when it gave none */
	bool refused;             /* by the rules below: asking again would not help */
	char content_type[128];
	char error[256];          /* why it failed, naming no URL (it may be a capability) */
};

/* For tests only, never set otherwise: an environment variable naming addresses
 * and ports ("127.0.0.2:8080,[::1]:8443") that count as hosts on the internet and
 * may be reached over plain http://, so a test's loopback host can stand for one. */
#define FETCH_TEST_HOSTS "MONZOHFS_TEST_ATTACHMENT_HOSTS"

void fetch_reply_init(struct fetch_reply *r);
void fetch_reply_release(struct fetch_reply *r);
/* GET url with the HTTP layer's retries: over https:// only, at most three
 * redirects (https:// too), never through a proxy, and only from hosts whose address
 * is on the internet (addr_is_public): each connection's address is checked, also
 * at every redirect.  The bytes as sent (no compression asked for), at most max of
 * them (0: the HTTP layer's limit): a larger file, announced or sent, is refused.  No
 * total timeout: an attempt fails after 30 s in which less than a byte a second came.
 * 0 for a whole 200 reply; -EIO otherwise (the body is then empty). */
int fetch_public(const char *url, size_t max, struct fetch_reply *r);
/* HEAD url under the same rules, one attempt: 0 for a 200 reply, with r->length
 * its Content-Length (-1 when the host gives none); -EIO otherwise. */
int fetch_head(const char *url, struct fetch_reply *r);

#endif
