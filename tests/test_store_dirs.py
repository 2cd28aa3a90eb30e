"""The history store and its attachments are the user's alone: a store left with a
loose mode is made private when it is opened (the database, its -wal and -shm 0600,
its directory 0700), and a store or attachments directory that belongs to another user,
or that others may write to, is refused before mounting, with the path and the fix.
The tests run as root: "another user" is nobody (uid 65534)."""
import os
import sqlite3
import stat
import subprocess

from conftest import DAEMON, is_mounted


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_loose_store_is_made_private_when_mounted(bank, env, mounter):
    m = mounter()
    (m.path / "accounts" / bank.main_account_id / "transactions.csv").read_bytes()
    m.umount()
    store = env.data / "monzohfs" / "history.sqlite3"
    wal, shm = (store.with_name(store.name + s) for s in ("-wal", "-shm"))
    os.chmod(store, 0o644)
    os.chmod(store.parent, 0o755)
    # Another reader holds the store open, so its -wal and -shm stay, made with its mode.
    db = sqlite3.connect(store)
    try:
        assert db.execute("SELECT count(*) FROM transactions").fetchone()[0] > 0
        assert mode(wal) == 0o644 and mode(shm) == 0o644
        m2 = mounter(name="mnt2")
        (m2.path / "accounts" / bank.main_account_id / "balance.json").read_bytes()
        assert {p.name: mode(p) for p in (store, wal, shm)} == \
            {store.name: 0o600, wal.name: 0o600, shm.name: 0o600}
        assert mode(store.parent) == 0o700
    finally:
        db.close()


NOBODY = 65534


def run_daemon(env, mnt, *options):
    """The daemon, which must refuse before mounting: (exit status, stderr)."""
    mnt.mkdir()
    args = [str(DAEMON)]
    for o in options:
        args += ["-o", o]
    try:
        r = subprocess.run(args + [str(mnt)], env=env.vars, cwd=env.root, capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL)
    finally:
        if is_mounted(mnt):
            subprocess.run(["fusermount3", "-u", "-z", str(mnt)])
    return r.returncode, r.stderr


def test_a_store_directory_of_another_user_is_refused(env, tmp_path):
    env.login()
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, NOBODY, NOBODY)
    code, err = run_daemon(env, tmp_path / "mnt", f"store={theirs}/h.sqlite3")
    assert code == 1, err
    assert f"its directory {theirs} belongs to another user (uid {NOBODY})" in err
    assert "keep the store in a directory of your own" in err
    assert not (theirs / "h.sqlite3").exists()


def test_a_store_directory_others_may_write_to_is_refused(env, tmp_path):
    """As /tmp is: sticky and writable by all, so another user may put an -wal, an
    -shm or attachments/ there before us."""
    env.login()
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    code, err = run_daemon(env, tmp_path / "mnt", f"store={shared}/h.sqlite3")
    assert code == 1, err
    assert f"its directory {shared} is writable by other users" in err
    assert mode(shared) == 0o1777  # a shared directory is never narrowed
    assert not (shared / "h.sqlite3").exists()


def test_an_attachments_directory_of_another_user_is_refused(bank, env, tmp_path):
    env.login()
    attachments = env.data / "monzohfs" / "attachments"
    attachments.mkdir(parents=True, mode=0o700)
    os.chown(attachments, NOBODY, NOBODY)
    code, err = run_daemon(env, tmp_path / "mnt")
    assert code == 1, err
    assert f"its attachments directory {attachments} belongs to another user (uid {NOBODY})" in err
    assert "remove it" in err


def test_a_group_writable_store_directory_of_ours_is_made_private_and_used(bank, env, mounter, tmp_path):
    ours = tmp_path / "ours"
    ours.mkdir()
    os.chmod(ours, 0o775)
    m = mounter(f"store={ours}/h.sqlite3")
    assert (m.path / "accounts" / bank.main_account_id / "balance.json").read_bytes()
    assert mode(ours) == 0o700 and mode(ours / "h.sqlite3") == 0o600
