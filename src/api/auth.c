/* auth: refresh tokens are single-use, so two refreshes with the same one lose the
 * login.  Inside the process a flag and condition variable let one thread refresh
 * while the rest wait; across processes an exclusive flock on tokens.json.lock is
 * held from re-reading the file to saving the new pair. */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "dirs.h"
#include "http.h"
#include "log.h"
#include "json.h"
#include "xalloc.h"

int auth_protect_process(void)
{
	/* A core file, or another process of the user reading our memory, would see the
	 * tokens and the client secret. */
	struct rlimit none = { 0, 0 };
	int rc = setrlimit(RLIMIT_CORE, &none);
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ? -1 : rc;
}

static char *auth_dup(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

int auth_init(struct auth *a, const char *tokens_path, const struct tokens *t, const char *base_url,
	      const char *client_id, const char *client_secret)
{
	memset(a, 0, sizeof *a);
	a->tokens_path = xstrdup(tokens_path);
	if (asprintf(&a->lock_path, "%s.lock", tokens_path) < 0)
		a->lock_path = NULL;
	a->token_url = http_url_join(base_url, "/oauth2/token");
	a->client_id = auth_dup(client_id);
	a->client_secret = auth_dup(client_secret);
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->done, NULL);
	if (t)
		tokens_copy(&a->tokens, t);
	stat(tokens_path, &a->file_st);
	return 0;
}

static void auth_wipe(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
}

void auth_destroy(struct auth *a)
{
	free(a->missing_help);
	free(a->client_help);
	tokens_free(&a->tokens);
	auth_wipe(a->client_secret);
	free(a->client_secret);
	free(a->client_id);
	free(a->token_url);
	free(a->lock_path);
	free(a->tokens_path);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->done);
}

void auth_set_client_help(struct auth *a, const char *missing, const char *client)
{
	free(a->missing_help);
	free(a->client_help);
	a->missing_help = auth_dup(missing);
	a->client_help = auth_dup(client);
}

bool auth_client_rejected(const struct monzo_error *e)
{
	/* Monzo's dotted code (unauthorized.bad_client), else the OAuth error. */
	return strstr(e->code, "bad_client") || !strcmp(e->code, "invalid_client");
}

/* Under a->lock: says, in one line, that nothing here can refresh the login and what
 * to do.  bank: the bank's refusal of the token (NULL: our clock says it expired);
 * expired: it can no longer be used, else it will not be renewed when it expires. */
static void auth_say_unrefreshable(struct auth *a, const struct monzo_error *bank, bool expired)
{
	bool no_client = !a->client_id || !a->client_secret;
	const char *fix = !no_client ? "it has no refresh token (Monzo gives one to confidential clients): log in "
				       "again: monzohfs-login"
		: a->missing_help ? a->missing_help
				  : "MONZO_CLIENT_ID and MONZO_CLIENT_SECRET are needed to refresh it";
	struct strbuf why = STRBUF_INIT;
	if (bank && bank->http_status) {
		/* The bank's status and code: the message beside them is our own. */
		struct monzo_error shown = *bank;
		shown.message[0] = '\0';
		monzo_error_describe(&shown, &why);
	}
	if (expired && why.len)
		log_error("Monzo refused the login in %s (%s) and it cannot be refreshed: %s", a->tokens_path,
			  sb_str(&why), fix);
	else if (expired)
		log_error("the login in %s has expired and cannot be refreshed: %s", a->tokens_path, fix);
	else {
		char when[32];
		timefmt_utc_z(a->tokens.expires_at.sec, when);
		log_warn("the login in %s cannot be refreshed when it expires at %s: %s", a->tokens_path, when, fix);
	}
	sb_release(&why);
}

/* Under a->lock: says, in one line, why Monzo refused to refresh the login and what
 * fixes it: the client's settings when it refused the client, else a new login. */
static void auth_say_refused(struct auth *a, const struct monzo_error *err)
{
	struct strbuf why = STRBUF_INIT;
	monzo_error_describe(err, &why);
	if (auth_client_rejected(err))
		log_error("Monzo rejected the client (%s): check %s", sb_str(&why),
			  a->client_help ? a->client_help : "MONZO_CLIENT_ID and MONZO_CLIENT_SECRET");
	else
		log_error("Monzo refused to refresh the login in %s (%s): log in again: monzohfs-login", a->tokens_path,
			  sb_str(&why));
	sb_release(&why);
}

