/* monzohfs: the daemon's main.  Parses options, checks the login against the API on
 * the terminal before detaching (so a bad login fails where the user can see it),
 * then mounts and runs the FUSE loop. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "fs_io.h"

#include "cache.h"
#include "config.h"
#include "dirs.h"
#include "http.h"
#include "localtime.h"
#include "log.h"
#include "auth.h"
#include "monzo.h"
#include "mountpoint.h"
#include "refresh.h"
#include "store.h"
#include "tokens.h"
#include "xalloc.h"

struct monzohfs_opts {
	int ttl;
	int kind_ttl[RES_KIND_COUNT];
	char *tokens;
	char *store;
	char *tz;
	char *attach_max;
	char *attach_quota;
	int offline;
	int parallel;      /* a first capture's most requests in flight; 0: the default */
	int show_help;
	int show_version;
	char *first_arg;   /* the first non-option: the mountpoint, or fstab's source */
	char *second_arg;  /* the second: then the mountpoint */
	int nargs;
};

#define MOPT(t, p) { t, offsetof(struct monzohfs_opts, p), 1 }
enum { KEY_HELP, KEY_VERSION, KEY_DROP };

static const struct fuse_opt monzohfs_opt_spec[] = {
	MOPT("ttl=%d", ttl),
	MOPT("whoami_ttl=%d", kind_ttl[RES_WHOAMI]),
	MOPT("accounts_ttl=%d", kind_ttl[RES_ACCOUNTS]),
	MOPT("balance_ttl=%d", kind_ttl[RES_BALANCE]),
	MOPT("pots_ttl=%d", kind_ttl[RES_POTS]),
	MOPT("transactions_ttl=%d", kind_ttl[RES_TRANSACTIONS]),
	MOPT("tokens=%s", tokens),
	MOPT("store=%s", store),
	MOPT("tz=%s", tz),
	MOPT("attachment_max=%s", attach_max),
	MOPT("attachment_quota=%s", attach_quota),
	MOPT("offline", offline),
	MOPT("parallel=%d", parallel),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	/* Words that only mean something to mount(8) and fstab. */
	FUSE_OPT_KEY("auto", KEY_DROP),
	FUSE_OPT_KEY("noauto", KEY_DROP),
	FUSE_OPT_KEY("user", KEY_DROP),
	FUSE_OPT_KEY("users", KEY_DROP),
	FUSE_OPT_KEY("nouser", KEY_DROP),
	FUSE_OPT_KEY("nofail", KEY_DROP),
	FUSE_OPT_KEY("_netdev", KEY_DROP),
	FUSE_OPT_END
};

static void monzohfs_usage(const char *prog)
{
	printf("usage: %s [-f] [-d] [-o opt,...] [SOURCE] MOUNTPOINT\n\n"
	       "Mounts your Monzo account as read-only JSON and CSV files.  SOURCE is ignored:\n"
	       "it is there for mount(8) and /etc/fstab (type fuse.monzohfs, source none).\n\n"
	       "monzohfs options:\n"
	       "    -o ttl=N               seconds before any file is fetched again (sets all below)\n"
	       "    -o whoami_ttl=N        whoami.json (default 3600)\n"
	       "    -o accounts_ttl=N      accounts.json, account.json, the account list (default 3600)\n"
	       "    -o balance_ttl=N       balance.json (default 60)\n"
	       "    -o pots_ttl=N          pots.json (default 300)\n"
	       "    -o transactions_ttl=N  transaction files (default 300)\n"
	       "    -o tokens=PATH         tokens file (default $XDG_CACHE_HOME/monzoh/tokens.json)\n"
	       "    -o store=PATH          history store (default $XDG_DATA_HOME/monzohfs/history.sqlite3)\n"
	       "    -o tz=ZONE             time zone of months, dates and times (default Europe/London)\n"
	       "    -o offline             never contact the API: serve what the store holds\n"
	       "    -o attachment_max=N    the largest attachment fetched, in bytes (K, M, G: KiB ...;\n"
	       "                           default 16M)\n"
	       "    -o attachment_quota=N  all attachments kept together (default 1G)\n"
	       "    -o parallel=N          a first sync's most requests at once (default 8; 1: one\n"
	       "                           page after another)\n"
	       "    -f                     stay in the foreground, log to stderr\n"
	       "    -d                     debug: also log each API request (never a token)\n"
	       "    -h, --help             this help, then the FUSE options\n"
	       "    -V, --version          the version\n\n"
	       "Environment: MONZO_BASE_URL (default https://api.monzo.com), also read from\n"
	       "$XDG_CONFIG_HOME/monzohfs/config, never from ./.env.  MONZO_CLIENT_ID and\n"
	       "MONZO_CLIENT_SECRET may also come from ./.env.  Log in first with monzohfs-login.\n\n"
	       "Detached, it logs to syslog (journalctl --user -t monzohfs), or without syslog to\n"
	       "$XDG_STATE_HOME/monzohfs/monzohfs.log; it says which as it mounts.  SIGHUP has\n"
	       "every file fetched again at its next look, without a remount.\n\n",
	       prog);
}

