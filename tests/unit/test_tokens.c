/* Unit tests of tokens: monzoh's byte layout both ways, the expires_at forms, the
 * reasons a file is refused, and the atomic 0600 write. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tokens.h"

static const char monzoh_file[] = "{\n"
				  "  \"access_token\": \"eyJhbGciOi.eyJzdWIi.sig\",\n"
				  "  \"refresh_token\": \"eyJyZWZyZXNo.x.y\",\n"
				  "  \"expires_at\": \"2025-09-27T20:15:42.123456+00:00\",\n"
				  "  \"user_id\": \"user_0000BBBBBBBBBBBBBBBBBB\",\n"
				  "  \"client_id\": \"oauth2client_0000AAAAAAAAAAAAAAAAAA\"\n"
				  "}";

static int parses(const char *text)
{
	struct tokens t;
	struct strbuf err = STRBUF_INIT;
	int rc = tokens_parse(text, strlen(text), &t, &err);
	if (rc == 0)
		tokens_free(&t);
	else
		CHECK(err.len > 0);
	sb_release(&err);
	return rc == 0;
}

int main(void)
{
	struct tokens t;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	CHECK(tokens_parse(monzoh_file, strlen(monzoh_file), &t, &err) == 0);
	CHECK_STR(t.access_token, "eyJhbGciOi.eyJzdWIi.sig");
	CHECK(t.expires_at.sec == 1759004142 && t.expires_at.nsec == 123456000);
	tokens_format(&t, &out);
	CHECK_STR(out.buf, monzoh_file);

	char dir[] = "/tmp/monzohfs-tokens-XXXXXX";
	CHECK(mkdtemp(dir));
	struct strbuf path = STRBUF_INIT;
	sb_addf(&path, "%s/nested/monzoh/tokens.json", dir);
	CHECK(tokens_save(path.buf, &t, &err) == 0);
	struct stat st;
	CHECK(stat(path.buf, &st) == 0 && (st.st_mode & 0777) == 0600);
	struct strbuf d = STRBUF_INIT;
	sb_addf(&d, "%s/nested/monzoh", dir);
	CHECK(stat(d.buf, &st) == 0 && (st.st_mode & 0777) == 0700);
	/* A directory that was already there is made private too. */
	CHECK(chmod(d.buf, 0755) == 0);
	CHECK(tokens_save(path.buf, &t, &err) == 0);
	CHECK(stat(d.buf, &st) == 0 && (st.st_mode & 0777) == 0700);
	struct tokens back;
	int missing;
	CHECK(tokens_load(path.buf, &back, &missing, &err) == 0);
	CHECK_STR(back.refresh_token, t.refresh_token);
	tokens_free(&back);
	tokens_free(&t);

	sb_reset(&path);
	sb_addf(&path, "%s/absent.json", dir);
	CHECK(tokens_load(path.buf, &back, &missing, &err) < 0 && missing == 1);

	CHECK(parses("{\"access_token\":\"a\",\"refresh_token\":null,\"expires_at\":\"2025-01-01T00:00:00Z\","
		     "\"user_id\":\"u\",\"client_id\":\"c\"}"));
	CHECK(parses("{\"access_token\":\"a\",\"refresh_token\":\"r\",\"expires_at\":\"2025-01-01T00:00:00.5+00:00\","
		     "\"user_id\":\"u\",\"client_id\":\"c\"}"));
	CHECK(!parses("{\"access_token\":\"a\",\"expires_at\":\"2025-01-01T00:00:00\"}"));
	CHECK(!parses("{\"refresh_token\":\"r\",\"expires_at\":\"2025-01-01T00:00:00Z\"}"));
	CHECK(!parses("{\"access_token\":5,\"expires_at\":\"2025-01-01T00:00:00Z\"}"));
	CHECK(!parses("[1,2]"));
	CHECK(!parses("{\"access_token\":\"a\""));
	CHECK(!parses(""));

	sb_release(&err);
	sb_release(&out);
	sb_release(&path);
	sb_release(&d);
	return CHECK_DONE();
}
