/* sync_internal: what sync.c shares with sync_windows.c, the capture in time windows
 * that a full-history pass hands its first page to.  Nothing outside src/store
 * includes it. */
#ifndef MONZOHFS_SYNC_INTERNAL_H
#define MONZOHFS_SYNC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "jsonspan.h"
#include "monzo.h"
#include "store.h"
#include "strbuf.h"
#include "sync.h"
#include "sync_pages.h"
#include "sync_state.h"

#define SYNC_DAY 86400

/* What one call of sync_account shares between its passes. */
struct sync_run {
	struct monzo *api;
	struct store *st;
	const char *account;
	char *acc_q;
	sync_progress_fn progress;
	void *ctx;
	struct sync_result *res;
	struct monzo_error *err;
	struct strbuf path;
	const struct sync_pot *pot;   /* a pot's own account: whose pot it is */
	struct sync_progress shown;   /* what progress last said */
	char label[128];              /* the account as logs show it (termtext) */
};

/* What one pass does, from its start to its write. */
struct sync_pass {
	struct instant now;
	int64_t sync_no;          /* marks the rows this pass saw: its start, in microseconds */
	int64_t window_start;     /* the oldest time the API gives once the window has closed */
	bool full;                /* asking for all history */
	int64_t since;            /* else the first page's "since" time */
	int64_t newest;           /* the newest created time stored when the pass began */
	bool have_newest;
	bool was_complete;        /* the store held all history when the pass began */
	struct instant asked;     /* when the balance was asked for */
	struct sync_outcome out;
	struct sync_seen seen;
	struct strlist gone;      /* ids of pending ones the API no longer has */
	FILE *spool;
	long spooled;             /* transactions in the spool */
	bool capture;             /* a first or full capture: it may go in windows */
	bool windowed;            /* ... and did: its pages are committed as they came */
	int64_t committed;        /* transactions the windows stored as new or changed */
	int64_t newest_change;    /* the latest created or updated time of one of them */
};

bool sync_is_window_closed(const struct monzo_error *e);
/* A page request was refused as outside the 90 days: whether the pass can go on (see
 * sync.c), having moved p->since (and p->full) to where it may. */
bool sync_refused(struct sync_run *r, struct sync_pass *p, bool paged, int *steps);
/* History between what the store knows and `from` that the API will not give. */
void sync_note_gap(struct sync_pass *p, int64_t from);
/* Stores one page's transactions (first: the account had none stored when the pass
 * began): -EIO on a store error, -EBADMSG for one that is not the JSON expected.  *changed
 * counts the ones stored as new or changed, *newest the latest created or updated
 * time among them. */
int sync_store_page(struct store *st, const struct jsonspan *spans, long n, bool first, bool tombstones,
		    int64_t sync_no, int64_t *changed, int64_t *newest);
/* Tells the caller's progress function what the sync has done so far. */
void sync_report(struct sync_run *r);

#endif
