/* render_status: builds the document with cJSON and prints it with render_json.  The
 * problems are worked out from the same facts as the detail below them, so the two
 * never disagree: a login that cannot serve, an API that cannot be reached, each part
 * that fails (with the files it fails), history that was not captured. */
#include "render_status.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "render_json.h"

static void render_status_time(cJSON *obj, const char *key, struct instant t)
{
	char buf[32];
	timefmt_utc_z(t.sec, buf);
	cJSON_AddStringToObject(obj, key, buf);
}

static cJSON *render_status_error(const struct status_resource *r)
{
	cJSON *e = cJSON_CreateObject();
	render_status_time(e, "at", r->error_at);
	if (r->err.http_status)
		cJSON_AddNumberToObject(e, "http_status", (double)r->err.http_status);
	else
		cJSON_AddNullToObject(e, "http_status");
	if (r->err.code[0])
		cJSON_AddStringToObject(e, "code", r->err.code);
	else
		cJSON_AddNullToObject(e, "code");
	cJSON_AddStringToObject(e, "message", r->err.message);
	return e;
}

/* "current (acc_…)", "pot Holiday (acc_…)" or the id alone. */
static void render_status_who(const char *label, const char *account, bool pot, struct strbuf *out)
{
	if (*label)
		sb_addf(out, "%s%s (%s)", pot ? "pot " : "", label, account);
	else
		sb_addf(out, "%s%s", pot ? "the pot account " : "", account);
}

/* What a user would call the resource, and the files that fail without it. */
static const char *render_status_what(const char *name, const char **files)
{
	static const struct {
		const char *prefix, *what, *files;
	} kinds[] = {
		{ "balance/", "its balance", "balance.json (the CSVs' Balance column stays empty)" },
		{ "pots/", "its pots", "pots.json, and its pots/ directory lists nothing" },
		{ "transactions/", "its transactions", "its transaction files" },
		{ "pot_transactions/", "its ledger", "nothing: the pot shows pot.json alone" },
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strncmp(name, kinds[i].prefix, strlen(kinds[i].prefix))) {
			*files = kinds[i].files;
			return kinds[i].what;
		}
	*files = "every file";
	return !strcmp(name, "accounts") ? "the account list" : "who the login belongs to";
}

static void render_status_part_problem(const struct status_resource *r, cJSON *problems)
{
	struct strbuf p = STRBUF_INIT, why = STRBUF_INIT;
	const char *files;
	const char *what = render_status_what(r->name, &files);
	if (r->account[0]) {
		render_status_who(r->label, r->account, !strncmp(r->name, "pot_", 4), &p);
		sb_adds(&p, ": ");
	}
	monzo_error_describe(&r->err, &why);
	if (r->have) {
		char at[32];
		timefmt_utc_z(r->fetched_at.sec, at);
		sb_addf(&p, "%s could not be fetched again (%s): serving the copy fetched at %s", what, sb_str(&why), at);
	} else if (r->refused) {
		sb_addf(&p, "the bank refuses %s (%s): %s fails; asked again after its TTL", what, sb_str(&why), files);
	} else {
		sb_addf(&p, "%s cannot be had (%s): %s fails", what, sb_str(&why), files);
	}
	cJSON_AddItemToArray(problems, cJSON_CreateString(sb_str(&p)));
	sb_release(&p);
	sb_release(&why);
}

/* The login's state in a word, and the sentence that says what to do. */
static const char *render_status_login(const struct status_info *s, bool unreachable, struct strbuf *fix)
{
	struct strbuf why = STRBUF_INIT;
	monzo_error_describe(&s->login_why, &why);
	const char *state = "ok";
	switch (s->login_state) {
	case AUTH_REFUSED:
		state = "refused";
		/* A client Monzo rejects is fixed in the settings: no new login would help. */
		if (auth_client_rejected(&s->login_why))
			sb_addf(fix, "Monzo rejected the client (%s): check MONZO_CLIENT_ID and MONZO_CLIENT_SECRET "
				     "(~/.config/monzohfs/config or the environment)", sb_str(&why));
		else
			sb_addf(fix, "the login was refused by Monzo (%s): run monzohfs-login", sb_str(&why));
		break;
	case AUTH_CANNOT_REFRESH:
		state = "cannot_refresh";
		sb_addf(fix, "the login expired and cannot be refreshed here (%s): put MONZO_CLIENT_ID and "
			     "MONZO_CLIENT_SECRET in ~/.config/monzohfs/config, or run monzohfs-login", sb_str(&why));
		break;
	case AUTH_OK:
		if (unreachable) {
			state = "unreachable";
			sb_adds(fix, "the Monzo API cannot be reached: serving what the history store holds");
		}
		break;
	}
	sb_release(&why);
	return state;
}

static bool render_status_before(struct instant a, struct instant b)
{
	return a.sec < b.sec || (a.sec == b.sec && a.nsec < b.nsec);
}

/* The API unreachable: at mount with nothing fetched since, or the latest outcome of
 * all a transport failure. */
static bool render_status_unreachable(const struct status_info *s)
{
	const struct status_resource *latest = NULL;
	struct instant latest_at = { 0, 0 };
	for (size_t i = 0; i < s->nres; i++) {
		const struct status_resource *r = &s->res[i];
		struct instant at = r->failed ? r->error_at : r->fetched_at;
		if ((r->failed || r->have) && !render_status_before(at, latest_at)) {
			latest = r;
			latest_at = at;
		}
	}
	if (!latest)
		return s->api_unreachable_at_mount;
	return latest->failed && !latest->err.http_status && !latest->err.login;
}

