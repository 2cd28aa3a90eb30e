/* monzo_error: what went wrong with an API call, as Monzo said it (HTTP status,
 * dotted code, message) or as the transport did.  Never holds a secret. */
#ifndef MONZOHFS_MONZO_ERROR_H
#define MONZOHFS_MONZO_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

struct monzo_error {
	long http_status;     /* 0 for a transport failure */
	char code[128];       /* Monzo's dotted code, e.g. forbidden.verification_required */
	char message[256];    /* Monzo's message, else the OAuth error, else the transport error */
	bool login;           /* the login itself was refused (401, or no token could be had):
			       * not one account's or pot's part (see monzo_error_is_refusal) */
};

/* Whether the bank refused this part for good, while the login holds: a 403 (other
 * than the 90-day window's) or a 404 on one account's or pot's resource.  Asking
 * again within the resource's TTL would only be refused again. */
bool monzo_error_is_refusal(const struct monzo_error *e);

/* Reads a Monzo error body: code, then message, then the OAuth "error". */
void monzo_error_parse(const char *body, size_t len, long status, struct monzo_error *e);
/* One line for logs and messages: "HTTP 403 forbidden.verification_required: ...",
 * the code and message escaped for a terminal (termtext). */
void monzo_error_describe(const struct monzo_error *e, struct strbuf *out);

#endif