void auth_warn_unrefreshable(struct auth *a)
{
	pthread_mutex_lock(&a->lock);
	bool can = a->client_id && a->client_secret && a->tokens.refresh_token;
	if (!can && !a->warned && !a->refused && a->tokens.access_token &&
	    a->tokens.expires_at.sec > timefmt_now().sec) {
		auth_say_unrefreshable(a, NULL, false);
		a->warned = true;
	}
	pthread_mutex_unlock(&a->lock);
}

void auth_info(struct auth *a, struct instant *expires_at, enum auth_state *state, struct monzo_error *why)
{
	pthread_mutex_lock(&a->lock);
	*expires_at = a->tokens.expires_at;
	*state = !a->refused ? AUTH_OK : a->cannot_refresh ? AUTH_CANNOT_REFRESH : AUTH_REFUSED;
	if (why)
		*why = a->refused ? a->refused_err : (struct monzo_error){ 0 };
	pthread_mutex_unlock(&a->lock);
}

/* Under a->lock: take new tokens as current. */
static void auth_adopt(struct auth *a, struct tokens *t)
{
	tokens_free(&a->tokens);
	a->tokens = *t;
	memset(t, 0, sizeof *t);
	a->gen++;
	a->refused = false;
	a->cannot_refresh = false;
	stat(a->tokens_path, &a->file_st);
}

static bool auth_same_file(const struct stat *x, const struct stat *y)
{
	return x->st_ino == y->st_ino && x->st_dev == y->st_dev && x->st_size == y->st_size &&
	       x->st_mtim.tv_sec == y->st_mtim.tv_sec && x->st_mtim.tv_nsec == y->st_mtim.tv_nsec;
}

/* Under a->lock: adopts tokens.json when someone else (a login, monzoh, another
 * mount) has written a different token into it that expires no sooner than ours, or
 * ours was refused.  An older one (a backup put back, a stale copy) is left alone:
 * its refresh token has most likely been spent. */
static void auth_check_file(struct auth *a)
{
	struct stat st;
	if (stat(a->tokens_path, &st) != 0 || auth_same_file(&st, &a->file_st))
		return;
	struct tokens t;
	struct strbuf err = STRBUF_INIT;
	int missing;
	if (tokens_load(a->tokens_path, &t, &missing, &err) == 0) {
		bool differs = !a->tokens.access_token || strcmp(t.access_token, a->tokens.access_token);
		if (differs && (a->refused || !a->tokens.access_token ||
				timefmt_cmp(t.expires_at, a->tokens.expires_at) >= 0)) {
			log_info("%s changed: using the login it holds", a->tokens_path);
			auth_adopt(a, &t);
		} else {
			if (differs)
				log_warn("%s holds an older login than this mount's: ignored", a->tokens_path);
			a->file_st = st;
			tokens_free(&t);
		}
	}
	sb_release(&err);
}

char *auth_code_form(const char *client_id, const char *client_secret, const char *redirect_uri, const char *code)
{
	char *id = http_escape(client_id), *sec = http_escape(client_secret), *uri = http_escape(redirect_uri);
	char *c = http_escape(code), *out;
	if (asprintf(&out, "grant_type=authorization_code&client_id=%s&client_secret=%s&redirect_uri=%s&code=%s", id,
		     sec, uri, c) < 0)
		out = NULL;
	auth_wipe(sec);
	auth_wipe(c);
	free(id);
	free(sec);
	free(uri);
	free(c);
	return out;
}

static char *auth_refresh_form(const char *client_id, const char *client_secret, const char *refresh_token)
{
	char *id = http_escape(client_id), *sec = http_escape(client_secret), *rt = http_escape(refresh_token);
	char *out;
	if (asprintf(&out, "grant_type=refresh_token&client_id=%s&client_secret=%s&refresh_token=%s", id, sec, rt) < 0)
		out = NULL;
	auth_wipe(sec);
	auth_wipe(rt);
	free(id);
	free(sec);
	free(rt);
	return out;
}

