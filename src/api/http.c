/* http: an easy handle per thread, kept between its requests so its keep-alive
 * connection is reused, with DNS and TLS sessions shared between threads.  Threads
 * never share connections: libcurl does not support a connection cache used by
 * concurrent threads (its known bug "A shared connection cache is not thread-safe"). */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "addr.h"
#include "xalloc.h"

static CURLSH *http_share;
static pthread_mutex_t http_locks[CURL_LOCK_DATA_LAST];
static pthread_key_t http_handle_key;   /* the calling thread's easy handle */
static bool http_have_key;

static void http_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *user)
{
	pthread_mutex_lock(&http_locks[data]);
}

static void http_unlock(CURL *h, curl_lock_data data, void *user)
{
	pthread_mutex_unlock(&http_locks[data]);
}

/* A thread's handle goes with the thread (and its connections with it). */
static void http_handle_free(void *h)
{
	if (h)
		curl_easy_cleanup(h);
}

/* The calling thread's handle, reset to no options: it keeps its live connections and
 * caches across curl_easy_reset. */
static CURL *http_handle(void)
{
	CURL *h = http_have_key ? pthread_getspecific(http_handle_key) : NULL;
	if (!h && (h = curl_easy_init()) && http_have_key && pthread_setspecific(http_handle_key, h) != 0) {
		curl_easy_cleanup(h);
		h = NULL;
	}
	return h;
}

/* Gives h back: to the thread when it is the thread's, else to libcurl. */
static void http_handle_done(CURL *h)
{
	if (http_have_key && pthread_getspecific(http_handle_key) == h)
		curl_easy_reset(h);   /* no option may point at this request's memory */
	else
		curl_easy_cleanup(h);
}

int http_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&http_locks[i], NULL);
	http_share = curl_share_init();
	if (!http_share)
		return -1;
	curl_share_setopt(http_share, CURLSHOPT_LOCKFUNC, http_lock);
	curl_share_setopt(http_share, CURLSHOPT_UNLOCKFUNC, http_unlock);
	curl_share_setopt(http_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(http_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	if (pthread_key_create(&http_handle_key, http_handle_free) != 0)
		return -1;
	http_have_key = true;
	return 0;
}

void http_global_cleanup(void)
{
	if (http_have_key) {
		http_handle_free(pthread_getspecific(http_handle_key));
		pthread_setspecific(http_handle_key, NULL);
		pthread_key_delete(http_handle_key);
		http_have_key = false;
	}
	if (http_share)
		curl_share_cleanup(http_share);
	http_share = NULL;
	curl_global_cleanup();
}

void http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof *r);
	sb_init(&r->body);
	r->retry_after = -1;
	r->length = -1;
}

void http_response_release(struct http_response *r)
{
	sb_release(&r->body);
}

/* No reply of the API comes near this; a larger one is a fault, not data. */
#define HTTP_MAX_BODY (64u << 20)

/* What the callbacks of one transfer need. */
struct http_call {
	const struct http_request *req;
	struct http_response *r;
	size_t max_body;
	bool too_large;
};

static size_t http_on_body(char *data, size_t size, size_t n, void *user)
{
	struct http_call *call = user;
	struct strbuf *body = &call->r->body;
	if (size * n > call->max_body - body->len) {
		call->too_large = true;
		return 0; /* libcurl ends the transfer with a write error */
	}
	sb_add(body, data, size * n);
	return size * n;
}

long http_retry_after(const char *header)
{
	static const char name[] = "retry-after:";
	if (strncasecmp(header, name, sizeof name - 1))
		return -1;
	const char *v = header + sizeof name - 1;
	v += strspn(v, " \t");
	if (*v < '0' || *v > '9')
		return -1; /* an HTTP date, or nothing we can use: our own backoff then */
	errno = 0;
	char *end;
	long long n = strtoll(v, &end, 10);
	return errno == ERANGE || n > HTTP_RETRY_AFTER_MAX ? HTTP_RETRY_AFTER_MAX : (long)n;
}

static size_t http_on_header(char *data, size_t size, size_t n, void *user)
{
	struct http_response *r = user;
	size_t len = size * n;
	/* libcurl hands over one whole header line, not NUL-terminated. */
	char line[64];
	if (len < sizeof line) {
		memcpy(line, data, len);
		line[len] = '\0';
		long v = http_retry_after(line);
		if (v >= 0)
			r->retry_after = v;
	}
	return len;
}

