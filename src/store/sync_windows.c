/* sync_windows: the calling thread plans the windows, sends their requests and reads
 * the replies; sync_fetchers' threads wait on the network, sync_writer's commits.
 * The newest window has no end and is read last, so what lands while the capture
 * runs is in it, as in one pass from oldest to newest. */
#include "sync_windows.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "log.h"
#include "store_windows.h"
#include "sync_fetchers.h"
#include "sync_writer.h"
#include "xalloc.h"

#define SYNC_TAIL_SECONDS 3600        /* the newest window: the last hour, and later */
#define SYNC_WINDOW_PAGES 5           /* pages a window is cut for at the first page's density */
#define SYNC_WINDOWS_MAX 200
#define SYNC_WINDOWS_MIN_PAGES 8      /* fewer pages to come: one after another is as quick */
#define SYNC_WINDOWS_MIN_RTT_MS 5     /* a quicker page: the bank is next door */
#define SYNC_WINDOW_MIN_SECONDS 60
#define SYNC_SPLIT_MIN_PAGES 2        /* a window expected to hold fewer is not split */
/* What arrived is committed at least this often, and before it holds this many
 * transactions: a commit per page would rewrite the id indexes' pages a thousand
 * times over (ids are random), and a crash loses at most a second. */
#define SYNC_COMMIT_MS 1000
#define SYNC_COMMIT_ROWS 5000
/* Read and not yet written: past this, no request goes out until the writer catches
 * up (a fast bank outruns SQLite, and memory holds at most this and the batch being
 * written, a few MB each). */
#define SYNC_UNWRITTEN_MAX SYNC_COMMIT_ROWS
#define SYNC_RECHECK_MS 20

enum sync_win_state { WIN_WAITING, WIN_FLYING, WIN_DONE, WIN_LOST };

struct sync_win {
	struct store_window w;    /* as it is stored: since is its key */
	enum sync_win_state state;
	bool dirty;               /* changed since it was last stored */
	bool throttled;           /* met a 429: completing it grows no request */
	int tries;                /* 429s in a row to its current page */
	int64_t page_span;        /* seconds its last full page spanned; 0 unknown */
};

struct sync_capture {
	struct sync_run *r;
	struct sync_pass *p;
	struct sync_fetchers *fetchers;
	struct sync_writer *writer;
	int flying;               /* requests sent and not read yet */
	struct sync_win *wins;
	size_t n, cap;
	struct sync_fetch *unwritten, **unwritten_end;   /* read, for the next batch */
	long unwritten_rows;
	int64_t given_ms;         /* when a batch was last given to the writer */
	int64_t from;             /* where the capture's history starts */
	bool record;              /* its windows are stored: a capture of all history */
	bool lost;
	int64_t lost_from, lost_to;
	bool failed;
	int rc;
};

static int64_t sync_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* t down to a whole day, hour or minute, the largest that leaves a quarter of span:
 * windows of a long history start on whole days, so one capture is cut as another
 * whatever second it began, and its edges read plainly in a log. */
static int64_t sync_align(int64_t t, int64_t span)
{
	static const int64_t units[] = { 86400, 3600, 60 };
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (span >= 4 * units[i])
			return t - ((t % units[i]) + units[i]) % units[i];
	return t;
}

static int64_t sync_tail_start(struct sync_run *r)
{
	return sync_align(monzo_bank_now(r->api).sec - SYNC_TAIL_SECONDS, 4 * 3600);
}

bool sync_windows_worth(struct sync_run *r, const struct sync_page_info *first, long took_ms)
{
	if (first->count < SYNC_PAGE || took_ms < SYNC_WINDOWS_MIN_RTT_MS)
		return false;
	int64_t page = first->last_created - first->first_created;
	int64_t ahead = sync_tail_start(r) - first->first_created;
	return ahead > 0 && ahead / (page > 0 ? page : 1) >= SYNC_WINDOWS_MIN_PAGES;
}

/* ------------------------------------------------------------------ windows */

static struct sync_win *sync_win_add(struct sync_capture *c, int64_t since, int64_t before)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->wins = xreallocarray(c->wins, c->cap, sizeof *c->wins);
	}
	struct sync_win *w = &c->wins[c->n++];
	memset(w, 0, sizeof *w);
	w->w.since = since;
	w->w.before = before;
	w->state = WIN_WAITING;
	w->dirty = true;
	return w;
}