int auth_token_request(const char *token_url, const char *form, struct tokens *out, struct monzo_error *err)
{
	struct http_response r;
	http_response_init(&r);
	memset(out, 0, sizeof *out);
	memset(err, 0, sizeof *err);
	struct http_request req = { .method = "POST", .url = token_url, .form = form };
	int rc = -1;
	if (!http_url_allows_bearer(token_url)) {
		snprintf(err->message, sizeof err->message,
			 "refusing to send credentials over plain http:// to a host that is not this machine");
	} else if (http_perform(&req, &r) < 0) {
		snprintf(err->message, sizeof err->message, "%s", r.error);
	} else if (r.status != 200) {
		monzo_error_parse(sb_str(&r.body), r.body.len, r.status, err);
	} else {
		cJSON *j = cJSON_ParseWithLength(sb_str(&r.body), r.body.len);
		const cJSON *exp = cJSON_GetObjectItemCaseSensitive(j, "expires_in");
		const char *access = json_str(j, "access_token", NULL);
		if (!access || !cJSON_IsNumber(exp)) {
			err->http_status = r.status;
			snprintf(err->message, sizeof err->message, "the token reply has no access_token or expires_in");
		} else if (!isfinite(exp->valuedouble) || exp->valuedouble < 0 ||
			   exp->valuedouble > AUTH_MAX_EXPIRES_IN) {
			/* Cast to an integer it would be undefined, and written it would not read back. */
			err->http_status = r.status;
			snprintf(err->message, sizeof err->message,
				 "the token reply's expires_in is not a number of seconds from 0 to ten years");
		} else {
			struct instant now = timefmt_now();
			out->access_token = xstrdup(access);
			out->refresh_token = auth_dup(json_str(j, "refresh_token", NULL));
			out->expires_at = (struct instant){ now.sec + (int64_t)exp->valuedouble, now.nsec };
			out->user_id = auth_dup(json_str(j, "user_id", NULL));
			out->client_id = auth_dup(json_str(j, "client_id", NULL));
			rc = 0;
		}
		if (j) {
			/* The parsed reply held the tokens: wipe its strings before freeing. */
			cJSON *it;
			cJSON_ArrayForEach(it, j) if (cJSON_IsString(it)) auth_wipe(it->valuestring);
		}
		cJSON_Delete(j);
	}
	explicit_bzero(r.body.buf ? r.body.buf : (char[1]){ 0 }, r.body.len);
	http_response_release(&r);
	return rc;
}

/* The refresh itself, with the cross-process lock held.  used: the access token we
 * found wanting.  Returns 0 with *t filled (from the file or a refresh), -EACCES when
 * the login is refused, -EIO when it could not be done now. */
static int auth_refresh_locked(struct auth *a, const char *used, const char *refresh_token, struct tokens *t,
			       struct monzo_error *err)
{
	struct strbuf why = STRBUF_INIT;
	int missing;
	/* Another process may have refreshed while we waited for the lock. */
	if (tokens_load(a->tokens_path, t, &missing, &why) == 0) {
		if (strcmp(t->access_token, used) &&
		    t->expires_at.sec - AUTH_MARGIN_SECONDS > timefmt_now().sec) {
			sb_release(&why);
			return 0;
		}
		/* Prefer the file's refresh token: it is the newest one written. */
		if (t->refresh_token)
			refresh_token = t->refresh_token;
	} else {
		memset(t, 0, sizeof *t);
	}
	sb_release(&why);
	if (!refresh_token || !a->client_id || !a->client_secret) {
		snprintf(err->message, sizeof err->message, "%s",
			 !refresh_token ? "the login has no refresh token"
					: "MONZO_CLIENT_ID and MONZO_CLIENT_SECRET are needed to refresh the login");
		tokens_free(t);
		return -ENOKEY;
	}
	char *form = auth_refresh_form(a->client_id, a->client_secret, refresh_token);
	struct tokens fresh;
	int rc = auth_token_request(a->token_url, form, &fresh, err);
	auth_wipe(form);
	free(form);
	if (rc < 0) {
		tokens_free(t);
		/* 400/401: the refresh token is spent or revoked: only a new login helps. */
		return err->http_status == 400 || err->http_status == 401 || err->http_status == 403 ? -EACCES : -EIO;
	}
	/* A server that does not rotate refresh tokens leaves it out: the one used stays. */
	if (!fresh.refresh_token)
		fresh.refresh_token = xstrdup(refresh_token);
	if (!fresh.user_id && t->user_id)
		fresh.user_id = xstrdup(t->user_id);
	if (!fresh.client_id)
		fresh.client_id = auth_dup(t->client_id ? t->client_id : a->client_id);
	tokens_free(t);
	struct strbuf serr = STRBUF_INIT;
	if (tokens_save(a->tokens_path, &fresh, &serr) < 0)
		log_error("the login was refreshed but not saved: %s", sb_str(&serr));
	sb_release(&serr);
	*t = fresh;
	return 0;
}

/* Takes the cross-process lock of tokens.json: an fd to close to release it, or -1
 * with errno set. */
