"""Extended attributes (user.monzo.*): when each file's bytes were fetched and last
changed, the API path they came from, the account they belong to; read by getfattr,
Python and rsync -X, never written, and never a request to the bank."""
import ctypes
import ctypes.util
import errno
import math
import os
import re
import subprocess
import time
from datetime import datetime, timezone

import pytest

import expected as E
from conftest import wait_for, wait_until

PREFIX = "user.monzo."
FETCHED, CHANGED, SOURCE, ACCOUNT = (PREFIX + n for n in ("fetched_at", "changed_at", "source", "account_id"))
FILE_NAMES = {FETCHED, CHANGED, SOURCE}


def getfattr(path, pattern="-"):
    """What `getfattr -d` shows for path: name -> value."""
    out = subprocess.run(["getfattr", "-d", "-h", "-m", pattern, "--absolute-names", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return dict(re.findall(r'^([^#\n=][^=\n]*)="(.*)"$', out, re.M))


def utc(value):
    """Seconds since the epoch of an RFC 3339 UTC time as the mount writes it."""
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", value), value
    return int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


def month_file(mnt, acc, ext):
    months = sorted(n for n in os.listdir(mnt / "accounts" / acc / "transactions") if n.endswith(ext))
    return mnt / "accounts" / acc / "transactions" / months[-1]


def expected_sources(bank, mnt):
    """path -> (source, account_id or None) for a spread of every kind of file."""
    acc = bank.main_account_id
    d = mnt / "accounts" / acc
    tx = f"/transactions?account_id={acc}"
    files = {
        mnt / "whoami.json": ("/ping/whoami", None),
        mnt / "accounts.json": ("/accounts", None),
        mnt / "transactions.tsv": ("/transactions", None),
        mnt / ".status.json": ("monzohfs", None),
        d / "account.json": ("/accounts", acc),
        d / "balance.json": (f"/balance?account_id={acc}", acc),
        d / "pots.json": (f"/pots?current_account_id={acc}", acc),
        month_file(mnt, acc, ".csv"): (tx, acc),
        month_file(mnt, acc, ".json"): (tx, acc),
    }
    for name in ("transactions.json", "transactions.csv", "pending.csv", "declined.csv", "transactions.tsv",
                 "transactions.ofx", "transactions.qif", "transactions.journal", "transactions.beancount"):
        files[d / name] = (tx, acc)
    return files


def test_every_file_says_when_and_where_it_came_from(bank, mounter):
    # The bank's clock is the daemon's (pinned with MONZOHFS_TEST_NOW, else real time).
    start = math.floor(bank.now().timestamp())
    mnt = mounter().path
    files = expected_sources(bank, mnt)
    for f in files:
        f.read_bytes()
    end = math.ceil(bank.now().timestamp())
    for f, (source, account) in files.items():
        attrs = getfattr(f)
        names = FILE_NAMES | ({ACCOUNT} if account else set())
        assert set(attrs) == names, f
        assert start <= utc(attrs[FETCHED]) <= end, (f, attrs)
        assert utc(attrs[CHANGED]) == int(os.stat(f).st_mtime), (f, attrs)
        assert attrs[SOURCE] == source, f
        assert attrs.get(ACCOUNT) == account, f
    status = getfattr(mnt / ".status.json")
    assert status[FETCHED] == status[CHANGED]
    # The usual spelling shows the same: user.* only, the file's account among them.
    shown = getfattr(mnt / "current" / "balance.json", pattern="^user\\.")
    assert shown[ACCOUNT] == bank.main_account_id and set(shown) == FILE_NAMES | {ACCOUNT}


def test_directories_carry_their_account_and_links_nothing(bank, mnt):
    acc = bank.main_account_id
    d = mnt / "accounts" / acc
    assert os.listxattr(d) == [ACCOUNT] and os.getxattr(d, ACCOUNT) == acc.encode()
    assert os.listxattr(d / "transactions") == [ACCOUNT]
    assert os.getxattr(mnt / "current", ACCOUNT) == acc.encode()  # through the link
    assert os.listxattr(mnt / "current", follow_symlinks=False) == []
    for top in (mnt, mnt / "accounts"):
        assert os.listxattr(top) == []
        expect_errno(errno.ENODATA, os.getxattr, top, ACCOUNT)
    expect_errno(errno.ENODATA, os.getxattr, d, FETCHED)


def expect_errno(code, fn, *args, **kw):
    with pytest.raises(OSError) as e:
        fn(*args, **kw)
    assert e.value.errno == code, f"{fn.__name__}{args}: {e.value}"


def test_python_agrees_with_getfattr_and_unknown_names_are_enodata(bank, mnt):
    acc = bank.main_account_id
    for f in (mnt / "accounts" / acc / "balance.json", mnt / "accounts" / acc / "transactions.csv",
              mnt / "whoami.json", mnt / ".status.json"):
        f.read_bytes()
        shown = getfattr(f)
        assert sorted(os.listxattr(f)) == sorted(shown)
        for name, value in shown.items():
            assert os.getxattr(f, name).decode() == value
        with open(f, "rb") as fd:  # by descriptor: the same version, the same values
            assert {n: os.getxattr(fd.fileno(), n).decode() for n in os.listxattr(fd.fileno())} == \
                {n: os.getxattr(f, n).decode() for n in os.listxattr(f)}
        for name in (PREFIX + "nope", PREFIX[:-1], "user.other", "security.capability", "security.selinux",
                     "trusted.monzo.source"):
            expect_errno(errno.ENODATA, os.getxattr, f, name)


libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def c_getxattr(path, name, size):
    """getxattr(2) with a buffer of the size given: (return value, errno)."""
    buf = ctypes.create_string_buffer(max(size, 1))
    n = libc.getxattr(str(path).encode(), name.encode(), buf if size else None, ctypes.c_size_t(size))
    return n, ctypes.get_errno() if n < 0 else 0


def c_listxattr(path, size):
    buf = ctypes.create_string_buffer(max(size, 1))
    n = libc.listxattr(str(path).encode(), buf if size else None, ctypes.c_size_t(size))
    return n, ctypes.get_errno() if n < 0 else 0


def test_sizes_and_buffers_too_small(bank, mnt):
    f = mnt / "accounts" / bank.main_account_id / "pots.json"
    source = os.getxattr(f, SOURCE)
    assert c_getxattr(f, SOURCE, 0) == (len(source), 0)
    assert c_getxattr(f, SOURCE, len(source)) == (len(source), 0)
    assert c_getxattr(f, SOURCE, len(source) - 1) == (-1, errno.ERANGE)
    assert c_getxattr(f, SOURCE, 3) == (-1, errno.ERANGE)
    names = b"".join(n.encode() + b"\0" for n in os.listxattr(f))
    assert c_listxattr(f, 0) == (len(names), 0)
    assert c_listxattr(f, len(names)) == (len(names), 0)
    assert c_listxattr(f, len(names) - 1) == (-1, errno.ERANGE)
    assert c_listxattr(mnt, 0) == (0, 0)


def test_attributes_cannot_be_set_or_removed(bank, mnt):
    acc = bank.main_account_id
    f = mnt / "accounts" / acc / "balance.json"
    for p in (f, mnt / "accounts" / acc, mnt):
        for name in (SOURCE, "user.new"):
            expect_errno(errno.EROFS, os.setxattr, p, name, b"x")
            expect_errno(errno.EROFS, os.removexattr, p, name)
    r = subprocess.run(["setfattr", "-n", SOURCE, "-v", "elsewhere", str(f)], capture_output=True, text=True)
    assert r.returncode != 0 and "Read-only file system" in r.stderr
    r = subprocess.run(["setfattr", "-x", ACCOUNT, str(f)], capture_output=True, text=True)
    assert r.returncode != 0 and "Read-only file system" in r.stderr
    assert os.getxattr(f, SOURCE) == f"/balance?account_id={acc}".encode()


def test_reading_attributes_asks_the_bank_nothing(bank, mounter):
    ttl = 1
    mnt = mounter(f"balance_ttl={ttl}").path
    files = list(expected_sources(bank, mnt))
    for f in files:
        f.read_bytes()
    balance = mnt / "accounts" / bank.main_account_id / "balance.json"
    with open(balance, "rb") as fd:
        before = bank.counts
        for f in files:
            if f != balance:  # by name past its TTL a lookup fetches, as any stat would
                getfattr(f)
                for name in os.listxattr(f):
                    os.getxattr(f, name)
                expect_errno(errno.ENODATA, os.getxattr, f, "security.capability")
        # Past the TTL, an open file's attributes still answer from what is held.
        wait_until(time.monotonic() + ttl + 0.5)
        for _ in range(50):
            for name in os.listxattr(fd.fileno()):
                os.getxattr(fd.fileno(), name)
        assert bank.counts == before


def test_a_new_version_moves_both_times_and_an_open_file_keeps_its_own(bank, mounter):
    ttl = 2
    mnt = mounter(f"balance_ttl={ttl}").path
    acc = bank.main_account_id
    f = mnt / "accounts" / acc / "balance.json"
    old_bytes = f.read_bytes()
    first = getfattr(f)
    assert utc(first[CHANGED]) == int(os.stat(f).st_mtime)

    # Past the TTL with nothing changed: fetched again, the same version.
    wait_until(time.monotonic() + ttl + 1.2)
    assert f.read_bytes() == old_bytes
    again = getfattr(f)
    assert utc(again[FETCHED]) >= utc(first[FETCHED]) + ttl
    assert again[CHANGED] == first[CHANGED]

    fd = os.open(f, os.O_RDONLY)
    try:
        wait_until(time.monotonic() + 1.1)  # the new version's times are seconds apart
        bank.set_balance(acc, balance=bank.api_balance(acc)["balance"] + 999)
        wait_for(lambda: f.read_bytes() != old_bytes, timeout=ttl + 8, what="the new balance")
        new = getfattr(f)
        assert utc(new[CHANGED]) == int(os.stat(f).st_mtime) > utc(first[CHANGED])
        assert utc(new[FETCHED]) > utc(again[FETCHED])
        # The open file is the old version: its attributes describe it, not the new one.
        assert os.getxattr(fd, CHANGED).decode() == first[CHANGED] == \
            datetime.fromtimestamp(int(os.fstat(fd).st_mtime), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert utc(again[FETCHED]) <= utc(os.getxattr(fd, FETCHED).decode()) <= utc(new[FETCHED])
        assert os.read(fd, 1 << 16) == old_bytes
    finally:
        os.close(fd)


def test_offline_the_times_are_the_stored_copies(bank, mounter):
    acc = bank.main_account_id
    m = mounter()
    names = ("balance.json", "pots.json", "transactions.csv")
    online = {n: getfattr(m.path / "accounts" / acc / n) for n in names}
    m.umount()
    off = mounter("offline", name="offline").path
    for n in names:
        attrs = getfattr(off / "accounts" / acc / n)
        assert attrs[CHANGED] == online[n][CHANGED], n
        assert attrs[SOURCE] == online[n][SOURCE], n
        if n == "transactions.csv":
            # The store records when the sync began; this mount knew when it ended.
            assert utc(online[n][FETCHED]) - 5 <= utc(attrs[FETCHED]) <= utc(online[n][FETCHED]), attrs
        else:
            assert attrs[FETCHED] == online[n][FETCHED], n


def user_xattrs_work_in(directory):
    probe = directory / "xattr-probe"
    probe.write_bytes(b"")
    try:
        os.setxattr(probe, "user.probe", b"1")
        return True
    except OSError:
        return False
    finally:
        probe.unlink()


def test_rsync_keeps_the_attributes(bank, mnt, tmp_path):
    dest = tmp_path / "copy"
    dest.mkdir()
    if not user_xattrs_work_in(dest):
        pytest.skip(f"{dest} does not take user.* extended attributes")
    subprocess.run(["rsync", "-aX", f"{mnt}/", f"{dest}/"], check=True, capture_output=True)
    acc = bank.main_account_id
    for rel in (f"accounts/{acc}/balance.json", f"accounts/{acc}/transactions.csv", "whoami.json",
                f"accounts/{acc}/transactions/" + month_file(mnt, acc, ".json").name):
        assert getfattr(dest / rel) == getfattr(mnt / rel), rel
    # .status.json moved on as rsync read the files after it: the copy is of the one read.
    status = getfattr(dest / ".status.json")
    assert status[SOURCE] == "monzohfs" and utc(status[CHANGED]) == int(os.stat(dest / ".status.json").st_mtime)
    assert os.getxattr(dest / "accounts" / acc, ACCOUNT) == acc.encode()
    assert os.readlink(dest / "current") == f"accounts/{acc}"
    # Again: nothing changed, nothing to do, no error.
    r = subprocess.run(["rsync", "-aXi", f"{mnt}/", f"{dest}/"], check=True, capture_output=True, text=True)
    assert not [line for line in r.stdout.splitlines() if not line.startswith(".d") and ".status.json" not in line]


def test_a_pots_files_say_their_pot_and_its_own_account(bank, mounter):
    mnt = mounter().path
    acc = bank.main_account_id
    pot_id, pot_acc = next((p, a) for p, a in sorted(bank.pot_accounts.items())
                           if bank.pot(p)["current_account_id"] == acc)
    d = mnt / "accounts" / acc / "pots" / pot_id
    want = {d / "pot.json": f"/pots?current_account_id={acc}",
            d / "transactions.csv": f"/transactions?account_id={pot_acc}",
            d / "transactions.journal": f"/transactions?account_id={pot_acc}"}
    months = sorted(os.listdir(d / "transactions"))
    want[d / "transactions" / months[0]] = f"/transactions?account_id={pot_acc}"
    for path, source in want.items():
        attrs = getfattr(path, "user.monzo")
        assert attrs[SOURCE] == source, path
        assert attrs[ACCOUNT] == acc and attrs[PREFIX + "pot_id"] == pot_id, path
        assert utc(attrs[CHANGED]) == int(os.stat(path).st_mtime), path
    assert getfattr(d, "user.monzo") == {ACCOUNT: acc, PREFIX + "pot_id": pot_id}


def test_an_attachment_says_the_url_it_came_from(bank, mounter):
    mnt = mounter().path
    before = bank.now().timestamp()
    acc, tx, att = next((a["id"], t, t["attachments"][0]) for a in bank.accounts
                        for t in bank.transactions[a["id"]] if t["attachments"])
    d = mnt / "accounts" / acc / "attachments"
    month = next(m for m in os.listdir(d) if any(n.startswith(tx["id"] + "-1.") for n in os.listdir(d / m)))
    path = next(d / month / n for n in os.listdir(d / month) if n.startswith(tx["id"] + "-1."))
    path.read_bytes()
    attrs = getfattr(path, "user.monzo")
    assert attrs[SOURCE] == att["file_url"] and attrs[ACCOUNT] == acc
    assert before - 2 <= utc(attrs[FETCHED]) <= bank.now().timestamp() + 2
    assert utc(attrs[CHANGED]) == int(os.stat(path).st_mtime)
    assert getfattr(d / month, "user.monzo") == {ACCOUNT: acc}


def test_an_attachments_source_leaves_out_a_signed_urls_query(bank, mounter):
    """rsync -X and backups copy user.monzo.source: a signed URL's query (and any
    fragment) reads the file for as long as it is valid, so it is not there."""
    tx = bank.transaction(bank.attachment_roles["receipt_png"])
    att = tx["attachments"][0]
    plain = att["file_url"]
    signed = plain + "?X-Amz-Credential=AKIAFAKE%2F20270101&X-Amz-Signature=0123abcd#page=1"
    with bank._lock:   # the bank has no call for this: a file_url as a storage service signs it
        att["file_url"] = att["url"] = signed
        bank._changed()
    mnt = mounter().path
    path = mnt / "accounts" / tx["account_id"] / "attachments" / E.month(tx["created"]) / f"{tx['id']}-1.png"
    assert path.read_bytes() == bank.attachment_bytes(plain)
    attrs = getfattr(path, "user.monzo")
    assert attrs[SOURCE] == plain
    assert "Signature" not in repr(attrs) and "AKIA" not in repr(attrs)
