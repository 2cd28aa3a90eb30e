/* monzohfs-login: logs in through the browser and captures the full history while
 * Monzo still allows it.  The authorisation URL is the only thing on stdout; every
 * message goes to stderr.  No token or secret is ever printed or put in argv. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "callback.h"
#include "config.h"
#include "dirs.h"
#include "http.h"
#include "json.h"
#include "links.h"
#include "localtime.h"
#include "log.h"
#include "monzo.h"
#include "report.h"
#include "store.h"
#include "sync.h"
#include "termtext.h"
#include "tokens.h"
#include "xalloc.h"

#define LOGIN_CALLBACK_SECONDS 300
#define LOGIN_APPROVAL_SECONDS 600

extern char **environ;

struct login_opts {
	int port;           /* 0: the redirect URI's */
	bool no_browser;
	bool no_sync;
	int parallel;       /* requests in flight at most while capturing; 0: the default */
};

static void login_usage(FILE *f)
{
	fprintf(f,
		"usage: monzohfs-login [--port N] [--no-browser] [--no-sync] [--parallel N]\n"
		"\n"
		"Logs in to Monzo and saves the login where monzohfs and monzoh find it\n"
		"($XDG_CACHE_HOME/monzoh/tokens.json, mode 0600). Then, while Monzo still allows it,\n"
		"copies the full transaction history of every account into the history store\n"
		"($XDG_DATA_HOME/monzohfs/history.sqlite3).\n"
		"\n"
		"  1. It prints a link (alone, on stdout) and opens it in your browser.\n"
		"  2. Sign in with your email; Monzo sends you a magic link; open it. Monzo then\n"
		"     redirects your browser to this program, which listens on loopback only.\n"
		"  3. Approve access in the Monzo app when your phone asks. Until then the API\n"
		"     refuses data, so this program waits (up to %d minutes).\n"
		"  4. Monzo serves history older than 90 days only for about 5 minutes after that\n"
		"     approval, so the whole history of every account is fetched at once.\n"
		"\n"
		"Options:\n"
		"  --port N       listen on port N instead of MONZO_REDIRECT_URI's (the redirect URI\n"
		"                 registered with Monzo must then use this port too)\n"
		"  --no-browser   only print the link\n"
		"  --no-sync      stop after the login; do not fetch the history\n"
		"  --parallel N   at most N requests at once while fetching it (default %d; 1: one\n"
		"                 after another); fewer while Monzo answers 429 Too Many Requests\n"
		"  -h, --help     this help\n"
		"  -V, --version  the version\n"
		"\n"
		"Settings (environment, ./.env, or $XDG_CONFIG_HOME/monzohfs/config):\n"
		"  MONZO_CLIENT_ID, MONZO_CLIENT_SECRET  your client at developers.monzo.com (asked\n"
		"                 for when missing and run from a terminal)\n"
		"  MONZO_REDIRECT_URI  default http://localhost:8080/callback; must match the client's\n"
		"  MONZO_AUTH_URL, MONZO_BASE_URL  default https://auth.monzo.com, https://api.monzo.com;\n"
		"                 never taken from ./.env\n"
		"\n"
		"The callback waits %d minutes.\n"
		"\n"
		"It ends with a line per account: its name, its id, the transactions captured and\n"
		"the date its history now starts. Ctrl-C stops the capture: what was captured is\n"
		"kept, and it says which accounts those are.\n"
		"\n"
		"Exit status: 0 logged in, every account captured (a pot's ledger the bank refuses\n"
		"is a warning); 1 failed; 2 usage; 3 an account's history older than 90 days was\n"
		"not captured (the window had closed first: run monzohfs-login again); 130 Ctrl-C.\n",
		LOGIN_APPROVAL_SECONDS / 60, PACE_CAP_DEFAULT, LOGIN_CALLBACK_SECONDS / 60);
}

