/* localtime: the mount's time zone (Europe/London unless -o tz=ZONE), whatever the
 * machine's TZ is.  Set once at start; conversions are then thread-safe. */
#ifndef MONZOHFS_LOCALTIME_H
#define MONZOHFS_LOCALTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "strbuf.h"

/* Makes zone the process's zone; fails (with a reason) for a zone tzdata lacks. */
int localtime_set_zone(const char *zone, struct strbuf *err);
void localtime_of(int64_t sec, struct tm *out);
/* "2024-06" for an instant. */
void localtime_month(int64_t sec, char out[8]);
/* The first instant of a local month (month 1-12; 13 rolls into the next year). */
int64_t localtime_month_start(int year, int month);

#endif
