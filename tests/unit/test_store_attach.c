/* Unit tests of the store's attachments: the list read out of the transactions' JSON
 * (order, array places, entries without a file_url left out, other accounts apart),
 * the fetched files' rows across reopening, and blobs (SHA-256, 0600 in a 0700
 * directory, a wrong size refused). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blobs.h"
#include "check.h"
#include "store.h"
#include "store_attach.h"

static int collect(void *ctx, const struct store_attach *a)
{
	sb_addf(ctx, "%s#%d %s %s %s|", a->tx_id, a->index, a->file_url, a->file_type, a->created);
	return 0;
}

static void put(struct store *s, const char *text)
{
	bool changed;
	CHECK(store_upsert_transaction(s, text, strlen(text), 1, &changed, NULL) == 0 && changed);
}

int main(void)
{
	char dir[] = "/tmp/monzohfs-attach-XXXXXX";
	CHECK(mkdtemp(dir));
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	sb_addf(&path, "%s/data/history.sqlite3", dir);
	struct store *s;
	CHECK(store_open(path.buf, &s, &err) == 0);

	put(s, "{\"id\":\"tx_2\",\"account_id\":\"acc\",\"created\":\"2024-02-01T00:00:00Z\",\"amount\":-1,"
	       "\"currency\":\"GBP\",\"attachments\":[{\"file_url\":\"https://f/2a.jpg\",\"file_type\":\"image/jpeg\","
	       "\"created\":\"2024-02-01T00:05:00Z\"},{\"file_type\":\"image/png\"},"
	       "{\"file_url\":\"https://f/2c\"}]}");
	put(s, "{\"id\":\"tx_1\",\"account_id\":\"acc\",\"created\":\"2024-01-01T00:00:00Z\",\"amount\":-1,"
	       "\"currency\":\"GBP\",\"attachments\":[{\"file_url\":\"https://f/1.pdf\",\"file_type\":\"application/pdf\"}]}");
	put(s, "{\"id\":\"tx_3\",\"account_id\":\"acc\",\"created\":\"2024-03-01T00:00:00Z\",\"amount\":-1,"
	       "\"currency\":\"GBP\",\"attachments\":null,\"notes\":\"file_url\"}");
	put(s, "{\"id\":\"tx_4\",\"account_id\":\"other\",\"created\":\"2024-03-01T00:00:00Z\",\"amount\":-1,"
	       "\"currency\":\"GBP\",\"attachments\":[{\"file_url\":\"https://f/4.png\",\"file_type\":\"image/png\"}]}");

	struct strbuf got = STRBUF_INIT;
	CHECK(store_attach_each(s, "acc", collect, &got) == 0);
	CHECK_STR(got.buf, "tx_1#0 https://f/1.pdf application/pdf |"
			   "tx_2#0 https://f/2a.jpg image/jpeg 2024-02-01T00:05:00Z|tx_2#2 https://f/2c  |");
	sb_reset(&got);
	CHECK(store_attach_each(s, "none", collect, &got) == 0 && got.len == 0);

	/* Fetched files: absent, recorded, and still there after reopening. */
	struct store_attach_file f = { .size = 3, .content_type = "image/jpeg", .fetched_at = { 1700000000, 5 } };
	blobs_sha256("abc", 3, f.sha256);
	CHECK_STR(f.sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	struct store_attach_file g;
	CHECK(store_attach_find(s, "https://f/1.pdf", &g) == -ENOENT);
	CHECK(store_attach_record(s, "https://f/1.pdf", &f) == 0);
	store_close(s);
	CHECK(store_open(path.buf, &s, &err) == 0);
	CHECK(store_attach_find(s, "https://f/1.pdf", &g) == 0 && g.size == 3 && g.fetched_at.sec == 1700000000 &&
	      g.fetched_at.nsec == 5);
	CHECK_STR(g.sha256, f.sha256);
	CHECK_STR(g.content_type, "image/jpeg");
	store_close(s);

	/* Blobs beside the store. */
	char *bdir = blobs_dir(path.buf);
	struct strbuf want = STRBUF_INIT;
	sb_addf(&want, "%s/data/attachments", dir);
	CHECK_STR(bdir, want.buf);
	CHECK(blobs_open(bdir, f.sha256, 3) < 0 && errno == ENOENT);
	CHECK(blobs_put(bdir, f.sha256, "abc", 3, 5) == 0);
	CHECK(blobs_put(bdir, f.sha256, "abc", 3, 5) == 0);   /* there already: no room needed */
	CHECK(blobs_put(bdir, "../escape", "abc", 3, 5) < 0 && errno == EINVAL);
	/* The quota counts what is kept: 3 of 5 bytes taken, so 2 more fit and 3 do not. */
	char hex[BLOBS_HEX_LEN + 1];
	blobs_sha256("xyz", 3, hex);
	CHECK(blobs_put(bdir, hex, "xyz", 3, 5) < 0 && errno == EDQUOT);
	CHECK(blobs_open(bdir, hex, 3) < 0 && errno == ENOENT);
	CHECK(blobs_put(bdir, hex, "xyz", 3, UINT64_MAX) == 0);
	blobs_sha256("no", 2, hex);
	CHECK(blobs_put(bdir, hex, "no", 2, 6) < 0 && errno == EDQUOT);
	CHECK(blobs_put(bdir, hex, "no", 2, 8) == 0);
	struct stat st;
	CHECK(stat(bdir, &st) == 0 && (st.st_mode & 0777) == 0700);
	sb_addf(&want, "/%s", f.sha256);
	CHECK(stat(want.buf, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 3);
	int fd = blobs_open(bdir, f.sha256, 3);
	char buf[4] = "";
	CHECK(fd >= 0 && read(fd, buf, sizeof buf) == 3 && !memcmp(buf, "abc", 3));
	if (fd >= 0)
		close(fd);
	CHECK(blobs_open(bdir, f.sha256, 4) < 0 && errno == EIO);

	/* A blob's bytes against its name. */
	fd = blobs_open(bdir, f.sha256, 3);
	CHECK(fd >= 0 && blobs_check(fd, f.sha256) == 0);
	CHECK(blobs_check(fd, hex) < 0 && errno == EIO);
	if (fd >= 0)
		close(fd);
	struct strbuf other = STRBUF_INIT;
	sb_addf(&other, "%s/%s", bdir, hex);   /* "no"'s blob, its bytes changed in place */
	FILE *w = fopen(other.buf, "w");
	CHECK(w && fputs("NO", w) >= 0 && fclose(w) == 0);
	fd = blobs_open(bdir, hex, 2);
	CHECK(fd >= 0 && blobs_check(fd, hex) < 0 && errno == EIO);
	if (fd >= 0)
		close(fd);
	CHECK(blobs_remove(bdir, hex) == 0 && blobs_open(bdir, hex, 2) < 0 && errno == ENOENT);
	CHECK(blobs_remove(bdir, hex) == 0);
	CHECK(blobs_remove(bdir, "../x") < 0 && errno == EINVAL);

	/* Temporary files a dead write left: only those, and only when old enough. */
	const char *names[] = { "old", "new", "other" };
	struct strbuf t[3] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	sb_addf(&t[0], "%s/.%s.Ab12Cd", bdir, f.sha256);
	sb_addf(&t[1], "%s/.%s.Zz99Yy", bdir, f.sha256);
	sb_addf(&t[2], "%s/.%s.notatemp", bdir, f.sha256);
	for (int i = 0; i < 3; i++) {
		w = fopen(t[i].buf, "w");
		CHECK(w && fputs(names[i], w) >= 0 && fclose(w) == 0);
	}
	struct timespec old_times[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	CHECK(utimensat(AT_FDCWD, t[0].buf, old_times, 0) == 0);
	CHECK(utimensat(AT_FDCWD, t[2].buf, old_times, 0) == 0);
	CHECK(blobs_sweep(bdir, 1500000000) == 1);
	CHECK(access(t[0].buf, F_OK) < 0 && access(t[1].buf, F_OK) == 0 && access(t[2].buf, F_OK) == 0);
	fd = blobs_open(bdir, f.sha256, 3);   /* the blob itself stays */
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK(blobs_sweep(bdir, time(NULL) + 60) == 1 && access(t[1].buf, F_OK) < 0);
	for (int i = 0; i < 3; i++)
		sb_release(&t[i]);
	sb_release(&other);
	CHECK(blobs_sweep("/nonexistent/attachments", 0) == 0);
	CHECK(blobs_digest(f.sha256) == 0xba7816bf8f01cfeaULL);

	free(bdir);
	sb_release(&want);
	sb_release(&got);
	sb_release(&path);
	sb_release(&err);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	return CHECK_DONE();
}
