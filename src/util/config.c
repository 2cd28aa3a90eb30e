/* config: layered KEY=value settings.  Values are never logged: the client secret is
 * one of them, so messages name the key and where to set it, never the value. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include <basedir.h>

#include "log.h"
#include "smallfile.h"
#include "xalloc.h"

/* A config file or ./.env is a few lines; past this it is not one (a link to
 * /dev/zero, a stray dump). */
#define CONFIG_MAX_BYTES (64 * 1024)
#define CONFIG_MAX_TEXT "64 KiB"

static const char *const config_names[CFG_COUNT] = {
	[CFG_CLIENT_ID] = "MONZO_CLIENT_ID",
	[CFG_CLIENT_SECRET] = "MONZO_CLIENT_SECRET",
	[CFG_REDIRECT_URI] = "MONZO_REDIRECT_URI",
	[CFG_BASE_URL] = "MONZO_BASE_URL",
	[CFG_AUTH_URL] = "MONZO_AUTH_URL",
};

/* Where the secret and the tokens are sent: never from ./.env, which any directory
 * the user happens to stand in may hold. */
static const bool config_not_from_dotenv[CFG_COUNT] = {
	[CFG_BASE_URL] = true,
	[CFG_AUTH_URL] = true,
};

static const char *const config_defaults[CFG_COUNT] = {
	[CFG_REDIRECT_URI] = "http://localhost:8080/callback",
	[CFG_BASE_URL] = "https://api.monzo.com",
	[CFG_AUTH_URL] = "https://auth.monzo.com",
};

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
}

/* Any value may be the client secret: each is wiped before it is freed. */
static void config_drop(struct config *cfg, enum config_key key)
{
	if (cfg->val[key])
		explicit_bzero(cfg->val[key], strlen(cfg->val[key]));
	free(cfg->val[key]);
	cfg->val[key] = NULL;
}

void config_free(struct config *cfg)
{
	for (int i = 0; i < CFG_COUNT; i++)
		config_drop(cfg, (enum config_key)i);
	free(cfg->env_path);
	free(cfg->file_path);
	config_init(cfg);
}

static void config_put(struct config *cfg, enum config_key key, const char *value, const char *source)
{
	if (cfg->val[key])
		return;
	cfg->val[key] = xstrdup(value);
	cfg->source[key] = source;
}

void config_set_option(struct config *cfg, enum config_key key, const char *value)
{
	config_drop(cfg, key);
	config_put(cfg, key, value, "option");
}

const char *config_get(const struct config *cfg, enum config_key key)
{
	return cfg->val[key];
}

/* s[0..*n) without leading and trailing white space. */
static const char *config_trim(const char *s, size_t *n)
{
	while (*n && isspace((unsigned char)*s)) {
		s++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)s[*n - 1]))
		(*n)--;
	return s;
}

/* The value may be the secret: wiped before its memory is given back. */
static int config_refuse(struct strbuf *value)
{
	if (value->buf)
		explicit_bzero(value->buf, value->len);
	sb_release(value);
	return -1;
}

int config_parse_line(const char *line, char **key, char **value)
{
	*key = *value = NULL;
	while (isspace((unsigned char)*line))
		line++;
	if (!*line || *line == '#')
		return 0;
	if (!strncmp(line, "export", 6) && isspace((unsigned char)line[6]))
		line += 7;
	while (isspace((unsigned char)*line))
		line++;
	const char *eq = strchr(line, '=');
	if (!eq || eq == line)
		return -1;
	for (const char *p = line; p < eq; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && !isspace((unsigned char)*p))
			return -1;
	const char *v = eq + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	struct strbuf out = STRBUF_INIT;
	/* Room for the whole value at once: growing would leave copies in freed memory. */
	sb_grow(&out, strlen(v));
	if (*v == '"' || *v == '\'') {
		char q = *v++;
		for (; *v && *v != q; v++) {
			if (q == '"' && *v == '\\' && v[1]) {
				v++;
				sb_addch(&out, *v == 'n' ? '\n' : *v == 't' ? '\t' : *v);
			} else {
				sb_addch(&out, *v);
			}
		}
		if (*v != q)
			return config_refuse(&out);
		for (v++; isspace((unsigned char)*v); v++)
			;
		if (*v && *v != '#')
			return config_refuse(&out);
	} else {
		size_t n = strlen(v);
		/* As python-dotenv does: " #" starts a comment in an unquoted value. */
		for (const char *p = v; *p; p++)
			if (*p == '#' && (p == v || isspace((unsigned char)p[-1]))) {
				n = (size_t)(p - v);
				break;
			}
		v = config_trim(v, &n);
		sb_add(&out, v, n);
	}
	size_t klen = (size_t)(eq - line);
	line = config_trim(line, &klen);
	*key = xstrndup(line, klen);
	*value = sb_detach(&out, NULL);
	return 1;
}

