/* config: client credentials and endpoints, from (first wins) -o options, the
 * environment, ./.env (monzoh's convention; never the API or auth URL) and the XDG
 * config file;
 * plus the XDG paths of the tokens file, the history store and the config file. */
#ifndef MONZOHFS_CONFIG_H
#define MONZOHFS_CONFIG_H

#include <stdbool.h>

#include "strbuf.h"

enum config_key {
	CFG_CLIENT_ID,
	CFG_CLIENT_SECRET,
	CFG_REDIRECT_URI,
	CFG_BASE_URL,
	CFG_AUTH_URL,
	CFG_COUNT
};

struct config {
	char *val[CFG_COUNT];
	const char *source[CFG_COUNT]; /* "option", "environment", a file path, "default" */
	char *env_path;                /* ./.env as found, for messages */
	char *file_path;               /* the XDG config file */
};

void config_init(struct config *cfg);
void config_free(struct config *cfg);
/* An -o option: set before config_load, wins over every other source. */
void config_set_option(struct config *cfg, enum config_key key, const char *value);
/* Fills what options left unset; a malformed file is reported in err and fails. */
int config_load(struct config *cfg, struct strbuf *err);
const char *config_get(const struct config *cfg, enum config_key key);
/* Says which sources could hold the missing key, naming the config file. */
void config_explain_missing(const struct config *cfg, enum config_key key, struct strbuf *out);
/* Names the client id and secret with where each was set, for a message that asks to
 * check them: "MONZO_CLIENT_ID and MONZO_CLIENT_SECRET (set in the environment)". */
void config_explain_client(const struct config *cfg, struct strbuf *out);

/* Parses one line of a KEY=value file.  Returns 1 with key and value malloc'd, 0 for a
 * blank or comment line, -1 for a malformed line. */
int config_parse_line(const char *line, char **key, char **value);

/* A KEY="value" line that config_parse_line reads back as value, whatever it holds
 * (" #", quotes, backslashes, tabs, newlines; not a CR). */
void config_format_line(const char *key, const char *value, struct strbuf *out);

/* Default paths (malloc'd) under the XDG base directories. */
char *config_tokens_path(void);
char *config_store_path(void);
char *config_file_path(void);
/* $XDG_STATE_HOME/monzohfs/monzohfs.log (default ~/.local/state): a detached daemon's
 * log where there is no syslog. */
char *config_log_path(void);

#endif
