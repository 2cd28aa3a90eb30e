"""Attachments as files (issue 14, part 2): accounts/acc_…/attachments/YYYY-MM/
<tx_id>-<n>.<ext>, listed from the synced transactions; at the first lookup their host
is asked for the size (HEAD), and the bytes are fetched from file_url at the first read
(issue 22, point 3), with no token, kept by content beside the store and never fetched
twice, served offline, EIO (never a partial file) when the attachment host fails."""
import errno
import hashlib
import os
import stat
import threading
import time

import pytest

import expected as E
from conftest import PinnedEnv, make_pinned_bank, wait_for, waits_in_daemon

EXT = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


def expected_tree(bank, acc):
    """{month: {name: (transaction, attachment)}} of an account, from the bank."""
    tree = {}
    for tx in bank.transactions[acc]:
        for n, att in enumerate(tx["attachments"] or (), 1):
            name = f"{tx['id']}-{n}.{EXT[att['file_type']]}"
            tree.setdefault(E.month(tx["created"]), {})[name] = (tx, att)
    return tree


def attachments_dir(mnt, acc):
    return mnt / "accounts" / acc / "attachments"


def every_attachment(bank, mnt):
    """(path, attachment) of every attachment file the mount must show."""
    out = []
    for a in bank.accounts:
        for month, files in expected_tree(bank, a["id"]).items():
            out += [(attachments_dir(mnt, a["id"]) / month / name, att) for name, (_, att) in files.items()]
    return out


def blobs(env):
    d = env.data / "monzohfs" / "attachments"
    return {p.name: p for p in d.iterdir()} if d.exists() else {}


def test_attachments_are_files_by_month_of_their_transaction(bank, mounter):
    mnt = mounter().path
    with_any = 0
    for a in bank.accounts:
        acc = a["id"]
        d = attachments_dir(mnt, acc)
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o555
        tree = expected_tree(bank, acc)
        with_any += bool(tree)
        assert sorted(os.listdir(d)) == sorted(tree), acc
        for month, files in tree.items():
            assert stat.S_IMODE(os.stat(d / month).st_mode) == 0o555
            assert sorted(os.listdir(d / month)) == sorted(files), f"{acc}/{month}"
            for name, (tx, att) in files.items():
                want = bank.attachment_bytes(att["file_url"])
                st = os.stat(d / month / name)
                assert stat.S_IMODE(st.st_mode) == 0o444 and stat.S_ISREG(st.st_mode)
                assert st.st_size == len(want), name
                # stable across mounts: the attachment's own created time
                assert st.st_mtime_ns == E.instant_ns(att["created"]), name
                assert (d / month / name).read_bytes() == want, name
    assert with_any >= 2, "the bank should have attachments in two accounts"
    # A transaction with two: -1 and -2, each with the extension of its type.
    tx = bank.transaction(bank.attachment_roles["two_attachments"])
    month = attachments_dir(mnt, tx["account_id"]) / E.month(tx["created"])
    mine = sorted(n for n in os.listdir(month) if n.startswith(tx["id"] + "-"))
    assert mine == [f"{tx['id']}-1.jpg", f"{tx['id']}-2.pdf"]
    png = bank.transaction(bank.attachment_roles["receipt_png"])
    assert (attachments_dir(mnt, png["account_id"]) / E.month(png["created"]) / f"{png['id']}-1.png").exists()
    # Names that are not there.
    for bad in ("1999-01", "2024-6", "x" * 7):
        assert not (attachments_dir(mnt, bank.main_account_id) / bad).exists()
    assert not (month / f"{tx['id']}-3.jpg").exists()
    assert not (month / f"{tx['id']}-1.png").exists()
    assert bank.attachment_auth_violations == []


def test_a_listing_fetches_nothing_and_ls_l_sizes_are_exact(bank, mounter):
    mnt = mounter().path
    files = every_attachment(bank, mnt)
    for month in {p.parent for p, _ in files}:
        os.listdir(month)
    assert bank.counts["attachment"] == 0, "a listing must not fetch what nobody looked at"
    for path, att in files:
        assert os.lstat(path).st_size == len(bank.attachment_bytes(att["file_url"]))
    # Looked up (as ls -l does), so the host was asked for each size, once (a HEAD):
    # the bytes wait for a read.
    assert bank.attachment_counts == {att["file_url"]: {"HEAD": 1} for _, att in files}


