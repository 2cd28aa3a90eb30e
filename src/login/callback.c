/* callback: a one-shot server, on each loopback address the redirect URI's host may
 * mean (127.0.0.1 and ::1 for localhost), so no other local program can hold one of
 * them and receive the code.  A callback whose state is missing or wrong gets 400
 * and is otherwise ignored (it is not ours); the first one with the right state and a
 * code, or with an error from Monzo, ends the wait. */
#include "callback.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "http.h"
#include "termtext.h"

struct callback {
	struct MHD_Daemon *mhd[2]; /* one per loopback address listened on */
	bool ready;                /* lock and cond initialised */
	char *path;
	char *state;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	bool out_of_memory;        /* a code came but could not be kept */
	char *code;
	char *error;
};

void callback_html_escape(const char *s, struct strbuf *out)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': sb_adds(out, "&amp;"); break;
		case '<': sb_adds(out, "&lt;"); break;
		case '>': sb_adds(out, "&gt;"); break;
		case '"': sb_adds(out, "&quot;"); break;
		case '\'': sb_adds(out, "&#39;"); break;
		default: sb_addch(out, *s);
		}
	}
}

bool callback_state_matches(const char *got, const char *want)
{
	if (!got)
		return false;
	size_t n = strlen(want), m = strlen(got);
	unsigned diff = n != m;
	/* Every byte is looked at whatever differs first, so the time a reply takes does
	 * not tell how much of a guess was right. */
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)want[i] ^ (unsigned char)(i < m ? got[i] : 0);
	return diff == 0;
}

char *callback_random_state(void)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[33];
	size_t got = 0;
	while (got < sizeof raw) {
		ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
		if (n < 0 && errno != EINTR)
			abort(); /* no entropy: never fall back to a guessable state */
		if (n > 0)
			got += (size_t)n;
	}
	char *out = malloc(45);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < 33; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = b64[v & 63];
	}
	out[o] = '\0';
	return out;
}

/* The provider sends the browser to the URI as written, so it must mean the same host
 * to the browser as to libcurl: no userinfo, no backslash (a browser reads it as a
 * slash, libcurl as part of the userinfo).  No '#' either, even an empty fragment:
 * the code and state appended after it would never reach the server. */
int callback_parse_redirect(const char *uri, char **host, int *port, char **path)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *h = NULL, *p = NULL, *po = NULL, *user = NULL;
	int rc = -1;
	*host = *path = NULL;
	if (u && !strpbrk(uri, "\\#") && curl_url_set(u, CURLUPART_URL, uri, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && !strcasecmp(scheme, "http") &&
	    curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_NO_USER &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && http_host_is_loopback(h) &&
	    curl_url_get(u, CURLUPART_PATH, &p, 0) == CURLUE_OK) {
		long n = curl_url_get(u, CURLUPART_PORT, &po, 0) == CURLUE_OK ? strtol(po, NULL, 10) : 80;
		*host = strdup(h);
		*path = strdup(p);
		if (*host && *path && n >= 1 && n <= 65535) {
			*port = (int)n;
			rc = 0;
		} else {
			free(*host);
			free(*path);
			*host = *path = NULL;
		}
	}
	curl_free(scheme);
	curl_free(user);
	curl_free(h);
	curl_free(p);
	curl_free(po);
	curl_url_cleanup(u);
	return rc;
}

static enum MHD_Result callback_reply(struct MHD_Connection *c, unsigned status, const char *title,
				      const char *detail)
{
	struct strbuf page = STRBUF_INIT;
	sb_adds(&page, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>monzohfs-login</title></head>"
		       "<body style=\"font-family: sans-serif; margin: 3em\"><h1>");
	callback_html_escape(title, &page);
	sb_adds(&page, "</h1><p>");
	callback_html_escape(detail, &page);
	sb_adds(&page, "</p></body></html>\n");
	struct MHD_Response *r = MHD_create_response_from_buffer(page.len, page.buf, MHD_RESPMEM_MUST_COPY);
	sb_release(&page);
	if (!r)
		return MHD_NO; /* libmicrohttpd closes the connection */
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static void callback_finish(struct callback *cb, const char *code, const char *error)
{
	pthread_mutex_lock(&cb->lock);
	if (!cb->done) {
		cb->done = true;
		cb->code = code ? strdup(code) : NULL;
		cb->out_of_memory = code && !cb->code;
		if (error) {
			/* It is printed on the terminal: no escape sequence of the sender's gets there. */
			struct strbuf e = STRBUF_INIT;
			termtext_escape(error, &e);
			cb->error = sb_detach(&e, NULL);
		}
		pthread_cond_broadcast(&cb->cond);
	}
	pthread_mutex_unlock(&cb->lock);
}

static enum MHD_Result callback_handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct callback *cb = cls;
	if (strcmp(method, "GET"))
		return callback_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Not allowed", "Only GET is served here.");
	if (strcmp(url, cb->path))
		return callback_reply(c, MHD_HTTP_NOT_FOUND, "Not found", "This is not the login callback.");
	const char *state = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "state");
	const char *code = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "code");
	const char *error = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "error");
	if (!callback_state_matches(state, cb->state))
		return callback_reply(c, MHD_HTTP_BAD_REQUEST, "Login failed",
				      "The state of this request does not match the login that was started, so it "
				      "was ignored. Use the link monzohfs-login printed.");
	if (error) {
		struct strbuf d = STRBUF_INIT;
		sb_addf(&d, "Monzo said: %s. Run monzohfs-login to try again.", error);
		enum MHD_Result rc = callback_reply(c, MHD_HTTP_BAD_REQUEST, "Login failed", d.buf);
		callback_finish(cb, NULL, error);
		sb_release(&d);
		return rc;
	}
	if (!code || !*code)
		return callback_reply(c, MHD_HTTP_BAD_REQUEST, "Login failed", "The callback has no code.");
	enum MHD_Result rc = callback_reply(c, MHD_HTTP_OK, "Logged in",
					    "You can close this tab. monzohfs-login carries on in the terminal: "
					    "approve access in the Monzo app when it asks.");
	callback_finish(cb, code, NULL);
	return rc;
}

