/* render_file: one file's bytes from its resolved inputs.  JSON documents are the
 * replies as the bank sent them; transaction files are views over the store's rows,
 * read in one snapshot with the balance synced with them. */
#include "render_file.h"

#include <errno.h>
#include <string.h>

#include "amount.h"
#include "export.h"
#include "json.h"
#include "render_accounts.h"
#include "render_json.h"
#include "render_reports.h"
#include "txfields.h"

const cJSON *render_file_account(const struct render_inputs *in, const char *id, const char **link)
{
	const cJSON *a;
	size_t i = 0;
	*link = NULL;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(in->accounts, "accounts")) {
		const cJSON *aid = cJSON_GetObjectItemCaseSensitive(a, "id");
		if (cJSON_IsString(aid) && !strcmp(aid->valuestring, id)) {
			if (i < in->nlinks && in->links[i][0])
				*link = in->links[i];
			return a;
		}
		i++;
	}
	return NULL;
}

const cJSON *render_file_pot(const cJSON *pots, const char *pot)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(pots, "pots"))
		if (!strcmp(json_str(p, "id", ""), pot))
			return p;
	return NULL;
}

bool render_file_synced(struct store *st, const struct render_ledger *l, struct sync_state *ss, bool *have_balance,
			int64_t *balance)
{
	bool synced = store_get_sync_state(st, l->account, ss) == 0 && ss->known;
	/* The balance synced with the rows: an account's /balance, a pot's object from
	 * its account's /pots (rows of an older store have none: then the pot's). */
	if (synced && ss->balance_json) {
		cJSON *b = cJSON_Parse(ss->balance_json);
		*have_balance = amount_of_json(cJSON_GetObjectItemCaseSensitive(b, "balance"), balance) == AMOUNT_OK;
		cJSON_Delete(b);
	}
	return synced;
}

/* The rows of one ledger as view renders them.  For a pot's own account, pot_of and
 * pot name the account and the pot, whose balance counts back the rows. */
static int render_file_view(const struct render_inputs *in, enum view_kind view, const struct render_ledger *l,
			    const char *month, struct strbuf *out)
{
	struct store *st = in->store;
	if (!st)
		return -EIO;
	const char *link = NULL;
	const cJSON *pot_obj = l->pot ? render_file_pot(l->pots, l->pot) : NULL;
	struct view_input v = {
		.store = st,
		.account_id = l->account,
		.pots = l->pots,
		.month = month,
		.account = l->pot ? pot_obj : in->accounts ? render_file_account(in, l->account, &link) : NULL,
		.flush = in->flush,
		.flush_ctx = in->flush_ctx,
	};
	v.link_name = link;
	if (l->pot) {
		/* A pot's own account has no /balance: the pot's is the balance. */
		v.have_balance = amount_of_json(cJSON_GetObjectItemCaseSensitive(pot_obj, "balance"), &v.balance) ==
				 AMOUNT_OK;
		v.pot_name = txfields_pot_name(l->pots, l->pot);
		v.pot_of = l->pot_of;
		v.pot_id = l->pot;
	}
	/* One read snapshot for the rows, their sums and the balance synced with them,
	 * even when another sync (or monzohfs-login) commits meanwhile. */
	int rc = store_begin_read(st) < 0 ? -EIO : 0;
	struct sync_state ss = { 0 };
	bool synced = !rc && render_file_synced(st, l, &ss, &v.have_balance, &v.balance);
	/* The version moves whenever the account's rows do, so sums kept for it hold. */
	int64_t from, to;
	if (synced && in->sums && view == VIEW_TRANSACTIONS_CSV)
		in->sums(in->sums_ctx, st, ss.version, INT64_MIN, &v);
	else if (synced && in->sums && view == VIEW_MONTH_CSV && view_month_range(month, &from, &to))
		in->sums(in->sums_ctx, st, ss.version, from, &v);
	sync_state_release(&ss);
	if (!rc && view_render(view, &v, out) < 0)
		rc = -EIO;
	store_rollback(st);
	return rc;
}

/* MOUNT/transactions.tsv: every ledger's rows under one header, in the given order. */
static int render_file_root_tsv(const struct render_inputs *in, struct strbuf *out)
{
	tsv_header(out);
	for (size_t i = 0; i < in->nledgers; i++) {
		int rc = render_file_view(in, VIEW_TSV_BODY, &in->ledgers[i], "", out);
		if (rc)
			return rc;
	}
	return 0;
}

int render_file(const struct file_id *id, const struct render_inputs *in, struct strbuf *out)
{
	switch (id->kind) {
	case FILE_WHOAMI:
	case FILE_ACCOUNTS:
	case FILE_BALANCE:
		render_json_document(in->doc, out);
		return 0;
	case FILE_ACCOUNT:
		return render_json_account(in->doc, id->account, out) < 0 ? -ENOENT : 0;
	case FILE_POTS:
		render_json_pots(in->doc, out);
		return 0;
	case FILE_ROOT_TSV:
		return render_file_root_tsv(in, out);
	case FILE_ACCOUNTS_TSV:
		render_accounts_tsv(in->doc, in->links, in->nlinks, in->balances, out);
		return 0;
	case FILE_REPORT_MONTHLY:
	case FILE_REPORT_CATEGORIES:
	case FILE_REPORT_MERCHANTS:
	case FILE_REPORT_SPENDING:
	case FILE_REPORT_BALANCE:
		return render_reports_account(id, in, out);
	case FILE_NETWORTH_CSV:
	case FILE_NETWORTH_SVG:
		return render_reports_networth(id, in, out);
	case FILE_POT: {
		const cJSON *pot = render_file_pot(in->doc, id->pot);
		if (!pot)
			return -ENOENT;
		render_json_document(pot, out);
		return 0;
	}
	default: {
		struct render_ledger l = { .account = id->account, .pots = in->pots };
		if (id->pot[0]) {
			l.account = in->pot_account;
			l.pot_of = id->account;
			l.pot = id->pot;
		}
		return render_file_view(in, files_row(id->kind)->view, &l, id->month, out);
	}
	}
}