static int login_parse(int argc, char **argv, struct login_opts *o)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "no-browser", no_argument, NULL, 'b' },
		{ "no-sync", no_argument, NULL, 's' },
		{ "parallel", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 65535) {
				fprintf(stderr, "monzohfs-login: --port takes a port number from 1 to 65535\n");
				return 2;
			}
			o->port = (int)v;
			break;
		}
		case 'P': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > PACE_CAP_MAX) {
				fprintf(stderr, "monzohfs-login: --parallel takes a number from 1 to %d\n", PACE_CAP_MAX);
				return 2;
			}
			o->parallel = (int)v;
			break;
		}
		case 'b': o->no_browser = true; break;
		case 's': o->no_sync = true; break;
		case 'h': login_usage(stdout); return 0;
		case 'V': printf("monzohfs-login %s\n", MONZOHFS_VERSION); return 0;
		case ':':
			fprintf(stderr, "monzohfs-login: %s needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "monzohfs-login: unknown option %s\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "monzohfs-login: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	return -1;
}

/* Reads one line from the terminal, without echo for secrets. */
static char *login_ask(const char *prompt, bool secret)
{
	struct termios old, quiet;
	bool restore = false;
	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	if (secret && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);
	if (restore) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (n <= 0) {
		free(line);
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

/* Appends the keys to the config file, creating it 0600, quoted so that they read
 * back as typed. */
static int login_save_config(const char *path, const char *id, const char *secret)
{
	if (dirs_make_parent(path) < 0)
		return -1;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	fchmod(fd, 0600);
	/* Sized up front (a quoted value at most doubles) and written without stdio, so
	 * the secret leaves no copy in freed or unwiped buffers. */
	struct strbuf lines = STRBUF_INIT;
	sb_grow(&lines, 2 * (strlen(id) + strlen(secret)) + 128);
	config_format_line("MONZO_CLIENT_ID", id, &lines);
	config_format_line("MONZO_CLIENT_SECRET", secret, &lines);
	size_t put = 0;
	while (put < lines.len) {
		ssize_t n = write(fd, lines.buf + put, lines.len - put);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		put += (size_t)n;
	}
	int rc = close(fd) == 0 && put == lines.len ? 0 : -1;
	explicit_bzero(lines.buf, lines.alloc);
	sb_release(&lines);
	return rc;
}

/* Client id and secret: from the settings, else asked for on a terminal. */
static int login_credentials(struct config *cfg)
{
	const char *id = config_get(cfg, CFG_CLIENT_ID), *secret = config_get(cfg, CFG_CLIENT_SECRET);
	if (id && secret)
		return 0;
	if (!isatty(STDIN_FILENO)) {
		struct strbuf why = STRBUF_INIT;
		config_explain_missing(cfg, id ? CFG_CLIENT_SECRET : CFG_CLIENT_ID, &why);
		log_error("%s", why.buf);
		sb_release(&why);
		return -1;
	}
	fprintf(stderr, "Your Monzo API client (create one at https://developers.monzo.com, confidential,\n"
			"with the redirect URL %s):\n",
		config_get(cfg, CFG_REDIRECT_URI));
	char *new_id = id ? NULL : login_ask("Client ID: ", false);
	char *new_secret = secret ? NULL : login_ask("Client secret: ", true);
	if ((!id && (!new_id || !*new_id)) || (!secret && (!new_secret || !*new_secret))) {
		log_error("no client id or secret given");
		free(new_id);
		free(new_secret);
		return -1;
	}
	if (new_id)
		config_set_option(cfg, CFG_CLIENT_ID, new_id);
	if (new_secret)
		config_set_option(cfg, CFG_CLIENT_SECRET, new_secret);
	struct strbuf q = STRBUF_INIT;
	sb_addf(&q, "Save them to %s (mode 0600) for next time? [Y/n] ", cfg->file_path);
	char *yes = login_ask(q.buf, false);
	if (yes && (!*yes || *yes == 'y' || *yes == 'Y')) {
		if (login_save_config(cfg->file_path, config_get(cfg, CFG_CLIENT_ID), config_get(cfg, CFG_CLIENT_SECRET)) < 0)
			log_warn("could not save %s: %s", cfg->file_path, strerror(errno));
		else
			fprintf(stderr, "Saved to %s.\n", cfg->file_path);
	}
	free(yes);
	sb_release(&q);
	if (new_secret)
		explicit_bzero(new_secret, strlen(new_secret));
	free(new_id);
	free(new_secret);
	return 0;
}

/* The browser outlives the login and runs whatever it likes: it gets our environment
 * without the client secret.  Returns a NULL-terminated copy of the pointers. */
static char **login_browser_environ(void)
{
	static const char secret[] = "MONZO_CLIENT_SECRET=";
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = xcalloc(n + 1, sizeof *env);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], secret, sizeof secret - 1))
			env[k++] = environ[i];
	return env;
}

