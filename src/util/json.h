/* json: reading fields of API objects parsed with cJSON, the same way everywhere. */
#ifndef MONZOHFS_JSON_H
#define MONZOHFS_JSON_H

#include <cjson/cJSON.h>

/* obj's string member key when it is there and not empty; otherwise fallback. */
const char *json_str(const cJSON *obj, const char *key, const char *fallback);

#endif
