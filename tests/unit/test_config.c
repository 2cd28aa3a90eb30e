/* Unit tests of config: .env lines as monzoh and people write them, and the order of
 * sources (environment over .env over the XDG config file). */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "config.h"

static void check_line(const char *line, int want, const char *k, const char *v)
{
	char *key, *value;
	int r = config_parse_line(line, &key, &value);
	CHECK(r == want);
	if (r == 1) {
		CHECK_STR(key, k);
		CHECK_STR(value, v);
	}
	free(key);
	free(value);
}

int main(void)
{
	check_line("MONZO_CLIENT_ID=oauth2client_1", 1, "MONZO_CLIENT_ID", "oauth2client_1");
	check_line("  export MONZO_CLIENT_ID = abc  ", 1, "MONZO_CLIENT_ID", "abc");
	check_line("A=\"quoted # not a comment\"", 1, "A", "quoted # not a comment");
	check_line("A='single \\n'", 1, "A", "single \\n");
	check_line("A=\"esc \\\" \\n\"", 1, "A", "esc \" \n");
	check_line("A=value # comment", 1, "A", "value");
	check_line("A=val#ue", 1, "A", "val#ue");
	check_line("A=", 1, "A", "");
	check_line("# comment", 0, NULL, NULL);
	check_line("   ", 0, NULL, NULL);
	check_line("no equals sign", -1, NULL, NULL);
	check_line("=value", -1, NULL, NULL);
	check_line("A=\"unterminated", -1, NULL, NULL);
	check_line("BAD-KEY=1", -1, NULL, NULL);

	/* What the login writes reads back as it was typed. */
	const char *values[] = { "mnzconf.a #b", "\"quoted\"", "back\\slash\\", " lead and trail ", "tab\there",
				 "line\nbreak", "'single'", "#", "" };
	for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
		struct strbuf line = STRBUF_INIT;
		config_format_line("MONZO_CLIENT_SECRET", values[i], &line);
		CHECK(line.len && line.buf[line.len - 1] == '\n');
		line.buf[--line.len] = '\0';
		check_line(line.buf, 1, "MONZO_CLIENT_SECRET", values[i]);
		sb_release(&line);
	}

	char dir[] = "/tmp/monzohfs-config-XXXXXX";
	CHECK(mkdtemp(dir));
	CHECK(chdir(dir) == 0);
	FILE *f = fopen(".env", "w");
	fputs("MONZO_CLIENT_ID=from-dotenv\nMONZO_CLIENT_SECRET=\"dotenv secret\"\n", f);
	fclose(f);
	f = fopen("config", "w");
	fputs("MONZO_CLIENT_SECRET=from-file\nMONZO_BASE_URL=http://127.0.0.1:1\n", f);
	fclose(f);
	setenv("MONZO_CLIENT_ID", "from-env", 1);
	unsetenv("MONZO_CLIENT_SECRET");
	unsetenv("MONZO_BASE_URL");
	unsetenv("MONZO_AUTH_URL");
	unsetenv("MONZO_REDIRECT_URI");

	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	config_init(&cfg);
	cfg.file_path = strdup("config");
	config_set_option(&cfg, CFG_AUTH_URL, "http://127.0.0.1:2");
	CHECK(config_load(&cfg, &err) == 0);
	CHECK_STR(config_get(&cfg, CFG_CLIENT_ID), "from-env");
	CHECK_STR(config_get(&cfg, CFG_CLIENT_SECRET), "dotenv secret");
	CHECK_STR(config_get(&cfg, CFG_BASE_URL), "http://127.0.0.1:1");
	CHECK_STR(config_get(&cfg, CFG_AUTH_URL), "http://127.0.0.1:2");
	CHECK_STR(cfg.source[CFG_AUTH_URL], "option");
	CHECK_STR(config_get(&cfg, CFG_REDIRECT_URI), "http://localhost:8080/callback");
	config_free(&cfg);

	/* Another project's lines are not ours to judge; an empty value sets nothing. */
	f = fopen(".env", "w");
	fputs("MONZO_CLIENT_ID=ok\nthis line is someone else's\nMONZO_CLIENT_SECRET=\n", f);
	fclose(f);
	unsetenv("MONZO_CLIENT_ID");
	config_init(&cfg);
	cfg.file_path = strdup("config");
	CHECK(config_load(&cfg, &err) == 0);
	CHECK_STR(config_get(&cfg, CFG_CLIENT_ID), "ok");
	CHECK_STR(config_get(&cfg, CFG_CLIENT_SECRET), "from-file");
	config_free(&cfg);

	f = fopen(".env", "w");
	fputs("MONZO_CLIENT_ID=ok\nMONZO_CLIENT_SECRET=\"unterminated\n", f);
	fclose(f);
	config_init(&cfg);
	cfg.file_path = strdup("config");
	CHECK(config_load(&cfg, &err) < 0);
	CHECK(strstr(sb_str(&err), ".env:2") != NULL);
	config_free(&cfg);
	sb_release(&err);

	/* Where secrets go is never taken from ./.env: a directory is not to be trusted
	 * with it.  The config file and the defaults still apply. */
	f = fopen(".env", "w");
	fputs("MONZO_BASE_URL=https://evil.example\nMONZO_AUTH_URL=https://evil.example\n"
	      "MONZO_REDIRECT_URI=http://127.0.0.1:9/cb\n", f);
	fclose(f);
	config_init(&cfg);
	cfg.file_path = strdup("config");
	CHECK(config_load(&cfg, &err) == 0);
	CHECK_STR(config_get(&cfg, CFG_BASE_URL), "http://127.0.0.1:1");
	CHECK_STR(config_get(&cfg, CFG_AUTH_URL), "https://auth.monzo.com");
	CHECK_STR(cfg.source[CFG_AUTH_URL], "default");
	CHECK_STR(config_get(&cfg, CFG_REDIRECT_URI), "http://127.0.0.1:9/cb");
	config_free(&cfg);

	unlink(".env");
	unlink("config");
	CHECK(chdir("/") == 0);
	rmdir(dir);
	return CHECK_DONE();
}