static int auth_flock(const char *lock_path)
{
	int fd = lock_path ? open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
	if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		fd = -1;
	}
	return fd;
}

int auth_save_login(const char *tokens_path, const struct tokens *t, struct strbuf *err)
{
	char *lock_path = NULL;
	int fd = -1, rc = -1;
	if (asprintf(&lock_path, "%s.lock", tokens_path) < 0)
		lock_path = NULL;
	if (dirs_make_parent(tokens_path) < 0 || (fd = auth_flock(lock_path)) < 0)
		sb_addf(err, "cannot lock %s: %s", lock_path ? lock_path : tokens_path, strerror(errno));
	else
		rc = tokens_save(tokens_path, t, err);
	if (fd >= 0)
		close(fd);
	free(lock_path);
	return rc;
}

/* Called with a->lock held by the thread that will refresh; returns with it held. */
static int auth_refresh(struct auth *a, bool rejected, struct monzo_error *err)
{
	char *used = xstrdup(a->tokens.access_token ? a->tokens.access_token : "");
	char *rt = a->tokens.refresh_token ? xstrdup(a->tokens.refresh_token) : NULL;
	a->refreshing = true;
	pthread_mutex_unlock(&a->lock);

	struct tokens t;
	int rc = -EIO;
	int fd = auth_flock(a->lock_path);
	if (fd < 0) {
		snprintf(err->message, sizeof err->message, "cannot lock %s: %s", a->lock_path ? a->lock_path : "",
			 strerror(errno));
	} else {
		rc = auth_refresh_locked(a, used, rt, &t, err);
		close(fd); /* releases the flock */
	}
	auth_wipe(used);
	auth_wipe(rt);
	free(used);
	free(rt);

	pthread_mutex_lock(&a->lock);
	if (rc == -ENOKEY) {
		/* Nothing here can refresh it; while it has not expired it still works (by
		 * our clock, and the bank's: a token the bank rejected is done with).  One
		 * line says so, and what to set or do. */
		bool expired = rejected || a->tokens.expires_at.sec <= timefmt_now().sec;
		if (expired || !a->warned)
			auth_say_unrefreshable(a, rejected ? err : NULL, expired);
		a->warned = true;
		a->cannot_refresh = expired;
		rc = expired ? -EACCES : -EIO;
	} else if (rc == -EACCES) {
		auth_say_refused(a, err);
	}
	if (rc == 0) {
		auth_adopt(a, &t);
		log_info("the login was refreshed; it now expires at %lld", (long long)a->tokens.expires_at.sec);
	} else if (rc == -EACCES) {
		a->refused = true;
		a->refused_err = *err;
	}
	a->refreshing = false;
	a->flight++;
	pthread_cond_broadcast(&a->done);
	return rc;
}

/* Under a->lock: wait for a refresh in flight, or run one. */
static int auth_refresh_once(struct auth *a, bool rejected, struct monzo_error *err)
{
	if (a->refreshing) {
		unsigned flight = a->flight;
		while (a->flight == flight)
			pthread_cond_wait(&a->done, &a->lock);
		if (a->refused) {
			*err = a->refused_err;
			return -EACCES;
		}
		return 0;
	}
	return auth_refresh(a, rejected, err);
}

int auth_bearer(struct auth *a, char **token, uint64_t *gen, struct monzo_error *err)
{
	int rc = 0;
	*token = NULL;
	pthread_mutex_lock(&a->lock);
	auth_check_file(a);
	if (a->refused) {
		*err = a->refused_err;
		rc = -EACCES;
	} else if (!a->tokens.access_token) {
		snprintf(err->message, sizeof err->message, "no login: run monzohfs-login");
		rc = -EACCES;
	} else if (a->tokens.expires_at.sec - AUTH_MARGIN_SECONDS <= timefmt_now().sec) {
		rc = auth_refresh_once(a, false, err);
		/* A refresh that failed for now still leaves a token worth trying. */
		if (rc == -EIO)
			rc = 0;
	}
	if (rc == 0 && a->tokens.access_token) {
		*token = xstrdup(a->tokens.access_token);
		*gen = a->gen;
	} else if (rc == 0) {
		rc = -EACCES;
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int auth_rejected(struct auth *a, uint64_t gen, struct monzo_error *err)
{
	pthread_mutex_lock(&a->lock);
	auth_check_file(a);
	int rc = 0;
	if (a->gen == gen)
		rc = a->refused ? (*err = a->refused_err, -EACCES) : auth_refresh_once(a, true, err);
	pthread_mutex_unlock(&a->lock);
	return rc;
}
