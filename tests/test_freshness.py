"""Freshness and request economy: lazy fetches, TTLs, one shared fetch for concurrent
readers, and the minimum number of API requests for a whole traversal."""
import json
import os
import subprocess
import time

import expected as E
from conftest import read_all_at_once, wait_for, wait_until


def balance_of(path):
    return json.loads(path.read_bytes())["balance"]


def test_balance_change_shows_after_the_ttl_not_before(bank, mounter):
    ttl = 2
    mnt = mounter(f"balance_ttl={ttl}").path
    acc = bank.accounts[0]["id"]
    f = mnt / "accounts" / acc / "balance.json"
    old = balance_of(f)
    fetched = time.monotonic()
    bank.set_balance(acc, balance=old + 4321)
    assert balance_of(f) == old, "a change showed before the TTL"
    wait_for(lambda: balance_of(f) == old + 4321, timeout=ttl + 8, what="the new balance")
    assert time.monotonic() - fetched >= ttl - 0.1


def test_ttl_option_sets_all_and_per_kind_wins_in_any_order(bank, mounter):
    mnt = mounter("balance_ttl=3600,ttl=1").path
    acc = bank.accounts[0]["id"]
    f = mnt / "accounts" / acc / "balance.json"
    old = balance_of(f)
    bank.set_balance(acc, balance=old + 1)
    pots = mnt / "accounts" / acc / "pots.json"
    pots.read_bytes()
    n = bank.counts.get("pots", 0)
    # ttl=1 applies to pots: a later read refetches them ...
    wait_for(lambda: pots.read_bytes() and bank.counts.get("pots", 0) > n, timeout=10, what="a pots refetch")
    # ... while balance_ttl=3600 still holds the balance.
    assert balance_of(f) == old


def test_concurrent_readers_after_the_ttl_share_one_fetch(bank, mounter):
    ttl = 1
    mnt = mounter(f"balance_ttl={ttl}").path
    acc = bank.accounts[0]["id"]
    f = mnt / "accounts" / acc / "balance.json"
    f.read_bytes()
    expired = time.monotonic() + ttl + 1.2  # past our TTL and the kernel's 1 s attr cache
    bank.inject(endpoint="balance", kind="delay", delay=0.5, count=None)
    wait_until(expired)
    before = bank.counts["balance"]
    results = read_all_at_once([f] * 16)
    bank.clear_faults()
    assert len(set(results)) == 1
    assert bank.counts["balance"] - before == 1


def test_cold_readers_of_files_sharing_a_resource_cause_one_request(bank, mounter):
    mnt = mounter().path
    bank.inject(endpoint="accounts", kind="delay", delay=0.5, count=None)
    paths = [mnt / "accounts.json"] + [mnt / "accounts" / a["id"] / "account.json" for a in bank.accounts]
    paths = (paths * 3)[:16]
    for data in read_all_at_once(paths):
        json.loads(data)
    bank.clear_faults()
    assert bank.counts["accounts"] == 1