void config_format_line(const char *key, const char *value, struct strbuf *out)
{
	sb_addf(out, "%s=\"", key);
	for (const char *p = value; *p; p++) {
		if (*p == '"' || *p == '\\')
			sb_addch(out, '\\');
		if (*p == '\n')
			sb_adds(out, "\\n");
		else if (*p == '\t')
			sb_adds(out, "\\t");
		else
			sb_addch(out, *p);
	}
	sb_adds(out, "\"\n");
}

/* One line of a KEY=value file (lineno: its number, for messages): its key, when it is
 * one of ours and not set yet, takes its value.  -1 for a malformed line of ours. */
static int config_take_line(struct config *cfg, const char *path, bool dotenv, char *line, int lineno,
			    struct strbuf *err)
{
	line[strcspn(line, "\r")] = '\0';
	char *k, *v;
	int r = config_parse_line(line, &k, &v);
	if (r < 0) {
		/* ./.env may belong to another project: only our own lines must parse. */
		const char *p = line + strspn(line, " \t");
		if (strncmp(p, "MONZO_", 6) && strncmp(p, "export MONZO_", 13))
			return 0;
		sb_addf(err, "%s:%d: not a KEY=value line", path, lineno);
		return -1;
	}
	if (r == 0)
		return 0;
	/* An empty value sets nothing, so a later source can still provide one. */
	for (int i = 0; i < CFG_COUNT && *v; i++) {
		if (strcmp(k, config_names[i]))
			continue;
		if (dotenv && config_not_from_dotenv[i])
			log_warn("%s:%d: %s is ignored: where tokens are sent is never taken from ./.env "
				 "(set it in the environment or in %s)",
				 path, lineno, k, cfg->file_path ? cfg->file_path : "$XDG_CONFIG_HOME/monzohfs/config");
		else
			config_put(cfg, (enum config_key)i, v, path);
	}
	free(k);
	explicit_bzero(v, strlen(v));
	free(v);
	return 0;
}

/* Reads a KEY=value file into unset keys.  A missing file is not an error.  dotenv:
 * the file is ./.env, so the keys it may not set are ignored, with a warning; and as
 * it is whatever the directory one stands in holds, one that is not a regular file or
 * is too large is passed over with a warning, where the config file's own refusal
 * stops the program. */
static int config_read_file(struct config *cfg, const char *path, bool dotenv, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	const char *why;
	if (smallfile_read(path, CONFIG_MAX_BYTES, &text, &why) < 0) {
		int e = errno;
		sb_release(&text);
		if (e == ENOENT)
			return 0;
		if (e == EFBIG)
			why = "larger than " CONFIG_MAX_TEXT;
		if (dotenv && (e == EINVAL || e == EFBIG)) {
			log_warn("%s is ignored: %s", path, why);
			return 0;
		}
		sb_addf(err, "cannot read %s: %s", path, why);
		return -1;
	}
	int lineno = 0, rc = 0;
	char *line = text.buf, *end = text.buf + text.len;
	while (line < end && rc == 0) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		char *next = nl ? nl + 1 : end;
		if (nl)
			*nl = '\0';
		rc = config_take_line(cfg, path, dotenv, line, ++lineno, err);
		line = next;
	}
	/* The file's text held the secret's line. */
	explicit_bzero(text.buf, text.alloc);
	sb_release(&text);
	return rc;
}