static bool sync_win_open(const struct sync_win *w)
{
	return w->w.before == STORE_WINDOW_OPEN;
}

static void sync_capture_span(const struct sync_win *w, char *out, size_t cap)
{
	char a[32], b[32];
	timefmt_utc_z(w->w.cursor[0] ? w->w.cursor_created : w->w.since, a);
	if (sync_win_open(w))
		snprintf(out, cap, "from %s on", a);
	else {
		timefmt_utc_z(w->w.before, b);
		snprintf(out, cap, "from %s to %s", a, b);
	}
}

static void sync_capture_count(const struct sync_capture *c, int *done, int *all)
{
	*done = *all = 0;
	for (size_t i = 0; i < c->n; i++) {
		(*all)++;
		*done += c->wins[i].state == WIN_DONE || c->wins[i].state == WIN_LOST;
	}
}

static void sync_capture_report(struct sync_capture *c)
{
	sync_capture_count(c, &c->r->shown.windows_done, &c->r->shown.windows);
	sync_report(c->r);
}

/* The first failure ends the capture: no window is sent after it, and the message
 * names the window, why, and what the capture holds. */
static void sync_capture_fail(struct sync_capture *c, const struct sync_win *w, const struct monzo_error *e,
			      const char *why, int rc)
{
	if (c->failed)
		return;
	c->failed = true;
	c->rc = rc < 0 ? rc : -EIO;
	struct monzo_error *err = c->r->err;
	char reason[sizeof err->message], span[112] = "", counts[96];
	snprintf(reason, sizeof reason, "%s", why ? why : e ? e->message : "");
	if (e)
		*err = *e;
	else
		memset(err, 0, sizeof *err);
	int done, all;
	sync_capture_count(c, &done, &all);
	if (w) {
		char at[80];
		sync_capture_span(w, at, sizeof at);
		snprintf(span, sizeof span, "the transactions %s: ", at);
	}
	snprintf(counts, sizeof counts, " (%d of %d windows captured; the next capture fetches the rest)", done, all);
	/* The reason gives way first: the window and the counts always fit. */
	int room = (int)(sizeof err->message - 1 - strlen(span) - strlen(counts));
	snprintf(err->message, sizeof err->message, "%s%.*s%s", span, room > 0 ? room : 0, reason, counts);
}

/* "since=<id or time>&before=<time>" of the window's next page. */
static char *sync_capture_path(struct sync_capture *c, const struct sync_win *w)
{
	struct strbuf path = STRBUF_INIT;
	char t[32];
	sb_addf(&path, "/transactions?account_id=%s&expand%%5B%%5D=merchant&limit=%d", c->r->acc_q, SYNC_PAGE);
	if (w->w.cursor[0]) {
		char *q = monzo_escape(w->w.cursor);
		sb_addf(&path, "&since=%s", q);
		free(q);
	} else {
		timefmt_utc_z(w->w.since, t);
		sb_addf(&path, "&since=%s", t);
	}
	if (!sync_win_open(w)) {
		timefmt_utc_z(w->w.before, t);
		sb_addf(&path, "&before=%s", t);
	}
	return sb_detach(&path, NULL);
}

static int sync_capture_send(struct sync_capture *c, size_t i)
{
	struct sync_fetch *j = xcalloc(1, sizeof *j);
	j->path = sync_capture_path(c, &c->wins[i]);
	j->win = i;
	monzo_reply_init(&j->reply);
	c->wins[i].state = WIN_FLYING;
	c->flying++;
	return sync_fetchers_send(c->fetchers, j, c->flying) < 0 ? -EAGAIN : 0;
}

/* The window to send next: the oldest waiting one; the newest (open) window only once
 * every other is over. */
static ssize_t sync_capture_next(struct sync_capture *c)
{
	ssize_t best = -1, open = -1;
	bool others = false;
	for (size_t i = 0; i < c->n; i++) {
		const struct sync_win *w = &c->wins[i];
		if (sync_win_open(w)) {
			if (w->state == WIN_WAITING)
				open = (ssize_t)i;
			continue;
		}
		others |= w->state == WIN_WAITING || w->state == WIN_FLYING;
		if (w->state == WIN_WAITING && (best < 0 || w->w.since < c->wins[best].w.since))
			best = (ssize_t)i;
	}
	return best >= 0 ? best : others ? -1 : open;
}

/* A request could go out but no window waits: halves the window with the most pages
 * still to come (at its last page's density), so a dense year is fetched by several
 * requests at once and does not hold the others up.  Returns whether it did. */
