/* cache_res: the resources tier (cache_resource.c): each API resource's entry, its
 * TTL, its single flight on the workers, its store copy.  Entries, generations and the
 * workers' queue are under c->lock, never held across a fetch or a store read; a value
 * is immutable once made and shared by reference.  It tells the files tier of a change
 * only through c->res_changed. */
#ifndef MONZOHFS_CACHE_RES_H
#define MONZOHFS_CACHE_RES_H

#include <stdbool.h>
#include <stdint.h>

#include "cache.h"
#include "strbuf.h"

/* Fetches that may fly at once: as many as a first capture keeps requests in flight. */
#define CACHE_FLIGHT_WORKERS 8

struct res_entry {
	struct cache *cache;      /* for a sync's progress callback */
	enum res_kind kind;
	char account[64];
	char name[96];
	struct res_value *value;
	struct instant fetched_at;
	struct instant asked_at;  /* when this mount's last good fetch of it began */
	int64_t fresh_until;      /* CLOCK_MONOTONIC ns */
	bool loaded;              /* the store's copy was looked for */
	bool loading;             /* ... and is being read now */
	bool fetching;
	unsigned flight;          /* bumped when a fetch ends */
	int last_rc;
	bool failed;
	bool refused;             /* the bank refused this part for good: not asked again
				   * before fresh_until (monzo_error_is_refusal) */
	struct instant error_at;
	struct monzo_error err;
	bool syncing;             /* a sync runs now (.status.json's "syncing") */
	int64_t synced;           /* ... and has received this many transactions */
	int sync_windows, sync_windows_done;   /* ... in time windows, so many done */
	struct instant sync_since;
	struct res_entry *next;
};

void res_value_free(struct res_value *v);
struct res_value *res_value_take(struct res_value *v);

/* cache_resource.c, under c->lock: the account and pot whose own ledger pot_account
 * is (false when no synced transfer names it); what a user calls an account (its
 * friendly link name) or a pot's own account (the pot's name, *pot true), "" when
 * it has none. */
bool cache_pot_owner(struct cache *c, const char *pot_account, char account[64], char pot[64]);
void cache_account_label(struct cache *c, const char *account, char label[96], bool *pot);

/* cache_resource.c: the flight workers finish what is queued and end (cache_free). */
void cache_flight_workers_stop(struct cache *c);

/* cache_resource.c, under c->lock: a resource's entry, NULL when never asked for. */
struct res_entry *cache_res_find(struct cache *c, enum res_kind kind, const char *account);
/* The API path a resource is fetched from (a sync's first page, for transactions). */
void cache_res_path(enum res_kind kind, const char *account, struct strbuf *out);

#endif