static int monzohfs_opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct monzohfs_opts *o = data;
	switch (key) {
	case KEY_HELP:
		o->show_help = 1;
		return fuse_opt_add_arg(outargs, "-h") ? -1 : 0;
	case KEY_VERSION:
		o->show_version = 1;
		return 0;
	case KEY_DROP:
		return 0;
	case FUSE_OPT_KEY_NONOPT:
		/* mount(8) and mount.fuse3 call "monzohfs SOURCE MOUNTPOINT": hold the first
		 * back until we know whether a second follows. */
		if (++o->nargs == 1) {
			o->first_arg = xstrdup(arg);
			return 0;
		}
		if (o->nargs == 2)
			o->second_arg = xstrdup(arg);
		return o->nargs == 2 ? 1 : -1;
	default:
		return 1;
	}
}

/* A number of bytes, with K, M or G for KiB, MiB, GiB: *out left as it is when text
 * is NULL.  -1 when it is not one. */
static int monzohfs_bytes(const char *text, uint64_t *out)
{
	if (!text)
		return 0;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(text, &end, 10);
	unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
	if (shift)
		end++;
	if (errno || end == text || *text < '0' || *text > '9' || *end || n > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)n << shift;
	return 0;
}

/* Per-kind TTLs win over ttl= whatever the order they came in. */
static int monzohfs_ttls(const struct monzohfs_opts *o, struct cache_options *co)
{
	cache_options_default(co);
	/* INT_MIN marks "not given", so that any negative number given is an error. */
	if (o->ttl < 0 && o->ttl != INT_MIN)
		return -1;
	for (int k = 0; k < RES_KIND_COUNT; k++) {
		if (o->kind_ttl[k] < 0 && o->kind_ttl[k] != INT_MIN)
			return -1;
		if (o->kind_ttl[k] >= 0)
			co->ttl[k] = (unsigned)o->kind_ttl[k];
		else if (o->ttl >= 0)
			co->ttl[k] = (unsigned)o->ttl;
	}
	/* A pot's own transactions are transaction files too. */
	co->ttl[RES_POT_TRANSACTIONS] = co->ttl[RES_TRANSACTIONS];
	return 0;
}

/* Checks the login with GET /ping/whoami.  Returns 0 to mount (also when the API is
 * unreachable: then the store is served), 1 to exit with the message printed. */
static int monzohfs_check_login(struct monzo *api, struct auth *auth, const char *tokens_path, struct cache *c,
				const char *store)
{
	struct monzo_reply r;
	monzo_reply_init(&r);
	int rc = monzo_get(api, "/ping/whoami", &r);
	int out = 0;
	if (rc == 0) {
		cache_seed(c, RES_WHOAMI, NULL, r.body.buf, r.body.len);
	} else {
		struct strbuf why = STRBUF_INIT;
		monzo_error_describe(&r.err, &why);
		if (rc == -EACCES) {
			/* A refresh that was refused, or that nothing here can do, has said why
			 * and what to fix in a line of its own. */
			struct instant expires;
			enum auth_state state;
			auth_info(auth, &expires, &state, NULL);
			if (state == AUTH_OK)
				log_error("the login in %s was refused by the Monzo API (%s): run monzohfs-login",
					  tokens_path, sb_str(&why));
			out = 1;
		} else {
			log_warn("cannot reach the Monzo API (%s): mounting anyway, serving what %s holds", sb_str(&why),
				 store);
			cache_note_unreachable(c, &r.err);
		}
		sb_release(&why);
	}
	monzo_reply_release(&r);
	return out;
}

/* Before detaching, on the terminal: where the log will be read (syslog, or a file
 * when there is none). */
static void monzohfs_log_where(const char *mountpoint)
{
	char *path = config_log_path();
	struct strbuf where = STRBUF_INIT, why = STRBUF_INIT;
	if (log_prepare_detached(path, &where, &why) < 0)
		log_warn("mounted on %s, but its log will be lost: %s (mount with -f to see it)", mountpoint,
			 sb_str(&why));
	else
		log_info("mounted on %s; its log: %s", mountpoint, sb_str(&where));
	sb_release(&where);
	sb_release(&why);
	free(path);
}

