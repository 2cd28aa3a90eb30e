"""A first capture of a long history in time windows side by side: the same rows and
bytes as one page after another, polite under a rate limit, resumable after a crash
or Ctrl-C, honest about history the bank no longer gives and about a window that
failed."""
import json
import os
import pty
import random
import select
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.parse
import urllib.request

from conftest import wait_for
from fakebank import format_ts, parse_ts

NS = 10**9
DAY = 86400 * NS


def bank_now_ns(bank):
    return parse_ts(format_ts(bank.now()))


def long_account(bank, days=200, per_day=12, edges=True, seed=5):
    """A new account with per_day payments a day over the last `days` days: long enough
    to be captured in windows.  edges: at every UTC midnight, where a long history's
    windows start, a group that tries the edge: one payment a nanosecond before it,
    three at the very instant (equal created times across the edge, one of them
    pending), and a declined one.  Returns (account id, the midnights in ns)."""
    acc = bank.add_account()["id"]
    rng = random.Random(seed)
    today = bank_now_ns(bank) // DAY * DAY
    midnights = []
    for d in range(1, days + 1):
        day = today - d * DAY
        for _ in range(per_day):
            bank.add_transaction(acc, created=day + rng.randrange(DAY), amount=-rng.randrange(1, 9000))
        if edges:
            midnights.append(day)
            bank.add_transaction(acc, created=day - 1, amount=-101)
            for k in range(3):
                bank.add_transaction(acc, created=day, amount=-(200 + k), settled="" if k == 1 else "created")
            bank.add_transaction(acc, created=day, amount=-999, decline_reason="INSUFFICIENT_FUNDS")
    return acc, midnights


def account_files(root, acc):
    """Every file of the account's directory: relative path -> bytes."""
    base = root / "accounts" / acc
    out = {}
    for dirpath, _, names in os.walk(base):
        for n in names:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                with open(p, "rb") as f:
                    out[os.path.relpath(p, base)] = f.read()
    return out


def stored_rows(path, acc):
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return sorted(db.execute("SELECT t.id, j.json FROM transactions t JOIN transaction_json j ON j.id = t.id"
                                 " WHERE t.account_id = ?", (acc,)))


def windows_of(path, acc):
    """The capture_windows rows of acc: [(since, before, cursor, done)]."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT since, before, cursor, done FROM capture_windows WHERE account_id = ?"
                              " ORDER BY since", (acc,)).fetchall()
    except sqlite3.OperationalError:
        return []   # the store or its table not made yet


def page_requests(bank, acc):
    """The /transactions requests for acc since the bank's counts were reset, as their
    query parameters."""
    out = []
    for r in bank.requests:
        if r["endpoint"] != "transactions":
            continue
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(r["target"]).query)
        if q.get("account_id") == [acc]:
            out.append({k: v[0] for k, v in q.items()})
    return out


def lower_bound(bank, q):
    """Where a page request starts, in ns: its since time, or its since id's created."""
    since = q.get("since")
    if since is None:
        return None
    if since.startswith("tx_"):
        return parse_ts(bank.transaction(since)["created"])
    return parse_ts(since)


def read_json(path):
    return json.loads(path.read_bytes())["transactions"]


# ------------------------------------------------------------------ the same rows

def test_windows_side_by_side_store_the_same_rows_and_bytes_as_one_page_after_another(bank, env, mounter,
                                                                                     tmp_path):
    acc, midnights = long_account(bank)
    bank.set_latency(0.02, endpoint="transactions")
    bank.reset_counts()
    windowed = mounter(name="windowed")
    got = account_files(windowed.path, acc)
    asked = page_requests(bank, acc)
    traffic = bank.traffic
    assert json.loads(got["transactions.json"])["transactions"] == bank.transactions[acc]

    bank.reset_counts()
    seq_store = tmp_path / "sequential.sqlite3"
    sequential = mounter("parallel=1", f"store={seq_store}", name="sequential")
    assert account_files(sequential.path, acc) == got
    assert bank.traffic["max_in_flight"] == 1
    assert stored_rows(env.data / "monzohfs" / "history.sqlite3", acc) == stored_rows(seq_store, acc)

    # It was windows side by side, over a few reused connections, and their edges fell
    # on the groups of payments at midnight.
    assert 2 <= traffic["max_in_flight"] <= 8
    assert len(asked) > 20 and traffic["connections"] <= 12, traffic
    edges = {parse_ts(q["before"]) for q in asked if "before" in q}
    assert len(edges & set(midnights)) >= 3, sorted(edges)
    assert windows_of(env.data / "monzohfs" / "history.sqlite3", acc) == []   # done: none left


