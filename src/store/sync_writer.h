/* sync_writer: the thread that commits a capture's pages in batches, each batch with
 * its windows as they stand after it (a window's stored cursor is never ahead of its
 * stored rows), so the capture's requests never wait on SQLite and SQLite never waits
 * on the network. */
#ifndef MONZOHFS_SYNC_WRITER_H
#define MONZOHFS_SYNC_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "store_windows.h"
#include "sync_fetchers.h"

struct sync_writer;

/* Writes into st (no other thread may use it until sync_writer_finish) the rows of
 * account seen by the pass sync_no; first: the account had none stored. */
struct sync_writer *sync_writer_new(struct store *st, const char *account, int64_t sync_no, bool first);
/* Hands a batch over (the writer owns and frees the fetches and the window rows, even
 * on failure).  Returns 0; 1 without taking it when the previous batch is still being
 * written and !wait; -1 once a batch has failed. */
int sync_writer_give(struct sync_writer *w, struct sync_fetch *batch, struct store_window *wins, size_t n,
		     bool wait);
/* Why a batch failed (once sync_writer_give has returned -1). */
const char *sync_writer_error(struct sync_writer *w);
/* Waits for every batch given and stops the thread.  0 with the transactions stored as
 * new or changed and the latest created or updated time among them, or -1 with why. */
int sync_writer_finish(struct sync_writer *w, int64_t *changed, int64_t *newest, char *why, size_t cap);
void sync_writer_free(struct sync_writer *w);

#endif