/* What the login's messages say to fix about the client, and where it was set. */
static void monzohfs_client_help(struct auth *auth, const struct config *cfg)
{
	const char *cid = config_get(cfg, CFG_CLIENT_ID), *secret = config_get(cfg, CFG_CLIENT_SECRET);
	struct strbuf missing = STRBUF_INIT, client = STRBUF_INIT;
	if (!cid || !secret)
		config_explain_missing(cfg, cid ? CFG_CLIENT_SECRET : CFG_CLIENT_ID, &missing);
	else
		config_explain_client(cfg, &client);
	auth_set_client_help(auth, missing.buf, client.buf);
	sb_release(&missing);
	sb_release(&client);
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct monzohfs_opts o = { .ttl = INT_MIN };
	struct fuse_cmdline_opts cl = { 0 };
	struct config cfg;
	struct tokens tok = { 0 };
	struct monzo api;
	struct auth auth;
	struct fs_ctx ctx = { 0 };
	struct cache *cache = NULL;
	struct fuse_session *se = NULL;
	struct strbuf err = STRBUF_INIT;
	char *tokens_path = NULL, *store_path = NULL;
	int ret = 1, api_ready = 0;

	/* Called through mount.monzohfs, the usage should still name the program. */
	const char *prog = "monzohfs";
	for (int k = 0; k < RES_KIND_COUNT; k++)
		o.kind_ttl[k] = INT_MIN;
	config_init(&cfg);
	log_init("monzohfs", false);
	if (auth_protect_process() < 0)
		log_warn("cannot turn core dumps off: %s", strerror(errno));

	if (fuse_opt_parse(&args, &o, monzohfs_opt_spec, monzohfs_opt_proc) < 0) {
		if (o.nargs > 2)
			fprintf(stderr, "monzohfs: too many arguments\n");
		goto usage_error;
	}
	if (o.nargs == 1)
		fuse_opt_add_arg(&args, o.first_arg);
	if (o.show_version) {
		printf("monzohfs %s\n", MONZOHFS_VERSION);
		printf("FUSE library version %s\n", fuse_pkgversion());
		ret = 0;
		goto out;
	}
	/* Before FUSE looks at it (a missing one would get its usage text), and before
	 * anything is read or fetched. */
	const char *mount_arg = o.nargs == 2 ? o.second_arg : o.first_arg;
	if (!o.show_help && mount_arg) {
		if (mountpoint_check(mount_arg, &err) < 0) {
			log_error("%s", sb_str(&err));
			goto out;
		}
	}
	if (fuse_parse_cmdline(&args, &cl) != 0)
		goto usage_error;
	if (o.show_help || cl.show_help) {
		monzohfs_usage(prog);
		fuse_cmdline_help();
		fuse_lowlevel_help();
		ret = 0;
		goto out;
	}
	/* fuse_session_new checks the FUSE options (ctx is filled in before the mount needs
	 * it): a mistake there is a usage error, found before anything is read or fetched.
	 * Read-only last, so that it wins over a "rw" from mount(8). */
	fuse_opt_add_arg(&args, "-osubtype=monzohfs,fsname=monzohfs,ro");
	se = fuse_session_new(&args, fs_operations(), sizeof(struct fuse_lowlevel_ops), &ctx);
	if (!se)
		goto usage_error;
	if (!cl.mountpoint) {
		fprintf(stderr, "monzohfs: no mountpoint given\n");
		goto usage_error;
	}
	if (o.parallel < 0 || o.parallel > PACE_CAP_MAX) {
		fprintf(stderr, "monzohfs: parallel takes a number from 1 to %d\n", PACE_CAP_MAX);
		goto usage_error;
	}
	struct cache_options copts;
	if (monzohfs_ttls(&o, &copts) < 0) {
		fprintf(stderr, "monzohfs: a ttl must be a number of seconds, 0 or more\n");
		goto usage_error;
	}
	if (monzohfs_bytes(o.attach_max, &copts.attach_max) < 0 ||
	    monzohfs_bytes(o.attach_quota, &copts.attach_quota) < 0) {
		fprintf(stderr, "monzohfs: attachment_max and attachment_quota take a number of bytes (K, M, G)\n");
		goto usage_error;
	}
	log_init("monzohfs", cl.debug);

	if (config_load(&cfg, &err) < 0) {
		log_error("%s", sb_str(&err));
		goto out;
	}
	/* Absolute before anything keeps them: detaching makes the working directory /. */
	tokens_path = o.tokens ? dirs_absolute(o.tokens) : config_tokens_path();
	if (!tokens_path) {
		log_error("cannot find the XDG cache directory: set HOME or XDG_CACHE_HOME, or use -o tokens=PATH");
		goto out;
	}
	int missing;
	if (tokens_load(tokens_path, &tok, &missing, &err) < 0 && !o.offline) {
		if (missing)
			log_error("no login found: %s does not exist: run monzohfs-login", tokens_path);
		else
			log_error("cannot use the tokens file %s: %s: run monzohfs-login", tokens_path, sb_str(&err));
		goto out;
	}
	if (localtime_set_zone(o.tz ? o.tz : "Europe/London", &err) < 0) {
		log_error("-o tz: %s", sb_str(&err));
		goto out;
	}
	store_path = o.store ? dirs_absolute(o.store) : config_store_path();
	struct store *probe;
	if (!store_path || store_open(store_path, &probe, &err) < 0) {
		log_error("cannot open the history store %s: %s", store_path ? store_path : "(no XDG data directory)",
			  sb_str(&err));
		goto out;
	}
	store_close(probe);
	copts.store_path = store_path;
	copts.offline = o.offline;
	const char *base = config_get(&cfg, CFG_BASE_URL);
	if (!http_url_allows_bearer(base)) {
		log_error("MONZO_BASE_URL %s: the access token is only sent over https:// (or http:// to this machine)",
			  base);
		goto out;
	}
	if (http_global_init() < 0) {
		log_error("cannot initialise libcurl");
		goto out;
	}
	const char *cid = config_get(&cfg, CFG_CLIENT_ID), *secret = config_get(&cfg, CFG_CLIENT_SECRET);
	auth_init(&auth, tokens_path, &tok, base, cid, secret);
	monzohfs_client_help(&auth, &cfg);
	monzo_init(&api, base, &auth);
	if (o.parallel)
		monzo_set_parallel(&api, o.parallel);
	api_ready = 1;
	cache = cache_new(&api, &copts, tokens_path);
	fs_setup(&ctx, cache, &copts);
	ctx.se = se;
	if (o.offline)
		log_info("offline: serving %s without contacting the API", store_path);
	else if (monzohfs_check_login(&api, &auth, tokens_path, cache, store_path))
		goto out;
	else
		auth_warn_unrefreshable(&auth);

	if (fuse_session_mount(se, cl.mountpoint) != 0) {
		sb_reset(&err);
		mountpoint_explain_failure(&err);
		log_error("cannot mount on %s: %s", cl.mountpoint, sb_str(&err));
		goto out;
	}
	int io_rc = fs_io_install(se);
	if (io_rc < 0)
		log_warn("lookups in one directory will wait for each other: %s", strerror(-io_rc));
	if (!cl.foreground)
		monzohfs_log_where(cl.mountpoint);
	if (fuse_daemonize(cl.foreground) != 0) {
		fuse_session_unmount(se);
		goto out;
	}
	cache_start(cache);
	if (!cl.foreground) {
		log_detach();
		log_info("serving %s (pid %ld)", cl.mountpoint, (long)getpid());
	}
	if (fuse_set_signal_handlers(se) != 0) {
		fuse_session_unmount(se);
		goto out;
	}
	/* After libfuse's: SIGHUP refreshes rather than unmounts. */
	if (refresh_start(cache) < 0)
		log_warn("SIGHUP will unmount rather than refresh: %s", strerror(errno));
	int loop;
	if (cl.singlethread) {
		loop = fuse_session_loop(se);
	} else {
		struct fuse_loop_config *lc = fuse_loop_cfg_create();
		fuse_loop_cfg_set_clone_fd(lc, (unsigned)cl.clone_fd);
		/* UINT_MAX is "not given": passing it on makes libfuse log a warning. */
		if (cl.max_idle_threads != UINT_MAX)
			fuse_loop_cfg_set_idle_threads(lc, cl.max_idle_threads);
		if (cl.max_threads > 0 && cl.max_threads != UINT_MAX)
			fuse_loop_cfg_set_max_threads(lc, cl.max_threads);
		loop = fuse_session_loop_mt(se, lc);
		fuse_loop_cfg_destroy(lc);
	}
	refresh_stop();
	fuse_remove_signal_handlers(se);
	fs_stop_notifications(&ctx);
	fuse_session_unmount(se);
	/* A positive value is the signal that stopped the loop: a clean stop too. */
	ret = loop < 0 ? 1 : 0;
	log_info("unmounted %s", cl.mountpoint);
	goto out;

usage_error:
	fprintf(stderr, "usage: %s [-f] [-d] [-o opt,...] [SOURCE] MOUNTPOINT   (see --help)\n", prog);
	ret = 2;
out:
	if (se)
		fuse_session_destroy(se);
	if (cache)
		fs_teardown(&ctx);
	cache_free(cache);
	if (api_ready) {
		monzo_destroy(&api);
		auth_destroy(&auth);
		http_global_cleanup();
	}
	tokens_free(&tok);
	config_free(&cfg);
	sb_release(&err);
	free(tokens_path);
	free(store_path);
	free(cl.mountpoint);
	free(o.tokens);
	free(o.first_arg);
	free(o.second_arg);
	free(o.store);
	free(o.tz);
	free(o.attach_max);
	free(o.attach_quota);
	fuse_opt_free_args(&args);
	return ret;
}
