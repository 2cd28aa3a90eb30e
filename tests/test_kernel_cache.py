"""The kernel's cache, done right: unchanged files are read again from the page cache
without a word to the daemon; a change makes a new version of the file, so the next
reader sees all of the new bytes and nothing else, while a reader that already had the
file open keeps reading the bytes it opened."""
import json
import os
import platform
import re
import subprocess

import pytest

from conftest import wait_for

# Before Linux 6.2 a change can only drop the kernel's name for a file, not mark it
# for a recheck, so unchanged files come back as new inodes (still correct bytes).
KERNEL = tuple(int(x) for x in re.findall(r"\d+", platform.release())[:2])


def requests_seen(m, opcode):
    """How many requests of this kind the daemon's debug log (-d) shows."""
    return len(re.findall(rf"opcode: {opcode} ", m.output()))


def test_unchanged_files_are_read_again_without_asking_the_daemon(bank, mounter):
    m = mounter(extra_args=("-d",))
    acc = bank.main_account_id
    files = [m.path / "accounts" / acc / "transactions.csv", m.path / "accounts" / acc / "balance.json",
             m.path / "accounts" / acc / "transactions" / sorted(os.listdir(m.path / "accounts" / acc /
                                                                            "transactions"))[-1],
             m.path / "whoami.json"]
    first = [f.read_bytes() for f in files]
    # (A GETATTR may come when the attribute timeout runs out between two reads.)
    ops = ("OPEN", "READ", "FLUSH", "RELEASE")
    before = {op: requests_seen(m, op) for op in ops}
    assert requests_seen(m, "LOOKUP") > 0 and before["READ"] > 0, "no requests in the debug log"
    assert before["OPEN"] <= 1, "the kernel should stop sending opens after the first"
    for _ in range(20):
        for f, data in zip(files, first):
            assert subprocess.run(["cat", str(f)], capture_output=True, check=True).stdout == data
    after = {op: requests_seen(m, op) for op in ops}
    assert after == before, f"repeated reads of unchanged files reached the daemon: {before} -> {after}"


def test_after_a_change_the_next_reader_sees_all_the_new_bytes(bank, mounter):
    m = mounter("ttl=1")
    acc = bank.main_account_id
    csv = m.path / "accounts" / acc / "transactions.csv"
    bal = m.path / "accounts" / acc / "balance.json"
    old_csv = csv.read_bytes()
    assert json.loads(bal.read_bytes())["balance"] != 5
    # The CSV grows by one row; balance.json shrinks.  A size the kernel held on to
    # would cut the first short or leave old bytes at the end of the second.
    tx = bank.add_transaction(acc, amount=-777)
    wait_for(lambda: tx["id"].encode() in csv.read_bytes(), timeout=10, what="the new transaction")
    new_csv = csv.read_bytes()
    assert new_csv.startswith(old_csv)
    added = new_csv[len(old_csv):].decode()
    assert added.count("\n") == 1 and added.startswith(tx["id"] + ",") and added.endswith("\n")
    assert os.stat(csv).st_size == len(new_csv)
    assert subprocess.run(["cat", str(csv)], capture_output=True, check=True).stdout == new_csv
    bal.read_bytes()
    bank.set_balance(acc, balance=5)
    wait_for(lambda: json.loads(bal.read_bytes())["balance"] == 5, timeout=10, what="the new balance")
    assert bal.read_bytes().endswith(b"}\n") and os.stat(bal).st_size == len(bal.read_bytes())


def test_an_open_file_keeps_the_bytes_it_opened(bank, mounter):
    m = mounter("ttl=1")
    acc = bank.main_account_id
    csv = m.path / "accounts" / acc / "transactions.csv"
    old = csv.read_bytes()
    fd = os.open(csv, os.O_RDONLY)
    try:
        head = os.read(fd, 100)
        tx = bank.add_transaction(acc, amount=-777)
        wait_for(lambda: tx["id"].encode() in csv.read_bytes(), timeout=10, what="the new transaction")
        # Drop the pages the kernel holds of the old version, so the rest comes from
        # the daemon, which must still serve the version this descriptor opened.
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        rest = b""
        while chunk := os.read(fd, 4096):
            rest += chunk
        assert head + rest == old
        assert os.fstat(fd).st_size == len(old)
    finally:
        os.close(fd)
    assert tx["id"].encode() in csv.read_bytes()


