/* sync_windows: a long full-history capture in time windows fetched side by side.
 * Monzo serves history older than 90 days for about five minutes after a login, and
 * one page after another costs a round trip each: a capture that would not fit in
 * those minutes splits the account's time into disjoint windows and pages each by
 * since=<last id>&before=<its end>, as many at once as the bank tolerates. */
#ifndef MONZOHFS_SYNC_WINDOWS_H
#define MONZOHFS_SYNC_WINDOWS_H

#include <stdbool.h>
#include <stdint.h>

#include "jsonspan.h"
#include "monzo.h"
#include "sync_internal.h"
#include "sync_pages.h"

/* Whether the history a capture's first page starts is worth windows: the page full,
 * at its density many more to come before now, and a round trip (took_ms, the first
 * page's) long enough that pages one after another would wait on it.  Against a bank
 * that answers at once, one pass and one SQLite transaction cost less. */
bool sync_windows_worth(struct sync_run *r, const struct sync_page_info *first, long took_ms);
/* Fetches the rest of the history after the first page (already scanned: info, spans)
 * in windows, committing the first page and then what arrives at least once a
 * second, each window's progress with its rows.  from: where the first page's request
 * started (its first transaction for all history).  Windows older than the 90 days
 * that the bank refuses once its window has closed are lost history: p->full goes
 * false and the outcome says where history starts and which part is missing.  0, or
 * a negative errno with r->err saying which window failed; what was fetched stays
 * committed, and the windows not complete stay recorded for the next capture. */
int sync_windows_capture(struct sync_run *r, struct sync_pass *p, const struct monzo_reply *first,
			 const struct sync_page_info *info, const struct jsonspan *spans, int64_t from);
/* A capture of the account that was cut short left windows: fetches those not
 * complete (and the newest again), *resumed true; none left, *resumed false. */
int sync_windows_resume(struct sync_run *r, struct sync_pass *p, bool *resumed);

#endif