def test_a_quick_bank_that_outruns_the_store_still_gives_every_transaction(bank, mounter):
    """At a few ms a page, eight requests at once read faster than SQLite writes: the
    requests wait for the writer, and the capture ends only when every window has."""
    acc, _ = long_account(bank, days=400, per_day=50, edges=False)
    bank.set_latency(0.008, endpoint="transactions")
    bank.reset_counts()
    m = mounter()
    assert read_json(m.path / "accounts" / acc / "transactions.json") == bank.transactions[acc]
    assert bank.traffic["max_in_flight"] >= 2, "the capture went in windows side by side"
    assert bank.counts["transactions"] > len(bank.transactions[acc]) // 100


def test_a_payment_landing_mid_capture_is_in_the_rows_and_in_the_balance(bank, mounter):
    """The newest window is read last: a payment made while older windows are fetched
    is in it, and the balance is asked again, as after one pass from oldest to newest."""
    import expected as E
    acc, _ = long_account(bank, edges=False)
    bank.set_balance(acc, balance=123456)
    bank.set_latency(0.02, endpoint="transactions")
    m = mounter()
    hold = bank.hold("transactions", after=3)   # windows, not the first page
    out = []
    reader = threading.Thread(target=lambda: out.append((m.path / "accounts" / acc / "transactions.csv").read_bytes()))
    reader.start()
    hold.wait_arrived()
    new = bank.add_transaction(acc, amount=-4321, description="LANDS MID-CAPTURE")
    hold.release()
    reader.join(60)
    assert new["id"].encode() in out[0]
    assert out == [E.rfc4180(E.Expected(bank, acc).transactions_csv())]
    assert bank.counts["balance"] == 2, "the balance is asked again once rows are newer than it"
    assert bank.traffic["max_in_flight"] >= 2, "the capture went in windows side by side"


# ------------------------------------------------------------------ politeness

def capture_under_a_limit(bank, mounter, acc):
    """The first read of acc's transactions.json on a new mount, all of it as the bank
    has it; returns the bank's traffic meanwhile.  How long it takes beside one page
    after another is scripts/bench's row (g), not a test's: a timed assertion fails on
    a busy machine."""
    bank.reset_counts()
    m = mounter()
    assert read_json(m.path / "accounts" / acc / "transactions.json") == bank.transactions[acc]
    return bank.traffic


def test_a_rate_limited_capture_completes_correct_and_backs_off_to_the_limit(bank, mounter):
    acc, _ = long_account(bank, days=300, per_day=15, edges=False)
    bank.set_latency(0.1, endpoint="transactions")
    bank.rate_limit(in_flight=3, retry_after=1, endpoint="transactions")
    traffic = capture_under_a_limit(bank, mounter, acc)
    # The bank's limit was met, and the capture backed off to it instead of hammering:
    # a few 429s, each paused for by every request at once.
    assert 1 <= traffic["throttled"] <= 6, traffic
    assert traffic["max_in_flight"] == 3


def test_a_requests_per_second_limit_still_lets_windows_go_side_by_side(bank, mounter):
    """The bank allows 50 requests a second: the windows meet the limit, back off below
    it, and still ask side by side."""
    acc, _ = long_account(bank, days=400, per_day=25, edges=False)
    bank.set_latency(0.05, endpoint="transactions")
    bank.rate_limit(per_second=50, retry_after=1, endpoint="transactions")
    traffic = capture_under_a_limit(bank, mounter, acc)
    assert 1 <= traffic["throttled"] <= 20, traffic
    assert traffic["max_in_flight"] >= 2, traffic


# ------------------------------------------------------------------ cut short

def start_login(env, *args):
    from test_login import start_login as start
    proc, url, _ = start(env, *args)
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
    return proc


