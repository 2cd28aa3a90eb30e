"""Where an attachment may come from (issue 22, point 2): its file_url is chosen by
whichever app registered it, so it is fetched over https:// only, follows at most three
redirects, and never reaches an address that is not on the internet (this machine, a
private or link-local network), checked at each connection, redirects included.

Every request here stays on loopback.  The fake's attachment host (127.0.0.2, plain
http://) stands for a host on the internet only because the test-only setting
MONZOHFS_TEST_ATTACHMENT_HOSTS (conftest's Env) names its address and port; the fake's
internal host (127.0.0.3) stands for the user's own network.  The address rule itself
is unit-tested on parsed addresses (tests/unit/test_addr.c)."""
import errno
import os
from urllib.parse import urlsplit

import pytest

import expected as E

TEST_HOSTS = "MONZOHFS_TEST_ATTACHMENT_HOSTS"


def a_receipt(bank, mnt):
    """(path in the mount, attachment) of the PNG receipt."""
    tx = bank.transaction(bank.attachment_roles["receipt_png"])
    att = tx["attachments"][0]
    return mnt / "accounts" / tx["account_id"] / "attachments" / E.month(tx["created"]) / f"{tx['id']}-1.png", att


def blobs(env):
    d = env.data / "monzohfs" / "attachments"
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def assert_eio(path):
    with pytest.raises(OSError) as e:
        path.read_bytes()
    assert e.value.errno == errno.EIO


# The internal host by its address, and by a name that resolves to it (the address
# connected to decides, not the name).
@pytest.mark.parametrize("host,name", [("127.0.0.3", "127.0.0.3"), ("127.0.0.1", "localhost")])
def test_a_redirect_to_the_users_own_network_is_refused(bank, env, mounter, host, name):
    internal = bank.start_internal_host(host)
    port = urlsplit(internal).port
    m = mounter()
    path, att = a_receipt(bank, m.path)
    bank.redirect_attachment(att["file_url"], f"http://{name}:{port}/latest/meta-data/iam/credentials")
    for _ in range(2):
        assert_eio(path)
    assert bank.internal_requests == [], "nothing may be asked of the internal host"
    assert blobs(env) == []
    # One request to the attachment host a read (the HEAD that asks its size, at the
    # lookup): a refusal is not tried again, nor with a GET.
    assert bank.attachment_counts[att["file_url"]] == {"HEAD": 2}
    assert "not on the internet" in m.output()
    # The file is served once its host serves it.
    bank.redirect_attachment(att["file_url"], None)
    assert path.read_bytes() == bank.attachment_bytes(att["file_url"])
    assert bank.internal_requests == []
    assert bank.attachment_auth_violations == []


def test_a_file_url_on_the_users_own_network_is_refused(bank, env, mounter):
    """A file_url naming the internal host itself: not one request reaches it."""
    internal = bank.start_internal_host()
    tx = bank.transactions[bank.main_account_id][-1]
    att = bank.add_attachment(tx["id"], file_type="image/png", size=1000)
    with bank._lock:   # the bank has no call for this: an app registered such a URL
        att["file_url"] = att["url"] = internal + "/receipt.png"
        bank._changed()
    mnt = mounter().path
    path = mnt / "accounts" / tx["account_id"] / "attachments" / E.month(tx["created"]) / \
        f"{tx['id']}-{len(tx['attachments'])}.png"
    assert path.name in os.listdir(path.parent)
    assert_eio(path)
    assert bank.internal_requests == []
    assert blobs(env) == []


def test_redirects_are_followed_three_times_at_most(bank, env, mounter):
    mnt = mounter().path
    path, att = a_receipt(bank, mnt)
    # The last hop is another file of the host, so what was followed shows in the bytes.
    other = bank.transaction(bank.attachment_roles["old_receipt"])["attachments"][0]["file_url"]
    base = bank.attachment_url
    hops = lambda n: [att["file_url"]] + [f"{base}/hop{i}" for i in range(1, n)] + [other]
    # Four redirects: refused, nothing kept, the last hop never asked for.
    chain = hops(4)
    for frm, to in zip(chain, chain[1:]):
        bank.redirect_attachment(frm, to)
    assert_eio(path)
    assert blobs(env) == []
    assert other not in bank.attachment_counts
    # Three: followed.
    bank.redirect_attachment(f"{base}/hop3", None)
    bank.redirect_attachment(f"{base}/hop2", other)
    assert path.read_bytes() == bank.attachment_bytes(other)
    assert bank.attachment_counts[other] == {"HEAD": 1, "GET": 1}
    assert bank.attachment_auth_violations == []


def test_plain_http_is_refused_without_the_test_setting(bank, env, mounter):
    """The fake's attachment host serves plain http://: without the test-only setting
    that lets it in, its files cannot be had, and not one request is made."""
    del env.vars[TEST_HOSTS]
    mnt = mounter().path
    path, att = a_receipt(bank, mnt)
    assert path.name in os.listdir(path.parent)
    assert_eio(path)
    assert bank.counts["attachment"] == 0
    assert blobs(env) == []
