/* timefmt: strict hand parsing of RFC 3339 because strptime has no fractions or
 * offsets, and the API sends anything from none to nine fraction digits. */
#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static bool timefmt_digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian), independent of TZ. */
static int64_t timefmt_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool timefmt_parse(const char *s, struct instant *out)
{
	int Y, M, D, h, m, sec;
	if (!s || strlen(s) < 19)
		return false;
	if (!timefmt_digits(s, 4, &Y) || s[4] != '-' || !timefmt_digits(s + 5, 2, &M) ||
	    s[7] != '-' || !timefmt_digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't') ||
	    !timefmt_digits(s + 11, 2, &h) || s[13] != ':' || !timefmt_digits(s + 14, 2, &m) ||
	    s[16] != ':' || !timefmt_digits(s + 17, 2, &sec))
		return false;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return false;
	const char *p = s + 19;
	int32_t nsec = 0;
	if (*p == '.') {
		p++;
		int n = 0;
		int32_t scale = 100000000;
		while (*p >= '0' && *p <= '9') {
			if (n < 9) {
				nsec += (*p - '0') * scale;
				scale /= 10;
			}
			n++;
			p++;
		}
		if (n == 0)
			return false;
	}
	int64_t off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (!timefmt_digits(p + 1, 2, &oh) || p[3] != ':' || !timefmt_digits(p + 4, 2, &om))
			return false;
		off = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return false;
	}
	if (*p)
		return false;
	out->sec = timefmt_days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec - off;
	out->nsec = nsec;
	return true;
}

int timefmt_cmp(struct instant a, struct instant b)
{
	if (a.sec != b.sec)
		return a.sec < b.sec ? -1 : 1;
	if (a.nsec != b.nsec)
		return a.nsec < b.nsec ? -1 : 1;
	return 0;
}

struct instant timefmt_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (struct instant){ ts.tv_sec, (int32_t)ts.tv_nsec };
}

/* "YYYY-MM-DDTHH:MM:SS" (no zone); years below 1000 keep four digits, as RFC 3339
 * and Python's isoformat want. */
static void timefmt_base(int64_t sec, char out[24])
{
	struct tm tm;
	time_t t = (time_t)sec;
	gmtime_r(&t, &tm);
	snprintf(out, 24, "%04u-%02u-%02uT%02u:%02u:%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}

void timefmt_utc_z(int64_t sec, char out[32])
{
	char base[24];
	timefmt_base(sec, base);
	snprintf(out, 32, "%sZ", base);
}

void timefmt_utc_micro(struct instant t, char out[40])
{
	char base[24];
	timefmt_base(t.sec, base);
	snprintf(out, 40, "%s.%06d+00:00", base, (int)(t.nsec / 1000));
}
