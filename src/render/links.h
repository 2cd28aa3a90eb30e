/* links: the friendly names of open accounts (current, joint, business, business-2…),
 * used for the links under accounts/ and for account names in journals. */
#ifndef MONZOHFS_LINKS_H
#define MONZOHFS_LINKS_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Fills names[i] for the i-th account of an /accounts reply, "" for none. */
void links_names(const cJSON *accounts_reply, char (*names)[32], size_t n);

#endif