static void login_open_browser(const char *url)
{
	char **env = login_browser_environ();
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	char *argv[] = { "xdg-open", (char *)url, NULL };
	pid_t pid;
	if (posix_spawnp(&pid, "xdg-open", &fa, NULL, argv, env) != 0)
		fprintf(stderr, "Could not start a browser: open the link above yourself.\n");
	posix_spawn_file_actions_destroy(&fa);
	free(env);
}

static char *login_auth_url(const struct config *cfg, const char *redirect, const char *state)
{
	char *id = http_escape(config_get(cfg, CFG_CLIENT_ID)), *uri = http_escape(redirect), *st = http_escape(state);
	char *query, *url = NULL;
	if (asprintf(&query, "/?client_id=%s&redirect_uri=%s&response_type=code&state=%s", id, uri, st) >= 0) {
		url = http_url_join(config_get(cfg, CFG_AUTH_URL), query);
		free(query);
	}
	free(id);
	free(uri);
	free(st);
	return url;
}

/* Polls GET /accounts until the user approves in the app; 0 with the reply. */
static int login_wait_approval(struct monzo *api, struct monzo_reply *accounts)
{
	time_t until = time(NULL) + LOGIN_APPROVAL_SECONDS;
	unsigned delay_ms = 1000;
	bool asked = false;
	for (;;) {
		monzo_reply_init(accounts);
		int rc = monzo_get(api, "/accounts", accounts);
		if (rc == 0)
			return 0;
		if (!(accounts->err.http_status == 403 && !strcmp(accounts->err.code, "forbidden.insufficient_permissions"))) {
			struct strbuf why = STRBUF_INIT;
			monzo_error_describe(&accounts->err, &why);
			log_error("cannot list the accounts: %s", why.buf);
			sb_release(&why);
			monzo_reply_release(accounts);
			return -1;
		}
		monzo_reply_release(accounts);
		if (!asked) {
			fprintf(stderr, "Now approve access in the Monzo app (a notification on your phone). Waiting...\n");
			asked = true;
		}
		if (time(NULL) >= until) {
			log_error("access was not approved in the Monzo app within %d minutes: run monzohfs-login again",
				  LOGIN_APPROVAL_SECONDS / 60);
			return -1;
		}
		struct timespec ts = { delay_ms / 1000, (long)(delay_ms % 1000) * 1000000 };
		nanosleep(&ts, NULL);
		if (delay_ms < 5000)
			delay_ms = delay_ms * 3 / 2;
	}
}

/* Accounts and pot ledgers captured at once: their requests share the pace, so this
 * bounds the history store's caches (each capture's grows with its history). */
#define LOGIN_SIDE_BY_SIDE 4

/* One history to capture: an account (index: its place in the report), or a pot's
 * own account (pot_of: the account the pot is in, pot: the pot). */
struct login_job {
	struct login_job *next;
	char *account, *label, *pot, *pot_of;
	size_t index;
};

struct login_capture {
	struct monzo *api;
	struct report *rep;
	pthread_mutex_t lock;     /* all below */
	pthread_cond_t more;
	struct login_job *todo, **todo_end;
	int busy;                 /* captures running: each may queue its pots */
	int queued, finished;
	struct sync_progress running[LOGIN_SIDE_BY_SIDE];
	int64_t total;
};

/* One capture thread's own: its store connection and progress slot. */
struct login_worker {
	struct login_capture *cap;
	struct store *st;
	int slot;
	pthread_t thread;
};

