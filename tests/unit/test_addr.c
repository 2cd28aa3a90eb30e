/* Unit tests of addr: which addresses a URL chosen by someone else may reach, on
 * parsed addresses (no packet is sent), and the test-only list of exact hosts; and
 * fetch_public refusing this machine and plain http:// before any request. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "check.h"
#include "fetch.h"
#include "http.h"

static int public(const char *ip)
{
	struct sockaddr_storage a;
	if (!addr_parse(ip, 443, &a)) {
		fprintf(stderr, "not an address: %s\n", ip);
		return -1;
	}
	return addr_is_public((const struct sockaddr *)&a);
}

#define CHECK_PUBLIC(ip) CHECK(public(ip) == 1)
#define CHECK_REFUSED(ip) CHECK(public(ip) == 0)

int main(void)
{
	/* Hosts on the internet. */
	CHECK_PUBLIC("1.1.1.1");
	CHECK_PUBLIC("8.8.8.8");
	CHECK_PUBLIC("151.101.1.1");
	CHECK_PUBLIC("100.63.255.255");    /* just below 100.64/10 */
	CHECK_PUBLIC("100.128.0.0");       /* just above it */
	CHECK_PUBLIC("172.15.255.255");
	CHECK_PUBLIC("172.32.0.0");
	CHECK_PUBLIC("169.253.255.255");
	CHECK_PUBLIC("223.255.255.254");
	CHECK_PUBLIC("2a00:1450:4009:81f::200e");
	CHECK_PUBLIC("2606:4700::1111");
	CHECK_PUBLIC("2001:4860:4860::8888");   /* 2001:: but outside 2001::/23 */
	CHECK_PUBLIC("::ffff:8.8.8.8");         /* mapped: the IPv4 address decides */
	CHECK_PUBLIC("64:ff9b::808:808");       /* NAT64 of 8.8.8.8 */
	CHECK_PUBLIC("2002:0808:0808::1");      /* 6to4 of 8.8.8.8 */

	/* This machine, unspecified, private, link-local, shared, special. */
	const char *refused[] = {
		"127.0.0.1", "127.0.0.2", "127.255.255.255", "0.0.0.0", "0.1.2.3",
		"10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.0.1",
		"192.168.255.255", "169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.255",
		"192.0.0.8", "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1", "198.19.255.255",
		"192.88.99.1", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
		"::", "::1", "fc00::1", "fd12:3456:789a::1", "fe80::1", "fe80::1%lo", "febf::1",
		"fec0::1", "ff02::1", "ff05::1:3", "100::1", "::127.0.0.1", "64:ff9b:1::1",
		"2001::1", "2001:0:4136:e378::1", "2001:db8::1", "3fff::1",
		/* IPv6 forms that carry an IPv4 address that is not on the internet. */
		"::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:169.254.169.254", "::ffff:0.0.0.0",
		"::ffff:100.64.1.1", "::ffff:192.168.1.1", "64:ff9b::7f00:1", "64:ff9b::a00:1",
		"2002:7f00:0001::1", "2002:c0a8:0101::1", "2002:a9fe:a9fe::",
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		if (public(refused[i]) != 0)
			fprintf(stderr, "should be refused: %s\n", refused[i]);
		CHECK_REFUSED(refused[i]);
	}
	struct sockaddr_storage a;
	CHECK(!addr_parse("localhost", 80, &a));
	CHECK(!addr_parse("127.0.0.1.evil.com", 80, &a));
	CHECK(!addr_parse("1.2.3.4", 70000, &a));
	a.ss_family = AF_UNIX;
	CHECK(!addr_is_public((const struct sockaddr *)&a));

	/* The test-only list: exact address and port. */
	struct addr_list l;
	CHECK(addr_list_parse("127.0.0.2:8080, [::1]:8443", &l) == 0 && l.n == 2);
	CHECK(addr_parse("127.0.0.2", 8080, &a) && addr_list_has(&l, (const struct sockaddr *)&a));
	CHECK(addr_parse("127.0.0.2", 8081, &a) && !addr_list_has(&l, (const struct sockaddr *)&a));
	CHECK(addr_parse("127.0.0.1", 8080, &a) && !addr_list_has(&l, (const struct sockaddr *)&a));
	CHECK(addr_parse("::1", 8443, &a) && addr_list_has(&l, (const struct sockaddr *)&a));
	CHECK(addr_parse("::ffff:127.0.0.2", 8080, &a) && !addr_list_has(&l, (const struct sockaddr *)&a));
	addr_list_release(&l);
	CHECK(addr_list_parse("", &l) == 0 && l.n == 0);
	const char *bad[] = { "127.0.0.2", "127.0.0.2:", "localhost:80", "::1:80", "[::1]", "[127.0.0.1]:80",
			      "127.0.0.2:0", "127.0.0.2:65536", "127.0.0.2:80x", "1.2.3.4:80,nope" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(addr_list_parse(bad[i], &l) == -1 && l.n == 0 && !l.a);
	}

	/* fetch_public: plain http:// and this machine are refused before any request (a
	 * port nothing listens on: were the address let through, the error would be a
	 * refused connection instead, after the retries). */
	unsetenv(FETCH_TEST_HOSTS);
	CHECK(http_global_init() == 0);
	struct fetch_reply r;
	fetch_reply_init(&r);
	CHECK(fetch_public("http://127.0.0.1:1/receipt.jpg", 0, &r) == -EIO && r.status == 0);
	CHECK(strstr(r.error, "http") != NULL);
	fetch_reply_release(&r);
	fetch_reply_init(&r);
	CHECK(fetch_public("https://127.0.0.1:1/receipt.jpg", 0, &r) == -EIO && r.status == 0);
	CHECK(strstr(r.error, "not on the internet") != NULL);
	fetch_reply_release(&r);
	fetch_reply_init(&r);
	CHECK(fetch_public("https://[::1]:1/receipt.jpg", 0, &r) == -EIO && strstr(r.error, "not on the internet"));
	fetch_reply_release(&r);
	fetch_reply_init(&r);
	CHECK(fetch_public("https://localhost:1/receipt.jpg", 0, &r) == -EIO && strstr(r.error, "not on the internet"));
	fetch_reply_release(&r);
	http_global_cleanup();
	return CHECK_DONE();
}
