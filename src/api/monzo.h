/* monzo: the Monzo API as calls that return parsed JSON or a classified error; owns
 * the access token that goes with each request. */
#ifndef MONZOHFS_MONZO_H
#define MONZOHFS_MONZO_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "auth.h"
#include "monzo_error.h"
#include "pace.h"
#include "strbuf.h"
#include "timefmt.h"
#include "tokens.h"


struct monzo_reply {
	long status;
	cJSON *json;          /* parsed body of a 2xx reply */
	struct strbuf body;   /* raw body of a 2xx reply, as the API sent it */
	struct monzo_error err;
	struct instant date;  /* the bank's clock when it answered (its Date header), or
			       * {0, 0} when it did not say */
	long retry_after;     /* a 429's Retry-After in seconds, -1 when it gave none */
};

struct monzo {
	char *base_url;
	struct auth *auth;     /* the access token; not owned */
	int64_t clock_ahead;   /* seconds the bank's clock is ahead of ours, as its last
				* Date header said (atomic; 0 until one did) */
	struct pace pace;      /* a capture's requests in flight, and the pause every
				* request honours after a 429 */
};

int monzo_init(struct monzo *m, const char *base_url, struct auth *auth);
void monzo_destroy(struct monzo *m);

void monzo_reply_init(struct monzo_reply *r);
void monzo_reply_release(struct monzo_reply *r);

/* GET base_url + path_query.  Returns 0 with r->json set, or a negative errno:
 * -EACCES when the login is not (or no longer) valid, -ENOENT for 404, -EIO else;
 * r->err then says why. */
int monzo_get(struct monzo *m, const char *path_query, struct monzo_reply *r);
/* The same, leaving the body unparsed (r->json NULL) for callers that parse it in
 * pieces; the body is then not checked to be JSON. */
int monzo_get_raw(struct monzo *m, const char *path_query, struct monzo_reply *r);

/* monzo_get_raw for one of a capture's requests sent side by side: waits for room
 * among them (m->pace) and for any pause a 429 asked for; a 429 comes back at once as
 * -EAGAIN, having paused every request for its Retry-After and halved the number in
 * flight, so the caller asks again when it likes. */
int monzo_get_paced(struct monzo *m, const char *path_query, struct monzo_reply *r);
/* The most requests a capture keeps in flight: 1 asks one after another. */
void monzo_set_parallel(struct monzo *m, int n);

/* Percent-encodes s for an API path or query (malloc'd). */
char *monzo_escape(const char *s);

/* The errno a FUSE reader gets for an API outcome. */
int monzo_errno_for_status(long status);

/* Now on the bank's clock: ours, moved by what its last Date header said.  Times the
 * bank writes (a transaction's created) are compared with this, not with ours; the
 * header's one-second grain is within every slack that uses it. */
struct instant monzo_bank_now(struct monzo *m);
/* t, a time of ours, on the bank's clock. */
int64_t monzo_bank_time(struct monzo *m, int64_t t);

/* Snapshot of what .status.json may say about the login: never the token itself. */
void monzo_login_info(struct monzo *m, struct instant *expires_at, enum auth_state *state,
		      struct monzo_error *why);

#endif
