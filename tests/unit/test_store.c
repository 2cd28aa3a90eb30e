/* Unit tests of store: schema creation (0600, WAL), upsert by id with change
 * detection and no going back to an older state, ordered iteration, sums, pending
 * rows forgotten only when no newer sync saw them, sync state, resources
 * and file mtimes that survive reopening, and a loose mode tightened at open. */
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "store.h"
#include "store_internal.h"

static int upsert(struct store *s, const char *text, int64_t sync_no, bool *changed)
{
	return store_upsert_transaction(s, text, strlen(text), sync_no, changed, NULL);
}

struct collect {
	struct strbuf ids;
};

static int collect_ids(void *ctx, const struct tx_row *r)
{
	struct collect *c = ctx;
	sb_addf(&c->ids, "%s%s", c->ids.len ? "," : "", r->id);
	return 0;
}

static int collect_spending(void *ctx, const struct tx_row *r)
{
	struct collect *c = ctx;
	sb_addf(&c->ids, "%s%s=%d", c->ids.len ? "," : "", r->id, r->include_in_spending);
	return 0;
}

/* The API's include_in_spending is a column; a store made before it had one gets it
 * from each transaction's JSON when opened. */
static void check_spending(const char *dir)
{
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	sb_addf(&path, "%s/spending.sqlite3", dir);
	struct store *s;
	CHECK(store_open(path.buf, &s, &err) == 0);
	bool changed;
	CHECK(upsert(s, "{\"id\":\"tx_1\",\"account_id\":\"acc\",\"created\":\"2024-01-01T00:00:00Z\","
			"\"amount\":-1,\"currency\":\"GBP\",\"include_in_spending\":true}", 1, &changed) == 0);
	CHECK(upsert(s, "{\"id\":\"tx_2\",\"account_id\":\"acc\",\"created\":\"2024-01-02T00:00:00Z\","
			"\"amount\":-1,\"currency\":\"GBP\",\"include_in_spending\":false}", 1, &changed) == 0);
	CHECK(upsert(s, "{\"id\":\"tx_3\",\"account_id\":\"acc\",\"created\":\"2024-01-03T00:00:00Z\","
			"\"amount\":-1,\"currency\":\"GBP\"}", 1, &changed) == 0);
	struct collect c = { STRBUF_INIT };
	CHECK(store_each_transaction(s, "acc", INT64_MIN, INT64_MAX, false, collect_spending, &c) == 0);
	CHECK_STR(c.ids.buf, "tx_1=1,tx_2=0,tx_3=0");
	/* As a store of schema 6 was: no such column. */
	CHECK(sqlite3_exec(store_sqlite(s), "ALTER TABLE transactions DROP COLUMN spending; PRAGMA user_version = 6",
			   NULL, NULL, NULL) == SQLITE_OK);
	store_close(s);
	CHECK(store_open(path.buf, &s, &err) == 0);
	sb_reset(&c.ids);
	CHECK(store_each_transaction(s, "acc", INT64_MIN, INT64_MAX, false, collect_spending, &c) == 0);
	CHECK_STR(c.ids.buf, "tx_1=1,tx_2=0,tx_3=0");
	store_close(s);
	sb_release(&c.ids);
	sb_release(&path);
	sb_release(&err);
}

/* Whether another process sees a lock held on the file at path (the parent's). */
static bool locked_for_others(const char *path)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(path, O_RDWR);
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
		_exit(fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK ? 0 : 1);
	}
	int status;
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A second connection opened while a first is in use leaves the first's locks alone:
 * closing any descriptor of a file drops all of a process's POSIX locks on it, and
 * without them another process would take the store for unused and reset its -shm
 * index under the first connection (a SIGBUS, or a corrupt store). */
static void check_second_open_keeps_locks(const char *dir)
{
	struct strbuf path = STRBUF_INIT, shm = STRBUF_INIT, err = STRBUF_INIT;
	sb_addf(&path, "%s/locks.sqlite3", dir);
	sb_addf(&shm, "%s-shm", path.buf);
	struct store *first, *second;
	CHECK(store_open(path.buf, &first, &err) == 0);
	CHECK(store_begin_read(first) == 0);
	int64_t sec;
	bool found;
	CHECK(store_newest_created(first, "acc", &sec, &found) == 0);
	CHECK(locked_for_others(shm.buf));
	CHECK(store_open(path.buf, &second, &err) == 0);
	CHECK(locked_for_others(shm.buf));
	store_close(second);
	store_rollback(first);
	store_close(first);
	sb_release(&path);
	sb_release(&shm);
	sb_release(&err);
}

