/* render_status: .status.json, the mount's freshness and health.  Absolute times only,
 * so the same state gives the same bytes; never a token or secret.  It opens with a
 * verdict ("ok") and the problems in words a user acts on, then the detail. */
#ifndef MONZOHFS_RENDER_STATUS_H
#define MONZOHFS_RENDER_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "monzo_error.h"
#include "strbuf.h"
#include "timefmt.h"

struct status_resource {
	char name[96];            /* "balance/acc_…" */
	char label[96];           /* what a user calls its account: "current", a pot's name; "" */
	char account[64];         /* the account (or pot's own account) it belongs to; "" */
	bool have;                /* a copy is held */
	struct instant fetched_at;
	struct instant changed_at;
	bool failed;              /* the last attempt failed */
	bool refused;             /* ... because the bank refuses this part for good */
	struct instant error_at;
	struct monzo_error err;
	bool syncing;             /* a sync of it runs now */
	int64_t synced;           /* ... and has received this many transactions */
	int sync_windows;         /* ... a capture in time windows side by side: so many */
	int sync_windows_done;
	struct instant sync_since;/* ... since this moment */
};

struct status_history {
	char account[64];
	char label[96];
	bool complete;            /* the full history was captured */
	int64_t starts;           /* else where known history starts */
	int64_t last_sync;
	int64_t gap_from, gap_to; /* history the API could no longer give */
};

struct status_info {
	const char *api;
	bool offline;
	bool api_unreachable_at_mount;
	struct instant mounted_at;
	const char *tokens_path;
	struct instant token_expires_at;
	enum auth_state login_state;
	struct monzo_error login_why;
	size_t nres;
	struct status_resource *res;  /* sorted by name by the caller */
	size_t nhist;
	struct status_history *hist;
};

void render_status(const struct status_info *s, struct strbuf *out);

#endif