def test_each_file_is_fetched_once_across_mounts_and_served_offline(bank, env, mounter):
    m1 = mounter()
    files = every_attachment(bank, m1.path)
    first = {p.relative_to(m1.path): p.read_bytes() for p, _ in files}
    m1.umount()
    m2 = mounter(name="mnt2")
    for p, _ in files:
        assert (m2.path / p.relative_to(m1.path)).read_bytes() == first[p.relative_to(m1.path)]
    m2.umount()
    # One HEAD (the size, at the first lookup) and one GET (the bytes, at the first
    # read) per URL in all, never a token.
    assert bank.attachment_counts == {att["file_url"]: {"HEAD": 1, "GET": 1} for _, att in files}
    assert bank.attachment_auth_violations == []
    # Kept by content: one 0600 file per distinct bytes, named by its SHA-256, in a 0700
    # directory beside the history store.
    kept = blobs(env)
    assert set(kept) == {hashlib.sha256(b).hexdigest() for b in first.values()}
    for name, p in kept.items():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
        assert hashlib.sha256(p.read_bytes()).hexdigest() == name
    assert stat.S_IMODE((env.data / "monzohfs" / "attachments").stat().st_mode) == 0o700

    bank.reset_counts()
    m3 = mounter("offline", name="mnt3")
    for rel, data in first.items():
        assert (m3.path / rel).read_bytes() == data
    assert sum(bank.counts.values()) == 0 and bank.attachment_counts == {}


def test_an_offline_mount_without_the_bytes_fails_the_read_not_the_listing(bank, mounter):
    m1 = mounter()
    os.listdir(m1.path / "accounts" / bank.main_account_id / "transactions")  # the sync, no attachment
    m1.umount()
    m2 = mounter("offline", name="mnt2")
    path, _ = every_attachment(bank, m2.path)[0]
    assert path.name in os.listdir(path.parent)
    with pytest.raises(OSError) as e:
        path.read_bytes()
    assert e.value.errno == errno.EIO
    assert bank.counts["attachment"] == 0


@pytest.mark.parametrize("kind", ["status", "truncate", "drop"])
def test_a_failing_attachment_host_gives_eio_never_a_partial_file(bank, env, mounter, kind):
    mnt = mounter().path
    acc = bank.main_account_id
    (path, att), (other, other_att) = every_attachment(bank, mnt)[:2]
    bank.inject(endpoint="attachment", kind=kind, status=503, count=None)
    try:
        for _ in range(2):
            with pytest.raises(OSError) as e:
                path.read_bytes()
            assert e.value.errno == errno.EIO
        # The rest of the mount is unharmed.
        assert (mnt / "accounts" / acc / "transactions.csv").read_bytes().startswith(b"Transaction ID,")
        assert path.name in os.listdir(path.parent)
        assert blobs(env) == {}
    finally:
        bank.clear_faults()
    assert path.read_bytes() == bank.attachment_bytes(att["file_url"])
    assert os.stat(path).st_size == len(bank.attachment_bytes(att["file_url"]))
    assert other.read_bytes() == bank.attachment_bytes(other_att["file_url"])
    assert bank.attachment_auth_violations == []


def test_a_file_gone_from_the_attachment_host_gives_eio(bank, mounter):
    mnt = mounter("transactions_ttl=3600").path
    os.listdir(mnt / "accounts" / bank.main_account_id / "transactions")
    path, att = every_attachment(bank, mnt)[0]
    bank.remove_attachment(att["id"])   # 404 from now on; the mount has not synced again
    with pytest.raises(OSError) as e:
        path.read_bytes()
    assert e.value.errno == errno.EIO


