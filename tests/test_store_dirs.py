"""The history store and its attachments are the user's alone: a store left with a
loose mode is made private when it is opened (the database, its -wal and -shm 0600,
its directory 0700)."""
import os
import sqlite3
import stat


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
