"""A newcomer's first hour: what monzohfs-login says at the end of its capture (names
beside ids, where each account's history now starts, Ctrl-C), the credential
messages of both programs, the mount point checks, where a detached daemon's log
goes, and refreshing without a remount."""
import json
import signal
import time
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fakebank import parse_ts
from test_login import finish, start_login

LONDON = ZoneInfo("Europe/London")


def london_date(ns):
    return datetime.fromtimestamp(ns / 1e9, LONDON).date().isoformat()


def login_through_the_fake_page(env):
    proc, url, _ = start_login(env)
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
    return proc


# ------------------------------------------------------------------ the login's ending

def test_the_login_names_each_account_and_says_where_its_history_starts(bank, env):
    proc = login_through_the_fake_page(env)
    code, out, err = finish(proc)
    assert code == 0, err
    main = bank.main_account_id
    txs = bank.transactions[main]
    # Progress: the account's name beside its id.
    assert f"  current ({main}): {len(txs)} transactions\n" in err
    # The ending: a line per account, with the date its history now starts.
    ending = err[err.index(" transactions stored in "):]
    first = london_date(parse_ts(txs[0]["created"]))
    assert f"  current ({main}): {len(txs)} transactions, history from {first}\n" in ending
    assert f"  joint ({bank.account_ids['joint']}): " in ending
    assert f"  flex ({bank.account_ids['flex']}): " in ending
    for acc in bank.accounts:
        assert sum(acc["id"] in line for line in ending.splitlines()) == 1, acc["id"]
    assert "WARNING" not in err
    assert err.rstrip().endswith("Done: mount with  mkdir -p ~/monzo && monzohfs ~/monzo")


def test_ctrl_c_during_the_capture_says_what_was_kept_and_exits_130(bank, env, mounter):
    """The second account's capture waits on a slow bank; Ctrl-C ends the login at
    once (long before the bank answers) and says which accounts were captured."""
    main = bank.main_account_id
    others = [a["id"] for a in bank.accounts if a["id"] != main]
    assert bank.accounts[0]["id"] == main
    hold = bank.hold("balance", after=1)   # the second account's sync starts with its balance
    try:
        proc = login_through_the_fake_page(env)
        hold.wait_arrived()
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        took = time.monotonic() - t0
        assert proc.returncode == 130, err
        assert took < 5, f"the login took {took:.1f}s to stop"
        assert not hold._released.is_set(), "the login must not have waited for the bank"
    finally:
        hold.release()
    interrupted = err[err.index("Interrupted"):]
    captured, _, rest = interrupted.partition("Not captured: ")
    assert f"current ({main})" in captured and "kept in " + str(env.data) in captured
    assert all(acc in rest for acc in others), rest
    assert "Done" not in err
    # What was captured stays in the store: an offline mount shows it.
    mnt = mounter("offline").path
    got = json.loads((mnt / "accounts" / main / "transactions.json").read_bytes())["transactions"]
    assert got == bank.transactions[main]