/* Under cap->lock: the line the terminal shows while captures run, everything so far. */
static void login_status_locked(struct login_capture *cap)
{
	int64_t fetched = cap->total;
	int windows = 0, done = 0;
	for (int i = 0; i < LOGIN_SIDE_BY_SIDE; i++) {
		fetched += cap->running[i].fetched;
		windows += cap->running[i].windows;
		done += cap->running[i].windows_done;
	}
	char line[160];
	int n = snprintf(line, sizeof line, "%lld transactions", (long long)fetched);
	if (windows && n > 0 && (size_t)n < sizeof line)
		n += snprintf(line + n, sizeof line - (size_t)n, ", %d of %d windows", done, windows);
	if (n > 0 && (size_t)n < sizeof line)
		snprintf(line + n, sizeof line - (size_t)n, ", %d of %d histories done", cap->finished, cap->queued);
	report_status(cap->rep, line);
}

static void login_progress(void *ctx, const char *account, const struct sync_progress *progress)
{
	(void)account;
	struct login_worker *w = ctx;
	struct login_capture *cap = w->cap;
	pthread_mutex_lock(&cap->lock);
	cap->running[w->slot] = *progress;
	login_status_locked(cap);
	pthread_mutex_unlock(&cap->lock);
}

static void login_queue(struct login_capture *cap, const char *account, const char *label, const char *pot,
			const char *pot_of, size_t index)
{
	struct login_job *j = xcalloc(1, sizeof *j);
	j->account = xstrdup(account);
	j->label = xstrdup(label);
	j->pot = pot ? xstrdup(pot) : NULL;
	j->pot_of = pot ? xstrdup(pot_of) : NULL;
	j->index = index;
	pthread_mutex_lock(&cap->lock);
	*cap->todo_end = j;
	cap->todo_end = &j->next;
	cap->queued++;
	pthread_cond_signal(&cap->more);
	pthread_mutex_unlock(&cap->lock);
}

static void login_job_free(struct login_job *j)
{
	free(j->account);
	free(j->label);
	free(j->pot);
	free(j->pot_of);
	free(j);
}

/* The full history of one account or pot ledger, with progress on the terminal.  An
 * account that fails is a failure of the login; a pot's ledger that fails (the bank
 * refuses pot accounts to some clients) is a warning: the pot is then shown by its
 * pot.json alone. */
static int login_capture_one(struct login_worker *w, const struct login_job *j)
{
	struct login_capture *cap = w->cap;
	struct sync_result res;
	struct monzo_error e;
	struct sync_pot of = { j->pot_of, j->pot };
	int rc = j->pot ? sync_pot_ledger(cap->api, w->st, j->account, &of, true, NULL, login_progress, w, &res, &e)
			: sync_account(cap->api, w->st, j->account, true, NULL, login_progress, w, &res, &e);
	if (rc == 0) {
		report_line(cap->rep, "  %s: %lld transaction%s%s%s", j->label, (long long)res.fetched,
			    res.fetched == 1 ? "" : "s",
			    res.fell_back ? " (the last 89 days only: the full-history window had closed)" : "",
			    res.balance_refused ? " (the bank refuses its balance: no Balance column)" : "");
		if (!j->pot)
			report_captured(cap->rep, j->index, w->st, j->account, &res);
	} else {
		struct strbuf why = STRBUF_INIT;
		monzo_error_describe(&e, &why);
		report_line(cap->rep, "  %s: %s: %s", j->label, j->pot ? "warning: its ledger was not captured" : "failed",
			    why.buf);
		sb_release(&why);
		if (j->pot)
			report_pot_refused(cap->rep);
		else
			report_failed(cap->rep, j->index, &e);
	}
	pthread_mutex_lock(&cap->lock);
	memset(&cap->running[w->slot], 0, sizeof cap->running[w->slot]);
	cap->finished++;
	if (rc == 0)
		cap->total += res.fetched;
	login_status_locked(cap);
	pthread_mutex_unlock(&cap->lock);
	sync_result_release(&res);
	return rc;
}

/* The account's pot list, kept as a mount keeps it, so a pot's files work offline.
 * Returns the parsed reply (for the pots' names), or NULL. */
