/* Unit tests of localtime: London dates across the clock changes and month edges,
 * and a zone name that does not exist. */
#include "check.h"
#include "localtime.h"
#include "timefmt.h"

static void check_local(const char *utc, const char *want)
{
	struct instant t;
	struct tm tm;
	char buf[80];
	CHECK(timefmt_parse(utc, &t));
	localtime_of(t.sec, &tm);
	snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
	CHECK_STR(buf, want);
}

int main(void)
{
	struct strbuf err = STRBUF_INIT;
	CHECK(localtime_set_zone("Nowhere/Atlantis", &err) < 0 && err.len > 0);
	CHECK(localtime_set_zone("../etc/passwd", &err) < 0);
	CHECK(localtime_set_zone("Europe/London", &err) == 0);
	check_local("2025-03-31T23:30:00Z", "2025-04-01 00:30:00");
	check_local("2025-03-30T00:59:59Z", "2025-03-30 00:59:59");
	check_local("2025-03-30T01:00:00Z", "2025-03-30 02:00:00");
	check_local("2025-10-26T00:30:00Z", "2025-10-26 01:30:00");
	check_local("2025-10-26T01:30:00Z", "2025-10-26 01:30:00");
	check_local("2025-10-31T23:30:00Z", "2025-10-31 23:30:00");
	check_local("2024-02-29T12:00:00Z", "2024-02-29 12:00:00");
	check_local("1969-12-31T23:59:59Z", "1970-01-01 00:59:59");
	char m[8];
	struct instant t;
	timefmt_parse("2025-04-30T23:59:59.5Z", &t);
	localtime_month(t.sec, m);
	CHECK_STR(m, "2025-05");
	CHECK(localtime_month_start(2025, 4) == 1743462000);  /* 2025-03-31T23:00:00Z */
	CHECK(localtime_month_start(2025, 13) == localtime_month_start(2026, 1));
	CHECK(localtime_set_zone("UTC", &err) == 0);
	check_local("2025-03-31T23:30:00Z", "2025-03-31 23:30:00");
	sb_release(&err);
	return CHECK_DONE();
}
