"""The history store: history older than 90 days outlives Monzo's 5-minute window,
later syncs pick up settlements and drop vanished pending transactions, unchanged
months keep their bytes and mtime, a killed sync loses nothing, and the store is
served offline or when the API cannot be reached."""
import json
import os
import sqlite3
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from conftest import csv_ids, wait_for, wait_until
from fakebank import parse_ts

LONDON = ZoneInfo("Europe/London")


def tx_list(path):
    return json.loads(path.read_bytes())["transactions"]


def created(tx):
    return datetime.fromtimestamp(parse_ts(tx["created"]) / 1e9, tz=timezone.utc)


def every_file(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p) and f != ".status.json":
                with open(p, "rb") as fh:
                    out[os.path.relpath(p, root)] = fh.read()
    return out


def test_history_older_than_90_days_survives_the_window(bank, env, mounter, tmp_path):
    acc = bank.main_account_id
    env.login()  # approved just now: the full-history window is open
    m1 = mounter()
    first = tx_list(m1.path / "accounts" / acc / "transactions.json")
    assert first == bank.transactions[acc]
    cutoff = bank.now() - timedelta(days=90)
    old_ids = {t["id"] for t in first if created(t) < cutoff}
    assert len(old_ids) > 100
    m1.umount()

    bank.advance(600)  # the window has closed: the API now gives 90 days at most
    new = bank.add_transaction(acc, description="AFTER THE WINDOW")
    m2 = mounter("transactions_ttl=0", name="mnt2")
    second = tx_list(m2.path / "accounts" / acc / "transactions.json")
    assert second == bank.transactions[acc]
    assert old_ids <= {t["id"] for t in second}
    assert new["id"] in {t["id"] for t in second}

    # Without the store, the same login now sees only the last 89 days.
    m3 = mounter(f"store={tmp_path / 'fresh.sqlite3'}", name="mnt3")
    third = tx_list(m3.path / "accounts" / acc / "transactions.json")
    assert not old_ids & {t["id"] for t in third}
    assert new["id"] in {t["id"] for t in third}
    hist = json.loads((m3.path / ".status.json").read_bytes())["history"][acc]
    assert hist["complete"] is False
    known_from = datetime.fromisoformat(hist["known_from"].replace("Z", "+00:00"))
    assert all(created(t) >= known_from for t in third)


def test_pending_settles_with_a_new_amount_and_vanished_pending_disappears(bank, mounter):
    acc = bank.main_account_id
    m = mounter("transactions_ttl=1")
    d = m.path / "accounts" / acc
    # Pending ones of the last days: the window every later sync reads again.
    recent = bank.now() - timedelta(days=10)
    pending = [t for t in bank.transactions[acc]
               if t["settled"] == "" and "decline_reason" not in t and created(t) > recent]
    assert len(pending) >= 2
    settles, vanishes = pending[0], pending[1]
    assert {settles["id"], vanishes["id"]} <= csv_ids(d / "pending.csv")
    assert settles["id"] not in csv_ids(d / "transactions.csv")

    new_amount = settles["amount"] - 250
    bank.update_transaction(settles["id"], settled=True, amount=new_amount)
    bank.remove_transaction(vanishes["id"])

    def settled_row():
        for line in (d / "transactions.csv").read_text().splitlines():
            if line.startswith(settles["id"] + ","):
                return line
        return None

    row = wait_for(settled_row, timeout=15, what="the settled transaction in transactions.csv")
    pounds = f"{new_amount // 100 if new_amount >= 0 else -(-new_amount // 100)}.{abs(new_amount) % 100:02d}"
    assert f",{pounds},GBP," in row
    assert settles["id"] not in csv_ids(d / "pending.csv")
    assert vanishes["id"] not in csv_ids(d / "pending.csv")
    assert vanishes["id"] not in {t["id"] for t in tx_list(d / "transactions.json")}
    assert tx_list(d / "transactions.json") == bank.transactions[acc]


