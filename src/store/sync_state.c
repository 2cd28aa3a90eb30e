/* sync_state: a pure function, so the rules for overlapping syncs are unit tested
 * without a network or a second process. */
#include "sync_state.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static bool sync_state_has_gap(int64_t from, int64_t to)
{
	return to > from;
}

void sync_state_merge(const struct sync_state *cur, const struct sync_outcome *o, struct sync_state *out)
{
	memset(out, 0, sizeof *out);
	if (cur->known) {
		*out = *cur;
		out->balance_json = NULL;
	}
	out->known = true;

	if (o->complete) {
		out->history_complete = true;
		out->history_start = 0;
		out->gap_from = out->gap_to = 0;
	} else {
		if (o->fell_back && !out->history_complete &&
		    (!cur->known || !out->history_start || o->history_start < out->history_start))
			out->history_start = o->history_start;
		if (sync_state_has_gap(o->gap_from, o->gap_to)) {
			if (!sync_state_has_gap(out->gap_from, out->gap_to)) {
				out->gap_from = o->gap_from;
				out->gap_to = o->gap_to;
			} else {
				if (o->gap_from < out->gap_from)
					out->gap_from = o->gap_from;
				if (o->gap_to > out->gap_to)
					out->gap_to = o->gap_to;
			}
		}
	}
	if (o->synced_at > out->last_sync)
		out->last_sync = o->synced_at;

	/* An older balance never replaces a newer one another pass committed. */
	bool ours = !cur->balance_json || (o->balance_json && o->balance_asked >= cur->balance_asked);
	const char *balance = ours ? o->balance_json : cur->balance_json;
	out->balance_asked = ours ? o->balance_asked : cur->balance_asked;
	out->balance_json = balance ? xstrdup(balance) : NULL;
	bool balance_changed = ours && o->balance_json && (!cur->balance_json || strcmp(cur->balance_json, o->balance_json));

	if (!cur->known || o->rows_changed || balance_changed)
		out->version = cur->version + 1;
}