bool http_host_is_loopback(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;
	char inner[INET6_ADDRSTRLEN];
	size_t n = strlen(host);
	if (!strcasecmp(host, "localhost"))
		return true;
	/* inet_pton takes only four decimal parts: "127.0.0.1.evil.com" is a name. */
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (n < 3 || n - 2 >= sizeof inner || host[0] != '[' || host[n - 1] != ']')
		return false;
	memcpy(inner, host + 1, n - 2);
	inner[n - 2] = '\0';
	return inet_pton(AF_INET6, inner, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

/* Parses url with libcurl's parser, the one the transfer itself then uses (the handle
 * is passed on as CURLOPT_CURLU), so that what is checked is what is connected to. */
static CURLU *http_parse(const char *url, bool *https, bool *loopback)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	*https = *loopback = false;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    (!strcasecmp(scheme, "https") || !strcasecmp(scheme, "http"))) {
		*https = !strcasecmp(scheme, "https");
		*loopback = http_host_is_loopback(host);
	} else {
		curl_url_cleanup(u);
		u = NULL;
	}
	curl_free(scheme);
	curl_free(host);
	return u;
}

bool http_url_allows_bearer(const char *url)
{
	bool https, loopback;
	CURLU *u = http_parse(url, &https, &loopback);
	bool ok = u && (https || loopback);
	curl_url_cleanup(u);
	return ok;
}

char *http_url_public(const char *url)
{
	bool https, loopback;
	CURLU *u = http_parse(url, &https, &loopback);
	char *curl_out = NULL, *out = NULL;
	if (u && curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_OPTIONS, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &curl_out, 0) == CURLUE_OK)
		out = xstrdup(curl_out);
	curl_free(curl_out);
	curl_url_cleanup(u);
	return out;
}

char *http_url_join(const char *base, const char *path)
{
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	char *url;
	return asprintf(&url, "%.*s%s", (int)n, base, path) < 0 ? NULL : url;
}

char *http_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = xstrdup(e ? e : "");
	curl_free(e);
	return out;
}

static curl_socket_t http_open_socket(void *user, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct http_call *call = user;
	if (!call->req->peer_ok(&a->addr)) {
		call->r->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Called with the address actually connected to, also for a connection taken from
 * the shared cache (which never reaches http_open_socket). */
static int http_prereq(void *user, char *ip, char *local_ip, int port, int local_port)
{
	struct http_call *call = user;
	struct sockaddr_storage a;
	if (addr_parse(ip, port, &a) && call->req->peer_ok((const struct sockaddr *)&a))
		return CURL_PREREQFUNC_OK;
	call->r->refused = true;
	return CURL_PREREQFUNC_ABORT;
}

/* Limits on a URL someone else chose. */
static void http_limit(CURL *h, const struct http_request *req, struct http_call *call)
{
	if (req->protocols) {
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, req->protocols);
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, req->protocols);
	}
	if (req->max_redirects)
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, req->max_redirects);
	if (req->peer_ok) {
		curl_easy_setopt(h, CURLOPT_PROXY, "");
		curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, http_open_socket);
		curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, call);
		curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, http_prereq);
		curl_easy_setopt(h, CURLOPT_PREREQDATA, call);
	}
}

