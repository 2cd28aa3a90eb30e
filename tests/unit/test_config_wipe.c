/* Unit test: config leaves no copy of a value (the client secret is one) in memory
 * it frees.  Linked with -Wl,--wrap=free, so each block the library frees is looked
 * at first. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"

void __real_free(void *p);
void __wrap_free(void *p);

static const char secret[] = "mnzconf.s3cr3t-value";
static int freed_with_secret, freed;

void __wrap_free(void *p)
{
	if (p) {
		freed++;
		if (memmem(p, malloc_usable_size(p), secret, sizeof secret - 1))
			freed_with_secret++;
	}
	__real_free(p);
}

int main(void)
{
	char dir[] = "/tmp/monzohfs-config-wipe-XXXXXX";
	CHECK(mkdtemp(dir) && chdir(dir) == 0);
	FILE *f = fopen("config", "w");
	fprintf(f, "MONZO_CLIENT_ID=id\nMONZO_CLIENT_SECRET=\"%s\"\n", secret);
	fclose(f);
	f = fopen(".env", "w");
	fprintf(f, "export MONZO_CLIENT_SECRET=%s # a comment\n", secret);
	fclose(f);
	unsetenv("MONZO_CLIENT_SECRET");

	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	config_init(&cfg);
	cfg.file_path = strdup("config");
	CHECK(config_load(&cfg, &err) == 0);
	CHECK_STR(config_get(&cfg, CFG_CLIENT_SECRET), secret);
	/* A value an option replaces, and every value at the end. */
	config_set_option(&cfg, CFG_CLIENT_SECRET, "another");
	config_set_option(&cfg, CFG_CLIENT_ID, secret);
	config_free(&cfg);
	CHECK(freed > 0);
	CHECK(freed_with_secret == 0);

	unlink("config");
	unlink(".env");
	CHECK(chdir("/") == 0 && rmdir(dir) == 0);
	return CHECK_DONE();
}
