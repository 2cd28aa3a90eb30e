/* refresh: the self-pipe way: the handler writes one byte (write(2) is safe in a
 * handler), the thread reads it and does the work under the cache's own lock. */
#include "refresh.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int refresh_pipe[2] = { -1, -1 };
static pthread_t refresh_thread;
static struct cache *refresh_cache;

static void refresh_on_hup(int sig)
{
	(void)sig;
	int saved = errno;
	char b = 1;
	/* A full pipe already holds a wake-up: nothing is lost when this one fails. */
	ssize_t n = write(refresh_pipe[1], &b, 1);
	(void)n;
	errno = saved;
}

static void *refresh_run(void *arg)
{
	(void)arg;
	char buf[64];
	for (;;) {
		ssize_t n = read(refresh_pipe[0], buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		cache_expire_all(refresh_cache);
		log_info("SIGHUP: every file is fetched again at its next look");
	}
}

int refresh_start(struct cache *c)
{
	refresh_cache = c;
	if (pipe2(refresh_pipe, O_CLOEXEC) < 0)
		return -1;
	fcntl(refresh_pipe[1], F_SETFL, O_NONBLOCK);
	int rc = pthread_create(&refresh_thread, NULL, refresh_run, NULL);
	if (rc) {
		close(refresh_pipe[0]);
		close(refresh_pipe[1]);
		refresh_pipe[0] = refresh_pipe[1] = -1;
		errno = rc;
		return -1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = refresh_on_hup;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGHUP, &sa, NULL);
}

void refresh_stop(void)
{
	if (refresh_pipe[1] < 0)
		return;
	/* Ignored first, so that no late handler writes to a descriptor closed (and
	 * perhaps reused) below. */
	signal(SIGHUP, SIG_IGN);
	close(refresh_pipe[1]);
	pthread_join(refresh_thread, NULL);
	close(refresh_pipe[0]);
	refresh_pipe[0] = refresh_pipe[1] = -1;
}
