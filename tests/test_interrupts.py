"""Ctrl-C on a reader that waits for a slow first sync: the reader is gone at once
(the daemon answers the kernel's interrupt with EINTR), and the sync goes on in the
background for the next reader, which is served without asking the bank again."""
import signal
import subprocess
import time

from conftest import waits_in_daemon, wait_for


def test_ctrl_c_ends_a_reader_waiting_for_a_first_sync_and_the_sync_goes_on(bank, mounter):
    acc = bank.main_account_id
    mnt = mounter().path
    path = mnt / "accounts" / acc / "transactions.csv"
    (mnt / "accounts" / acc / "balance.json").read_bytes()   # the account list and balance first
    hold = bank.hold("transactions")   # the sync's first page: as slow as we like
    try:
        reader = subprocess.Popen(["cat", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        hold.wait_arrived()
        wait_for(lambda: waits_in_daemon(reader.pid), what="cat's lookup waiting in the daemon")
        t0 = time.monotonic()
        reader.send_signal(signal.SIGINT)
        reader.wait(timeout=5)
        gone_after = time.monotonic() - t0
        assert reader.returncode == -signal.SIGINT
        assert gone_after < 2, f"the reader took {gone_after:.1f}s to go"
        assert bank.counts["transactions"] == 1, "the sync must still be waiting for its first page"
    finally:
        hold.release()
    # The sync ends in the background; the next reader gets its rows without a new one.
    pages = len(bank.transactions[acc]) // 100 + 1
    wait_for(lambda: bank.counts["transactions"] >= pages, what="the sync's last page")
    data = path.read_bytes()
    assert data.startswith(b"Transaction ID,") and data.count(b"\n") > 100
    assert bank.counts["transactions"] == pages
