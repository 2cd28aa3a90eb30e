/* localtime: libc's zone database through TZ, checked against the zoneinfo files so a
 * misspelt zone is an error rather than silent UTC. */
#include "localtime.h"

#include <limits.h>
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

void localtime_of(int64_t sec, struct tm *out)
{
	time_t t = (time_t)sec;
	localtime_r(&t, out);
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
