/* Fuzz target: the loopback rule, where a token may be sent over plain http:// and
 * which redirect URI the login listens for.  Whatever either accepts must be, as
 * libcurl parses it and libc reads the address, this machine. */
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "callback.h"
#include "http.h"

/* An oracle apart from the code under test: libc's numeric address parser. */
static int fuzz_url_host_is_local(const char *host)
{
	if (!strcasecmp(host, "localhost"))
		return 1;
	char addr[256];
	size_t n = strlen(host);
	if (n >= sizeof addr)
		return 0;
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		memcpy(addr, host + 1, n - 2);
		addr[n - 2] = '\0';
	} else {
		memcpy(addr, host, n + 1);
	}
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_STREAM }, *res;
	if (getaddrinfo(addr, NULL, &hints, &res) != 0)
		return 0;
	int local = 1;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		if (a->ai_family == AF_INET) {
			const struct sockaddr_in *s = (const void *)a->ai_addr;
			local &= (ntohl(s->sin_addr.s_addr) >> 24) == 127;
		} else {
			const struct sockaddr_in6 *s = (const void *)a->ai_addr;
			local &= IN6_IS_ADDR_LOOPBACK(&s->sin6_addr);
		}
	}
	freeaddrinfo(res);
	return local;
}

/* Plain http:// that was accepted: where libcurl would connect must be loopback. */
static void fuzz_url_check_plain(const char *text)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	if (curl_url_set(u, CURLUPART_URL, text, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		__builtin_trap();
	if (strcasecmp(scheme, "https") && !fuzz_url_host_is_local(host))
		__builtin_trap();
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	if (http_url_allows_bearer(text))
		fuzz_url_check_plain(text);
	char *host, *path;
	int port;
	if (callback_parse_redirect(text, &host, &port, &path) == 0) {
		if (!http_url_allows_bearer(text) || !fuzz_url_host_is_local(host) || port < 1 || port > 65535 ||
		    strchr(text, '\\') || strchr(text, '#') || path[0] != '/')
			__builtin_trap();
		free(host);
		free(path);
	}
	free(text);
	return 0;
}