static void render_status_problems(const struct status_info *s, cJSON *root, const char *fix)
{
	cJSON *problems = cJSON_CreateArray();
	if (*fix)
		cJSON_AddItemToArray(problems, cJSON_CreateString(fix));
	for (size_t i = 0; i < s->nres; i++)
		if (s->res[i].failed && !s->res[i].err.login && (s->res[i].err.http_status || *fix == '\0'))
			render_status_part_problem(&s->res[i], problems);
	for (size_t i = 0; i < s->nhist; i++) {
		const struct status_history *h = &s->hist[i];
		if (h->complete)
			continue;
		struct strbuf p = STRBUF_INIT;
		char from[32];
		timefmt_utc_z(h->starts, from);
		render_status_who(h->label, h->account, false, &p);
		sb_addf(&p, ": history before %.10s was not captured: run monzohfs-login and approve in the app "
			    "within 5 minutes", from);
		cJSON_AddItemToArray(problems, cJSON_CreateString(sb_str(&p)));
		sb_release(&p);
	}
	cJSON_AddBoolToObject(root, "ok", cJSON_GetArraySize(problems) == 0);
	cJSON_AddItemToObject(root, "problems", problems);
}

static void render_status_syncing(const struct status_info *s, cJSON *root)
{
	cJSON *syncing = cJSON_AddArrayToObject(root, "syncing");
	for (size_t i = 0; i < s->nres; i++) {
		const struct status_resource *r = &s->res[i];
		if (!r->syncing)
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "account", r->label[0] ? r->label : r->account);
		cJSON_AddStringToObject(o, "id", r->account);
		cJSON_AddNumberToObject(o, "transactions", (double)r->synced);
		if (r->sync_windows) {
			cJSON_AddNumberToObject(o, "windows", r->sync_windows);
			cJSON_AddNumberToObject(o, "windows_done", r->sync_windows_done);
		}
		render_status_time(o, "since", r->sync_since);
		cJSON_AddItemToArray(syncing, o);
	}
}

void render_status(const struct status_info *s, struct strbuf *out)
{
	cJSON *root = cJSON_CreateObject();
	bool unreachable = render_status_unreachable(s);
	struct strbuf fix = STRBUF_INIT;
	const char *state = render_status_login(s, unreachable, &fix);
	render_status_problems(s, root, sb_str(&fix));
	cJSON_AddStringToObject(root, "api", s->api);
	cJSON_AddBoolToObject(root, "offline", s->offline);
	render_status_time(root, "mounted_at", s->mounted_at);
	if (s->api_unreachable_at_mount)
		cJSON_AddStringToObject(root, "mount_warning",
					"the API could not be reached at mount time; serving what is stored");

	cJSON *login = cJSON_AddObjectToObject(root, "login");
	cJSON_AddStringToObject(login, "tokens_file", s->tokens_path);
	render_status_time(login, "access_token_expires_at", s->token_expires_at);
	cJSON_AddStringToObject(login, "state", state);
	if (s->login_state != AUTH_OK) {
		bool relogin = s->login_state == AUTH_REFUSED && !auth_client_rejected(&s->login_why);
		cJSON_AddStringToObject(login, "fix", relogin ? "run monzohfs-login" : sb_str(&fix));
	}
	render_status_syncing(s, root);

	cJSON *res = cJSON_AddObjectToObject(root, "resources");
	for (size_t i = 0; i < s->nres; i++) {
		const struct status_resource *r = &s->res[i];
		cJSON *o = cJSON_AddObjectToObject(res, r->name);
		if (r->label[0])
			cJSON_AddStringToObject(o, "name", r->label);
		if (r->have) {
			render_status_time(o, "fetched_at", r->fetched_at);
			render_status_time(o, "changed_at", r->changed_at);
		} else {
			cJSON_AddNullToObject(o, "fetched_at");
			cJSON_AddNullToObject(o, "changed_at");
		}
		/* A failure newer than the copy held means the copy is being served stale. */
		cJSON_AddBoolToObject(o, "stale", r->have && r->failed);
		cJSON_AddBoolToObject(o, "refused", r->failed && r->refused);
		if (r->failed)
			cJSON_AddItemToObject(o, "last_error", render_status_error(r));
		else
			cJSON_AddNullToObject(o, "last_error");
	}
	cJSON *hist = cJSON_AddObjectToObject(root, "history");
	for (size_t i = 0; i < s->nhist; i++) {
		const struct status_history *h = &s->hist[i];
		cJSON *o = cJSON_AddObjectToObject(hist, h->account);
		if (h->label[0])
			cJSON_AddStringToObject(o, "name", h->label);
		cJSON_AddBoolToObject(o, "complete", h->complete);
		if (h->complete)
			cJSON_AddNullToObject(o, "known_from");
		else
			render_status_time(o, "known_from", (struct instant){ h->starts, 0 });
		render_status_time(o, "last_sync", (struct instant){ h->last_sync, 0 });
		if (h->gap_to > h->gap_from) {
			cJSON *gap = cJSON_AddObjectToObject(o, "gap");
			render_status_time(gap, "from", (struct instant){ h->gap_from, 0 });
			render_status_time(gap, "to", (struct instant){ h->gap_to, 0 });
		}
	}
	render_json_document(root, out);
	cJSON_Delete(root);
	sb_release(&fix);
}
