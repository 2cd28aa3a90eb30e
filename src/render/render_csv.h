/* render_csv: rows in the Monzo app's 20-column export layout, RFC 4180 quoted, LF
 * line ends, UTF-8 without BOM, text cells guarded against spreadsheet formulas. */
#ifndef MONZOHFS_RENDER_CSV_H
#define MONZOHFS_RENDER_CSV_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "store.h"
#include "strbuf.h"

void render_csv_header(struct strbuf *out);
/* One row.  balance_after: the running balance after this row, shown when have_balance. */
void render_csv_row(const struct tx_row *r, const cJSON *pots_reply, bool have_balance, int64_t balance_after,
		    struct strbuf *out);
/* A field, quoted when it holds , " CR or LF. */
void render_csv_field(const char *s, struct strbuf *out);
/* A text cell (Type, Name, Notes…): a field, with a leading ' when csvcell_is_formula. */
void render_csv_text(const char *s, struct strbuf *out);

#endif