int config_load(struct config *cfg, struct strbuf *err)
{
	for (int i = 0; i < CFG_COUNT; i++) {
		const char *e = getenv(config_names[i]);
		if (e && *e)
			config_put(cfg, (enum config_key)i, e, "environment");
	}
	if (!cfg->env_path)
		cfg->env_path = xstrdup(".env");
	if (!cfg->file_path)
		cfg->file_path = config_file_path();
	if (config_read_file(cfg, cfg->env_path, true, err) < 0)
		return -1;
	if (cfg->file_path && config_read_file(cfg, cfg->file_path, false, err) < 0)
		return -1;
	for (int i = 0; i < CFG_COUNT; i++)
		if (config_defaults[i])
			config_put(cfg, (enum config_key)i, config_defaults[i], "default");
	return 0;
}

void config_explain_missing(const struct config *cfg, enum config_key key, struct strbuf *out)
{
	sb_addf(out, "%s is not set: set it in the environment, in ./.env or in %s",
		config_names[key], cfg->file_path ? cfg->file_path : "$XDG_CONFIG_HOME/monzohfs/config");
}

/* "the environment", "./.env", "an -o option", or the file's path. */
static const char *config_source_words(const struct config *cfg, enum config_key key)
{
	const char *s = cfg->source[key];
	if (!s)
		return "no source";
	if (!strcmp(s, "environment"))
		return "the environment";
	if (!strcmp(s, "option"))
		return "an -o option";
	if (!strcmp(s, ".env"))
		return "./.env";
	return s;
}

void config_explain_client(const struct config *cfg, struct strbuf *out)
{
	const char *id = config_source_words(cfg, CFG_CLIENT_ID), *secret = config_source_words(cfg, CFG_CLIENT_SECRET);
	if (!strcmp(id, secret))
		sb_addf(out, "%s and %s (set in %s)", config_names[CFG_CLIENT_ID], config_names[CFG_CLIENT_SECRET], id);
	else
		sb_addf(out, "%s (set in %s) and %s (set in %s)", config_names[CFG_CLIENT_ID], id,
			config_names[CFG_CLIENT_SECRET], secret);
}

/* mount(8) runs helpers without HOME: find it the way login does, from the password
 * database, so the XDG defaults still point into the user's home. */
static void config_ensure_home(void)
{
	const char *h = getenv("HOME");
	if (h && *h)
		return;
	struct passwd *pw = getpwuid(getuid());
	if (pw && pw->pw_dir && *pw->pw_dir)
		setenv("HOME", pw->pw_dir, 1);
}

static char *config_xdg_join(const char *(*home)(xdgHandle *), const char *rel)
{
	xdgHandle h;
	config_ensure_home();
	char *out = NULL;
	if (!xdgInitHandle(&h))
		return NULL;
	const char *base = home(&h);
	if (base && asprintf(&out, "%s/%s", base, rel) < 0)
		out = NULL;
	xdgWipeHandle(&h);
	return out;
}

char *config_tokens_path(void)
{
	return config_xdg_join(xdgCacheHome, "monzoh/tokens.json");
}

char *config_store_path(void)
{
	return config_xdg_join(xdgDataHome, "monzohfs/history.sqlite3");
}

char *config_file_path(void)
{
	return config_xdg_join(xdgConfigHome, "monzohfs/config");
}

char *config_log_path(void)
{
	/* libxdg-basedir knows no state directory: the XDG rule by hand (a relative
	 * XDG_STATE_HOME is ignored). */
	const char *state = getenv("XDG_STATE_HOME");
	config_ensure_home();
	const char *home = getenv("HOME");
	char *out = NULL;
	if (state && state[0] == '/') {
		if (asprintf(&out, "%s/monzohfs/monzohfs.log", state) < 0)
			out = NULL;
	} else if (home && home[0] == '/') {
		if (asprintf(&out, "%s/.local/state/monzohfs/monzohfs.log", home) < 0)
			out = NULL;
	}
	return out;
}
