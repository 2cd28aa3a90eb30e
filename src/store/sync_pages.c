/* sync_pages: ids and created times are read with jsonspan, without building trees:
 * the store parses each transaction once, later, when it writes it. */
#include "sync_pages.h"

#include <stdlib.h>
#include <string.h>

#include "jsonspan.h"
#include "timefmt.h"

void sync_seen_init(struct sync_seen *s)
{
	memset(s, 0, sizeof *s);
	sb_init(&s->ids);
}

void sync_seen_release(struct sync_seen *s)
{
	sb_release(&s->ids);
	free(s->at);
	memset(s, 0, sizeof *s);
}

static int sync_seen_add(struct sync_seen *s, const char *id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		size_t *at = realloc(s->at, cap * sizeof *at);
		if (!at)
			return -1;
		s->at = at;
		s->cap = cap;
	}
	s->at[s->n++] = s->ids.len;
	sb_add(&s->ids, id, strlen(id) + 1);
	return 0;
}

static int sync_seen_cmp(const void *a, const void *b, void *base)
{
	return strcmp((const char *)base + *(const size_t *)a, (const char *)base + *(const size_t *)b);
}

void sync_seen_sort(struct sync_seen *s)
{
	if (s->n)
		qsort_r(s->at, s->n, sizeof *s->at, sync_seen_cmp, s->ids.buf);
}

bool sync_seen_has(const struct sync_seen *s, const char *id)
{
	size_t lo = 0, hi = s->n;
	const char *base = s->ids.buf;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(base + s->at[mid], id);
		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int sync_page_scan(const char *body, size_t len, struct sync_seen *seen, struct sync_page_info *info)
{
	struct jsonspan *spans;
	long n = jsonspan_array(body, len, "transactions", JSONSPAN_TRUST, &spans);
	info->count = n;
	info->last_id[0] = '\0';
	info->first_created = info->last_created = INT64_MIN;
	for (long i = 0; i < n; i++) {
		char id[sizeof info->last_id], created[64];
		struct instant t;
		if (jsonspan_string(spans[i].p, spans[i].len, "id", id, sizeof id) < 0 ||
		    jsonspan_string(spans[i].p, spans[i].len, "created", created, sizeof created) < 0 ||
		    !timefmt_parse(created, &t) || (seen && sync_seen_add(seen, id) < 0)) {
			n = -1;
			break;
		}
		if (i == 0)
			info->first_created = t.sec;
		if (i == n - 1) {
			memcpy(info->last_id, id, sizeof id);
			info->last_created = t.sec;
		}
	}
	free(spans);
	return n < 0 ? -1 : 0;
}

int sync_spool_put(FILE *f, const char *body, size_t len)
{
	uint64_t n = len;
	return fwrite(&n, sizeof n, 1, f) == 1 && fwrite(body, 1, len, f) == len ? 0 : -1;
}

int sync_spool_get(FILE *f, struct strbuf *body)
{
	uint64_t len;
	sb_reset(body);
	if (fread(&len, sizeof len, 1, f) != 1)
		return 0;
	sb_grow(body, (size_t)len);
	if (fread(body->buf, 1, (size_t)len, f) != len)
		return -1;
	body->len = (size_t)len;
	body->buf[len] = '\0';
	return 1;
}
