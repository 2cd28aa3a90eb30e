/* localtime: libc's zone database through TZ, checked against the zoneinfo files so a
 * misspelt zone is an error rather than silent UTC. */
#include "localtime.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int localtime_set_zone(const char *zone, struct strbuf *err)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX];
	if (!zone || !*zone || zone[0] == '/' || strstr(zone, "..")) {
		sb_addf(err, "time zone \"%s\" is not a zone name like Europe/London", zone ? zone : "");
		return -1;
	}
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	if (access(path, R_OK) != 0) {
		sb_addf(err, "unknown time zone \"%s\" (no %s; is the tzdata package installed?)", zone, path);
		return -1;
	}
	setenv("TZ", zone, 1);
	tzset();
	return 0;
}

/* Civil date of a day count since 1970-01-01 (proleptic Gregorian). */
static void localtime_civil(int64_t days, int *y, int *m, int *d)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

void localtime_of(int64_t sec, struct tm *out)
{
	/* libc's localtime_r re-reads TZ and takes a lock on every call, which shows at
	 * 100,000 rows; zone offsets only change on quarter hours, so remember the last
	 * quarter hour's offset per thread and do the calendar arithmetic here. */
	static __thread int64_t cached_block = INT64_MIN;
	static __thread long cached_off;
	int64_t block = sec >= 0 ? sec / 900 : (sec - 899) / 900;
	if (block != cached_block) {
		time_t t = (time_t)sec;
		struct tm tm;
		localtime_r(&t, &tm);
		cached_off = tm.tm_gmtoff;
		cached_block = block;
	}
	int64_t local = sec + cached_off;
	int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int64_t rem = local - days * 86400;
	memset(out, 0, sizeof *out);
	int y, m, d;
	localtime_civil(days, &y, &m, &d);
	out->tm_year = y - 1900;
	out->tm_mon = m - 1;
	out->tm_mday = d;
	out->tm_hour = (int)(rem / 3600);
	out->tm_min = (int)(rem / 60 % 60);
	out->tm_sec = (int)(rem % 60);
	out->tm_gmtoff = cached_off;
}

void localtime_month(int64_t sec, char out[8])
{
	struct tm tm;
	localtime_of(sec, &tm);
	unsigned y = (unsigned)(tm.tm_year + 1900) % 10000, m = (unsigned)(tm.tm_mon + 1) % 100;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '\0';
}

int64_t localtime_month_start(int year, int month)
{
	struct tm tm = { 0 };
	tm.tm_year = year - 1900 + (month - 1) / 12;
	tm.tm_mon = (month - 1) % 12;
	tm.tm_mday = 1;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}
