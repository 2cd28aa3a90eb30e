/* callback: the loopback HTTP server that receives the OAuth redirect of the login
 * (libmicrohttpd), bound to loopback addresses only, checking the state it was given. */
#ifndef MONZOHFS_CALLBACK_H
#define MONZOHFS_CALLBACK_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

struct callback;

/* Listens for GET path on port of host, the redirect URI's loopback host: localhost
 * is both 127.0.0.1 and [::1] (IPv6 left out only where the machine has none).  -1
 * with a message in err, when any of them cannot be had; *in_use is set when the port
 * is taken there. */
int callback_start(const char *host, int port, const char *path, const char *state, struct callback **out,
		   bool *in_use, struct strbuf *err);
/* Waits up to timeout_s for a callback with the right state.  0 with *code malloc'd;
 * -1 with the reason in err (the user refused, or time ran out). */
int callback_wait(struct callback *cb, int timeout_s, char **code, struct strbuf *err);
void callback_stop(struct callback *cb);

/* A random state for the authorisation request: 32 bytes, base64url (malloc'd; NULL
 * when out of memory). */
char *callback_random_state(void);
/* got (may be NULL) is the state sent; compared in constant time for its length. */
bool callback_state_matches(const char *got, const char *want);
/* Escapes text for an HTML page. */
void callback_html_escape(const char *s, struct strbuf *out);
/* Splits "http://localhost:8080/callback" into host, port and path; -1 when the URI is
 * not http:// on a loopback host. */
int callback_parse_redirect(const char *uri, char **host, int *port, char **path);

#endif