def test_a_sync_touching_only_this_month_leaves_older_months_alone(bank, mounter):
    acc = bank.main_account_id
    m = mounter("transactions_ttl=1")
    months = m.path / "accounts" / acc / "transactions"
    before = {}
    for name in sorted(os.listdir(months)):
        p = months / name
        before[name] = (p.read_bytes(), os.stat(p).st_mtime_ns)
    new = bank.add_transaction(acc, amount=-777)
    this_month = created(new).astimezone(LONDON).strftime("%Y-%m")
    wait_for(lambda: new["id"] in csv_ids(months / f"{this_month}.csv"), timeout=15,
             what="the new transaction in this month's file")
    changed = []
    for name, (data, mtime) in before.items():
        p = months / name
        now = (p.read_bytes(), os.stat(p).st_mtime_ns)
        if now != (data, mtime):
            changed.append(name)
    # This month's files changed, or appeared when the new one is its first
    # transaction (on the 1st of a month); no other month's file moved.
    mine = [f"{this_month}.csv", f"{this_month}.json"]
    assert sorted(changed) == [n for n in mine if n in before]
    assert set(mine) <= set(os.listdir(months))


def test_kill_during_a_slow_sync_loses_nothing_committed(bank, env, mounter):
    acc = bank.main_account_id
    m1 = mounter()
    committed = tx_list(m1.path / "accounts" / acc / "transactions.json")
    m1.umount()

    new = bank.add_transaction(acc, description="DURING THE KILLED SYNC")
    m2 = mounter("transactions_ttl=0", name="mnt2")
    start = bank.counts["transactions"]
    bank.inject(endpoint="transactions", kind="delay", delay=1.0, count=None)
    errors = []
    reader = threading.Thread(target=lambda: errors.append(
        subprocess.run(["cat", str(m2.path / "accounts" / acc / "transactions.csv")], capture_output=True)))
    reader.start()
    wait_for(lambda: bank.counts["transactions"] > start, timeout=10, what="the sync to start")
    m2.proc.kill()
    m2.proc.wait()
    subprocess.run(["fusermount3", "-u", "-z", str(m2.path)], check=True)
    m2.mounted = False
    reader.join(10)
    bank.clear_faults()

    with sqlite3.connect(env.data / "monzohfs" / "history.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    m3 = mounter("offline", name="mnt3")
    assert tx_list(m3.path / "accounts" / acc / "transactions.json") == committed
    m3.umount()
    m4 = mounter("transactions_ttl=0", name="mnt4")
    assert new["id"] in {t["id"] for t in tx_list(m4.path / "accounts" / acc / "transactions.json")}


def test_offline_serves_every_file_from_the_store(bank, mounter):
    m1 = mounter()
    online = every_file(m1.path)
    assert any(k.endswith("transactions.csv") for k in online)
    m1.umount()
    bank.reset_counts()
    m2 = mounter("offline", name="mnt2")
    assert every_file(m2.path) == online
    assert sum(bank.counts.values()) == 0
    assert json.loads((m2.path / ".status.json").read_bytes())["offline"] is True


def test_unreachable_api_at_mount_still_mounts_and_serves_the_store(bank, mounter):
    m1 = mounter()
    online = every_file(m1.path)
    m1.umount()
    bank.stop()
    m2 = mounter(name="mnt2")
    assert "cannot reach the Monzo API" in m2.output()
    status = json.loads((m2.path / ".status.json").read_bytes())
    assert "mount_warning" in status
    assert every_file(m2.path) == online


def test_slow_syncs_of_two_accounts_at_once_both_succeed(bank, mounter):
    """A sync holds no database lock while it waits for the API, so a second sync
    (another account) is not turned away with "database is locked"."""
    from conftest import read_all_at_once
    small = sorted(bank.accounts, key=lambda a: len(bank.transactions[a["id"]]))
    a, b = [x["id"] for x in small if len(bank.transactions[x["id"]]) < 100][:2]
    m = mounter()
    bank.inject(endpoint="transactions", kind="delay", delay=5.5, count=None)
    try:
        data = read_all_at_once([m.path / "accounts" / a / "transactions.json",
                                 m.path / "accounts" / b / "transactions.json"])
    finally:
        bank.clear_faults()
    assert json.loads(data[0])["transactions"] == bank.transactions[a]
    assert json.loads(data[1])["transactions"] == bank.transactions[b]


def test_mtimes_survive_a_remount_when_nothing_changed(bank, mounter):
    """rsync compares size and mtime: a remount (after a reboot, say) with the same
    data must not make every file look new."""
    acc = bank.main_account_id
    m1 = mounter()
    d1 = m1.path / "accounts" / acc
    names = ["transactions.csv", "transactions.json", "balance.json", "transactions.ofx"] + \
        [f"transactions/{n}" for n in sorted(os.listdir(d1 / "transactions"))[:3]]
    before = {n: (os.stat(d1 / n).st_mtime_ns, (d1 / n).read_bytes()) for n in names}
    m1.umount()
    m2 = mounter("ttl=0", name="mnt2")  # fetch and sync everything again
    d2 = m2.path / "accounts" / acc
    after = {n: (os.stat(d2 / n).st_mtime_ns, (d2 / n).read_bytes()) for n in names}
    assert after == before


def test_balance_and_rows_agree_when_a_payment_lands_during_the_sync(bank, mounter, tmp_path):
    """The Balance column counts back from a balance that saw exactly the rows stored:
    a payment arriving between the sync's requests shows in both or in neither."""
    import expected as E
    acc = bank.main_account_id
    assert len(bank.transactions[acc]) > 300  # a first sync takes several pages
    for endpoint, after, what in (("balance", 0, "before the pages"),
                                  ("transactions", 1, "between two pages")):
        name = endpoint
        m = mounter(f"store={tmp_path / name}.sqlite3", name=name)
        d = m.path / "accounts" / acc
        hold = bank.hold(endpoint, after=after)
        out = []
        reader = threading.Thread(target=lambda: out.append((d / "transactions.csv").read_bytes()))
        reader.start()
        hold.wait_arrived()
        new = bank.add_transaction(acc, amount=-4321, description=f"LANDS {what.upper()}")
        hold.release()
        reader.join(30)
        # The reader got rows and balances of one moment: the sync saw the payment
        # land, so it is in the rows and in the balance they count back from.
        assert out == [E.rfc4180(E.Expected(bank, acc).transactions_csv())], what


def test_a_pending_payment_gone_during_the_sync_is_gone_from_the_balance_too(bank, mounter):
    """A pending payment removed between the sync's /balance and its pages: the pass
    that removes its row asks for the balance again, so Balance counts back from a
    balance without it (the removal itself has no time to compare)."""
    import expected as E
    acc = bank.main_account_id
    m = mounter("transactions_ttl=1", "balance_ttl=1")
    d = m.path / "accounts" / acc
    (d / "transactions.csv").read_bytes()
    gone = next(t for t in reversed(bank.transactions[acc]) if t["settled"] == "" and "decline_reason" not in t)
    wait_until(time.monotonic() + 1.2)
    hold = bank.hold("transactions")  # the next sync's first page, after its /balance
    out = []
    reader = threading.Thread(target=lambda: out.append((d / "transactions.csv").read_bytes()))
    reader.start()
    hold.wait_arrived()
    bank.remove_transaction(gone["id"])
    hold.release()
    reader.join(30)
    assert out == [E.rfc4180(E.Expected(bank, acc).transactions_csv())]
    assert gone["id"].encode() not in (d / "pending.csv").read_bytes()


def test_a_payment_landing_mid_sync_shows_in_the_balance_on_a_fast_clock(bank, tmp_path, mounter):
    """The daemon's clock a minute fast: whether a row is newer than the balance is
    judged on the bank's clock (its Date header), so a payment that lands between two
    pages still makes the sync ask for the balance again."""
    import expected as E
    from conftest import PinnedEnv
    acc = bank.main_account_id
    (tmp_path / "fast").mkdir()
    env = PinnedEnv(tmp_path / "fast", bank, skew=60)
    m = mounter(env=env)
    d = m.path / "accounts" / acc
    hold = bank.hold("transactions", after=1)
    out = []
    reader = threading.Thread(target=lambda: out.append((d / "transactions.csv").read_bytes()))
    reader.start()
    hold.wait_arrived()
    bank.add_transaction(acc, amount=-4321, description="LANDS BETWEEN TWO PAGES")
    hold.release()
    reader.join(30)
    assert out == [E.rfc4180(E.Expected(bank, acc).transactions_csv())]
    assert bank.counts["balance"] == 2, "the sync must ask for the balance again"


def test_a_transaction_dated_ahead_does_not_hide_todays_payments(bank, mounter):
    """A settled transaction the bank dates 20 days ahead: later syncs still start 14
    days before the bank's now, not before that date, so a payment made now shows."""
    acc = bank.main_account_id
    m = mounter("transactions_ttl=1")
    d = m.path / "accounts" / acc
    (d / "transactions.csv").read_bytes()
    ahead = bank.add_transaction(acc, amount=-100, created=bank.now() + timedelta(days=20),
                                 description="DATED AHEAD")
    wait_until(time.monotonic() + 1.2)
    assert ahead["id"] in (d / "transactions.csv").read_text()
    now = bank.add_transaction(acc, amount=-200, description="PAID NOW")
    wait_until(time.monotonic() + 1.2)
    assert now["id"] in (d / "transactions.csv").read_text()
