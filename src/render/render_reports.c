/* render_reports: the reports/ files, an account's and the mount's net worth, from the
 * store's rows through summary, in one read snapshot with the balances synced with
 * them (the same running balance as the CSVs' Balance column). */
#include "render_reports.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "amount.h"
#include "json.h"
#include "summary.h"
#include "timefmt.h"
#include "txfields.h"

#define RENDER_REPORTS_SPLITS 16   /* a category split of more is booked whole */

struct render_reports_feed {
	struct summary *sum;
	const cJSON *pots;
	struct strbuf name;
	int rc;
};

/* The API's categories object (text) as splits; 0 when it is not one of two or more
 * (most are one category: those are not parsed at all). */
static size_t render_reports_splits(const char *text, cJSON **parsed, struct summary_split *out)
{
	*parsed = NULL;
	if (!strchr(text, ','))
		return 0;
	*parsed = cJSON_Parse(text);
	size_t n = 0;
	const cJSON *c;
	if (!cJSON_IsObject(*parsed))
		return 0;
	cJSON_ArrayForEach(c, *parsed) {
		if (n == RENDER_REPORTS_SPLITS || amount_of_json(c, &out[n].amount) != AMOUNT_OK)
			return 0;
		out[n++].category = c->string;
	}
	return n >= 2 ? n : 0;
}

static int render_reports_row(void *ctx, const struct tx_row *r)
{
	struct render_reports_feed *f = ctx;
	struct summary_split splits[RENDER_REPORTS_SPLITS];
	cJSON *parsed;
	sb_reset(&f->name);
	/* A name counts only where money was spent (merchants.csv). */
	if (r->include_in_spending && !r->declined)
		txfields_name(r, f->pots, &f->name);
	struct summary_row row = {
		.created = r->created.sec,
		.amount = r->amount,
		.declined = r->declined,
		.settled = r->settled,
		.include_in_spending = r->include_in_spending,
		.category = r->category,
		.name = f->name.buf ? f->name.buf : "",
		.splits = splits,
		.nsplits = render_reports_splits(r->categories, &parsed, splits),
	};
	summary_add(f->sum, &row);
	cJSON_Delete(parsed);
	return 0;
}

/* The currency of account in the list, else the pound's. */
static const char *render_reports_currency(const struct render_inputs *in, const char *account)
{
	const char *link;
	return json_str(render_file_account(in, account, &link), "currency", "GBP");
}

static int render_reports_write(enum file_kind kind, const struct summary *s, struct strbuf *out)
{
	switch (kind) {
	case FILE_REPORT_MONTHLY: return summary_monthly_csv(s, out);
	case FILE_REPORT_CATEGORIES: return summary_categories_csv(s, out);
	case FILE_REPORT_MERCHANTS: return summary_merchants_csv(s, out);
	case FILE_REPORT_SPENDING: return summary_spending_svg(s, out);
	case FILE_REPORT_BALANCE: return summary_balance_svg(s, out);
	default: return -1;
	}
}

static const enum file_kind render_reports_kinds[] = { FILE_REPORT_MONTHLY, FILE_REPORT_CATEGORIES,
							 FILE_REPORT_MERCHANTS, FILE_REPORT_SPENDING,
							 FILE_REPORT_BALANCE };

static void render_reports_key(const char *account, enum file_kind kind, char *key, size_t cap)
{
	snprintf(key, cap, "reports/%s/%d", account, (int)kind);
}

/* All five reports come from one pass over the rows: the one asked for goes to out,
 * the others to the caller's memo, under the signature of what they are made from. */
int render_reports_account(const struct file_id *id, const struct render_inputs *in, struct strbuf *out)
{
	struct store *st = in->store;
	if (!st || store_begin_read(st) < 0)
		return -EIO;
	struct render_ledger l = { .account = id->account, .pots = in->pots };
	struct sync_state ss = { 0 };
	bool have_balance = false;
	int64_t balance = 0;
	render_file_synced(st, &l, &ss, &have_balance, &balance);
	uint64_t sig = in->sig ^ ((uint64_t)ss.version * 0x9E3779B97F4A7C15ULL);
	sync_state_release(&ss);
	char key[128];
	render_reports_key(id->account, id->kind, key, sizeof key);
	if (in->memo_get && in->memo_get(in->memo_ctx, key, sig, out)) {
		store_rollback(st);
		return 0;
	}
	struct render_reports_feed f = { summary_new(render_reports_currency(in, id->account)), in->pots,
					 STRBUF_INIT, 0 };
	if (have_balance)
		summary_set_balance(f.sum, balance);
	int rc = store_each_transaction(st, id->account, INT64_MIN, INT64_MAX, false, render_reports_row, &f);
	store_rollback(st);
	/* A sum beyond 64 bits makes no report, as it makes no Balance column. */
	struct strbuf other = STRBUF_INIT;
	for (size_t i = 0; !rc && i < sizeof render_reports_kinds / sizeof *render_reports_kinds; i++) {
		enum file_kind k = render_reports_kinds[i];
		if (k == id->kind) {
			rc = render_reports_write(k, f.sum, out) < 0 ? -EIO : 0;
		} else if (in->memo_put) {
			sb_reset(&other);
			if (render_reports_write(k, f.sum, &other) == 0) {
				render_reports_key(id->account, k, key, sizeof key);
				in->memo_put(in->memo_ctx, key, sig, other.buf ? other.buf : "", other.len);
			}
		}
	}
	sb_release(&other);
	summary_free(f.sum);
	sb_release(&f.name);
	return rc < 0 ? -EIO : 0;
}