def test_attachments_added_and_removed_follow_the_sync(bank, mounter):
    mnt = mounter("transactions_ttl=1").path
    # An account without attachments whose newest transaction is recent: inside the
    # window a later sync reads again (14 days before what it holds, at most 89 back).
    recent = (bank.now().timestamp() - 80 * 86400) * 1e9
    acc = next(a["id"] for a in bank.accounts
               if bank.transactions[a["id"]] and not expected_tree(bank, a["id"]) and not a["closed"]
               and E.instant_ns(bank.transactions[a["id"]][-1]["created"]) > recent)
    d = attachments_dir(mnt, acc)
    assert os.listdir(d) == []
    tx = bank.transactions[acc][-1]
    att = bank.add_attachment(tx["id"], file_type="image/png", size=4321)
    month, name = E.month(tx["created"]), f"{tx['id']}-1.png"
    wait_for(lambda: os.listdir(d) == [month] and os.listdir(d / month) == [name], timeout=15,
             what="the new attachment")
    assert (d / month / name).read_bytes() == bank.attachment_bytes(att["file_url"])
    second = bank.add_attachment(tx["id"], file_type="application/pdf", size=777)
    wait_for(lambda: sorted(os.listdir(d / month)) == [name, f"{tx['id']}-2.pdf"], timeout=15,
             what="a second attachment")
    bank.remove_attachment(att["id"])
    # What was -2 is now the first in the array: -1, with its own bytes.
    wait_for(lambda: os.listdir(d / month) == [f"{tx['id']}-1.pdf"], timeout=15, what="the removal")
    assert (d / month / f"{tx['id']}-1.pdf").read_bytes() == bank.attachment_bytes(second["file_url"])
    bank.remove_attachment(second["id"])
    wait_for(lambda: os.listdir(d) == [], timeout=15, what="the month to go")
    assert bank.attachment_auth_violations == []


