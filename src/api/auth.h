/* auth: the access token behind every request.  Refreshes it before it expires and
 * when the API rejects it: once per process (other threads wait for that refresh)
 * and once across processes (flock beside tokens.json, then re-read the file).
 * Picks up a tokens.json that a login or monzoh wrote while we run. */
#ifndef MONZOHFS_AUTH_H
#define MONZOHFS_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "monzo_error.h"
#include "tokens.h"

#define AUTH_MARGIN_SECONDS 300
/* Ten years: the longest a token reply's expires_in is believed. */
#define AUTH_MAX_EXPIRES_IN (10 * 36525 * 864)

struct auth {
	char *tokens_path;
	char *lock_path;
	char *token_url;          /* base URL + /oauth2/token */
	char *client_id;          /* NULL: refreshing is impossible */
	char *client_secret;
	pthread_mutex_t lock;
	pthread_cond_t done;
	struct tokens tokens;
	uint64_t gen;             /* bumped whenever the token changes */
	bool refreshing;
	unsigned flight;
	bool refused;             /* the login is no longer valid: run monzohfs-login */
	bool warned;              /* said once that it cannot be refreshed here */
	bool cannot_refresh;      /* refused because it expired and cannot be refreshed here */
	struct monzo_error refused_err;
	struct stat file_st;      /* tokens.json as last read or written */
	char *missing_help;       /* "MONZO_CLIENT_SECRET is not set: set it in …", or NULL */
	char *client_help;        /* "MONZO_CLIENT_ID and MONZO_CLIENT_SECRET (set in …)", or NULL */
};

/* For a process that will hold secrets: no core dumps, not dumpable (so not
 * readable through ptrace or /proc by the user's other processes).  0 or -1. */
int auth_protect_process(void);

int auth_init(struct auth *a, const char *tokens_path, const struct tokens *t, const char *base_url,
	      const char *client_id, const char *client_secret);
void auth_destroy(struct auth *a);
/* What messages say to fix the client: missing, where to set the id or secret that
 * is not set (config_explain_missing); client, which settings to check and where
 * they were set (config_explain_client).  Either may be NULL.  Copied. */
void auth_set_client_help(struct auth *a, const char *missing, const char *client);
/* Warns, once, when the login cannot be refreshed here when it expires (no client id
 * or secret, or no refresh token), saying what to set or do. */
void auth_warn_unrefreshable(struct auth *a);
/* Whether Monzo refused the client itself (its id or secret: invalid_client), which no
 * new login fixes. */
bool auth_client_rejected(const struct monzo_error *e);

/* A copy of the access token to send (malloc'd, wipe after use) and its generation;
 * refreshes first when it is within the margin of expiry.  0, -EACCES when the login
 * is refused, -EIO when a needed refresh failed for now. */
int auth_bearer(struct auth *a, char **token, uint64_t *gen, struct monzo_error *err);
/* The API answered 401 to the token of generation gen: get a new one (one refresh
 * for every thread that saw it).  0 when a newer token is ready to retry with. */
int auth_rejected(struct auth *a, uint64_t gen, struct monzo_error *err);
/* What .status.json may say of the login: never the token itself.  why: the refusal's
 * reason (NULL when not wanted). */
enum auth_state {
	AUTH_OK,
	AUTH_CANNOT_REFRESH,  /* expired, and nothing here can refresh it (no client secret) */
	AUTH_REFUSED,         /* Monzo refused it or its refresh: log in again */
};
void auth_info(struct auth *a, struct instant *expires_at, enum auth_state *state, struct monzo_error *why);

/* POSTs a token grant (form already encoded, secrets inside) and fills out from the
 * reply, expires_at = now + expires_in, which must be from 0 to AUTH_MAX_EXPIRES_IN
 * seconds.  0, or -1 with err (never a secret). */
int auth_token_request(const char *token_url, const char *form, struct tokens *out, struct monzo_error *err);
/* Saves a new login to tokens_path under the lock a refresh holds, so that a refresh
 * running in another process cannot write its older login over it.  0, or -1 with
 * the reason in err. */
int auth_save_login(const char *tokens_path, const struct tokens *t, struct strbuf *err);
/* The form of an authorization_code grant (malloc'd; holds the secret: wipe it). */
char *auth_code_form(const char *client_id, const char *client_secret, const char *redirect_uri, const char *code);

#endif