def test_cold_traversal_makes_the_minimum_requests_and_a_warm_one_none(bank, mounter):
    mnt = mounter().path
    n = len(bank.accounts)
    subprocess.run(["find", str(mnt), "-type", "f", "-exec", "cat", "{}", "+"], check=True,
                   stdout=subprocess.DEVNULL)
    counts = {k: v for k, v in bank.counts.items() if v}
    # whoami: the one check at mount time, reused for whoami.json.  Per account: pots,
    # one balance (the sync's serves balance.json too), and the pages of one full sync
    # (100 a page, until a short one); per pot with an account of its own, the pages of
    # its sync (no balance: the pot's is in pots.json).  Per attachment file: a HEAD of
    # the attachment host (its size, at the lookup) and a GET (its bytes, at the read).
    synced = [a["id"] for a in bank.accounts] + list(bank.pot_accounts.values())
    pages = sum(len(bank.transactions[acc]) // 100 + 1 for acc in synced)
    files = sum(len(t["attachments"] or ()) for a in bank.accounts for t in bank.transactions[a["id"]])
    assert files and bank.attachment_counts == {
        att["file_url"]: {"HEAD": 1, "GET": 1} for a in bank.accounts for t in bank.transactions[a["id"]]
        for att in t["attachments"] or ()}
    assert counts == {"whoami": 1, "accounts": 1, "balance": n, "pots": n, "transactions": pages,
                      "attachment": 2 * files}
    subprocess.run(["find", str(mnt), "-type", "f", "-exec", "cat", "{}", "+"], check=True,
                   stdout=subprocess.DEVNULL)
    assert {k: v for k, v in bank.counts.items() if v} == counts


def test_mounting_fetches_nothing_but_whoami(bank, mounter):
    mounter()
    assert {k: v for k, v in bank.counts.items() if v} == {"whoami": 1}


def test_a_new_mount_fetches_at_its_first_look_not_an_earlier_mounts_copy(bank, mounter):
    """The TTL counts from this mount's own fetch: remounting is how a user asks for
    fresh data, and the store's copies are for offline and failures only."""
    acc = bank.main_account_id
    m1 = mounter()
    d1 = m1.path / "accounts" / acc
    json.loads((d1 / "transactions.json").read_bytes())
    old_balance = balance_of(d1 / "balance.json")
    (d1 / "pots.json").read_bytes()
    m1.umount()

    added = [bank.add_transaction(acc, description=f"AFTER REMOUNT {i}") for i in range(2)]
    bank.set_balance(acc, balance=old_balance + 1234)
    m2 = mounter(name="mnt2")  # default TTLs: 300 s for transactions, 60 s for balances
    d2 = m2.path / "accounts" / acc
    assert json.loads((d2 / "transactions.json").read_bytes())["transactions"] == bank.transactions[acc]
    assert balance_of(d2 / "balance.json") == old_balance + 1234
    m2.umount()

    # The offline mount after it serves what the second mount fetched.
    m3 = mounter("offline", name="mnt3")
    d3 = m3.path / "accounts" / acc
    ids = {t["id"] for t in json.loads((d3 / "transactions.json").read_bytes())["transactions"]}
    assert {t["id"] for t in added} <= ids
    assert balance_of(d3 / "balance.json") == old_balance + 1234


def test_an_account_balance_is_asked_once_whichever_file_comes_first(bank, mounter):
    """A sync takes the balance with its pages: a balance.json just fetched serves as
    the sync's, and the sync's serves balance.json."""
    mnt = mounter().path
    first, second = bank.main_account_id, bank.account_ids["joint"]
    for acc, order in ((first, ("balance.json", "transactions.csv")),
                       (second, ("transactions.csv", "balance.json"))):
        before = bank.counts["balance"]
        for name in order:
            (mnt / "accounts" / acc / name).read_bytes()
        assert bank.counts["balance"] - before == 1, order
    # The Balance column is counted back from that same reply.
    for acc in (first, second):
        assert (mnt / "accounts" / acc / "transactions.csv").read_bytes() == \
            E.rfc4180(E.Expected(bank, acc).transactions_csv())


def status_of(mnt):
    return (mnt / ".status.json").read_bytes()


def test_status_says_what_is_true_when_opened_and_stays_put_while_idle(bank, mounter):
    ttl = 2
    mnt = mounter(f"balance_ttl={ttl}").path
    balances = [mnt / "accounts" / a["id"] / "balance.json" for a in bank.accounts]
    for f in balances:
        f.read_bytes()
    wait_until(time.monotonic() + ttl + 0.2)
    before = json.loads(status_of(mnt))["resources"]
    for f in balances:  # past the TTL: every balance is fetched again, seconds later
        f.read_bytes()
    after = json.loads(status_of(mnt))["resources"]
    for a in bank.accounts:
        name = f"balance/{a['id']}"
        assert after[name]["fetched_at"] > before[name]["fetched_at"], name

    # Idle: no request, and the same bytes on every read, however long it waits.
    counts = bank.counts
    first = status_of(mnt)
    wait_until(time.monotonic() + 1.3)
    assert status_of(mnt) == first
    wait_until(time.monotonic() + ttl + 1)
    assert status_of(mnt) == first
    assert bank.counts == counts


def test_a_name_missing_at_its_first_look_appears_within_its_ttl(bank, mounter):
    """A lookup that found nothing is not remembered past the TTL of what it was
    looked up in: an account opened later shows once accounts_ttl has passed."""
    ttl = 2
    mnt = mounter(f"accounts_ttl={ttl}").path
    assert not (mnt / "accounts" / "acc_0000NotOpenedYet").exists()
    acc = bank.add_account()
    new_dir = mnt / "accounts" / acc["id"]
    assert not new_dir.exists()
    added = time.monotonic()
    wait_for(lambda: (new_dir / "balance.json").exists(), timeout=ttl + 5, what="the new account")
    # Its TTL, the kernel's one second, and the time a lookup takes.
    assert time.monotonic() - added <= ttl + 1 + 0.5
    assert json.loads((new_dir / "account.json").read_bytes()) == acc
    assert acc["id"] in os.listdir(mnt / "accounts")


def test_an_idle_mount_makes_no_requests_however_long_it_stays(bank, mounter):
    """Nothing is fetched unless a reader looked: not at TTL ends, not for the kernel,
    not for the status file."""
    mnt = mounter("ttl=1").path
    subprocess.run(["find", str(mnt), "-type", "f", "-exec", "cat", "{}", "+"], check=True,
                   stdout=subprocess.DEVNULL)
    counts = bank.counts
    wait_until(time.monotonic() + 3.5)  # several TTLs
    assert bank.counts == counts
    status_of(mnt)
    assert bank.counts == counts
    # ... and a reader who looks gets fresh data again.
    (mnt / "accounts" / bank.main_account_id / "balance.json").read_bytes()
    assert bank.counts["balance"] == counts["balance"] + 1


def test_month_csvs_count_back_from_the_balance_their_rows_were_synced_with(bank, mounter):
    """The Balance column of every month file stays exact when the history moves: a
    new payment this month moves the balance and the rows after an older month by the
    same amount, so the older month's file is unchanged, and this month's ends at the
    new balance (a sum kept from before the change would be off by the payment)."""
    acc = bank.main_account_id
    mnt = mounter("ttl=1").path
    d = mnt / "accounts" / acc
    months = E.Expected(bank, acc).months()
    assert len(months) >= 2
    read = {m: (d / "transactions" / f"{m}.csv").read_bytes() for m in (months[0], months[-2], months[-1])}
    exp = E.Expected(bank, acc)
    for m, got in read.items():
        assert got == E.rfc4180(exp.month_csv(m)), m
    tx = bank.add_transaction(acc, amount=-4321)
    new_month = E.month(tx["created"])
    wait_for(lambda: tx["id"].encode() in (d / "transactions" / f"{new_month}.csv").read_bytes(),
             timeout=10, what="the new payment in its month's CSV")
    exp = E.Expected(bank, acc)
    for m in sorted(set(read) | {new_month}):
        assert (d / "transactions" / f"{m}.csv").read_bytes() == E.rfc4180(exp.month_csv(m)), m
    assert (d / "transactions" / f"{months[0]}.csv").read_bytes() == read[months[0]]
    assert (d / "transactions.csv").read_bytes() == E.rfc4180(exp.transactions_csv())
