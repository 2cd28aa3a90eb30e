/* addr: IPv4 by a list of the special-purpose blocks (RFC 6890 and its updates);
 * IPv6 by what is allowed, 2000::/3, since nearly all the rest is special. */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct addr_block {
	uint8_t net[16];
	unsigned bits;
};

static bool addr_in(const uint8_t *a, const struct addr_block *b)
{
	unsigned whole = b->bits / 8, rest = b->bits % 8;
	if (memcmp(a, b->net, whole))
		return false;
	return !rest || ((a[whole] ^ b->net[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static bool addr_in_any(const uint8_t *a, const struct addr_block *blocks, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (addr_in(a, &blocks[i]))
			return true;
	return false;
}

static bool addr_v4_public(const uint8_t a[4])
{
	static const struct addr_block special[] = {
		{ { 0 }, 8 },                 /* "this network", 0.0.0.0 */
		{ { 10 }, 8 },                /* private */
		{ { 100, 64 }, 10 },          /* carrier-grade NAT */
		{ { 127 }, 8 },               /* this machine */
		{ { 169, 254 }, 16 },         /* link-local, cloud metadata services */
		{ { 172, 16 }, 12 },          /* private */
		{ { 192, 0, 0 }, 24 },        /* IETF protocol assignments */
		{ { 192, 0, 2 }, 24 },        /* documentation */
		{ { 192, 88, 99 }, 24 },      /* 6to4 relays, retired */
		{ { 192, 168 }, 16 },         /* private */
		{ { 198, 18 }, 15 },          /* benchmarking */
		{ { 198, 51, 100 }, 24 },     /* documentation */
		{ { 203, 0, 113 }, 24 },      /* documentation */
		{ { 224 }, 4 },               /* multicast */
		{ { 240 }, 4 },               /* reserved, and the broadcast address */
	};
	return !addr_in_any(a, special, sizeof special / sizeof special[0]);
}

static bool addr_v6_public(const uint8_t a[16])
{
	/* Forms that carry an IPv4 address reach that address: judged by it. */
	static const struct addr_block mapped = { { [10] = 0xff, [11] = 0xff }, 96 };
	static const struct addr_block nat64 = { { 0x00, 0x64, 0xff, 0x9b }, 96 };
	static const struct addr_block sixto4 = { { 0x20, 0x02 }, 16 };
	if (addr_in(a, &mapped) || addr_in(a, &nat64))
		return addr_v4_public(a + 12);
	if (addr_in(a, &sixto4))
		return addr_v4_public(a + 2);
	static const struct addr_block global = { { 0x20 }, 3 };
	static const struct addr_block special[] = {
		{ { 0x20, 0x01, 0x00, 0x00 }, 23 },   /* IETF protocol assignments, Teredo */
		{ { 0x20, 0x01, 0x0d, 0xb8 }, 32 },   /* documentation */
		{ { 0x3f, 0xff }, 20 },               /* documentation */
	};
	return addr_in(a, &global) && !addr_in_any(a, special, sizeof special / sizeof special[0]);
}

bool addr_is_public(const struct sockaddr *addr)
{
	if (addr->sa_family == AF_INET)
		return addr_v4_public((const uint8_t *)&((const struct sockaddr_in *)addr)->sin_addr);
	if (addr->sa_family == AF_INET6)
		return addr_v6_public(((const struct sockaddr_in6 *)addr)->sin6_addr.s6_addr);
	return false;
}

bool addr_parse(const char *ip, int port, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof *out);
	if (port < 0 || port > 65535)
		return false;
	struct sockaddr_in *v4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
	if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		return true;
	}
	/* A zone ("fe80::1%eth0") names an interface, not another address. */
	char bare[INET6_ADDRSTRLEN];
	size_t n = strcspn(ip, "%");
	if (n >= sizeof bare)
		return false;
	memcpy(bare, ip, n);
	bare[n] = '\0';
	if (inet_pton(AF_INET6, bare, &v6->sin6_addr) != 1)
		return false;
	v6->sin6_family = AF_INET6;
	v6->sin6_port = htons((uint16_t)port);
	return true;
}

/* "1.2.3.4:80" or "[::1]:80" of len bytes. */
static bool addr_parse_entry(const char *s, size_t len, struct sockaddr_storage *out)
{
	char buf[INET6_ADDRSTRLEN + 10];
	if (len >= sizeof buf)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *colon = strrchr(buf, ':'), *ip = buf, *end;
	if (!colon || colon[1] < '0' || colon[1] > '9')
		return false;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return false;
	*colon = '\0';
	if (*ip == '[') {
		size_t n = strlen(ip);
		if (n < 3 || ip[n - 1] != ']')
			return false;
		ip[n - 1] = '\0';
		ip++;
		if (!strchr(ip, ':'))
			return false;
	} else if (strchr(ip, ':')) {
		return false; /* an IPv6 address takes brackets before its port */
	}
	return addr_parse(ip, (int)port, out);
}

int addr_list_parse(const char *text, struct addr_list *out)
{
	out->a = NULL;
	out->n = 0;
	for (const char *p = text; *p;) {
		p += strspn(p, ", \t");
		size_t len = strcspn(p, ", \t");
		if (!len)
			break;
		out->a = xreallocarray(out->a, out->n + 1, sizeof *out->a);
		if (!addr_parse_entry(p, len, &out->a[out->n])) {
			free(out->a);
			out->a = NULL;
			out->n = 0;
			return -1;
		}
		out->n++;
		p += len;
	}
	return 0;
}

void addr_list_release(struct addr_list *l)
{
	free(l->a);
	l->a = NULL;
	l->n = 0;
}

bool addr_list_has(const struct addr_list *l, const struct sockaddr *addr)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct sockaddr *e = (const struct sockaddr *)&l->a[i];
		if (e->sa_family != addr->sa_family)
			continue;
		if (e->sa_family == AF_INET) {
			const struct sockaddr_in *x = (const void *)e, *y = (const void *)addr;
			if (x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr)
				return true;
		} else {
			const struct sockaddr_in6 *x = (const void *)e, *y = (const void *)addr;
			if (x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr))
				return true;
		}
	}
	return false;
}