static bool sync_capture_split(struct sync_capture *c)
{
	ssize_t best = -1;
	int64_t most = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct sync_win *w = &c->wins[i];
		if (sync_win_open(w) || !w->w.cursor[0] || !w->page_span ||
		    (w->state != WIN_WAITING && w->state != WIN_FLYING))
			continue;
		int64_t left = w->w.before - w->w.cursor_created;
		int64_t pages = left / w->page_span;
		if (left >= 2 && pages >= SYNC_SPLIT_MIN_PAGES && pages > most) {
			most = pages;
			best = (ssize_t)i;
		}
	}
	if (best < 0)
		return false;
	struct sync_win *w = &c->wins[best];
	/* Past the cursor's second: the transactions of that second after it stay its. */
	int64_t mid = w->w.cursor_created + (w->w.before - w->w.cursor_created + 1) / 2;
	int64_t even = sync_align(mid, w->w.before - w->w.cursor_created);
	if (even > w->w.cursor_created)
		mid = even;
	int64_t before = w->w.before, span = w->page_span;
	struct sync_win *half = sync_win_add(c, mid, before);
	w = &c->wins[best];
	half->page_span = span;
	w->w.before = mid;
	w->dirty = true;
	return true;
}

/* Whether a window is still to be asked for. */
static bool sync_capture_waiting(const struct sync_capture *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->wins[i].state == WIN_WAITING)
			return true;
	return false;
}

