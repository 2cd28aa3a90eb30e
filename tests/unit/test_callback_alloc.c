/* Unit test: the login's callback when memory runs out.  Linked with --wrap for
 * malloc, calloc and strdup, so that the n-th of them in the library fails; each
 * function must then fail cleanly (no crash, no leak under ASan), never go on with a
 * NULL. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "callback.h"
#include "check.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
char *__wrap_strdup(const char *s);

static atomic_int fail_in = -1; /* the call that brings it to -1 fails */

static int failing(void)
{
	int n = atomic_load(&fail_in);
	while (n >= 0 && !atomic_compare_exchange_weak(&fail_in, &n, n - 1))
		;
	return n == 0;
}

void *__wrap_malloc(size_t n)
{
	return failing() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return failing() ? NULL : __real_calloc(n, size);
}

char *__wrap_strdup(const char *s)
{
	return failing() ? NULL : __real_strdup(s);
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	close(fd);
	return ntohs(sa.sin_port);
}

static size_t discard(char *data, size_t size, size_t n, void *user)
{
	return size * n;
}

static long get(const char *url)
{
	CURL *h = curl_easy_init();
	long status = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	return status;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int done = 0;
	for (int n = 0; n < 8 && !done; n++) {
		atomic_store(&fail_in, n);
		char *state = callback_random_state();
		atomic_store(&fail_in, -1);
		done = state != NULL;
		CHECK(done || n == 0);
		free(state);
	}
	CHECK(done);

	done = 0;
	for (int n = 0; n < 8 && !done; n++) {
		char *host, *path;
		int port;
		atomic_store(&fail_in, n);
		int rc = callback_parse_redirect("http://localhost:8080/callback", &host, &port, &path);
		atomic_store(&fail_in, -1);
		CHECK(rc == 0 ? host && path : !host && !path);
		done = rc == 0;
		free(host);
		free(path);
	}
	CHECK(done);

	int port = free_port();
	done = 0;
	for (int n = 0; n < 8 && !done; n++) {
		struct callback *cb;
		struct strbuf err = STRBUF_INIT;
		bool in_use;
		atomic_store(&fail_in, n);
		int rc = callback_start("127.0.0.1", port, "/cb", "s", &cb, &in_use, &err);
		atomic_store(&fail_in, -1);
		CHECK(rc == 0 ? cb != NULL : cb == NULL && err.len);
		done = rc == 0;
		callback_stop(rc == 0 ? cb : NULL);
		sb_release(&err);
	}
	CHECK(done);

	/* The code arrives when no copy of it can be made: the wait ends with a reason. */
	struct callback *cb;
	struct strbuf err = STRBUF_INIT;
	bool in_use;
	CHECK(callback_start("127.0.0.1", port, "/cb", "s", &cb, &in_use, &err) == 0);
	char url[80];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/cb?state=s&code=abc", port);
	atomic_store(&fail_in, 0);
	CHECK(get(url) == 200);
	atomic_store(&fail_in, -1);
	char *code = NULL;
	CHECK(callback_wait(cb, 5, &code, &err) < 0 && !code);
	CHECK(strstr(sb_str(&err), "memory") != NULL);
	callback_stop(cb);
	sb_release(&err);
	curl_global_cleanup();
	return CHECK_DONE();
}