static cJSON *login_keep_pots(struct login_worker *w, const char *account)
{
	char *q = monzo_escape(account);
	struct strbuf path = STRBUF_INIT, name = STRBUF_INIT;
	sb_addf(&path, "/pots?current_account_id=%s", q);
	sb_addf(&name, "pots/%s", account);
	struct monzo_reply reply;
	cJSON *pots = NULL;
	monzo_reply_init(&reply);
	if (q && monzo_get(w->cap->api, path.buf, &reply) == 0) {
		struct instant now = timefmt_now();
		store_put_resource(w->st, name.buf, reply.body.buf, reply.body.len, now, now);
		pots = cJSON_ParseWithLength(reply.body.buf, reply.body.len);
	}
	monzo_reply_release(&reply);
	sb_release(&path);
	sb_release(&name);
	free(q);
	return pots;
}

/* A pot's name for a progress line: its printable ASCII alone (emoji and the like
 * left out, spaces squeezed), so that nothing of it needs escaping. */
static void login_plain_name(const char *name, char *out, size_t cap)
{
	size_t k = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p && k + 1 < cap; p++) {
		if (*p < 0x20 || *p > 0x7e)
			continue;
		if (*p == ' ' && (k == 0 || out[k - 1] == ' '))
			continue;
		out[k++] = (char)*p;
	}
	while (k && out[k - 1] == ' ')
		k--;
	out[k] = '\0';
}

/* "pot Holiday (pot_…, acc_…)": the pot's name from its account's /pots reply, its
 * id, and the id of its own account, whose ledger is captured. */
static void login_pot_label(const cJSON *pots, const char *pot, const char *pot_account, char *out, size_t cap)
{
	char name[LINKS_NAME_MAX] = "", pot_shown[64], acc_shown[64];
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(pots, "pots")) {
		if (!strcmp(json_str(p, "id", ""), pot))
			login_plain_name(json_str(p, "name", ""), name, sizeof name);
	}
	snprintf(out, cap, "  pot %s%s(%s, %s)", name, *name ? " " : "", termtext_cut(pot, pot_shown, sizeof pot_shown),
		 termtext_cut(pot_account, acc_shown, sizeof acc_shown));
}

/* Each pot and its own account, at the same index of two lists: the store is read to
 * the end before syncs write. */
struct login_pot_pairs {
	struct strlist pots, accounts;
};

static int login_pot_pair(void *ctx, const char *pot, const char *pot_account)
{
	struct login_pot_pairs *pairs = ctx;
	strlist_add(&pairs->pots, pot);
	strlist_add(&pairs->accounts, pot_account);
	return 0;
}

/* Its pots' own accounts, as its transfers name them, join the histories to capture. */
static void login_queue_pots(struct login_worker *w, const char *account, const cJSON *pots)
{
	struct login_pot_pairs pairs = { STRLIST_INIT, STRLIST_INIT };
	char shown[128];
	if (store_pot_accounts(w->st, account, login_pot_pair, &pairs) < 0)
		report_line(w->cap->rep, "    warning: cannot read the pots of %s from the history store: %s",
			    termtext_cut(account, shown, sizeof shown), store_errmsg(w->st));
	for (size_t i = 0; i < pairs.pots.n; i++) {
		const char *pot = pairs.pots.v[i], *pot_account = pairs.accounts.v[i];
		char label[LINKS_NAME_MAX + 160];
		login_pot_label(pots, pot, pot_account, label, sizeof label);
		login_queue(w->cap, pot_account, label, pot, account, 0);
	}
	strlist_release(&pairs.pots);
	strlist_release(&pairs.accounts);
}

