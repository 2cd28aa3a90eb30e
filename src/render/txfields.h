/* txfields: the derived, human fields of a transaction shared by every export format:
 * the Type word, the display Name and the display Category. */
#ifndef MONZOHFS_TXFIELDS_H
#define MONZOHFS_TXFIELDS_H

#include <cjson/cJSON.h>

#include "store.h"
#include "strbuf.h"

/* "Card payment", "Faster payment", "Direct Debit", …, else the scheme as sent. */
const char *txfields_type(const struct tx_row *r);
/* Merchant name, counterparty name, preferred name, the pot's name for a pot transfer
 * (pots_reply: the /pots reply, deleted pots included; may be NULL), description. */
/* The name of the pot pot_id in a pots reply (deleted ones included), or "". */
const char *txfields_pot_name(const cJSON *pots_reply, const char *pot_id);
void txfields_name(const struct tx_row *r, const cJSON *pots_reply, struct strbuf *out);
/* A one-line memo: the description, then the notes, then (with foreign) the amount in
 * the currency spent when it is not the account's, joined by "; ". */
void txfields_memo(const struct tx_row *r, bool foreign, struct strbuf *out);
/* eating_out → "Eating out"; anything not snake_case is shown as sent. */
void txfields_category(const char *category, struct strbuf *out);

#endif