@pytest.mark.skipif(KERNEL < (6, 2), reason="needs the kernel's entry expiry (Linux 6.2)")
def test_only_the_files_a_change_touched_become_new_versions(bank, mounter):
    m = mounter("ttl=1")
    acc = bank.main_account_id
    months = m.path / "accounts" / acc / "transactions"
    oldest = months / sorted(n for n in os.listdir(months) if n.endswith(".csv"))[0]
    csv = m.path / "accounts" / acc / "transactions.csv"
    ino = {p: os.stat(p).st_ino for p in (oldest, csv)}
    oldest_bytes = oldest.read_bytes()
    tx = bank.add_transaction(acc, amount=-777)
    wait_for(lambda: tx["id"].encode() in csv.read_bytes(), timeout=10, what="the new transaction")
    assert os.stat(csv).st_ino != ino[csv]
    # An older month keeps its inode, so the kernel keeps its pages and backups skip it.
    assert os.stat(oldest).st_ino == ino[oldest]
    assert oldest.read_bytes() == oldest_bytes


def test_a_listing_longer_than_one_kernel_request_comes_whole(bank, mounter):
    """A directory read in several parts (each READDIR holds about 100 entries) lists
    every entry once, and a second reader of the same directory sees the same."""
    acc = bank.main_account_id
    for year in range(2012, 2018):
        for month in range(1, 13):
            bank.add_transaction(acc, created=f"{year}-{month:02d}-15T12:00:00Z", amount=-100)
    months = mounter().path / "accounts" / acc / "transactions"
    names = os.listdir(months)
    assert len(names) == len(set(names)) > 150
    for year in range(2012, 2018):
        for month in range(1, 13):
            assert f"{year}-{month:02d}.csv" in names and f"{year}-{month:02d}.json" in names
    assert sorted(os.listdir(months)) == sorted(names)
    ls = subprocess.run(["ls", "-1", str(months)], capture_output=True, text=True, check=True).stdout.split()
    assert sorted(ls) == sorted(names)


def test_files_of_many_megabytes_read_whole_at_any_offset_and_in_new_versions(mounter, tmp_path):
    """A big history's files are rendered into memory files, not the heap: the bytes,
    sizes and versions are the same as for small ones."""
    import expected as E
    from conftest import make_bank, make_env
    big = make_bank(seed=3, transactions=8000)
    try:
        big_root = tmp_path / "big-env"
        big_root.mkdir()
        m = mounter("transactions_ttl=1", name="big", env=make_env(big_root, big))
        acc = big.main_account_id
        d = m.path / "accounts" / acc
        csv = d / "transactions.csv"
        want = E.rfc4180(E.Expected(big, acc).transactions_csv())
        assert len(want) > 1 << 20
        assert os.stat(csv).st_size == len(want)
        assert csv.read_bytes() == want
        with open(csv, "rb") as f:  # reads that start anywhere, the last one short
            for off in (0, 4095, 1 << 20, len(want) - 10, len(want) + 5):
                f.seek(off)
                assert f.read(70000) == want[off:off + 70000]
        tx = json.loads((d / "transactions.json").read_bytes())["transactions"]
        assert tx == big.transactions[acc]
        before = os.stat(csv).st_ino
        new = big.add_transaction(acc, amount=-1999)
        wait_for(lambda: new["id"].encode() in csv.read_bytes(), timeout=15, what="the new version")
        assert csv.read_bytes() == E.rfc4180(E.Expected(big, acc).transactions_csv())
        assert os.stat(csv).st_ino != before
        m.umount()
    finally:
        big.stop()
