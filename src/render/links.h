/* links: the friendly names of open accounts (current, joint, business, business-2…),
 * used for the links under accounts/ and for account names in journals, and of pots
 * (their names made safe as file names), for the links under pots/. */
#ifndef MONZOHFS_LINKS_H
#define MONZOHFS_LINKS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define LINKS_NAME_MAX 96

/* Fills names[i] for the i-th account of an /accounts reply, "" for none; never an
 * account id of the reply. */
void links_names(const cJSON *accounts_reply, char (*names)[LINKS_NAME_MAX], size_t n);
/* Fills names[i] for the i-th pot of a /pots reply (deleted ones included): its name
 * without '/', control characters (C0 and C1), bidirectional marks, embeddings,
 * overrides and isolates, or a leading '.'; "-2", "-3"… after a name already given
 * (live pots first, so they keep the plain name) or one that is a pot's id; "" for none. */
void links_pot_names(const cJSON *pots_reply, char (*names)[LINKS_NAME_MAX], size_t n);

#endif