int http_perform(const struct http_request *req, struct http_response *r)
{
	bool https, loopback;
	CURLU *u = http_parse(req->url, &https, &loopback);
	if (!u) {
		snprintf(r->error, sizeof r->error, "not an http:// or https:// URL");
		return -1;
	}
	if (req->bearer && !https && !loopback) {
		curl_url_cleanup(u);
		snprintf(r->error, sizeof r->error,
			 "refusing to send the access token over plain http:// to a non-loopback host");
		return -1;
	}
	CURL *h = http_handle();
	if (!h) {
		curl_url_cleanup(u);
		snprintf(r->error, sizeof r->error, "cannot create an HTTP handle");
		return -1;
	}
	struct curl_slist *headers = NULL;
	struct strbuf auth = STRBUF_INIT;
	char errbuf[CURL_ERROR_SIZE] = "";

	struct strbuf accept = STRBUF_INIT;
	sb_addf(&accept, "Accept: %s", req->accept ? req->accept : "application/json");
	headers = curl_slist_append(headers, accept.buf);
	sb_release(&accept);
	if (req->bearer) {
		sb_addf(&auth, "Authorization: Bearer %s", req->bearer);
		headers = curl_slist_append(headers, auth.buf);
	}
	curl_easy_setopt(h, CURLOPT_CURLU, u);
	/* http_proxy and ALL_PROXY would carry a plain-text loopback request, token and
	 * all, off to the proxy: this machine is reached directly. */
	if (loopback)
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_SHARE, http_share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "monzohfs/" MONZOHFS_VERSION);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	/* HTTP/2 where the server offers it over TLS; HTTP/1.1 otherwise. */
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* A redirect keeps the scheme it started with: an https:// file never comes back
	 * over plain http://.  The token's requests are never redirected. */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, req->follow_redirects && !req->bearer ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http");
	struct http_call call = { req, r, req->max_body ? req->max_body : HTTP_MAX_BODY, false };
	http_limit(h, req, &call);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms ? req->connect_timeout_ms : 10000L);
	if (req->stall_s) {
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, req->stall_s);
	} else {
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms : 30000L);
	}
	if (!req->identity)
		curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	/* A Content-Length over the limit ends the transfer before its body (a HEAD's
	 * only tells the size). */
	bool head = req->method && !strcmp(req->method, "HEAD");
	if (!head)
		curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)call.max_body);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &call);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, http_on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	if (req->form) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->form);
	} else if (head) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (req->method && strcmp(req->method, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	}

	CURLcode rc = curl_easy_perform(h);
	curl_off_t total_us = 0;
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
	r->elapsed_ms = (long)(total_us / 1000);
	if (rc == CURLE_OK) {
		r->refused = false; /* another of the host's addresses was taken */
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
		curl_off_t length = -1;
		curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
		r->length = length;
		const char *ctype = NULL;
		if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype)
			snprintf(r->content_type, sizeof r->content_type, "%s", ctype);
		struct curl_header *date;
		if (curl_easy_header(h, "Date", 0, CURLH_HEADER, -1, &date) == CURLHE_OK) {
			time_t t = curl_getdate(date->value, NULL);
			r->date = t > 0 ? (long long)t : 0;
		}
	} else if (call.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(r->error, sizeof r->error, "larger than %zu bytes", call.max_body);
		r->status = 0;
		r->refused = true;
	} else if (r->refused) {
		snprintf(r->error, sizeof r->error,
			 "refused to connect: the host's address is not on the internet (this machine, "
			 "a private or link-local network)");
		r->status = 0;
	} else {
		/* errbuf names host and port at most; the URL's query holds no secret either. */
		snprintf(r->error, sizeof r->error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		r->status = 0;
		r->refused = rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_TOO_MANY_REDIRECTS;
	}
	curl_slist_free_all(headers);
	/* The header held the token: wipe it before the memory goes back to the heap. */
	if (auth.buf)
		explicit_bzero(auth.buf, auth.len);
	sb_release(&auth);
	http_handle_done(h);
	curl_url_cleanup(u);
	return rc == CURLE_OK ? 0 : -1;
}

bool http_is_transient(long status)
{
	return status == 0 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

long http_backoff_ms(int attempt, long retry_after_s, long left_ms, unsigned rnd)
{
	long ms;
	if (retry_after_s > left_ms / 1000) {
		ms = left_ms; /* checked before multiplying: a huge value must not wrap */
	} else if (retry_after_s >= 0) {
		ms = retry_after_s * 1000;
	} else {
		ms = 250L << (attempt - 1);
		ms += (long)(rnd % (unsigned)(ms / 2 + 1));
	}
	return ms < left_ms ? ms : left_ms;
}

static long http_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

int http_perform_retry(const struct http_request *req, struct http_response *r)
{
	/* A refusal of ours, not the network's: nothing to try again. */
	if (req->bearer && !http_url_allows_bearer(req->url))
		return http_perform(req, r);
	long deadline = http_now_ms() + HTTP_BUDGET_MS;
	struct http_request attempt = *req;
	unsigned seed = (unsigned)http_now_ms() ^ (unsigned)(uintptr_t)r;
	for (int n = 1;; n++) {
		long left = deadline - http_now_ms();
		attempt.timeout_ms = left > 1000 ? left : 1000;
		attempt.connect_timeout_ms = attempt.timeout_ms < 5000 ? attempt.timeout_ms : 5000;
		int rc = http_perform(&attempt, r);
		if (r->refused || !http_is_transient(r->status) || n >= HTTP_ATTEMPTS ||
		    (r->status == 429 && req->no_retry_429))
			return rc;
		/* A download takes the time it takes: the budget is for the pauses. */
		if (req->stall_s)
			deadline = http_now_ms() + HTTP_BUDGET_MS;
		left = deadline - http_now_ms();
		long pause = http_backoff_ms(n, r->status == 429 || r->status == 503 ? r->retry_after : -1, left,
					     (unsigned)rand_r(&seed));
		if (left <= pause + 200)
			return rc;
		struct timespec ts = { pause / 1000, (pause % 1000) * 1000000 };
		nanosleep(&ts, NULL);
		http_response_release(r);
		http_response_init(r);
	}
}