def login_on_a_terminal(env):
    """monzohfs-login with its stderr on a terminal: (exit status, what it showed)."""
    from test_login import free_port
    from conftest import LOGIN
    master, slave = pty.openpty()
    vars = dict(env.vars, MONZO_CLIENT_ID=env.bank.client_id, MONZO_CLIENT_SECRET=env.bank.client_secret,
                MONZO_REDIRECT_URI=f"http://127.0.0.1:{free_port()}/callback")
    proc = subprocess.Popen([str(LOGIN), "--no-browser"], env=vars, cwd=env.root, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    shown = b""
    try:
        url = proc.stdout.readline().strip()
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:   # the login has gone: its end of the terminal closed
                    break
                if not chunk:
                    break
                shown += chunk
            elif proc.poll() is not None:
                break
        return proc.wait(timeout=30), shown.decode("utf-8", "replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        os.close(master)


# The capture of a long_account(days=300, per_day=15) is cut into about ten windows of a
# few pages each; after this many page requests some windows are complete and some
# are not, whatever the machine's speed, and the bank answers no more of them.
PAGES_BEFORE_THE_CUT = 30


def cut_the_capture(bank, acc):
    """Holds every /transactions request for acc after the first PAGES_BEFORE_THE_CUT:
    the capture stops part done.  Returns the Hold, to release once the client is
    gone.  The bank answers in 50 ms, as one over a network does: a bank next door
    is read one page after another, without windows."""
    bank.set_latency(0.05, endpoint="transactions")
    return bank.hold("transactions", after=PAGES_BEFORE_THE_CUT, every=True, account=acc)


def login_cut_part_done(bank, env, acc):
    """monzohfs-login capturing acc three requests at a time, stopped at the cut with
    windows committed and windows to come: (its process, the Hold, the store)."""
    cut = cut_the_capture(bank, acc)
    store = env.data / "monzohfs" / "history.sqlite3"
    proc = start_login(env, "--parallel", "3")
    try:
        cut.wait_arrived(timeout=120)
        wait_for(lambda: some_windows_done(store, acc), timeout=60, what="windows of the capture committed")
    except BaseException:
        proc.kill()
        proc.wait()
        cut.release()
        raise
    return proc, cut, store


def some_windows_done(store, acc):
    """Windows complete and committed, others not: where the cut capture stops."""
    rows = windows_of(store, acc)
    return rows and 2 <= sum(done for *_, done in rows) < len(rows) - 1


def assert_only_missing_windows_asked(bank, acc, done):
    """No page request of the resumed capture starts inside a window the first one
    completed (the newest, open-ended window is always read again)."""
    asked = page_requests(bank, acc)
    assert asked and all("since" in q for q in asked), "a resumed capture asks for no first page"
    for q in asked:
        at = lower_bound(bank, q) // NS
        inside = [(s, b) for s, b in done if s <= at < b]
        assert not inside, (q, inside)


def test_a_login_stopped_with_ctrl_c_keeps_what_it_captured_and_the_next_fetches_the_rest(bank, env, mounter):
    acc, _ = long_account(bank, days=300, per_day=15, edges=False)
    proc, cut, store = login_cut_part_done(bank, env, acc)
    try:
        # Ctrl-C with requests in flight that the bank never answers: the login stops
        # at once all the same.
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        cut.release()
    assert proc.returncode != 0
    rows = windows_of(store, acc)
    done = [(s, b) for s, b, _, d in rows if d and b != 2**63 - 1]
    assert done and not all(d for *_, d in rows)
    kept = stored_rows(store, acc)
    assert kept, "what was captured before Ctrl-C is in the store"
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    bank.reset_counts()
    code, shown = login_on_a_terminal(env)
    assert code == 0, shown
    assert_only_missing_windows_asked(bank, acc, done)
    # Its progress said how far the windows and the transactions had come.
    assert "windows" in shown and " transactions" in shown, shown
    assert windows_of(store, acc) == []
    m = mounter("offline")
    assert read_json(m.path / "accounts" / acc / "transactions.json") == bank.transactions[acc]
    history = json.loads((m.path / ".status.json").read_bytes())["history"][acc]
    assert history["complete"] is True and "gap" not in history


def test_a_daemon_killed_mid_capture_resumes_only_the_missing_windows(bank, env, mounter):
    acc, _ = long_account(bank, days=300, per_day=15, edges=False)
    cut = cut_the_capture(bank, acc)
    store = env.data / "monzohfs" / "history.sqlite3"
    first = mounter("parallel=3", name="first")
    reader = threading.Thread(target=lambda: subprocess.run(
        ["cat", str(first.path / "accounts" / acc / "transactions.json")], capture_output=True))
    reader.start()
    try:
        cut.wait_arrived(timeout=120)
        wait_for(lambda: some_windows_done(store, acc), timeout=60, what="windows of the capture committed")
    finally:
        first.proc.kill()
        first.proc.wait()
        subprocess.run(["fusermount3", "-u", "-z", str(first.path)], check=True)
        first.mounted = False
        reader.join(30)
        cut.release()
    done = [(s, b) for s, b, _, d in windows_of(store, acc) if d and b != 2**63 - 1]
    assert done and stored_rows(store, acc)
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    bank.reset_counts()
    second = mounter(name="second")
    assert read_json(second.path / "accounts" / acc / "transactions.json") == bank.transactions[acc]
    assert_only_missing_windows_asked(bank, acc, done)
    assert windows_of(store, acc) == []


# ------------------------------------------------------------------ what could not be had

def test_windows_refused_once_the_full_history_window_closed_are_recorded_as_lost(bank, env, mounter):
    acc, _ = long_account(bank, days=400, per_day=10, edges=False)
    bank.set_latency(0.05, endpoint="transactions")
    env.login()   # approved now: the full history is there for five minutes
    m = mounter()
    hold = bank.hold("transactions", after=4)   # a few windows in
    out = []
    reader = threading.Thread(target=lambda: out.append(read_json(m.path / "accounts" / acc / "transactions.json")))
    reader.start()
    hold.wait_arrived()
    bank.advance(600)   # the five minutes are over: only the last 90 days from now on
    hold.release()
    reader.join(60)
    got = {t["id"] for t in out[0]}
    history = json.loads((m.path / ".status.json").read_bytes())["history"][acc]
    assert history["complete"] is False
    gap_from, gap_to = parse_ts(history["gap"]["from"]), parse_ts(history["gap"]["to"])
    recent = bank_now_ns(bank) - 89 * DAY
    lost = [t for t in bank.transactions[acc] if t["id"] not in got]
    assert lost, "some history was lost: the window closed mid-capture"
    # Exactly what the gap names may be missing: all before it, and the last 89 days,
    # are there.
    for t in lost:
        assert gap_from <= parse_ts(t["created"]) < gap_to, t["created"]
    assert gap_to <= recent + 60 * NS
    assert parse_ts(history["known_from"]) <= parse_ts(bank.transactions[acc][0]["created"])
    assert all(t["id"] in got for t in bank.transactions[acc] if parse_ts(t["created"]) >= recent)
    assert got <= {t["id"] for t in bank.transactions[acc]}


def test_a_capture_of_the_last_89_days_cut_short_never_passes_for_the_full_history(bank, env, mounter):
    """The full history refused at the first page: the capture of the last 89 days that
    follows is not recorded as windows, so after a crash the next one does not resume
    it as if it were all history: .status.json still says where history starts."""
    from datetime import timedelta
    acc, _ = long_account(bank, days=300, per_day=20, edges=False)
    bank.set_latency(0.2, endpoint="transactions")
    env.login(approved_at=bank.now() - timedelta(days=1))   # the five minutes long over
    store = env.data / "monzohfs" / "history.sqlite3"
    first = mounter("parallel=3", name="first", login=False)
    reader = threading.Thread(target=lambda: subprocess.run(
        ["cat", str(first.path / "accounts" / acc / "transactions.json")], capture_output=True))
    reader.start()
    try:
        wait_for(lambda: len(stored_rows(store, acc)) >= 100 if store.exists() else False, timeout=60,
                 what="pages of the capture committed")
        assert bank.traffic["max_in_flight"] >= 2, "the capture went in windows"
    finally:
        first.proc.kill()
        first.proc.wait()
        subprocess.run(["fusermount3", "-u", "-z", str(first.path)], check=True)
        first.mounted = False
        reader.join(30)
    assert windows_of(store, acc) == []

    bank.set_latency(0)
    second = mounter(name="second", login=False)
    got = {t["id"] for t in read_json(second.path / "accounts" / acc / "transactions.json")}
    history = json.loads((second.path / ".status.json").read_bytes())["history"][acc]
    assert history["complete"] is False
    known_from = parse_ts(history["known_from"])
    assert abs(known_from - (bank_now_ns(bank) - 89 * DAY)) < 3600 * NS
    assert got == {t["id"] for t in bank.transactions[acc] if parse_ts(t["created"]) >= known_from}


def test_a_window_that_fails_fails_the_login_clearly_and_the_next_login_fetches_it(bank, env, mounter):
    acc, _ = long_account(bank, days=300, per_day=15, edges=False)
    proc, cut, store = login_cut_part_done(bank, env, acc)
    try:
        # The requests held, and any after them, fail.
        bank.inject("transactions", status=500, count=None)
        cut.release()
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        cut.release()
    assert proc.returncode == 1, err
    line = next(line for line in err.splitlines() if acc in line)
    assert "failed" in line and "500" in line and "the transactions from " in line, line
    assert "windows captured; the next capture fetches the rest" in line, line
    rows = windows_of(store, acc)
    assert rows and not all(d for *_, d in rows), "the windows not captured are recorded"
    bank.clear_faults()

    proc = start_login(env)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    m = mounter("offline")
    assert read_json(m.path / "accounts" / acc / "transactions.json") == bank.transactions[acc]
