/* report: the login's words on its capture.  Everything goes to stderr under one lock,
 * so that a Ctrl-C's summary never lands in the middle of a progress line, and says
 * what the store now holds rather than what was asked for. */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "localtime.h"
#include "termtext.h"
#include "xalloc.h"

/* "current (acc_…)"; a closed account, which has no link, by its type. */
static void report_label_of(const cJSON *a, const char *name, char *out, size_t cap)
{
	char id[96], type[48];
	termtext_cut(json_str(a, "id", "?"), id, sizeof id);
	termtext_cut(json_str(a, "type", "account"), type, sizeof type);
	if (*name)
		snprintf(out, cap, "%s (%s)", name, id);
	else
		snprintf(out, cap, "%s%s (%s)",
			 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "closed")) ? "closed " : "", type, id);
}

void report_init(struct report *r, const cJSON *accounts_reply, const char *store_path)
{
	memset(r, 0, sizeof *r);
	pthread_mutex_init(&r->lock, NULL);
	r->tty = isatty(STDERR_FILENO);
	r->store_path = xstrdup(store_path ? store_path : "");
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(accounts_reply, "accounts");
	r->n = (size_t)cJSON_GetArraySize(list);
	r->acc = xcalloc(r->n ? r->n : 1, sizeof *r->acc);
	char (*names)[LINKS_NAME_MAX] = xcalloc(r->n ? r->n : 1, sizeof *names);
	links_names(accounts_reply, names, r->n);
	size_t i = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, list) {
		if (i < r->n)
			report_label_of(a, names[i], r->acc[i].label, sizeof r->acc[i].label);
		i++;
	}
	free(names);
}

void report_free(struct report *r)
{
	free(r->acc);
	free(r->store_path);
	pthread_mutex_destroy(&r->lock);
}

void report_date(int64_t sec, char out[16])
{
	struct tm tm;
	localtime_of(sec, &tm);
	if (!strftime(out, 16, "%Y-%m-%d", &tm))
		snprintf(out, 16, "?");
}

/* Under the lock: ends a progress line left open on the terminal. */
static void report_close_line(struct report *r)
{
	if (r->line_open)
		fputc('\n', stderr);
	r->line_open = false;
}

void report_status(struct report *r, const char *text)
{
	if (!r->tty)
		return;
	pthread_mutex_lock(&r->lock);
	fprintf(stderr, "\r\033[K  %s", text);
	fflush(stderr);
	r->line_open = true;
	pthread_mutex_unlock(&r->lock);
}

void report_line(struct report *r, const char *fmt, ...)
{
	pthread_mutex_lock(&r->lock);
	/* A progress line is overwritten (and cleared) by the line that ends it. */
	if (r->line_open)
		fputs("\r\033[K", stderr);
	r->line_open = false;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&r->lock);
}

void report_captured(struct report *r, size_t i, struct store *st, const char *id, const struct sync_result *res)
{
	struct sync_state ss;
	bool got = store_get_sync_state(st, id, &ss) == 0, known = got && ss.known;
	int64_t first = 0;
	bool found = false;
	if (known && store_first_created(st, id, INT64_MIN, &first, &found) < 0)
		found = false;
	pthread_mutex_lock(&r->lock);
	r->total += res->fetched;
	if (i < r->n) {
		struct report_account *a = &r->acc[i];
		a->state = REPORT_CAPTURED;
		a->transactions = res->fetched;
		a->complete = known && ss.history_complete;
		/* Whole: from its first transaction.  Not: from where the store's knowledge
		 * starts, which is what a mount will show. */
		a->has_start = a->complete ? found : known && (ss.history_start || found);
		a->starts = a->complete || !ss.history_start ? first : ss.history_start;
		a->lost_before = res->fell_back && !a->complete && known ? ss.history_start : 0;
	}
	pthread_mutex_unlock(&r->lock);
	if (got)
		sync_state_release(&ss);
}