int main(void)
{
	char dir[] = "/tmp/monzohfs-store-XXXXXX";
	CHECK(mkdtemp(dir));
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	sb_addf(&path, "%s/deep/history.sqlite3", dir);
	struct store *s;
	CHECK(store_open(path.buf, &s, &err) == 0);
	struct stat st;
	CHECK(stat(path.buf, &st) == 0 && (st.st_mode & 0777) == 0600);

	bool changed;
	CHECK(store_begin(s) == 0);
	CHECK(upsert(s, "{\"id\":\"tx_b\",\"account_id\":\"acc\",\"created\":\"2024-01-01T00:00:00.5Z\",\"settled\":\"\","
			"\"amount\":-100,\"currency\":\"GBP\"}", 1, &changed) == 0 && changed);
	CHECK(upsert(s, "{\"id\":\"tx_a\",\"account_id\":\"acc\",\"created\":\"2024-01-01T00:00:00.5Z\","
			"\"settled\":\"2024-01-02T00:00:00Z\",\"amount\":300,\"currency\":\"GBP\"}", 1, &changed) == 0 && changed);
	CHECK(upsert(s, "{\"id\":\"tx_c\",\"account_id\":\"acc\",\"created\":\"2023-12-31T23:59:59.9Z\",\"settled\":\"\","
			"\"decline_reason\":\"INSUFFICIENT_FUNDS\",\"amount\":-999,\"currency\":\"GBP\"}", 1, &changed) == 0);
	CHECK(upsert(s, "{\"id\":\"tx_d\",\"account_id\":\"acc\",\"created\":\"not a time\"}", 1, &changed) == 0 && !changed);
	/* An amount beyond ±10^15 minor units is not the transaction expected (never
	 * INT64_MIN): nothing is stored. */
	CHECK(upsert(s, "{\"id\":\"tx_e\",\"account_id\":\"acc\",\"created\":\"2024-01-01T00:00:00Z\","
			"\"amount\":1e300,\"currency\":\"GBP\"}", 1, &changed) == -EBADMSG && !changed);
	CHECK(upsert(s, "{\"id\":\"tx_e\",\"account_id\":\"acc\",\"created\":\"2024-01-01T00:00:00Z\","
			"\"amount\":1,\"local_amount\":9223372036854775807,\"currency\":\"GBP\"}", 1, &changed) == -EBADMSG);
	CHECK(store_commit(s) == 0);
	/* The same text again is no change; new text is. */
	CHECK(upsert(s, "{\"id\":\"tx_a\",\"account_id\":\"acc\",\"created\":\"2024-01-01T00:00:00.5Z\","
			"\"settled\":\"2024-01-02T00:00:00Z\",\"amount\":300,\"currency\":\"GBP\"}", 2, &changed) == 0 && !changed);

	struct collect c = { STRBUF_INIT };
	CHECK(store_each_transaction(s, "acc", INT64_MIN, INT64_MAX, false, collect_ids, &c) == 0);
	CHECK_STR(c.ids.buf, "tx_c,tx_a,tx_b");
	int64_t sum;
	CHECK(store_sum_amounts(s, "acc", INT64_MIN, INT64_MAX, &sum) == 0 && sum == 200);
	/* Pending ones of the account, declined ones left out. */
	struct strlist pending = STRLIST_INIT;
	CHECK(store_pending_ids(s, "acc", &pending) == 0 && pending.n == 1 && !strcmp(pending.v[0], "tx_b"));
	strlist_release(&pending);
	/* A pending row seen by a newer sync (3) than the one forgetting it (2) stays. */
	bool removed;
	CHECK(upsert(s, "{\"id\":\"tx_e\",\"account_id\":\"acc\",\"created\":\"2024-01-03T00:00:00Z\",\"settled\":\"\","
			"\"amount\":-1,\"currency\":\"GBP\"}", 3, &changed) == 0 && changed);
	CHECK(store_forget_pending(s, "tx_e", 2, &removed) == 0 && !removed);
	CHECK(store_forget_pending(s, "tx_e", 4, &removed) == 0 && removed);
	CHECK(store_forget_pending(s, "tx_c", 4, &removed) == 0 && !removed);     /* declined */
	CHECK(store_forget_pending(s, "tx_b", 2, &removed) == 0 && removed);
	/* Each removal leaves a tombstone for syncs that began before it (tx_e: 4). */
	bool later, any;
	CHECK(store_removed_after(s, "tx_e", 3, &later) == 0 && later);
	CHECK(store_removed_after(s, "tx_e", 4, &later) == 0 && !later);
	CHECK(store_removed_after(s, "tx_c", 1, &later) == 0 && !later);    /* never removed */
	CHECK(store_any_removed_after(s, "acc", 3, &any) == 0 && any);
	CHECK(store_any_removed_after(s, "acc", 4, &any) == 0 && !any);
	CHECK(store_any_removed_after(s, "other", 0, &any) == 0 && !any);
	/* Never back to an older state: a later "updated" wins, whatever comes last. */
	CHECK(upsert(s, "{\"id\":\"tx_f\",\"account_id\":\"acc\",\"created\":\"2024-01-04T00:00:00Z\","
			"\"updated\":\"2024-01-05T00:00:00Z\",\"settled\":\"2024-01-05T00:00:00Z\",\"amount\":-7,"
			"\"currency\":\"GBP\"}", 5, &changed) == 0 && changed);
	CHECK(upsert(s, "{\"id\":\"tx_f\",\"account_id\":\"acc\",\"created\":\"2024-01-04T00:00:00Z\","
			"\"updated\":\"2024-01-04T00:00:01Z\",\"settled\":\"\",\"amount\":-5,"
			"\"currency\":\"GBP\"}", 4, &changed) == 0 && !changed);
	CHECK(store_sum_amounts(s, "acc", INT64_MIN, INT64_MAX, &sum) == 0 && sum == 293);
	/* Without "updated", a settled row does not go back to pending either. */
	CHECK(upsert(s, "{\"id\":\"tx_a\",\"account_id\":\"acc\",\"created\":\"2024-01-01T00:00:00.5Z\","
			"\"settled\":\"\",\"amount\":250,\"currency\":\"GBP\"}", 6, &changed) == 0 && !changed);
	CHECK(upsert(s, "{\"id\":\"tx_f\",\"account_id\":\"acc\",\"created\":\"2024-01-04T00:00:00Z\","
			"\"updated\":\"2024-01-06T00:00:00Z\",\"settled\":\"2024-01-05T00:00:00Z\",\"amount\":-8,"
			"\"currency\":\"GBP\"}", 6, &changed) == 0 && changed);
	CHECK(store_forget_pending(s, "tx_f", 7, &removed) == 0 && !removed);     /* settled */
	CHECK(upsert(s, "{\"id\":\"tx_f\",\"account_id\":\"acc\",\"created\":\"2024-01-04T00:00:00Z\","
			"\"updated\":\"2024-01-06T00:00:00Z\",\"settled\":\"2024-01-05T00:00:00Z\",\"amount\":-8,"
			"\"currency\":\"GBP\"}", 6, &changed) == 0 && !changed);
	CHECK(store_forget_pending(s, "tx_f", 7, &removed) == 0 && !removed);
	sb_reset(&c.ids);
	CHECK(store_each_transaction(s, "acc", INT64_MIN, INT64_MAX, true, collect_ids, &c) == 0);
	CHECK_STR(c.ids.buf, "tx_c,tx_a,tx_f");

	struct sync_state ss = { .known = true, .history_start = 42, .last_sync = 99, .version = 3,
				 .balance_asked = 1234567 };
	ss.balance_json = strdup("{\"balance\":1}");
	CHECK(store_put_sync_state(s, "acc", &ss) == 0);
	sync_state_release(&ss);
	CHECK(store_put_resource(s, "whoami", "{}", 2, (struct instant){ 5, 6 }, (struct instant){ 7, 8 }) == 0);
	struct instant m1 = store_file_mtime(s, "a.csv", 111, 10, (struct instant){ 1000, 1 });
	CHECK(m1.sec == 1000);
	store_close(s);

	CHECK(store_open(path.buf, &s, &err) == 0);
	CHECK(store_get_sync_state(s, "acc", &ss) == 0 && ss.known && ss.history_start == 42 && ss.version == 3 &&
	      ss.balance_asked == 1234567);
	CHECK_STR(ss.balance_json, "{\"balance\":1}");
	sync_state_release(&ss);
	CHECK(store_get_sync_state(s, "other", &ss) == 0 && !ss.known);
	char *raw;
	size_t len;
	struct instant fetched, chg;
	CHECK(store_get_resource(s, "whoami", &raw, &len, &fetched, &chg) == 0 && len == 2 && fetched.sec == 5 &&
	      chg.nsec == 8);
	free(raw);
	CHECK(store_get_resource(s, "nothing", &raw, &len, &fetched, &chg) < 0);
	CHECK(store_file_mtime(s, "a.csv", 111, 10, (struct instant){ 2000, 0 }).sec == 1000);
	CHECK(store_file_mtime(s, "a.csv", 112, 10, (struct instant){ 3000, 0 }).sec == 3000);
	/* Write-ahead logging: writers never block the mount's readers. */
	struct strbuf wal = STRBUF_INIT;
	sb_addf(&wal, "%s-wal", path.buf);
	CHECK(stat(wal.buf, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* A store left with a loose mode (made before it was 0600, or copied): the next
	 * open makes the database, its -wal and -shm 0600 and its directory 0700. */
	struct strbuf shm = STRBUF_INIT, sdir = STRBUF_INIT;
	sb_addf(&shm, "%s-shm", path.buf);
	sb_addf(&sdir, "%s/deep", dir);
	CHECK(chmod(path.buf, 0644) == 0 && chmod(wal.buf, 0644) == 0 && chmod(shm.buf, 0666) == 0 &&
	      chmod(sdir.buf, 0755) == 0);
	struct store *again;
	CHECK(store_open(path.buf, &again, &err) == 0);
	CHECK(stat(path.buf, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(wal.buf, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(shm.buf, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(sdir.buf, &st) == 0 && (st.st_mode & 0777) == 0700);
	store_close(again);
	sb_release(&shm);
	sb_release(&sdir);
	sb_release(&wal);
	store_close(s);
	check_spending(dir);
	check_second_open_keeps_locks(dir);

	sb_release(&c.ids);
	sb_release(&path);
	sb_release(&err);
	struct strbuf rm = STRBUF_INIT;
	sb_addf(&rm, "rm -rf '%s'", dir);
	CHECK(system(rm.buf) == 0);
	sb_release(&rm);
	return CHECK_DONE();
}
