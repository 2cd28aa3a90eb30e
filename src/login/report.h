/* report: what monzohfs-login says of its capture: progress lines with each account's
 * name beside its id, a line per account at the end (transactions, where its history
 * now starts), the warning when older history was lost, and on Ctrl-C what was kept.
 * Every call takes the report's lock: a thread waiting for Ctrl-C may print too. */
#ifndef MONZOHFS_REPORT_H
#define MONZOHFS_REPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "links.h"
#include "monzo_error.h"
#include "store.h"
#include "sync.h"

enum report_state { REPORT_WAITING, REPORT_CAPTURED, REPORT_FAILED };

struct report_account {
	char label[LINKS_NAME_MAX + 160];  /* "current (acc_…)", the id escaped */
	enum report_state state;
	int64_t transactions;     /* received by this capture */
	bool has_start;           /* the store knows where its history starts */
	int64_t starts;           /* ... there (seconds) */
	bool complete;            /* the store holds its whole history */
	int64_t lost_before;      /* this capture could not get history before this; 0: none lost */
	char why[300];            /* why it failed, escaped */
};

struct report {
	pthread_mutex_t lock;
	bool tty;                 /* standard error is a terminal: progress is redrawn */
	bool line_open;           /* a progress line without its newline is on it */
	struct report_account *acc;
	size_t n;
	int64_t total;
	int pot_warnings;
	char *store_path;
};

/* One entry per account of the /accounts reply, in its order. */
void report_init(struct report *r, const cJSON *accounts_reply, const char *store_path);
void report_free(struct report *r);

/* The progress line (the captures side by side, all together), redrawn in place on a
 * terminal (nothing elsewhere). */
void report_status(struct report *r, const char *text);
/* A line of its own (the progress line, if any, is ended first). */
void report_line(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Account i was captured: its line says what the store now holds. */
void report_captured(struct report *r, size_t i, struct store *st, const char *id, const struct sync_result *res);
void report_failed(struct report *r, size_t i, const struct monzo_error *e);
void report_pot_refused(struct report *r);

/* The ending: a line per account, what was not captured, and the warning when older
 * history was lost.  Returns the exit status: 1 when an account was not captured, 3
 * when one's older history was lost, else 0. */
int report_finish(struct report *r);
/* After Ctrl-C: which accounts were captured (and stay in the store), which not. */
void report_interrupted(struct report *r);

/* "2024-06-01" in Europe/London, for the dates the report gives. */
void report_date(int64_t sec, char out[16]);

#endif