/* ------------------------------------------------------------------ net worth */

struct render_reports_net {
	struct summary_net *net;
	size_t column;
};

static int render_reports_net_row(void *ctx, const struct tx_row *r)
{
	struct render_reports_net *n = ctx;
	summary_net_add(n->net, n->column, r->created.sec, r->amount, r->declined);
	return 0;
}

/* One column of a ledger's rows, counted back from the balance synced with them (a
 * pot's: its own, unless its sync took one). */
static int render_reports_net_ledger(struct render_reports_net *n, struct store *st, const struct render_ledger *l,
				     const char *name, bool have_balance, int64_t balance)
{
	struct sync_state ss = { 0 };
	render_file_synced(st, l, &ss, &have_balance, &balance);
	sync_state_release(&ss);
	n->column = summary_net_column(n->net, name, have_balance, balance, 0);
	return store_each_transaction(st, l->account, INT64_MIN, INT64_MAX, false, render_reports_net_row, n);
}

static const struct render_ledger *render_reports_ledger(const struct render_inputs *in, const char *account,
							  const char *pot)
{
	for (size_t i = 0; i < in->nledgers; i++) {
		const struct render_ledger *l = &in->ledgers[i];
		if (pot ? l->pot && !strcmp(l->pot, pot) && !strcmp(l->pot_of, account)
			: !l->pot && !strcmp(l->account, account))
			return l;
	}
	return NULL;
}

/* An account's column, then a column per pot of it that is not deleted: from the
 * pot's own ledger where the bank serves it, else its balance alone, known from now. */
static int render_reports_net_account(struct render_reports_net *n, const struct render_inputs *in, struct store *st,
				      const cJSON *account, const char *link)
{
	const struct render_ledger *l = render_reports_ledger(in, json_str(account, "id", ""), NULL);
	if (!l)
		return 0;   /* its ledger could not be had: no column, as no rows in the TSV */
	int rc = render_reports_net_ledger(n, st, l, link ? link : l->account, false, 0);
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(l->pots, "pots")) {
		if (rc || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "deleted")))
			continue;
		const char *pot = json_str(p, "id", ""), *name = json_str(p, "name", pot);
		int64_t balance = 0;
		bool have = amount_of_json(cJSON_GetObjectItemCaseSensitive(p, "balance"), &balance) == AMOUNT_OK;
		const struct render_ledger *pl = render_reports_ledger(in, l->account, pot);
		if (pl)
			rc = render_reports_net_ledger(n, st, pl, name, have, balance);
		else
			summary_net_column(n->net, name, have, balance, timefmt_now().sec);
	}
	return rc;
}

int render_reports_networth(const struct file_id *id, const struct render_inputs *in, struct strbuf *out)
{
	struct store *st = in->store;
	if (!st || store_begin_read(st) < 0)
		return -EIO;
	const cJSON *accounts = cJSON_GetObjectItemCaseSensitive(in->accounts, "accounts");
	const cJSON *a = cJSON_GetArrayItem(accounts, 0);
	struct render_reports_net n = { summary_net_new(json_str(a, "currency", "GBP")), 0 };
	int rc = 0;
	size_t i = 0;
	cJSON_ArrayForEach(a, accounts) {
		const char *link = i < in->nlinks && in->links[i][0] ? in->links[i] : NULL;
		i++;
		if (!rc && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "closed")))
			rc = render_reports_net_account(&n, in, st, a, link);
	}
	store_rollback(st);
	if (!rc && (id->kind == FILE_NETWORTH_CSV ? summary_networth_csv(n.net, out)
						   : summary_networth_svg(n.net, out)) < 0)
		rc = -EIO;
	summary_net_free(n.net);
	return rc < 0 ? -EIO : 0;
}