void report_failed(struct report *r, size_t i, const struct monzo_error *e)
{
	struct strbuf why = STRBUF_INIT;
	monzo_error_describe(e, &why);
	pthread_mutex_lock(&r->lock);
	if (i < r->n) {
		r->acc[i].state = REPORT_FAILED;
		snprintf(r->acc[i].why, sizeof r->acc[i].why, "%s", sb_str(&why));
	}
	pthread_mutex_unlock(&r->lock);
	sb_release(&why);
}

void report_pot_refused(struct report *r)
{
	pthread_mutex_lock(&r->lock);
	r->pot_warnings++;
	pthread_mutex_unlock(&r->lock);
}

/* Under the lock: "history before D was not captured for A, B; before E for C". */
static void report_warn_lost(struct report *r)
{
	char shown[16] = "";
	bool any = false;
	for (size_t i = 0; i < r->n; i++) {
		const struct report_account *a = &r->acc[i];
		if (a->state != REPORT_CAPTURED || !a->lost_before)
			continue;
		char date[16];
		report_date(a->lost_before, date);
		if (!any)
			fprintf(stderr, "WARNING: history before %s was not captured for %s", date, a->label);
		else if (strcmp(date, shown))
			fprintf(stderr, "; before %s for %s", date, a->label);
		else
			fprintf(stderr, ", %s", a->label);
		snprintf(shown, sizeof shown, "%s", date);
		any = true;
	}
	if (any)
		fprintf(stderr, ": run monzohfs-login again and approve within 5 minutes.\n");
}

int report_finish(struct report *r)
{
	pthread_mutex_lock(&r->lock);
	report_close_line(r);
	int failed = 0, lost = 0;
	fprintf(stderr, "%lld transactions stored in %s:\n", (long long)r->total, r->store_path);
	for (size_t i = 0; i < r->n; i++) {
		const struct report_account *a = &r->acc[i];
		if (a->state == REPORT_WAITING)
			continue;
		if (a->state == REPORT_FAILED) {
			fprintf(stderr, "  %s: not captured: %s\n", a->label, a->why);
			failed++;
			continue;
		}
		char from[16];
		report_date(a->starts, from);
		fprintf(stderr, "  %s: %lld transaction%s%s%s%s\n", a->label, (long long)a->transactions,
			a->transactions == 1 ? "" : "s", a->has_start ? ", history from " : "",
			a->has_start ? from : "", a->lost_before ? " (older history was not captured)" : "");
		lost += a->lost_before != 0;
	}
	if (r->pot_warnings)
		fprintf(stderr, "%d pot ledger%s not captured (the bank refuses %s): %s shown by pot.json alone.\n",
			r->pot_warnings, r->pot_warnings == 1 ? " was" : "s were", r->pot_warnings == 1 ? "it" : "them",
			r->pot_warnings == 1 ? "that pot is" : "those pots are");
	if (failed)
		fprintf(stderr, "%d account%s not captured: see above.\n", failed, failed == 1 ? " was" : "s were");
	report_warn_lost(r);
	pthread_mutex_unlock(&r->lock);
	return failed ? 1 : lost ? 3 : 0;
}

/* Under the lock: the labels of the accounts captured (or not), ", "-separated. */
static int report_list(const struct report *r, bool captured)
{
	int k = 0;
	for (size_t i = 0; i < r->n; i++)
		if ((r->acc[i].state == REPORT_CAPTURED) == captured)
			fprintf(stderr, "%s%s", k++ ? ", " : "", r->acc[i].label);
	return k;
}

void report_interrupted(struct report *r)
{
	pthread_mutex_lock(&r->lock);
	report_close_line(r);
	size_t captured = 0;
	for (size_t i = 0; i < r->n; i++)
		captured += r->acc[i].state == REPORT_CAPTURED;
	if (captured) {
		fprintf(stderr, "Interrupted. Captured: ");
		report_list(r, true);
		fprintf(stderr, ": kept in %s.\n", r->store_path);
	} else {
		fprintf(stderr, "Interrupted before any account was captured.\n");
	}
	if (captured < r->n) {
		fprintf(stderr, "Not captured: ");
		report_list(r, false);
		fprintf(stderr, ": run monzohfs-login again to capture %s.\n", r->n - captured == 1 ? "it" : "them");
	}
	fflush(stderr);
	pthread_mutex_unlock(&r->lock);
}
