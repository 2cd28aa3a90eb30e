/* export: what every import format is rendered from — the rows view.c selects, the
 * account they belong to, and (for the journals) totals gathered in a first pass —
 * and the begin/row/end functions each format implements in its render_*.c file. */
#ifndef MONZOHFS_EXPORT_H
#define MONZOHFS_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store.h"
#include "strbuf.h"

struct export {
	struct strbuf *out;
	const cJSON *pots;          /* /pots reply with deleted pots, or NULL */
	const cJSON *account;       /* the account object, or NULL */
	const char *account_id;
	const char *link_name;      /* "current", …, else the account id */
	/* A pot's own account: the pot's name, and the transfers the account's own
	 * journal already books (so a journal of each, read together, counts each once). */
	const char *pot_name;
	struct export_transfer {
		int64_t sec;
		int32_t nsec;
		int64_t amount;     /* as the pot's side has it */
	} *elsewhere;
	size_t nelsewhere;
	int64_t elsewhere_sum;      /* their amounts, among the rows the journal wants */
	const char *currency;       /* the account's */
	bool have_balance;
	int64_t balance;            /* the sync's balance */
	/* From the journals' first pass over the rows the format wants (OFX counts its
	 * rows and dates itself as it holds them): */
	int64_t count;
	int64_t sum;                /* their amounts */
	int64_t first_sec, last_sec;/* their first and last created */
	int64_t pending;            /* pending, not declined, amounts */
	/* The format's own running state. */
	int64_t running;
	bool overflow;              /* running did not fit: the file fails */
	char day[11];
	struct strbuf held;
	char **opened;              /* beancount: accounts already opened */
	size_t nopened;
};

/* Whether the settled balance and the opening fit in 64 bits (checked before either
 * is used). */
bool export_totals_fit(const struct export *e);
/* Settled balance: the balance less what is still pending. */
int64_t export_settled_balance(const struct export *e);
/* Whether a pot's row is a transfer its account's journal books. */
bool export_booked_elsewhere(const struct export *e, const struct tx_row *r);
/* What the journal's opening balance must hold: the settled balance less the rows it
 * books and those booked elsewhere. */
int64_t export_opening(const struct export *e);
/* "YYYY-MM-DD" of an instant in the mount's zone. */
void export_iso_date(int64_t sec, char out[11]);
/* The day after an ISO date. */
void export_next_day(const char day[11], char out[11]);
/* The other side of a transaction: the pot's name for a pot transfer (when known),
 * else the display category; "" when neither. */
void export_counter_name(const struct export *e, const struct tx_row *r, bool *is_pot, struct strbuf *out);

/* An import format, in one file of its own: what opens the file, each row (of those
 * view.c gives it), what closes it; NULL for nothing.  journal: it opens with a balance
 * and its date, so view.c reads the totals first. */
struct export_writer {
	void (*begin)(struct export *e);
	void (*row)(struct export *e, const struct tx_row *r);
	void (*end)(struct export *e);
	bool journal;
};

extern const struct export_writer export_tsv;        /* render_tsv.c */
extern const struct export_writer export_tsv_body;   /* ... without its header (the top file's parts) */
extern const struct export_writer export_ofx;        /* render_ofx.c */
extern const struct export_writer export_qif;        /* render_qif.c */
extern const struct export_writer export_ledger;     /* render_ledger.c */
extern const struct export_writer export_beancount;  /* render_beancount.c */

void tsv_header(struct strbuf *out);
/* Text as one TSV field: \t \r \n and \\ escaped, never quoted. */
void tsv_text(const char *s, struct strbuf *out);

#endif