def test_big_attachments_read_whole_and_at_offsets(bank, mounter):
    # One past the size kept in memory too (3 MiB, served from the stored file).
    tx = bank.transactions[bank.main_account_id][-1]
    big = bank.add_attachment(tx["id"], file_type="image/jpeg", size=3 << 20)
    mnt = mounter().path
    large = bank.transaction(bank.attachment_roles["large_jpeg"])
    cases = [(large, large["attachments"][0], 1), (tx, big, len(tx["attachments"]))]
    for t, att, n in cases:
        want = bank.attachment_bytes(att["file_url"])
        path = attachments_dir(mnt, t["account_id"]) / E.month(t["created"]) / f"{t['id']}-{n}.jpg"
        assert os.stat(path).st_size == len(want)
        assert path.read_bytes() == want
        fd = os.open(path, os.O_RDONLY)
        try:
            for off in (0, 1, 4095, 4096, 65537, len(want) // 2, len(want) - 1, len(want), len(want) + 10):
                assert os.pread(fd, 70000, off) == want[off:off + 70000], off
        finally:
            os.close(fd)
    assert len(bank.attachment_bytes(large["attachments"][0]["file_url"])) >= 200 * 1024
    assert bank.attachment_auth_violations == []


# On 4 January the PNG receipt and the account's last transaction fall in two months,
# on 20 January in one: the twin below must not depend on which.
@pytest.mark.parametrize("moment", ["2027-01-04T12:00:00Z", "2027-01-20T12:00:00Z"])
@pytest.mark.parametrize("twin_month", ["same", "other"])
def test_one_url_under_two_names_is_one_fetch_shared_by_both_readers(tmp_path, mounter, moment, twin_month):
    """Two attachments with the same file_url (the same file attached twice): their host
    is asked the URL's size once, readers of both at once wait for one fetch of the
    bytes, and the bytes are kept once.

    The twin is in the PNG's month (one directory: the daemon grants the kernel
    parallel lookups, so the second reader reaches it while the first is held) or in
    another (two directories)."""
    bank = make_pinned_bank(moment)
    try:
        (tmp_path / "pinned").mkdir()
        env = PinnedEnv(tmp_path / "pinned", bank)
        shared_fetch_of_twins(bank, env, mounter, twin_month == "same")
    finally:
        bank.stop()


def attach_twin(bank, same_month=False):
    """The PNG receipt's attachment, copied onto a transaction of the same month or of
    another (the same file attached twice): (attachment, [the two transactions])."""
    png = bank.transaction(bank.attachment_roles["receipt_png"])
    att = png["attachments"][0]
    twin = next(t for t in reversed(bank.transactions[png["account_id"]])
                if not t["attachments"] and t["id"] != png["id"]
                and (E.month(t["created"]) == E.month(png["created"])) == same_month)
    with bank._lock:   # the bank has no call for this: a copy of the object, as Monzo would list it
        twin["attachments"] = [dict(att, id="attach_twin", external_id=twin["id"])]
        bank._changed()
    return att, [png, twin]


def shared_fetch_of_twins(bank, env, mounter, same_month):
    att, txs = attach_twin(bank, same_month)
    mnt = mounter(env=env).path
    d = attachments_dir(mnt, txs[0]["account_id"])
    paths = [d / E.month(t["created"]) / f"{t['id']}-1.png" for t in txs]
    assert (paths[0].parent == paths[1].parent) == same_month
    for p in paths:
        os.listdir(p.parent)   # the sync, before the race
    sizes = [os.stat(p).st_size for p in paths]   # one HEAD: the size of the URL
    hold = bank.hold("attachment")
    results = [None, None]
    tids = [None, None]

    def read(i):
        tids[i] = threading.get_native_id()
        results[i] = paths[i].read_bytes()

    first = threading.Thread(target=read, args=(0,))
    second = threading.Thread(target=read, args=(1,))
    try:
        first.start()
        hold.wait_arrived()
        second.start()
        # The second reader's request is in the daemon while the fetch is held: it
        # waits for that fetch rather than asking itself.
        wait_for(lambda: tids[1] is not None and waits_in_daemon(tids[1]), what="the second reader's request in the daemon")
        assert bank.attachment_counts == {att["file_url"]: {"HEAD": 1, "GET": 1}}
    finally:
        hold.release()
        first.join(15)
        second.join(15)
    want = bank.attachment_bytes(att["file_url"])
    assert results == [want, want] and sizes == [len(want)] * 2
    assert bank.attachment_counts == {att["file_url"]: {"HEAD": 1, "GET": 1}}
    assert list(blobs(env)) == [hashlib.sha256(want).hexdigest()]


def test_the_extension_comes_from_a_list_of_receipt_types_never_the_url(bank, mounter):
    """An app chooses file_type and file_url: a page, a drawing or a script must not
    get the extension that makes a desktop open it as such."""
    tx = bank.transactions[bank.main_account_id][-1]
    n0 = len(tx["attachments"] or ())
    added = [bank.add_attachment(tx["id"], file_type=t, size=300, name=name) for t, name in (
        ("text/html", "invoice.html"), ("image/svg+xml", "logo.svg"), ("application/x-sh", "run.sh"),
        ("image/jpeg", "receipt.html"), ("image/webp", "photo.webp"), ("", "scan.pdf"))]
    mnt = mounter().path
    month = attachments_dir(mnt, tx["account_id"]) / E.month(tx["created"])
    want = [f"{tx['id']}-{n0 + i}.{ext}" for i, ext in enumerate(("bin", "bin", "bin", "jpg", "webp", "bin"), 1)]
    assert sorted(n for n in os.listdir(month) if n.startswith(tx["id"] + "-")) == sorted(want)
    for name, att in zip(want, added):
        assert (month / name).read_bytes() == bank.attachment_bytes(att["file_url"]), name


def test_a_reader_that_looked_before_a_fetch_landed_does_not_fetch_again(bank, env, mounter, tmp_path):
    """Issue 20, point 4: a reader looks at the store while another's fetch of the same
    URL is under way, and boards only once it has landed: it finds the bytes kept
    rather than fetching them again.  The daemon's test-only gate
    (MONZOHFS_TEST_ATTACH_GATE, two FIFOs) holds the second reader exactly between its
    look and its boarding."""
    gate = tmp_path / "gate"
    gate.mkdir()
    os.mkfifo(gate / "arrive")
    os.mkfifo(gate / "go")
    env.vars["MONZOHFS_TEST_ATTACH_GATE"] = str(gate)
    att, txs = attach_twin(bank)
    mnt = mounter().path
    d = attachments_dir(mnt, txs[0]["account_id"])
    paths = [d / E.month(t["created"]) / f"{t['id']}-1.png" for t in txs]
    want = bank.attachment_bytes(att["file_url"])
    assert [os.stat(p).st_size for p in paths] == [len(want)] * 2   # sizes: no boarding
    arrive = os.open(gate / "arrive", os.O_RDONLY | os.O_NONBLOCK)

    def arrived(who):
        wait_for(lambda: os.read(arrive, 1) == b"a", what=f"{who} at the gate")

    def let_through():
        def opened():
            try:
                return os.open(gate / "go", os.O_WRONLY | os.O_NONBLOCK)
            except OSError as e:
                if e.errno == errno.ENXIO:   # the reader is not waiting yet
                    return None
                raise
        fd = wait_for(opened, what="the gate's reader")
        os.write(fd, b"g")
        os.close(fd)

    results = [None, None]

    def read(i):
        results[i] = paths[i].read_bytes()

    readers = [threading.Thread(target=read, args=(i,)) for i in range(2)]
    hold = bank.hold("attachment")
    try:
        readers[0].start()
        arrived("the first reader")
        let_through()
        hold.wait_arrived()            # its fetch is under way, held
        readers[1].start()
        arrived("the second reader")   # it found nothing kept, and waits to board
    finally:
        hold.release()
    readers[0].join(15)
    assert results[0] == want          # the first fetch landed, kept and recorded
    let_through()
    readers[1].join(15)
    os.close(arrive)
    assert results == [want, want]
    assert bank.attachment_counts == {att["file_url"]: {"HEAD": 1, "GET": 1}}
    assert list(blobs(env)) == [hashlib.sha256(want).hexdigest()]


def test_a_slow_but_steady_download_is_read_whole(bank, mounter):
    """Issue 20, point 5: a large receipt on a slow link takes longer than the API's
    10 s budget; a download fails only when it stalls (nothing for 30 s), never for
    the time it takes in all."""
    tx = bank.transactions[bank.main_account_id][-1]
    att = bank.add_attachment(tx["id"], file_type="image/jpeg", size=256 * 1024)
    mnt = mounter().path
    path = attachments_dir(mnt, tx["account_id"]) / E.month(tx["created"]) / \
        f"{tx['id']}-{len(tx['attachments'])}.jpg"
    want = bank.attachment_bytes(att["file_url"])
    # Every body takes 11 s, in steady pieces (a HEAD has none: at once).
    bank.inject("attachment", kind="slow", delay=11, count=None)
    try:
        started = time.monotonic()
        assert os.stat(path).st_size == len(want)
        assert path.read_bytes() == want
        assert time.monotonic() - started > 10
    finally:
        bank.clear_faults()
    assert bank.attachment_counts[att["file_url"]] == {"HEAD": 1, "GET": 1}


def test_a_damaged_kept_attachment_is_not_served(bank, env, mounter):
    """Issue 20, point 7: a kept file of the right size but other bytes (a disk's or a
    hand's damage) is found out at its first open in a mount: fetched again when the
    host can be asked, else EIO; never served."""
    m1 = mounter()
    path, att = every_attachment(bank, m1.path)[0]
    want = path.read_bytes()
    m1.umount()
    (name, blob), = blobs(env).items()
    damaged = bytearray(want)
    damaged[len(damaged) // 2] ^= 0xff
    blob.write_bytes(bytes(damaged))

    m2 = mounter("offline", name="mnt2")
    rel = path.relative_to(m1.path)
    with pytest.raises(OSError) as e:
        (m2.path / rel).read_bytes()
    assert e.value.errno == errno.EIO
    assert "damaged" in m2.output()
    m2.umount()

    blob.write_bytes(bytes(damaged))   # (the offline mount took it away)
    bank.reset_counts()
    m3 = mounter(name="mnt3")
    assert (m3.path / rel).read_bytes() == want
    assert bank.attachment_counts == {att["file_url"]: {"HEAD": 1, "GET": 1}}
    assert blobs(env)[name].read_bytes() == want


def test_what_a_dead_write_left_is_swept_at_the_start(bank, env, mounter):
    """Issue 20, point 7: a temporary file of a write whose process died stays no
    longer than the next mount's start; one that may be a write under way in another
    mount (changed in the last minutes) is left alone."""
    m1 = mounter()
    path, _ = every_attachment(bank, m1.path)[0]
    path.read_bytes()
    m1.umount()
    d = env.data / "monzohfs" / "attachments"
    (name, blob), = blobs(env).items()
    old, recent = d / f".{name}.Ab12Cd", d / f".{name}.Zz99Yy"
    for p in (old, recent):
        p.write_bytes(b"half a file")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    m2 = mounter(name="mnt2")
    wait_for(lambda: not old.exists(), what="the dead write's file to go")
    assert recent.exists() and blob.exists()
    assert (m2.path / path.relative_to(m1.path)).read_bytes() == blob.read_bytes()
