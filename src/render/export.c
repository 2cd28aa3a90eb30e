/* export: helpers every import format shares. */
#include "export.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "amount.h"
#include "localtime.h"
#include "txfields.h"

bool export_totals_fit(const struct export *e)
{
	int64_t settled, v;
	return amount_sub(e->balance, e->pending, &settled) && amount_sub(settled, e->sum, &v) &&
	       amount_sub(v, e->elsewhere_sum, &v);
}

int64_t export_settled_balance(const struct export *e)
{
	return e->balance - e->pending;
}

bool export_booked_elsewhere(const struct export *e, const struct tx_row *r)
{
	for (size_t i = 0; i < e->nelsewhere; i++)
		if (e->elsewhere[i].sec == r->created.sec && e->elsewhere[i].nsec == r->created.nsec &&
		    e->elsewhere[i].amount == r->amount)
			return true;
	return false;
}

int64_t export_opening(const struct export *e)
{
	return export_settled_balance(e) - e->sum - e->elsewhere_sum;
}

static void export_format_date(const struct tm *tm, char out[11])
{
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(tm->tm_year + 1900) % 10000u, (unsigned)(tm->tm_mon + 1) % 100u,
		 (unsigned)tm->tm_mday % 100u);
}

void export_iso_date(int64_t sec, char out[11])
{
	struct tm tm;
	localtime_of(sec, &tm);
	export_format_date(&tm, out);
}

void export_next_day(const char day[11], char out[11])
{
	struct tm tm = { 0 };
	if (sscanf(day, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3) {
		snprintf(out, 11, "%s", day);
		return;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_hour = 12;
	time_t t = timegm(&tm) + 86400;
	gmtime_r(&t, &tm);
	export_format_date(&tm, out);
}

void export_counter_name(const struct export *e, const struct tx_row *r, bool *is_pot, struct strbuf *out)
{
	*is_pot = false;
	const char *pot = strcmp(r->scheme, "uk_retail_pot") ? "" : txfields_pot_name(e->pots, r->pot_id);
	if (*pot) {
		*is_pot = true;
		sb_adds(out, pot);
		return;
	}
	txfields_category(r->category, out);
}
