/* log: one line per message, prefixed with the program name on stderr; once the
 * daemon detaches (stderr then points at /dev/null), syslog, or where there is no
 * syslog a private file of bounded size (logfile). */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "logfile.h"
#include "timefmt.h"

enum log_sink { SINK_STDERR, SINK_SYSLOG, SINK_FILE };

static const char *log_prog = "monzohfs";
static bool log_debug_on;
static enum log_sink log_sink = SINK_STDERR;
static enum log_sink log_detached_sink = SINK_SYSLOG;
static bool log_quiet;   /* atomic */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_init(const char *progname, bool debug)
{
	log_prog = progname;
	log_debug_on = debug;
}

/* Whether syslog(3) has a socket to write to: glibc's is /dev/log, and without it
 * every message is lost. */
static bool log_have_syslog(void)
{
	const char *sock = getenv("MONZOHFS_TEST_SYSLOG_SOCKET");
	struct stat st;
	return stat(sock && *sock ? sock : "/dev/log", &st) == 0 && S_ISSOCK(st.st_mode);
}

int log_prepare_detached(const char *file_path, struct strbuf *where, struct strbuf *err)
{
	if (log_have_syslog()) {
		log_detached_sink = SINK_SYSLOG;
		struct stat st;
		if (stat("/run/systemd/journal/socket", &st) == 0)
			sb_addf(where, "journalctl --user -t %s", log_prog);
		else
			sb_addf(where, "syslog, as %s", log_prog);
		return 0;
	}
	log_detached_sink = SINK_FILE;
	if (!file_path) {
		sb_adds(err, "there is no syslog (/dev/log) and no XDG state directory: set HOME or XDG_STATE_HOME");
		return -1;
	}
	if (logfile_open(file_path, err) < 0)
		return -1;
	sb_adds(where, file_path);
	return 0;
}

void log_detach(void)
{
	if (log_detached_sink == SINK_SYSLOG)
		openlog(log_prog, LOG_PID, LOG_USER);
	log_sink = log_detached_sink;
}

void log_set_quiet(bool quiet)
{
	__atomic_store_n(&log_quiet, quiet, __ATOMIC_RELAXED);
}

/* "2024-06-01T12:20:18Z monzohfs[123]: warning: …" */
static void log_to_file(int prio, const char *fmt, va_list ap)
{
	char when[32];
	timefmt_utc_z(timefmt_now().sec, when);
	struct strbuf line = STRBUF_INIT;
	sb_addf(&line, "%s %s[%ld]: %s", when, log_prog, (long)getpid(),
		prio == LOG_ERR ? "error: " : prio == LOG_WARNING ? "warning: " : "");
	sb_vaddf(&line, fmt, ap);
	sb_addch(&line, '\n');
	pthread_mutex_lock(&log_lock);
	logfile_write(line.buf, line.len);
	pthread_mutex_unlock(&log_lock);
	sb_release(&line);
}

static void log_v(int prio, const char *fmt, va_list ap)
{
	if (log_sink == SINK_SYSLOG) {
		vsyslog(prio, fmt, ap);
		return;
	}
	if (log_sink == SINK_FILE) {
		log_to_file(prio, fmt, ap);
		return;
	}
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s: ", log_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
}

#define LOG_FN(name, prio, cond)            \
	void name(const char *fmt, ...)     \
	{                                   \
		if (!(cond))                \
			return;             \
		va_list ap;                 \
		va_start(ap, fmt);          \
		log_v(prio, fmt, ap);       \
		va_end(ap);                 \
	}

LOG_FN(log_error, LOG_ERR, 1)
LOG_FN(log_warn, LOG_WARNING, 1)
LOG_FN(log_info, LOG_INFO, !__atomic_load_n(&log_quiet, __ATOMIC_RELAXED))
LOG_FN(log_debug, LOG_DEBUG, log_debug_on && !__atomic_load_n(&log_quiet, __ATOMIC_RELAXED))
