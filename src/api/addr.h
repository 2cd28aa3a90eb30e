/* addr: which network addresses a URL that someone else chose (an attachment's
 * file_url) may make us connect to: hosts on the internet, never this machine or a
 * network behind it. */
#ifndef MONZOHFS_ADDR_H
#define MONZOHFS_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* Whether addr (AF_INET or AF_INET6) is a global unicast address.  Refused: this
 * machine (127/8, ::1), unspecified (0/8, ::), private networks (10/8, 172.16/12,
 * 192.168/16, fc00::/7), link-local (169.254/16, fe80::/10), shared address space
 * (100.64/10), the other special-purpose IPv4 blocks (192.0.0/24, documentation,
 * 198.18/15, multicast, 240/4 and broadcast), every IPv6 address outside 2000::/3
 * (multicast, site-local, discard, local NAT64 ...) and in it the IETF and
 * documentation blocks; IPv6 forms that carry an IPv4 address (mapped ::ffff:0:0/96,
 * NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by the IPv4 address. */
bool addr_is_public(const struct sockaddr *addr);

/* An address and port as text ("10.0.0.1", "::1") into *out; false when it is not one. */
bool addr_parse(const char *ip, int port, struct sockaddr_storage *out);

/* A list of exact addresses and ports, "127.0.0.2:8080,[::1]:443" (commas or
 * spaces between entries). */
struct addr_list {
	struct sockaddr_storage *a;
	size_t n;
};
/* 0, or -1 when an entry is not an address and port (the list is then empty). */
int addr_list_parse(const char *text, struct addr_list *out);
void addr_list_release(struct addr_list *l);
/* Whether addr, port included, is in the list. */
bool addr_list_has(const struct addr_list *l, const struct sockaddr *addr);

#endif