/* Where host is, as sockets to bind: localhost is both 127.0.0.1 and ::1, since a
 * browser may try either first.  Returns how many. */
static int callback_addresses(const char *host, int port, struct sockaddr_storage out[2])
{
	struct sockaddr_in v4 = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
	bool localhost = !strcasecmp(host, "localhost");
	int n = 0;
	v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (localhost || inet_pton(AF_INET, host, &v4.sin_addr) == 1)
		memcpy(&out[n++], &v4, sizeof v4);
	/* The only bracketed host callback_parse_redirect lets through is [::1]. */
	v6.sin6_addr = in6addr_loopback;
	if (localhost || host[0] == '[')
		memcpy(&out[n++], &v6, sizeof v6);
	return n;
}

/* A listening socket on sa, or -1 with errno. */
static int callback_listen(const struct sockaddr_storage *sa)
{
	int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	socklen_t len = sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
	    (sa->ss_family != AF_INET6 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0) &&
	    bind(fd, (const struct sockaddr *)sa, len) == 0 && listen(fd, 16) == 0)
		return fd;
	int e = errno;
	if (fd >= 0)
		close(fd);
	errno = e;
	return -1;
}

static void callback_name(const struct sockaddr_storage *sa, int port, struct strbuf *out)
{
	char addr[INET6_ADDRSTRLEN] = "";
	const void *a = sa->ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
						  : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
	inet_ntop(sa->ss_family, a, addr, sizeof addr);
	sb_addf(out, sa->ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", addr, port);
}

int callback_start(const char *host, int port, const char *path, const char *state, struct callback **out,
		   bool *in_use, struct strbuf *err)
{
	*out = NULL;
	*in_use = false;
	struct callback *cb = calloc(1, sizeof *cb);
	if (!cb || !(cb->path = strdup(path)) || !(cb->state = strdup(state))) {
		sb_adds(err, "out of memory");
		callback_stop(cb);
		return -1;
	}
	pthread_mutex_init(&cb->lock, NULL);
	pthread_cond_init(&cb->cond, NULL);
	cb->ready = true;
	struct sockaddr_storage sa[2];
	int n = callback_addresses(host, port, sa);
	for (int i = 0; i < n; i++) {
		int fd = callback_listen(&sa[i]);
		/* Without IPv6 nobody can listen on ::1 either: 127.0.0.1 is then enough. */
		if (fd < 0 && n == 2 && sa[i].ss_family == AF_INET6 && (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL))
			continue;
		if (fd < 0) {
			*in_use = errno == EADDRINUSE;
			sb_adds(err, "cannot listen on ");
			callback_name(&sa[i], port, err);
			sb_addf(err, ": %s", strerror(errno));
			callback_stop(cb);
			return -1;
		}
		/* The daemon owns the socket from here and closes it when stopped. */
		cb->mhd[i] = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, callback_handle, cb,
					      MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
					      MHD_OPTION_END);
		if (!cb->mhd[i]) {
			close(fd);
			sb_adds(err, "cannot start the callback server on ");
			callback_name(&sa[i], port, err);
			callback_stop(cb);
			return -1;
		}
	}
	*out = cb;
	return 0;
}

int callback_wait(struct callback *cb, int timeout_s, char **code, struct strbuf *err)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_s;
	*code = NULL;
	pthread_mutex_lock(&cb->lock);
	while (!cb->done)
		if (pthread_cond_timedwait(&cb->cond, &cb->lock, &until) == ETIMEDOUT)
			break;
	int rc = -1;
	if (cb->code && (*code = strdup(cb->code))) {
		rc = 0;
	} else if (cb->code || cb->out_of_memory) {
		sb_adds(err, "out of memory for the login code");
	} else if (cb->error) {
		sb_addf(err, "Monzo refused the login: %s", cb->error);
	} else {
		sb_addf(err, "no login arrived within %d minutes", timeout_s / 60);
	}
	pthread_mutex_unlock(&cb->lock);
	return rc;
}

void callback_stop(struct callback *cb)
{
	if (!cb)
		return;
	for (int i = 0; i < 2; i++)
		if (cb->mhd[i])
			MHD_stop_daemon(cb->mhd[i]);
	if (cb->code)
		explicit_bzero(cb->code, strlen(cb->code));
	free(cb->code);
	free(cb->error);
	free(cb->path);
	free(cb->state);
	if (cb->ready) {
		pthread_mutex_destroy(&cb->lock);
		pthread_cond_destroy(&cb->cond);
	}
	free(cb);
}
