"""Lookups in one directory side by side: a slow fetch never holds up its neighbours.

Debian's libfuse (3.14) never grants the kernel FUSE_PARALLEL_DIROPS, so the kernel
would run every lookup of a directory behind the slowest one: `cat balance.json`
waited for a first sync of transactions.csv beside it.  The daemon grants it in its
own INIT reply."""
import os
import random
import threading
import time

from conftest import wait_for


def test_the_daemon_grants_parallel_lookups_at_init(bank, mounter):
    m = mounter(extra_args=("-d",))
    os.listdir(m.path)
    wait_for(lambda: "FUSE_PARALLEL_DIROPS granted" in m.output(), what="the INIT reply's flags in the log")


def test_a_balance_is_served_while_a_sync_beside_it_is_held(bank, mounter):
    acc = bank.main_account_id
    mnt = mounter().path
    d = mnt / "accounts" / acc
    os.listdir(d)   # the account list; nothing of the account yet
    hold = bank.hold("transactions")
    done = {}

    def sync_reader():
        done["csv"] = (d / "transactions.csv").read_bytes()

    reader = threading.Thread(target=sync_reader)
    side = None
    reader.start()
    try:
        hold.wait_arrived()
        # The CSV's lookup waits in the daemon for its sync; balance.json, in the same
        # directory, is looked up and read meanwhile.
        balance = {}
        side = threading.Thread(target=lambda: balance.update(data=(d / "balance.json").read_bytes()))
        side.start()
        wait_for(lambda: "data" in balance, timeout=8, what="balance.json beside the held sync")
        assert reader.is_alive() and "csv" not in done, "the sync was not held while balance.json was read"
    finally:
        hold.release()
        reader.join(30)
        if side:
            side.join(30)
    assert done["csv"].startswith(b"Transaction ID,")


def test_parallel_lookups_listings_and_reads_of_one_directory_agree(bank, mounter):
    """Eight readers at once in one account directory and its transactions/, while
    TTLs run out under them (each second): every name listed opens, every read is
    whole (its size is its fstat's), and nothing fails.  Run under the sanitizers by
    scripts/test --sanitize."""
    acc = bank.main_account_id
    mnt = mounter("ttl=1").path
    d = mnt / "accounts" / acc
    dirs = [d, d / "transactions", d / "pots", mnt / "accounts"]
    errors = []
    deadline = time.monotonic() + 6

    def worker(seed):
        rng = random.Random(seed)
        try:
            while time.monotonic() < deadline:
                where = rng.choice(dirs)
                names = os.listdir(where)
                for name in rng.sample(names, min(4, len(names))):
                    p = where / name
                    if p.is_symlink() or p.is_dir():
                        os.stat(p)
                        continue
                    with open(p, "rb") as f:
                        data = f.read()
                        assert len(data) == os.fstat(f.fileno()).st_size, p
        except Exception as e:  # reported in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors[:3]


def test_a_cold_top_tsv_syncs_the_accounts_side_by_side(bank, mounter):
    """The top transactions.tsv needs every account's sync: they run at once, so a slow
    bank costs one sync's time, not the sum.  Seen as two accounts' first pages held
    at the same moment (one after the other, the second would come only once the
    first was answered)."""
    mnt = mounter().path
    (mnt / "accounts.json").read_bytes()
    first, second = bank.hold("transactions"), bank.hold("transactions")
    out = []
    reader = threading.Thread(target=lambda: out.append((mnt / "transactions.tsv").read_bytes()))
    reader.start()
    try:
        first.wait_arrived()
        # One after the other, the second would come only once the daemon had given
        # up on the first (its budget for a page is 10 s).
        wait_for(lambda: second.arrived.is_set() or first.abandoned.is_set(), timeout=60,
                 what="a second account's first page")
        assert not first.abandoned.is_set(), "the second sync waited for the first to fail"
    finally:
        first.release()
        second.release()
        reader.join(60)
    ids = {line.split(b"\t")[1] for line in out[0].splitlines()[1:]}
    assert all(t["id"].encode() in ids for a in bank.accounts for t in bank.transactions[a["id"]])