/* Takes histories to capture until none is left and none running can add one. */
static void *login_worker_main(void *arg)
{
	struct login_worker *w = arg;
	struct login_capture *cap = w->cap;
	pthread_mutex_lock(&cap->lock);
	for (;;) {
		while (!cap->todo && cap->busy)
			pthread_cond_wait(&cap->more, &cap->lock);
		struct login_job *j = cap->todo;
		if (!j)
			break;
		cap->todo = j->next;
		if (!cap->todo)
			cap->todo_end = &cap->todo;
		cap->busy++;
		pthread_mutex_unlock(&cap->lock);
		if (login_capture_one(w, j) == 0 && !j->pot) {
			/* Its pots, and their own accounts as its transfers name them. */
			cJSON *pots = login_keep_pots(w, j->account);
			login_queue_pots(w, j->account, pots);
			cJSON_Delete(pots);
		}
		login_job_free(j);
		pthread_mutex_lock(&cap->lock);
		cap->busy--;
		pthread_cond_broadcast(&cap->more);
	}
	pthread_mutex_unlock(&cap->lock);
	return NULL;
}

/* Ctrl-C during the capture: a thread of its own waits for it (SIGINT is blocked in
 * every other thread), says what was captured and ends the program at once, even with
 * a request on its way: what each capture committed stays in the store. */
static void *login_interrupt_thread(void *arg)
{
	struct report *rep = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	int sig;
	while (sigwait(&set, &sig) != 0)
		;
	/* From here on, the summary is said whole. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	report_interrupted(rep);
	_exit(130);
}

struct login_interrupt {
	pthread_t thread;
	bool running;
	sigset_t old;
};

static void login_interrupt_start(struct login_interrupt *li, struct report *rep)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, &li->old);
	li->running = pthread_create(&li->thread, NULL, login_interrupt_thread, rep) == 0;
}

static void login_interrupt_stop(struct login_interrupt *li)
{
	if (li->running) {
		pthread_cancel(li->thread);
		pthread_join(li->thread, NULL);
	}
	pthread_sigmask(SIG_SETMASK, &li->old, NULL);
}

/* Runs the capture threads (as many as requests may be in flight, at most
 * LOGIN_SIDE_BY_SIDE; --parallel 1: one after another), each writing through a
 * store connection of its own (the first is st). */
static void login_run_workers(struct login_capture *cap, struct store *st, const char *path)
{
	int n = pace_cap(&cap->api->pace) < LOGIN_SIDE_BY_SIDE ? pace_cap(&cap->api->pace) : LOGIN_SIDE_BY_SIDE;
	struct login_worker workers[LOGIN_SIDE_BY_SIDE];
	struct strbuf err = STRBUF_INIT;
	int started = 0;
	for (int i = 0; i < n; i++) {
		struct login_worker *w = &workers[started];
		*w = (struct login_worker){ .cap = cap, .slot = started };
		sb_reset(&err);
		if (i > 0 && store_open(path, &w->st, &err) < 0) {
			log_warn("capturing fewer histories at once: cannot open the history store again: %s", err.buf);
			break;
		}
		if (i == 0)
			w->st = st;
		if (pthread_create(&w->thread, NULL, login_worker_main, w) != 0) {
			if (i > 0)
				store_close(w->st);
			break;
		}
		started++;
	}
	if (!started) {
		struct login_worker *w = &workers[0];
		*w = (struct login_worker){ .cap = cap, .st = st };
		login_worker_main(w);
	}
	for (int i = 0; i < started; i++) {
		pthread_join(workers[i].thread, NULL);
		if (i > 0)
			store_close(workers[i].st);
	}
	sb_release(&err);
}

/* The full history of every account and of its pots' own accounts, into the store,
 * while the window is open, several side by side; the account list too, so a mount
 * works offline straight away. */
static int login_sync_all(struct monzo *api, const struct monzo_reply *accounts)
{
	const cJSON *accounts_reply = accounts->json;
	char *path = config_store_path();
	struct store *st;
	struct strbuf err = STRBUF_INIT;
	if (!path || store_open(path, &st, &err) < 0) {
		log_error("cannot open the history store %s: %s", path ? path : "", err.buf ? err.buf : "");
		sb_release(&err);
		free(path);
		return -1;
	}
	struct report rep;
	report_init(&rep, accounts_reply, path);
	struct instant now = timefmt_now();
	store_put_resource(st, "accounts", accounts->body.buf, accounts->body.len, now, now);
	fprintf(stderr, "Copying the full history into %s (Monzo allows it for about 5 minutes):\n", path);
	struct login_capture cap = { .api = api, .rep = &rep };
	pthread_mutex_init(&cap.lock, NULL);
	pthread_cond_init(&cap.more, NULL);
	cap.todo_end = &cap.todo;
	struct login_interrupt li;
	login_interrupt_start(&li, &rep);
	/* Each account's line says what the sync's own log lines would. */
	log_set_quiet(true);
	const cJSON *a;
	size_t i = 0;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(accounts_reply, "accounts")) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "id");
		size_t at = i++;
		if (cJSON_IsString(id))
			login_queue(&cap, id->valuestring, rep.acc[at].label, NULL, NULL, at);
	}
	login_run_workers(&cap, st, path);
	log_set_quiet(false);
	int rc = report_finish(&rep);
	login_interrupt_stop(&li);
	report_free(&rep);
	pthread_cond_destroy(&cap.more);
	pthread_mutex_destroy(&cap.lock);
	store_close(st);
	free(path);
	sb_release(&err);
	return rc;
}

