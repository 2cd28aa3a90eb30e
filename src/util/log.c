/* log: one line per message, prefixed with the program name on stderr; syslog after
 * the daemon detaches (stderr then points at /dev/null). */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

static const char *log_prog = "monzohfs";
static bool log_debug_on;
static bool log_syslog;
static bool log_quiet;   /* atomic */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_init(const char *progname, bool debug)
{
	log_prog = progname;
	log_debug_on = debug;
}

void log_to_syslog(void)
{
	openlog(log_prog, LOG_PID, LOG_USER);
	log_syslog = true;
}

void log_set_quiet(bool quiet)
{
	__atomic_store_n(&log_quiet, quiet, __ATOMIC_RELAXED);
}

static void log_v(int prio, const char *fmt, va_list ap)
{
	if (log_syslog) {
		vsyslog(prio, fmt, ap);
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