static int sync_capture_dispatch(struct sync_capture *c)
{
	int limit = pace_limit(&c->r->api->pace);
	while (c->flying < limit && c->unwritten_rows < SYNC_UNWRITTEN_MAX) {
		ssize_t i = sync_capture_next(c);
		if (i < 0 && sync_capture_split(c))
			i = sync_capture_next(c);
		if (i < 0)
			return 0;
		int rc = sync_capture_send(c, (size_t)i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ writing */

/* Gives the writer what was read since the last batch, with the windows changed since:
 * as they stand now, after every page read, all of which are in this batch or an
 * earlier one.  wait: for the previous batch to be written; else a busy writer is left
 * alone (returns 1). */
static int sync_capture_give(struct sync_capture *c, bool wait)
{
	size_t dirty = 0;
	for (size_t i = 0; i < c->n; i++)
		dirty += c->wins[i].dirty && c->record;
	if (!c->unwritten && !dirty)
		return 0;
	struct store_window *wins = dirty ? xmalloc(dirty * sizeof *wins) : NULL;
	for (size_t i = 0, k = 0; i < c->n && dirty; i++)
		if (c->wins[i].dirty)
			wins[k++] = c->wins[i].w;
	int rc = sync_writer_give(c->writer, c->unwritten, wins, dirty, wait);
	if (rc == 1) {
		free(wins);
		return 1;
	}
	c->given_ms = sync_now_ms();
	c->unwritten = NULL;
	c->unwritten_end = &c->unwritten;
	c->unwritten_rows = 0;
	for (size_t i = 0; i < c->n; i++)
		c->wins[i].dirty = false;
	if (rc < 0)
		sync_capture_fail(c, NULL, NULL, sync_writer_error(c->writer), -EIO);
	return rc;
}

static bool sync_capture_due(const struct sync_capture *c)
{
	return c->unwritten_rows >= SYNC_COMMIT_ROWS || sync_now_ms() - c->given_ms >= SYNC_COMMIT_MS;
}

/* ------------------------------------------------------------------ replies */

static int sync_span_created(const struct jsonspan *tx, int64_t *sec)
{
	char created[64];
	struct instant t;
	if (jsonspan_string(tx->p, tx->len, "created", created, sizeof created) < 0 || !timefmt_parse(created, &t))
		return -1;
	*sec = t.sec;
	return 0;
}

/* A page of window w: its transactions inside the window are kept to be written, and
 * the window moves on to the page's last one, or is complete. */
static void sync_capture_page(struct sync_capture *c, struct sync_fetch *j)
{
	struct sync_win *w = &c->wins[j->win];
	struct sync_page_info info;
	if (sync_page_scan(sb_str(&j->reply.body), j->reply.body.len, &c->p->seen, &info, &j->spans) < 0) {
		sync_capture_fail(c, w, NULL, "the transactions reply is not the JSON expected", -EIO);
		sync_fetch_free(j);
		return;
	}
	/* The bank's since (a time) is inclusive and before exclusive: whatever it sends
	 * outside the window belongs to a neighbour, which fetches it itself. */
	j->keep_from = 0;
	j->keep_to = info.count;
	int64_t t;
	if (!w->w.cursor[0])
		while (j->keep_from < j->keep_to && sync_span_created(&j->spans[j->keep_from], &t) == 0 &&
		       t < w->w.since)
			j->keep_from++;
	if (!sync_win_open(w))
		while (j->keep_to > j->keep_from && sync_span_created(&j->spans[j->keep_to - 1], &t) == 0 &&
		       t >= w->w.before)
			j->keep_to--;
	bool ended = info.count < SYNC_PAGE || (!sync_win_open(w) && info.last_created >= w->w.before) ||
		     !strcmp(info.last_id, w->w.cursor);
	c->r->res->fetched += j->keep_to - j->keep_from;
	c->unwritten_rows += j->keep_to - j->keep_from;
	w->tries = 0;
	w->dirty = true;
	if (ended) {
		w->state = WIN_DONE;
		w->w.done = true;
		if (!w->throttled)
			pace_grow(&c->r->api->pace);
	} else {
		w->state = WIN_WAITING;
		snprintf(w->w.cursor, sizeof w->w.cursor, "%s", info.last_id);
		w->w.cursor_created = info.last_created;
		int64_t span = info.last_created - info.first_created;
		w->page_span = span > 0 ? span : 1;
	}
	j->next = NULL;
	*c->unwritten_end = j;
	c->unwritten_end = &j->next;
	sync_capture_report(c);
}

/* The bank refused window w as older than its 90 days: the full-history window has
 * closed.  What it holds before the 90 days is lost; the rest of it is fetched. */
static void sync_capture_refused(struct sync_capture *c, struct sync_fetch *j)
{
	struct sync_win *w = &c->wins[j->win];
	int64_t from = w->w.cursor[0] ? w->w.cursor_created : w->w.since, edge = c->p->window_start;
	if (from >= edge) {
		/* Refused inside the 90 days as we count them: nothing to give up. */
		sync_capture_fail(c, w, &j->reply.err, NULL, -EACCES);
		return;
	}
	int64_t to = w->w.before < edge ? w->w.before : edge;
	if (!c->lost)
		log_info("%s: full history is no longer available; what is older than %d days and not yet fetched "
			 "is lost", c->r->label, SYNC_WINDOW_DAYS);
	c->lost_from = c->lost ? (from < c->lost_from ? from : c->lost_from) : from;
	c->lost_to = c->lost ? (to > c->lost_to ? to : c->lost_to) : to;
	c->lost = true;
	w->state = WIN_LOST;   /* recorded as not complete, for a capture in a new window */
	w->dirty = true;
	if (w->w.before > edge) {
		int64_t before = w->w.before, span = w->page_span;
		size_t at = j->win;
		struct sync_win *rest = sync_win_add(c, edge, before);
		rest->page_span = span;
		c->wins[at].w.before = edge;
	}
}

static void sync_capture_handle(struct sync_capture *c, struct sync_fetch *j)
{
	struct sync_win *w = &c->wins[j->win];
	c->flying--;
	if (j->rc == -EAGAIN) {
		/* 429: the pace has paused every request and halved them; ask again. */
		w->throttled = true;
		w->state = WIN_WAITING;
		if (++w->tries > SYNC_THROTTLE_TRIES)
			sync_capture_fail(c, w, &j->reply.err, NULL, -EIO);
	} else if (j->rc < 0 && sync_is_window_closed(&j->reply.err)) {
		w->state = WIN_WAITING;
		sync_capture_refused(c, j);
	} else if (j->rc < 0) {
		w->state = WIN_WAITING;
		sync_capture_fail(c, w, &j->reply.err, NULL, j->rc);
	} else {
		sync_capture_page(c, j);
		return;
	}
	sync_fetch_free(j);
}

/* ------------------------------------------------------------------ the capture */

static int sync_capture_init(struct sync_capture *c, struct sync_run *r, struct sync_pass *p)
{
	memset(c, 0, sizeof *c);
	c->r = r;
	c->p = p;
	c->unwritten_end = &c->unwritten;
	c->given_ms = sync_now_ms();
	c->fetchers = sync_fetchers_new(r->api);
	c->writer = sync_writer_new(r->st, r->account, p->sync_no, !p->have_newest);
	if (!c->writer) {
		snprintf(r->err->message, sizeof r->err->message, "cannot start the capture's threads");
		return -EAGAIN;
	}
	return 0;
}

static void sync_capture_release(struct sync_capture *c)
{
	sync_fetchers_free(c->fetchers);
	sync_writer_free(c->writer);
	sync_fetch_free_list(c->unwritten);
	free(c->wins);
}

/* Every window to its end (or the first failure), every page read written, then
 * what the capture lost. */
static int sync_capture_run(struct sync_capture *c)
{
	struct sync_run *r = c->r;
	struct sync_pass *p = c->p;
	p->windowed = true;
	sync_capture_report(c);
	for (;;) {
		if (!c->failed) {
			int rc = sync_capture_dispatch(c);
			if (rc < 0)
				sync_capture_fail(c, NULL, NULL, "cannot start a thread", rc);
		}
		/* Due, but the writer still busy with the last batch: look again shortly. */
		bool held = sync_capture_due(c) && sync_capture_give(c, false) == 1;
		if (!c->flying) {
			/* Nothing in flight: every window over, or requests held back until the
			 * writer has caught up. */
			if (c->failed || !sync_capture_waiting(c) || sync_capture_give(c, true) < 0)
				break;
			continue;
		}
		long wait = held ? SYNC_RECHECK_MS : SYNC_COMMIT_MS - (sync_now_ms() - c->given_ms);
		struct sync_fetch *j = sync_fetchers_take(c->fetchers, c->unwritten ? (wait > 0 ? wait : 0) : -1);
		if (j)
			sync_capture_handle(c, j);
	}
	sync_capture_give(c, true);
	int64_t changed, newest;
	char why[sizeof r->err->message];
	if (sync_writer_finish(c->writer, &changed, &newest, why, sizeof why) < 0)
		sync_capture_fail(c, NULL, NULL, why, -EIO);
	r->res->changed += changed;
	p->committed += changed;
	if (newest > p->newest_change)
		p->newest_change = newest;
	if (c->failed)
		return c->rc;
	if (c->lost) {
		/* Known from where the capture began, with the windows the bank refused as a
		 * gap (unless the store held all history already: then nothing is missing). */
		p->full = false;
		p->out.fell_back = r->res->fell_back = true;
		if (!p->out.history_start || c->from < p->out.history_start)
			p->out.history_start = c->from;
		if (!p->was_complete) {
			if (p->out.gap_to <= p->out.gap_from || c->lost_from < p->out.gap_from)
				p->out.gap_from = c->lost_from;
			if (c->lost_to > p->out.gap_to)
				p->out.gap_to = c->lost_to;
		}
	}
	return 0;
}

/* The edges of the windows after the first page, the newest window's start last (0
 * edges: the rest in one window).  First `ramp` windows of less than a page each, one
 * for each request the pace grows by, so it grows within a round trip or two; then
 * windows of SYNC_WINDOW_PAGES pages at the first page's density (page: the seconds
 * it spanned).  On whole days, hours or minutes; none before low. */
static int64_t sync_capture_edges(int64_t low, int64_t tail, int64_t page, int ramp, int64_t *edge)
{
	int64_t k = 0, at = low;
	if (tail <= low + SYNC_WINDOW_MIN_SECONDS)
		return 0;
	int64_t small = page * 7 / 10 > SYNC_WINDOW_MIN_SECONDS ? page * 7 / 10 : SYNC_WINDOW_MIN_SECONDS;
	for (int i = 0; i < ramp && k < SYNC_WINDOWS_MAX / 2; i++) {
		int64_t e = sync_align(at + small, small);
		if (e >= tail - SYNC_WINDOW_MIN_SECONDS)
			break;
		edge[k++] = at = e;
	}
	int64_t n = (tail - at) / page / SYNC_WINDOW_PAGES;
	if (n > SYNC_WINDOWS_MAX - k)
		n = SYNC_WINDOWS_MAX - k;
	if (n > (tail - at) / SYNC_WINDOW_MIN_SECONDS)
		n = (tail - at) / SYNC_WINDOW_MIN_SECONDS;
	for (int64_t i = 1; i < n; i++) {
		int64_t e = sync_align(at + (tail - at) * i / n, (tail - at) / n);
		if (e > (k ? edge[k - 1] : low - 1) && e < tail)
			edge[k++] = e;
	}
	edge[k++] = tail;
	return k;
}

int sync_windows_capture(struct sync_run *r, struct sync_pass *p, const struct monzo_reply *first,
			 const struct sync_page_info *info, const struct jsonspan *spans, int64_t from)
{
	struct sync_capture c;
	int rc = sync_capture_init(&c, r, p);
	if (rc < 0) {
		sync_capture_release(&c);
		return rc;
	}
	c.from = from;
	/* The last 89 days after the full history was refused are there to fetch again
	 * at any time: such a capture is not resumed, it is done again. */
	c.record = p->full;
	int64_t tail = sync_tail_start(r), low = info->last_created + 1;
	int64_t page = info->last_created - info->first_created;
	page = page > 0 ? page : 1;
	int64_t edge[SYNC_WINDOWS_MAX + 1];
	int ramp = pace_cap(&r->api->pace) - PACE_START;
	int64_t k = sync_capture_edges(low, tail, page, ramp > 0 ? ramp : 0, edge);
	/* The first window goes on from the first page; the newest has no end. */
	struct sync_win *w = sync_win_add(&c, from, k ? edge[0] : STORE_WINDOW_OPEN);
	snprintf(w->w.cursor, sizeof w->w.cursor, "%s", info->last_id);
	w->w.cursor_created = info->last_created;
	w->page_span = page;
	for (int64_t i = 0; i + 1 < k; i++)
		sync_win_add(&c, edge[i], edge[i + 1]);
	if (k)
		sync_win_add(&c, tail, STORE_WINDOW_OPEN);
	store_cache_for(r->st, (long)((tail - info->first_created) / page * SYNC_PAGE));
	/* The first page is written with the windows, as any other. */
	struct sync_fetch *j = xcalloc(1, sizeof *j);
	monzo_reply_init(&j->reply);
	j->spans = xmalloc((info->count ? info->count : 1) * sizeof *j->spans);
	memcpy(j->spans, spans, info->count * sizeof *spans);
	j->keep_to = info->count;
	*c.unwritten_end = j;
	c.unwritten_end = &j->next;
	c.unwritten_rows = info->count;
	r->res->fetched += info->count;
	log_debug("%s: capturing in %d windows", r->label, (int)c.n);
	/* The spans point into the first reply's body, which outlives the capture. */
	rc = sync_capture_run(&c);
	sync_capture_release(&c);
	store_cache_default(r->st);
	return rc;
}

int sync_windows_resume(struct sync_run *r, struct sync_pass *p, bool *resumed)
{
	struct store_window *rows;
	size_t n;
	*resumed = false;
	if (store_windows_get(r->st, r->account, &rows, &n) < 0) {
		snprintf(r->err->message, sizeof r->err->message, "the history store: %s", store_errmsg(r->st));
		return -EIO;
	}
	if (!n)
		return 0;
	struct sync_capture c;
	int rc = sync_capture_init(&c, r, p), left = 0;
	if (rc < 0) {
		free(rows);
		sync_capture_release(&c);
		return rc;
	}
	c.from = rows[0].since;
	c.record = true;
	int64_t tail = sync_tail_start(r);
	for (size_t i = 0; i < n; i++) {
		struct sync_win *w = sync_win_add(&c, rows[i].since, rows[i].before);
		w->w = rows[i];
		w->dirty = false;
		if (sync_win_open(w) && w->w.since < tail) {
			/* The newest window of an older capture: its older part goes on from the
			 * last transaction it received (complete or not, it was complete only up
			 * to when it was read), and the last hour is the newest again. */
			w->w.before = tail;
			w->w.done = false;
			w->dirty = true;
			sync_win_add(&c, tail, STORE_WINDOW_OPEN);
			w = &c.wins[c.n - 2];
		} else if (sync_win_open(w)) {
			/* Read again from its start: it is where the account moves. */
			w->w.cursor[0] = '\0';
			w->w.done = false;
			w->dirty = true;
		}
		w->state = w->w.done ? WIN_DONE : WIN_WAITING;
		left += !w->w.done;
	}
	log_info("%s: resuming a capture cut short: %d of %d windows to fetch", r->label, left, (int)n);
	*resumed = true;
	store_cache_for(r->st, (long)c.n * SYNC_WINDOW_PAGES * SYNC_PAGE);
	rc = sync_capture_run(&c);
	free(rows);
	sync_capture_release(&c);
	store_cache_default(r->st);
	return rc;
}
