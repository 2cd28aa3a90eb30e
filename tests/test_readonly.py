"""Every kind of change is refused with EROFS; unknown names get ENOENT."""
import errno
import os

import pytest


def expect_errno(code, fn, *args):
    with pytest.raises(OSError) as e:
        fn(*args)
    assert e.value.errno == code, f"{fn.__name__}{args}: {e.value}"


def test_changes_fail_with_erofs(bank, mnt):
    acc = bank.accounts[0]["id"]
    f = mnt / "accounts" / acc / "balance.json"
    d = mnt / "accounts" / acc
    expect_errno(errno.EROFS, os.open, f, os.O_WRONLY)
    expect_errno(errno.EROFS, os.open, f, os.O_RDWR)
    expect_errno(errno.EROFS, os.open, f, os.O_RDONLY | os.O_TRUNC)
    expect_errno(errno.EROFS, os.open, d / "new.json", os.O_WRONLY | os.O_CREAT, 0o644)
    expect_errno(errno.EROFS, os.truncate, f, 0)
    expect_errno(errno.EROFS, os.unlink, f)
    expect_errno(errno.EROFS, os.mkdir, d / "newdir")
    expect_errno(errno.EROFS, os.rmdir, d)
    expect_errno(errno.EROFS, os.rename, f, d / "renamed.json")
    expect_errno(errno.EROFS, os.chmod, f, 0o644)
    expect_errno(errno.EROFS, os.chown, f, 1, 1)
    expect_errno(errno.EROFS, os.utime, f, (0, 0))
    expect_errno(errno.EROFS, os.symlink, "x", d / "link")
    expect_errno(errno.EROFS, os.link, f, d / "hard")
    expect_errno(errno.EROFS, os.unlink, mnt / "current")
    assert os.access(f, os.R_OK) and not os.access(f, os.W_OK)
    assert not os.access(d, os.W_OK)


def test_unknown_names_fail_with_enoent(bank, mnt):
    acc = bank.accounts[0]["id"]
    for p in (mnt / "nope.json", mnt / "accounts" / "acc_doesnotexist",
              mnt / "accounts" / "acc_doesnotexist" / "balance.json",
              mnt / "accounts" / acc / "nope.json", mnt / "accounts" / "nope"):
        expect_errno(errno.ENOENT, os.stat, p)
