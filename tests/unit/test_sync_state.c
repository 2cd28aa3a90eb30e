/* Unit tests of sync_state_merge: two syncs of one account that overlap (two mounts,
 * a login beside a mount) and commit in either order. */
#include <stdlib.h>

#include "check.h"
#include "sync_state.h"

static struct sync_state merged(const struct sync_state *cur, const struct sync_outcome *o)
{
	struct sync_state out;
	sync_state_merge(cur, o, &out);
	return out;
}

int main(void)
{
	/* The first sync of an account. */
	struct sync_state none = { 0 };
	struct sync_outcome full = { .complete = true, .rows_changed = true, .balance_json = "{\"balance\":5}",
				     .balance_asked = 2000, .synced_at = 20 };
	struct sync_state a = merged(&none, &full);
	CHECK(a.known && a.history_complete && a.version == 1 && a.last_sync == 20 && a.balance_asked == 2000);
	CHECK_STR(a.balance_json, "{\"balance\":5}");

	/* An older pass that fell back, committing after a login's full capture: history
	 * stays complete, the newer balance stays, the version does not move. */
	struct sync_outcome older = { .fell_back = true, .history_start = 7, .balance_json = "{\"balance\":4}",
				      .balance_asked = 1000, .synced_at = 10 };
	struct sync_state b = merged(&a, &older);
	CHECK(b.history_complete && b.history_start == 0 && b.version == 1 && b.last_sync == 20);
	CHECK_STR(b.balance_json, "{\"balance\":5}");
	CHECK(b.balance_asked == 2000);
	sync_state_release(&b);

	/* ... but rows it changed move the version on from what is stored now, so two
	 * passes never leave one version number for two contents. */
	older.rows_changed = true;
	b = merged(&a, &older);
	CHECK(b.version == 2);
	sync_state_release(&b);

	/* A newer balance is taken, and moves the version; the same one does not. */
	struct sync_outcome newer = { .balance_json = "{\"balance\":6}", .balance_asked = 3000, .synced_at = 30 };
	b = merged(&a, &newer);
	CHECK(b.version == 2 && b.last_sync == 30);
	CHECK_STR(b.balance_json, "{\"balance\":6}");
	struct sync_outcome same = { .balance_json = "{\"balance\":6}", .balance_asked = 4000, .synced_at = 40 };
	struct sync_state c = merged(&b, &same);
	CHECK(c.version == 2 && c.balance_asked == 4000);
	sync_state_release(&c);
	sync_state_release(&b);

	/* Known from the earliest start any pass found; gaps widen, a full pass clears. */
	struct sync_outcome fb1 = { .fell_back = true, .history_start = 500, .gap_from = 100, .gap_to = 200,
				    .balance_json = "{}", .balance_asked = 1, .synced_at = 1 };
	struct sync_state d = merged(&none, &fb1);
	CHECK(!d.history_complete && d.history_start == 500 && d.gap_from == 100 && d.gap_to == 200);
	struct sync_outcome fb2 = { .fell_back = true, .history_start = 600, .gap_from = 150, .gap_to = 300,
				    .balance_json = "{}", .balance_asked = 2, .synced_at = 2 };
	struct sync_state e = merged(&d, &fb2);
	CHECK(e.history_start == 500 && e.gap_from == 100 && e.gap_to == 300);
	struct sync_state f = merged(&e, &full);
	CHECK(f.history_complete && f.history_start == 0 && f.gap_from == 0 && f.gap_to == 0);
	sync_state_release(&f);
	sync_state_release(&e);
	sync_state_release(&d);
	sync_state_release(&a);
	return CHECK_DONE();
}
