/* cache_origin: where each version of a file came from and when it was fetched, for
 * its extended attributes.  Answered from what the cache holds, under its lock only:
 * the kernel asks often, and an idle mount must cost nothing. */
#include "cache_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void cache_origin_init(struct file_origin *o, enum res_kind kind, const char *account, bool every_account)
{
	memset(o, 0, sizeof *o);
	o->known = true;
	o->every_account = every_account;
	o->kind = kind;
	snprintf(o->account, sizeof o->account, "%s", account && !every_account ? account : "");
}

void cache_origin_add(struct cache *c, struct file_origin *o, const char *account, const struct res_value *v)
{
	o->gen += v->gen;
	/* A fetch since the render that gave other bytes tells nothing of these: then the
	 * first fetch that gave them is what is known. */
	const struct res_entry *e = cache_res_find(c, o->kind, account);
	struct instant at = e && e->value == v ? e->fetched_at : v->changed_at;
	if (timefmt_cmp(at, o->fetched_at) > 0)
		o->fetched_at = at;
}

/* Under c->lock: f's bytes are (again) the answer, made from what o describes. */
void cache_origin_keep(struct file_entry *f, const struct file_origin *o)
{
	if (!o->known)
		return;
	f->origin = *o;
	if (f->snap)
		f->snap->fetched_at = o->fetched_at;
}

/* Under c->lock: o's resources as they are now. */
static void cache_origin_now(struct cache *c, const struct file_origin *o, struct file_origin *now)
{
	cache_origin_init(now, o->kind, o->account, o->every_account);
	for (struct res_entry *e = c->res; e; e = e->next)
		if (e->value && e->kind == o->kind && (o->every_account || !strcmp(e->account, o->account)))
			cache_origin_add(c, now, e->account, e->value);
}

static void cache_origin_source(const struct file_origin *o, char *out, size_t size)
{
	struct strbuf path = STRBUF_INIT;
	if (o->every_account)
		sb_adds(&path, "/transactions");
	else
		cache_res_path(o->kind, o->account[0] ? o->account : NULL, &path);
	snprintf(out, size, "%s", sb_str(&path));
	sb_release(&path);
}

static bool cache_origin_is_current(const struct file_entry *f, const struct snapshot *version)
{
	return f->valid && f->digest == version->digest && f->meta.size == version->size &&
	       !timefmt_cmp(f->meta.mtime, version->mtime);
}

void cache_origin_describe(struct cache *c, const struct file_entry *f, const struct snapshot *version,
			   struct cache_origin *out)
{
	struct file_origin o = f->origin, now;
	/* The current version, while what it was made from has not changed since, was
	 * fetched when that last was (for whichever file); an older version, or one whose
	 * resource moved on before the file was asked for again, when it was last given. */
	if (!cache_origin_is_current(f, version)) {
		o.fetched_at = version->fetched_at;
	} else {
		cache_origin_now(c, &o, &now);
		if (now.gen == o.gen)
			o.fetched_at = now.fetched_at;
	}
	out->fetched_at = o.fetched_at;
	cache_origin_source(&o, out->source, sizeof out->source);
}