/* Monzo refused to exchange the code: one line, naming what to fix.  A rejected
 * client is the id or secret (which no new login fixes); anything else, the code or
 * the redirect URL it was sent with. */
static void login_code_refused(const struct config *cfg, const struct monzo_error *e)
{
	struct strbuf why = STRBUF_INIT, client = STRBUF_INIT;
	monzo_error_describe(e, &why);
	if (auth_client_rejected(e)) {
		config_explain_client(cfg, &client);
		log_error("Monzo rejected the client (%s): check %s", sb_str(&why), sb_str(&client));
	} else {
		log_error("Monzo did not accept the login code (%s)%s", sb_str(&why),
			  e->http_status == 400 || e->http_status == 401
				  ? ": check that MONZO_REDIRECT_URI matches the client's redirect URL exactly, then run "
				    "monzohfs-login again"
				  : "");
	}
	sb_release(&why);
	sb_release(&client);
}

int main(int argc, char *argv[])
{
	struct login_opts o = { 0 };
	int r = login_parse(argc, argv, &o);
	if (r >= 0) {
		if (r == 2)
			fprintf(stderr, "usage: monzohfs-login [--port N] [--no-browser] [--no-sync] [--parallel N]   "
					"(see --help)\n");
		return r;
	}
	log_init("monzohfs-login", false);
	if (auth_protect_process() < 0)
		log_warn("cannot turn core dumps off: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);

	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	struct callback *cb = NULL;
	char *host = NULL, *path = NULL, *state = NULL, *url = NULL, *code = NULL, *tokens_path = NULL;
	char *redirect = NULL;
	int port, ret = 1;
	config_init(&cfg);
	if (config_load(&cfg, &err) < 0) {
		log_error("%s", err.buf);
		goto out;
	}
	/* The dates its report gives are London's, as the mount's are by default. */
	if (localtime_set_zone("Europe/London", &err) < 0)
		sb_reset(&err);
	if (login_credentials(&cfg) < 0)
		goto out;
	const char *uri = config_get(&cfg, CFG_REDIRECT_URI);
	if (callback_parse_redirect(uri, &host, &port, &path) < 0) {
		log_error("MONZO_REDIRECT_URI %s: it must be http:// on localhost, 127.0.0.1 or [::1], with a path, "
			  "a port from 1 to 65535 and no user name or fragment",
			  uri);
		goto out;
	}
	if (o.port && o.port != port) {
		port = o.port;
		if (asprintf(&redirect, "http://%s:%d%s", host, port, path) < 0)
			goto out;
	} else {
		redirect = xstrdup(uri);
	}
	const char *base = config_get(&cfg, CFG_BASE_URL);
	if (!http_url_allows_bearer(base) || !http_url_allows_bearer(config_get(&cfg, CFG_AUTH_URL))) {
		log_error("MONZO_BASE_URL and MONZO_AUTH_URL must be https:// (or http:// on this machine)");
		goto out;
	}
	tokens_path = config_tokens_path();
	if (!tokens_path) {
		log_error("cannot find the XDG cache directory: set HOME or XDG_CACHE_HOME");
		goto out;
	}
	if (http_global_init() < 0) {
		log_error("cannot initialise libcurl");
		goto out;
	}

	state = callback_random_state();
	if (!state) {
		log_error("out of memory");
		goto out_http;
	}
	bool in_use;
	if (callback_start(host, port, path, state, &cb, &in_use, &err) < 0) {
		if (in_use)
			log_error("port %d is already in use (by another program, or an earlier monzohfs-login): stop "
				  "it, or listen elsewhere with --port N and register http://%s:N%s as a redirect URL "
				  "of your Monzo client",
				  port, host, path);
		else
			log_error("%s", err.buf);
		goto out_http;
	}
	url = login_auth_url(&cfg, redirect, state);
	if (!url) {
		log_error("out of memory");
		goto out_http;
	}
	fprintf(stderr, "Open this link to log in to Monzo (waiting %d minutes for the callback on %s):\n",
		LOGIN_CALLBACK_SECONDS / 60, redirect);
	printf("%s\n", url);
	fflush(stdout);
	if (!o.no_browser)
		login_open_browser(url);

	sb_reset(&err);
	if (callback_wait(cb, LOGIN_CALLBACK_SECONDS, &code, &err) < 0) {
		log_error("%s: run monzohfs-login again", err.buf);
		goto out_http;
	}
	callback_stop(cb);
	cb = NULL;

	char *token_url = http_url_join(base, "/oauth2/token");
	if (!token_url)
		goto out_http;
	char *form = auth_code_form(config_get(&cfg, CFG_CLIENT_ID), config_get(&cfg, CFG_CLIENT_SECRET), redirect,
				    code);
	struct tokens tok;
	struct monzo_error e;
	int xrc = auth_token_request(token_url, form, &tok, &e);
	explicit_bzero(form, strlen(form));
	free(form);
	free(token_url);
	if (xrc < 0) {
		login_code_refused(&cfg, &e);
		goto out_http;
	}
	if (!tok.client_id)
		tok.client_id = xstrdup(config_get(&cfg, CFG_CLIENT_ID));
	sb_reset(&err);
	if (auth_save_login(tokens_path, &tok, &err) < 0) {
		log_error("%s", err.buf);
		tokens_free(&tok);
		goto out_http;
	}
	struct strbuf user = STRBUF_INIT;
	if (tok.user_id)
		termtext_escape(tok.user_id, &user);
	fprintf(stderr, "Logged in%s%s. The login is saved in %s.\n", tok.user_id ? " as " : "", sb_str(&user),
		tokens_path);
	sb_release(&user);

	struct auth auth;
	struct monzo api;
	auth_init(&auth, tokens_path, &tok, base, config_get(&cfg, CFG_CLIENT_ID), config_get(&cfg, CFG_CLIENT_SECRET));
	struct strbuf client = STRBUF_INIT;
	config_explain_client(&cfg, &client);
	auth_set_client_help(&auth, NULL, client.buf);
	sb_release(&client);
	tokens_free(&tok);
	monzo_init(&api, base, &auth);
	if (o.parallel)
		monzo_set_parallel(&api, o.parallel);
	struct monzo_reply accounts;
	if (login_wait_approval(&api, &accounts) == 0) {
		fprintf(stderr, "Access approved.\n");
		ret = o.no_sync ? 0 : login_sync_all(&api, &accounts);
		if (ret < 0)
			ret = 1;
		monzo_reply_release(&accounts);
		if (ret == 0 || ret == 3)
			fprintf(stderr, "Done: mount with  mkdir -p ~/monzo && monzohfs ~/monzo\n");
	}
	monzo_destroy(&api);
	auth_destroy(&auth);
out_http:
	callback_stop(cb);
	http_global_cleanup();
out:
	if (code)
		explicit_bzero(code, strlen(code));
	free(code);
	free(url);
	free(state);
	free(host);
	free(path);
	free(redirect);
	free(tokens_path);
	config_free(&cfg);
	sb_release(&err);
	return ret;
}
