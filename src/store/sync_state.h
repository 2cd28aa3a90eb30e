/* sync_state: how what one sync pass learnt joins the account's stored sync state,
 * which other passes (another mount, monzohfs-login) may have moved meanwhile. */
#ifndef MONZOHFS_SYNC_STATE_H
#define MONZOHFS_SYNC_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct sync_outcome {
	bool complete;           /* the pass saw all history */
	bool fell_back;          /* all history was refused: known from history_start */
	int64_t history_start;
	int64_t gap_from, gap_to;/* history it found the API can no longer give (0, 0: none) */
	bool rows_changed;       /* it stored, changed or removed a transaction */
	const char *balance_json;
	int64_t balance_asked;   /* microseconds since the epoch */
	int64_t synced_at;       /* seconds since the epoch */
};

/* out = cur (as stored now, read inside the pass's write transaction) with o merged
 * in: history once complete stays complete, the earliest known start and the widest
 * gap are kept, the newest balance wins, and the version moves exactly when the
 * account's data changed.  out owns its balance_json (sync_state_release). */
void sync_state_merge(const struct sync_state *cur, const struct sync_outcome *o, struct sync_state *out);

#endif
