/* timefmt: RFC 3339 timestamps as the Monzo API and monzoh write them, to and from
 * seconds + nanoseconds since the epoch.  No floating point anywhere. */
#ifndef MONZOHFS_TIMEFMT_H
#define MONZOHFS_TIMEFMT_H

#include <stdbool.h>
#include <stdint.h>

struct instant {
	int64_t sec;
	int32_t nsec;
};

/* Accepts YYYY-MM-DDTHH:MM:SS, 0 to 9 fraction digits, then Z or +HH:MM/-HH:MM. */
bool timefmt_parse(const char *s, struct instant *out);
int timefmt_cmp(struct instant a, struct instant b);
struct instant timefmt_now(void);

/* "2024-06-01T12:20:18Z" */
void timefmt_utc_z(int64_t sec, char out[32]);
/* "2024-06-01T12:20:18.503000+00:00": monzoh's expires_at form, always six digits. */
void timefmt_utc_micro(struct instant t, char out[40]);

#endif
