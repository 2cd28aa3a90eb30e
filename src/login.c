/* monzohfs-login: logs in through the browser and captures the full history.  Until
 * the login flow lands it explains itself and where tokens go. */
#include <stdio.h>
#include <string.h>

static void login_usage(FILE *f)
{
	fprintf(f, "usage: monzohfs-login [--port N] [--no-browser] [--no-sync]\n\n"
		   "Logs in to Monzo through your browser and saves the tokens in\n"
		   "$XDG_CACHE_HOME/monzoh/tokens.json (shared with monzoh).\n"
		   "This build does not log in yet: write tokens.json with monzoh's monzoh-auth.\n");
}

int main(int argc, char *argv[])
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			login_usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
			printf("monzohfs-login %s\n", MONZOHFS_VERSION);
			return 0;
		}
	}
	login_usage(stderr);
	return 2;
}
