/* sync: brings one account's transactions in the store up to date with the API, as
 * one SQLite transaction, with the balance fetched in the same pass. */
#ifndef MONZOHFS_SYNC_H
#define MONZOHFS_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "monzo.h"
#include "store.h"

struct sync_result {
	int64_t fetched;       /* transactions received */
	int64_t changed;       /* inserted or updated */
	int removed;           /* vanished pending ones */
	int64_t version;       /* the account's data version afterwards */
	bool fell_back;        /* full history was refused: only the last 89 days */
	char *balance_json;    /* the balance the rows were synced with (malloc'd), or NULL */
	bool balance_fetched;  /* ... fetched by this sync, not the one it was given */
	bool balance_refused;  /* the bank refuses this account's /balance (a pot: its
				* account's /pots, or no longer lists it): synced without */
	char *pots_json;       /* sync_pot_ledger: the /pots reply the pot's balance came
				* from (malloc'd), or NULL */
	struct instant balance_asked; /* when it was asked for */
};

/* How far a sync has come. */
struct sync_progress {
	int64_t fetched;       /* transactions received */
	int windows;           /* a capture's time windows (0: pages one after another) */
	int windows_done;
};

/* Called after every page. */
typedef void (*sync_progress_fn)(void *ctx, const char *account, const struct sync_progress *progress);

/* A /balance reply fetched moments ago, and when it was asked for. */
struct sync_balance {
	const char *json;
	struct instant asked_at;
};

/* For an account without /balance whose pot is not known: pass &sync_no_balance. */
extern const struct sync_balance sync_no_balance;

/* A pot's own account: the account the pot is in, and the pot's id. */
struct sync_pot {
	const char *account;
	const char *pot;
};

/* 0, or a negative errno with err filled; on failure nothing is written, but for a
 * capture in windows (below).  full: ask for all history even when the store knows
 * the account (a new login's window).  A first or full capture of a long history
 * fetches time windows side by side, as many at once as api's pace allows
 * (monzo_set_parallel; 1: one page after another, one SQLite transaction), and
 * commits each page as it comes with the windows done, so a capture cut short keeps
 * what it got and the next capture fetches only the windows it missed.
 * balance: a /balance reply fetched moments ago, taken as this sync's balance instead
 * of asking again; NULL to fetch one.  The balance is taken before the pages,
 * which are fetched next and written afterwards in one short SQLite transaction, so
 * no database lock is held across a network call. */
int sync_account(struct monzo *api, struct store *st, const char *account, bool full,
		 const struct sync_balance *balance, sync_progress_fn progress, void *ctx, struct sync_result *res,
		 struct monzo_error *err);
/* sync_account for a pot's own account (pot_account), whose balance is the pot's:
 * taken from pot->account's /pots before the pages, by the same rule, and kept
 * with the rows as an account's balance is (the pot object is the balance JSON).
 * pots: a /pots reply of pot->account fetched moments ago, or NULL to fetch one. */
int sync_pot_ledger(struct monzo *api, struct store *st, const char *pot_account, const struct sync_pot *pot,
		    bool full, const struct sync_balance *pots, sync_progress_fn progress, void *ctx,
		    struct sync_result *res, struct monzo_error *err);
void sync_result_release(struct sync_result *res);

#define SYNC_PAGE 100
#define SYNC_RESYNC_DAYS 14
#define SYNC_WINDOW_DAYS 89
#define SYNC_PASSES 3           /* at most, when the account moves while it syncs */
#define SYNC_CLOCK_SLACK 5      /* seconds the API's clock and ours may disagree by */
#define SYNC_THROTTLE_TRIES 8   /* 429s in a row to one page before its capture fails */

#endif
