/* money: amounts in integer minor units shown as decimals in major units, with the
 * currency's ISO 4217 exponent (GBP 2, JPY 0, KWD 3).  Never floating point. */
#ifndef MONZOHFS_MONEY_H
#define MONZOHFS_MONEY_H

#include <stdint.h>

#include "strbuf.h"

int money_exponent(const char *currency);
/* -510 GBP → "-5.10"; 1200 JPY → "1200"; -1234 KWD → "-1.234". */
void money_format(int64_t minor, const char *currency, struct strbuf *out);

#endif
