"""What an attachment host can make the mount download and keep (issue 22, point 3): a
lookup (stat, ls -l) asks the host for the size alone (HEAD) and the bytes come at the
first read; only a host that gives no Content-Length is fetched at the lookup, so sizes
stay exact.  A file over -o attachment_max (16 MiB by default), or larger than its host
announced, is refused with EIO and nothing of it is kept; once the kept files reach
-o attachment_quota (1 GiB by default) nothing more is kept (EIO)."""
import errno
import os
import subprocess
import threading

import pytest

import expected as E
from conftest import DAEMON

KIB = 1024


def blobs(env):
    d = env.data / "monzohfs" / "attachments"
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def new_attachments(bank, sizes, file_type="image/jpeg"):
    """Attachments of these sizes on the main account's last transaction: [(attachment,
    its name in the month's directory)] and the transaction."""
    tx = bank.transactions[bank.main_account_id][-1]
    n0 = len(tx["attachments"] or ())
    ext = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[file_type]
    out = [(bank.add_attachment(tx["id"], file_type=file_type, size=size), f"{tx['id']}-{n0 + i}.{ext}")
           for i, size in enumerate(sizes, 1)]
    return out, tx


def month_dir(mnt, tx):
    return mnt / "accounts" / tx["account_id"] / "attachments" / E.month(tx["created"])


def errno_of(call):
    with pytest.raises(OSError) as e:
        call()
    return e.value.errno


def test_parallel_stats_ask_for_sizes_and_download_nothing(bank, env, mounter):
    files, tx = new_attachments(bank, [60 * KIB + i for i in range(10)])
    mnt = mounter().path
    d = month_dir(mnt, tx)
    sizes, errors = {}, []

    def look(name):
        try:
            sizes[name] = os.stat(d / name).st_size
        except OSError as e:  # reported below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=look, args=(name,)) for _, name in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sizes == {name: len(bank.attachment_bytes(att["file_url"])) for att, name in files}
    assert {att["file_url"]: bank.attachment_counts.get(att["file_url"]) for att, _ in files} == \
        {att["file_url"]: {"HEAD": 1} for att, _ in files}
    assert blobs(env) == [], "a stat keeps nothing"
    # The bytes come with a read, once.
    att, name = files[3]
    assert (d / name).read_bytes() == bank.attachment_bytes(att["file_url"])
    assert bank.attachment_counts[att["file_url"]] == {"HEAD": 1, "GET": 1}
    assert len(blobs(env)) == 1


def test_a_host_that_gives_no_size_is_fetched_at_the_lookup(bank, env, mounter):
    """Sizes stay exact: without a Content-Length on the HEAD, the lookup fetches."""
    bank.attachment_content_length(head="none")
    [(att, name)], tx = new_attachments(bank, [5000])
    mnt = mounter().path
    path = month_dir(mnt, tx) / name
    assert os.stat(path).st_size == 5000
    assert bank.attachment_counts[att["file_url"]] == {"HEAD": 1, "GET": 1}
    assert path.read_bytes() == bank.attachment_bytes(att["file_url"])
    assert bank.attachment_counts[att["file_url"]] == {"HEAD": 1, "GET": 1}


# How the host tells the size: on the HEAD; on the GET alone; on neither (the body
# ends with the connection, so only the bytes counted on the way can stop it).
@pytest.mark.parametrize("head,get", [("exact", "exact"), ("none", "exact"), ("none", "none")])
def test_an_attachment_over_attachment_max_is_eio_and_nothing_is_kept(bank, env, mounter, head, get):
    bank.attachment_content_length(head=head, get=get)
    files, tx = new_attachments(bank, [120 * KIB, 90 * KIB])
    m = mounter("attachment_max=100K")
    d = month_dir(m.path, tx)
    (big, big_name), (small, small_name) = files
    assert big_name in os.listdir(d)
    for _ in range(2):
        assert errno_of(lambda: (d / big_name).read_bytes()) == errno.EIO
    assert blobs(env) == []
    assert "over attachment_max" in m.output() or "larger than" in m.output()
    if head == "exact":   # the HEAD said enough, once: the bytes were never asked for
        assert bank.attachment_counts[big["file_url"]] == {"HEAD": 1}
    # Under the cap: served and kept.
    assert (d / small_name).read_bytes() == bank.attachment_bytes(small["file_url"])
    assert len(blobs(env)) == 1


@pytest.mark.parametrize("get", ["exact", "none"])
def test_a_body_larger_than_its_host_announced_is_eio_and_nothing_is_kept(bank, env, mounter, get):
    bank.attachment_content_length(head="less", get=get)
    [(att, name)], tx = new_attachments(bank, [7000])
    mnt = mounter().path
    path = month_dir(mnt, tx) / name
    assert os.stat(path).st_size == 6999   # what the host announced
    assert errno_of(path.read_bytes) == errno.EIO
    assert blobs(env) == []


def test_once_the_quota_is_reached_nothing_more_is_kept(bank, env, mounter):
    files, tx = new_attachments(bank, [3000, 4000, 500])
    m = mounter("attachment_quota=5000")
    d = month_dir(m.path, tx)
    (first, n1), (second, n2), (third, n3) = files
    assert (d / n1).read_bytes() == bank.attachment_bytes(first["file_url"])
    kept = blobs(env)
    assert len(kept) == 1
    # 3000 + 4000 > 5000: refused, and what is kept stays as it was.
    for _ in range(2):
        assert errno_of(lambda: (d / n2).read_bytes()) == errno.EIO
    assert blobs(env) == kept
    assert "attachment_quota reached" in m.output()
    # What fits still fits, and what was kept is still served.
    assert (d / n3).read_bytes() == bank.attachment_bytes(third["file_url"])
    assert (d / n1).read_bytes() == bank.attachment_bytes(first["file_url"])
    assert len(blobs(env)) == 2


@pytest.mark.parametrize("option", ["attachment_max=ten", "attachment_max=-1", "attachment_quota=1T",
                                    "attachment_quota=", "attachment_max=99999999999999999999"])
def test_a_size_option_that_is_not_a_number_of_bytes_is_a_usage_error(env, option):
    (env.root / "mnt").mkdir()
    r = subprocess.run([str(DAEMON), "-f", "-o", option, str(env.root / "mnt")], env=env.vars,
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "attachment_max and attachment_quota" in r.stderr


def test_attachment_max_may_be_raised_past_the_apis_own_limit(bank, env, mounter):
    """The API's replies are capped at 64 MiB; an attachment's size, asked with a HEAD,
    is not: with attachment_max=100M a 65 MiB file has its size, and no byte is
    downloaded for it."""
    [(att, name)], tx = new_attachments(bank, [65 << 20])
    mnt = mounter("attachment_max=100M").path
    assert os.stat(month_dir(mnt, tx) / name).st_size == 65 << 20
    assert bank.attachment_counts[att["file_url"]] == {"HEAD": 1}
    assert blobs(env) == []
