/* http: one blocking HTTP exchange over libcurl; each thread reuses its own
 * connections, DNS and TLS sessions are shared between threads.  Knows nothing of
 * Monzo or FUSE. */
#ifndef MONZOHFS_HTTP_H
#define MONZOHFS_HTTP_H

#include <stdbool.h>
#include <sys/socket.h>

#include "strbuf.h"

struct http_request {
	const char *method;   /* "GET", "POST" or "HEAD" */
	const char *url;
	const char *bearer;   /* access token, or NULL */
	const char *form;     /* application/x-www-form-urlencoded body, or NULL */
	const char *accept;   /* the Accept header; NULL for application/json */
	bool follow_redirects;/* without a token only, and never to another scheme */
	bool no_retry_429;    /* a 429 comes straight back: the caller paces several
			       * requests and decides when to ask again */
	long connect_timeout_ms;
	long timeout_ms;
	/* A URL someone else chose (fetch.c): the protocols it may use and be redirected
	 * to (NULL: http and https, a redirect keeping the scheme), at most max_redirects
	 * redirects, and every connection's address passing peer_ok, checked before
	 * connecting and again before each request, so every redirect's hop and every
	 * reused connection is checked.  No proxy then: the address checked must be the
	 * host's own. */
	const char *protocols;
	long max_redirects;
	bool (*peer_ok)(const struct sockaddr *addr);
	/* A file: at most max_body bytes (0: HTTP_MAX_BODY), a larger one announced or
	 * sent being refused; identity: its bytes as sent, no compression asked for, so
	 * that a Content-Length is its size. */
	size_t max_body;
	bool identity;
	/* A file that may be large on a slow link: no total timeout, but each attempt
	 * fails once stall_s seconds pass at less than a byte a second, and
	 * http_perform_retry's budget bounds only the pauses between attempts. */
	long stall_s;
};

struct http_response {
	long status;          /* 0 when no response arrived */
	struct strbuf body;
	long retry_after;     /* seconds from Retry-After, -1 if absent */
	char error[256];      /* transport error text when http_perform fails */
	char content_type[128];/* the reply's Content-Type, "" when none */
	long long date;       /* the server's clock, from its Date header: seconds since
			       * the epoch, 0 when it sent none that parses */
	long elapsed_ms;
	long long length;     /* the reply's Content-Length, -1 when it gave none */
	bool refused;         /* by the request's own rules (peer_ok, protocols, redirects,
			       * max_body):
			       * no other attempt would go otherwise */
};

int http_global_init(void);
void http_global_cleanup(void);
void http_response_init(struct http_response *r);
void http_response_release(struct http_response *r);
/* 0 when a response arrived (any status); -1 on a transport failure or a refused
 * request, with the reason in r->error. */
int http_perform(const struct http_request *req, struct http_response *r);
/* Retries: what a transient failure is, and how long to wait before trying again. */
#define HTTP_ATTEMPTS 3
#define HTTP_BUDGET_MS 10000L

/* 429, 500, 502, 503, 504 and transport failures (status 0) are worth another try. */
bool http_is_transient(long status);
/* Seconds of a "Retry-After: N" header line, at most HTTP_RETRY_AFTER_MAX; -1 for
 * another header or a value that is not a number of seconds. */
#define HTTP_RETRY_AFTER_MAX 86400L
long http_retry_after(const char *header);
/* The pause before attempt n+1 (n counts from 1): Retry-After when the server gave
 * one, else 250 ms doubled per attempt, plus up to half again of jitter; never more
 * than left_ms.  rnd: a random number. */
long http_backoff_ms(int attempt, long retry_after_s, long left_ms, unsigned rnd);
/* http_perform with up to HTTP_ATTEMPTS attempts within HTTP_BUDGET_MS for transient
 * failures; each attempt's timeout is what is left of the budget (but see stall_s).
 * The result is the last attempt's. */
int http_perform_retry(const struct http_request *req, struct http_response *r);

/* A bearer token may go to https:// anywhere, and to http:// only on loopback, as
 * libcurl parses the URL (the parser the request is then made with). */
bool http_url_allows_bearer(const char *url);
/* host as libcurl's URL parser gives it is this machine: exactly localhost (in any
 * case), a literal IPv4 address in 127.0.0.0/8 or the IPv6 address [::1]. */
bool http_host_is_loopback(const char *host);
/* url without what may be a credential, its user name and password, query and
 * fragment, as libcurl parses it ("https://host/path/file.jpg"; malloc'd); NULL when
 * it is not an http:// or https:// URL (or libcurl runs out of memory). */
char *http_url_public(const char *url);
/* base without its trailing slashes, then path (malloc'd; NULL if out of memory). */
char *http_url_join(const char *base, const char *path);
/* Percent-encodes s for a query string or form body (malloc'd). */
char *http_escape(const char *s);

#endif
