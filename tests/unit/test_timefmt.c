/* Unit tests of timefmt: every fraction width the API sends, offsets, and the exact
 * forms we write. */
#include "check.h"
#include "timefmt.h"

int main(void)
{
	struct instant t;
	CHECK(timefmt_parse("2022-08-30T06:00:00Z", &t) && t.sec == 1661839200 && t.nsec == 0);
	CHECK(timefmt_parse("2022-08-31T08:42:02.15Z", &t) && t.nsec == 150000000);
	CHECK(timefmt_parse("2018-05-02T05:30:49.8Z", &t) && t.nsec == 800000000);
	CHECK(timefmt_parse("2022-08-30T19:49:05.817Z", &t) && t.nsec == 817000000);
	CHECK(timefmt_parse("2025-09-27T20:15:42.123456+00:00", &t) && t.nsec == 123456000);
	CHECK(timefmt_parse("2025-09-27T20:15:42.123456789Z", &t) && t.nsec == 123456789);
	CHECK(timefmt_parse("2025-09-27T21:15:42+01:00", &t) && t.sec == 1759004142);
	CHECK(timefmt_parse("1969-12-31T23:59:59Z", &t) && t.sec == -1);
	CHECK(!timefmt_parse("2025-09-27T20:15:42", &t));
	CHECK(!timefmt_parse("2025-09-27 20:15:42Z", &t));
	CHECK(!timefmt_parse("2025-13-27T20:15:42Z", &t));
	CHECK(!timefmt_parse("2025-09-27T20:15:42.Z", &t));
	CHECK(!timefmt_parse("2025-09-27T20:15:42Zjunk", &t));
	CHECK(!timefmt_parse("", &t));

	char buf[40];
	timefmt_utc_micro((struct instant){ 1759004142, 123456789 }, buf);
	CHECK_STR(buf, "2025-09-27T20:15:42.123456+00:00");
	timefmt_utc_micro((struct instant){ 1759004142, 0 }, buf);
	CHECK_STR(buf, "2025-09-27T20:15:42.000000+00:00");
	timefmt_utc_z(1759004142, buf);
	CHECK_STR(buf, "2025-09-27T20:15:42Z");
	CHECK(timefmt_cmp((struct instant){ 1, 2 }, (struct instant){ 1, 3 }) < 0);
	CHECK(timefmt_cmp((struct instant){ 2, 0 }, (struct instant){ 1, 999 }) > 0);
	return CHECK_DONE();
}
