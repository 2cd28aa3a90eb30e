/* sync_pages: ids and created times are read with jsonspan, without building trees:
 * the store parses each transaction once, later, when it writes it. */
#include "sync_pages.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "amount.h"
#include "jsonspan.h"
#include "timefmt.h"
#include "xalloc.h"

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
		s->cap = s->cap ? s->cap * 2 : 256;
		s->at = xreallocarray(s->at, s->cap, sizeof *s->at);
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

/* One member of a transaction: 1 when it is an amount the store or a file reads
 * (amount, local_amount, each of categories) and it is beyond the limit. */
static int sync_amount_member(void *ctx, const char *key, size_t klen, struct jsonspan v)
{
	int64_t n;
	if ((klen == 6 && !memcmp(key, "amount", 6)) || (klen == 12 && !memcmp(key, "local_amount", 12)))
		return amount_of_span(v, &n) == AMOUNT_BEYOND;
	if (klen == 10 && !memcmp(key, "categories", 10))
		return !amount_members_within(v);
	return 0;
}

int sync_page_scan(const char *body, size_t len, struct sync_seen *seen, struct sync_page_info *info,
		   struct jsonspan **out)
{
	struct jsonspan *spans;
	long n = jsonspan_array(body, len, "transactions", JSONSPAN_TRUST, &spans);
	*out = NULL;
	info->count = n;
	info->last_id[0] = '\0';
	info->first_created = info->last_created = INT64_MIN;
	int rc = 0;
	for (long i = 0; i < n; i++) {
		char id[sizeof info->last_id], created[64];
		struct instant t;
		if (jsonspan_string(spans[i].p, spans[i].len, "id", id, sizeof id) < 0 ||
		    jsonspan_string(spans[i].p, spans[i].len, "created", created, sizeof created) < 0 ||
		    !timefmt_parse(created, &t) || (seen && sync_seen_add(seen, id) < 0)) {
			rc = -EBADMSG;
			break;
		}
		if (jsonspan_each_member(spans[i].p, spans[i].len, JSONSPAN_TRUST, sync_amount_member, NULL) == 1) {
			rc = -ERANGE;
			break;
		}
		if (i == 0)
			info->first_created = t.sec;
		if (i == n - 1) {
			memcpy(info->last_id, id, sizeof id);
			info->last_created = t.sec;
		}
	}
	if (n < 0 || rc < 0) {
		free(spans);
		return n < 0 ? -EBADMSG : rc;
	}
	*out = spans;
	return 0;
}

/* Each page: its length, its body, its item count, and each item's offset and length
 * (all as uint64_t). */
int sync_spool_put(FILE *f, const char *body, size_t len, const struct jsonspan *spans, long n)
{
	uint64_t head[2] = { len, (uint64_t)n };
	if (fwrite(&head[0], sizeof head[0], 1, f) != 1 || fwrite(body, 1, len, f) != len ||
	    fwrite(&head[1], sizeof head[1], 1, f) != 1)
		return -EIO;
	for (long i = 0; i < n; i++) {
		uint64_t at[2] = { (uint64_t)(spans[i].p - body), spans[i].len };
		if (fwrite(at, sizeof at, 1, f) != 1)
			return -EIO;
	}
	return 0;
}

int sync_spool_get(FILE *f, struct strbuf *body, struct jsonspan **spans, long *n)
{
	uint64_t len, count;
	*spans = NULL;
	*n = 0;
	sb_reset(body);
	size_t got = fread(&len, 1, sizeof len, f);
	if (got == 0 && !ferror(f))
		return 0;
	if (got != sizeof len)
		return -EIO;
	if (len > SIZE_MAX / 2)
		return -EIO;
	sb_grow(body, (size_t)len);
	if (fread(body->buf, 1, (size_t)len, f) != len || fread(&count, sizeof count, 1, f) != 1 ||
	    count > len)
		return -EIO;
	body->len = (size_t)len;
	body->buf[len] = '\0';
	struct jsonspan *s = count ? xcalloc((size_t)count, sizeof *s) : NULL;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t at[2];
		if (fread(at, sizeof at, 1, f) != 1 || at[0] > len || at[1] > len - at[0]) {
			free(s);
			return -EIO;
		}
		s[i] = (struct jsonspan){ body->buf + at[0], (size_t)at[1] };
	}
	*spans = s;
	*n = (long)count;
	return 1;
}
