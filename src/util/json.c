/* json: reading fields of API objects.  The API leaves members out or sends null or
 * "" for the same absence; callers say once what absence should read as. */
#include "json.h"

const char *json_str(const cJSON *obj, const char *key, const char *fallback)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : fallback;
}
