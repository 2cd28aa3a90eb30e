/* fetch: a file at a URL that takes no credentials (an attachment's file_url).  No
 * token goes with it, whatever the host: tokens go only to the API. */
#ifndef MONZOHFS_FETCH_H
#define MONZOHFS_FETCH_H

#include "strbuf.h"

struct fetch_reply {
	long status;              /* the last attempt's HTTP status, 0 for none */
	struct strbuf body;       /* the whole file, once fetch_public returned 0 */
	char content_type[128];
	char error[256];          /* why it failed, naming no URL (it may be a capability) */
};

void fetch_reply_init(struct fetch_reply *r);
void fetch_reply_release(struct fetch_reply *r);
/* GET url with the HTTP layer's retries and redirects within its scheme.  0 for a
 * whole 200 reply; -EIO otherwise (the body is then emptied). */
int fetch_public(const char *url, struct fetch_reply *r);

#endif
