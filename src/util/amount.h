/* amount: money as the API sends it (integer minor units), read and summed with
 * checks.  An amount beyond ±AMOUNT_LIMIT is not money but bad input: a page holding
 * one is refused as a page of invalid JSON is. */
#ifndef MONZOHFS_AMOUNT_H
#define MONZOHFS_AMOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "jsonspan.h"

/* 10^15 minor units: ten trillion pounds, and exact as a double. */
#define AMOUNT_LIMIT INT64_C(1000000000000000)
/* ASCII: messages go through termtext, which escapes anything else. */
#define AMOUNT_LIMIT_TEXT "+/-10^15 minor units"

enum amount_read {
	AMOUNT_NONE = 0,   /* not a number: reads as 0 */
	AMOUNT_OK = 1,     /* a number within the limit (a fraction dropped, as a cast does) */
	AMOUNT_BEYOND = -1 /* a number beyond it */
};

bool amount_within(int64_t v);
/* The JSON value v (as jsonspan found it) as an amount in *out (0 unless AMOUNT_OK). */
enum amount_read amount_of_span(struct jsonspan v, int64_t *out);
/* The same of a cJSON item (NULL reads as AMOUNT_NONE). */
enum amount_read amount_of_json(const cJSON *item, int64_t *out);
/* Whether every number among the members of the JSON object obj is within the limit
 * (a transaction's categories: category to amount); true for anything else. */
bool amount_members_within(struct jsonspan obj);
/* *sum += v, or false (and *sum unchanged) when the result does not fit. */
bool amount_add(int64_t *sum, int64_t v);
/* *out = a - b, or false when it does not fit. */
bool amount_sub(int64_t a, int64_t b, int64_t *out);

#endif
