/* store_internal: what the store's other files (store_attach.c) share with store.c.
 * Nothing outside src/store includes it. */
#ifndef MONZOHFS_STORE_INTERNAL_H
#define MONZOHFS_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store.h"

/* The connection's database handle. */
sqlite3 *store_sqlite(struct store *s);
/* Defines the SQL functions store_attach.c's queries use, once per connection
 * (defining one again would make SQLite prepare every kept statement again). */
int store_attach_functions(sqlite3 *db);
/* Column i of the row q is on as text, "" for NULL. */
const char *store_col(sqlite3_stmt *q, int i);

#endif
