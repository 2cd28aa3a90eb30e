"""Fault injection: what a user sees when the Monzo API misbehaves.

Server errors and 429s below the retry limit are retried; when a refresh fails the
older copy is served and .status.json says why; with no copy the read fails with EIO,
in bounded time, and the rest of the mount keeps working; a bad, cut-off or dropped
answer never shows as a half-written file; a 401 costs one token refresh; unmounting
with fetches in flight exits 0; and no token or secret ever reaches the daemon log."""
import errno
import json
import os
import signal
import subprocess
import threading
import time

import pytest

from conftest import is_mounted, live_pots, wait_for, wait_until

KERNEL_ATTR_CACHE = 1.2  # the kernel's 1 s attribute cache, plus a margin


def pretty(obj):
    """The bytes the mount shows for an API object: two-space JSON and a newline."""
    return (json.dumps(obj, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def read_json_file(path):
    """Reads a JSON file of the mount, requiring what any reader may rely on."""
    with open(path, "rb") as f:
        data = f.read()
        size = os.fstat(f.fileno()).st_size
    assert size == len(data), f"{path}: st_size {size} but {len(data)} bytes read"
    assert data.endswith(b"\n"), f"{path} does not end in a newline"
    json.loads(data.decode("utf-8"))  # never half-written
    return data


def expect_eio(path, within):
    """The read fails with EIO, in at most `within` seconds."""
    t0 = time.monotonic()
    with pytest.raises(OSError) as e:
        path.read_bytes()
    took = time.monotonic() - t0
    assert e.value.errno == errno.EIO, f"{path}: {e.value!r}"
    assert took <= within, f"{path}: EIO came after {took:.1f}s"


def read_each_at_once(paths):
    """Reads every path in its own thread, all at once; returns for each the bytes or
    the OSError it met."""
    barrier = threading.Barrier(len(paths))
    out = [None] * len(paths)

    def reader(i):
        barrier.wait()
        try:
            out[i] = read_json_file(paths[i])
        except OSError as e:
            out[i] = e

    threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(len(paths))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
        assert not t.is_alive(), "a reader hung"
    return out


def status_of(mnt, name):
    return json.loads(read_json_file(mnt / ".status.json"))["resources"].get(name)


@pytest.fixture
def fmount(bank, env, mounter):
    """Mounts with the client id and secret in the environment (so a 401 can be
    refreshed) and debug logging; at teardown unmounts (the daemon must exit 0) and
    requires the log to hold no token and no client secret."""
    env.vars.update(MONZO_CLIENT_ID=bank.client_id, MONZO_CLIENT_SECRET=bank.client_secret)
    secrets = [bank.client_secret]
    mounts = []

    def mount(*options):
        if not env.tokens.exists():
            token = env.login()
            secrets.extend([token["access_token"], token["refresh_token"]])
        m = mounter(*options, extra_args=("-d",))
        mounts.append(m)
        return m

    yield mount
    bank.clear_faults()
    for m in mounts:
        if m.proc.poll() is None or m.mounted:
            m.umount()
    saved = json.loads(env.tokens.read_text())
    secrets.extend([saved["access_token"], saved["refresh_token"]])
    for m in mounts:
        log = m.output()
        assert "GET /" in log, "the daemon logged no request: nothing to check"
        for s in secrets:
            assert s not in log, "the daemon log holds a token or the client secret"


@pytest.mark.parametrize("status,endpoint", [(500, "balance"), (502, "pots"), (503, "accounts"),
                                             (504, "balance")])
def test_server_errors_below_the_retry_limit_are_retried(bank, fmount, status, endpoint):
    mnt = fmount().path
    acc = bank.main_account_id
    if endpoint != "accounts":
        os.listdir(mnt / "accounts" / acc)  # the account list, fetched before the faults
    path, want = {
        "balance": (mnt / "accounts" / acc / "balance.json", pretty(bank.balances[acc])),
        "pots": (mnt / "accounts" / acc / "pots.json", pretty(live_pots(bank, acc))),
        "accounts": (mnt / "accounts.json", pretty({"accounts": bank.accounts})),
    }[endpoint]
    assert bank.counts[endpoint] == 0
    bank.inject(endpoint=endpoint, kind="status", status=status, count=2)
    assert read_json_file(path) == want
    assert bank.counts[endpoint] == 3


def test_429_retry_after_is_honoured(bank, fmount):
    mnt = fmount().path
    acc = bank.main_account_id
    os.listdir(mnt / "accounts" / acc)
    bank.inject(endpoint="balance", kind="status", status=429, retry_after=1, count=1)
    t0 = time.monotonic()
    data = read_json_file(mnt / "accounts" / acc / "balance.json")
    took = time.monotonic() - t0
    assert data == pretty(bank.balances[acc])
    assert took >= 0.9, f"retried {took:.2f}s after a Retry-After of 1 s"
    assert took < 5, f"a Retry-After of 1 s cost {took:.2f}s"
    assert bank.counts["balance"] == 2


def test_a_failing_refresh_serves_the_older_copy_and_says_why(bank, fmount):
    ttl = 1
    m = fmount(f"balance_ttl={ttl}")
    acc = bank.main_account_id
    f = m.path / "accounts" / acc / "balance.json"
    old = read_json_file(f)
    fetched = time.monotonic()
    assert old == pretty(bank.balances[acc])
    bank.inject(endpoint="balance", kind="status", status=503, count=None,
                code="service_unavailable.maintenance", message="Down for maintenance")
    new_balance = bank.balances[acc]["balance"] + 4321
    bank.set_balance(acc, balance=new_balance)
    wait_until(fetched + ttl + KERNEL_ATTR_CACHE)
    before = bank.counts["balance"]
    assert read_json_file(f) == old
    assert bank.counts["balance"] > before, "no refresh was tried after the TTL"
    st = wait_for(lambda: (s := status_of(m.path, f"balance/{acc}")) and s["stale"] and s,
                  timeout=12, what=".status.json to mark the balance stale")
    assert st["fetched_at"]
    assert st["last_error"]["at"]
    assert st["last_error"]["http_status"] == 503
    assert st["last_error"]["code"] == "service_unavailable.maintenance"
    assert st["last_error"]["message"] == "Down for maintenance"
    # It goes on failing: the same old bytes, time after time, and the daemon stays.
    wait_until(time.monotonic() + ttl + KERNEL_ATTR_CACHE)
    assert read_json_file(f) == old
    assert m.proc.poll() is None, f"the daemon exited:\n{m.output()}"
    # The API comes back: the new balance appears, and nothing is stale any more.
    bank.clear_faults()
    wait_for(lambda: json.loads(read_json_file(f))["balance"] == new_balance, timeout=12,
             what="the new balance once the API is back")
    assert read_json_file(f) == pretty(bank.balances[acc])
    assert status_of(m.path, f"balance/{acc}")["stale"] is False
    assert m.proc.poll() is None


def test_no_copy_and_a_failing_api_give_eio_then_recover(bank, fmount):
    mnt = fmount().path
    acc = bank.main_account_id
    os.listdir(mnt / "accounts" / acc)
    f = mnt / "accounts" / acc / "balance.json"
    bank.inject(endpoint="balance", kind="status", status=500, count=None)
    expect_eio(f, within=12)
    st = status_of(mnt, f"balance/{acc}")  # where the README sends a user who meets EIO
    assert st["fetched_at"] is None and st["stale"] is False, st
    assert st["last_error"]["http_status"] == 500, st
    bank.clear_faults()
    assert read_json_file(f) == pretty(bank.balances[acc])


def test_a_hanging_api_gives_eio_in_bounded_time_and_the_mount_stays_usable(bank, fmount):
    m = fmount()
    mnt = m.path
    acc = bank.main_account_id
    d = mnt / "accounts" / acc
    os.listdir(d)
    bank.inject(endpoint="pots", kind="delay", delay=15, count=None)
    outcome = {}

    def reader():
        t0 = time.monotonic()
        try:
            outcome["data"] = (d / "pots.json").read_bytes()
        except OSError as e:
            outcome["error"] = e
        outcome["took"] = time.monotonic() - t0

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    wait_for(lambda: bank.counts["pots"] >= 1, timeout=5, what="the pots request")
    # While pots.json hangs, everything else is readable.
    assert read_json_file(d / "balance.json") == pretty(bank.balances[acc])
    assert read_json_file(mnt / "accounts.json") == pretty({"accounts": bank.accounts})
    assert json.loads(read_json_file(mnt / "whoami.json"))["user_id"] == bank.user_id
    t.join(16)
    assert not t.is_alive(), "the read of pots.json hangs"
    assert "error" in outcome, "pots.json was read although every request hung"
    assert outcome["error"].errno == errno.EIO, repr(outcome["error"])
    assert outcome["took"] <= 13, f"EIO came after {outcome['took']:.1f}s"
    # Still usable afterwards, and pots.json works once the API answers again.
    other = bank.account_ids["joint"]
    assert read_json_file(mnt / "accounts" / other / "balance.json") == pretty(bank.balances[other])
    bank.clear_faults()
    assert read_json_file(d / "pots.json") == pretty(live_pots(bank, acc))
    assert m.proc.poll() is None


@pytest.mark.parametrize("kind", ["bad_json", "truncate", "drop"])
def test_bad_answers_never_show_as_a_half_written_file(bank, fmount, kind):
    ttl = 1
    m = fmount(f"balance_ttl={ttl}", f"pots_ttl={ttl}", f"transactions_ttl={ttl}")
    mnt = m.path
    a, b = bank.main_account_id, bank.account_ids["joint"]
    held_paths = [mnt / "accounts" / a / n for n in ("balance.json", "pots.json", "transactions.json")]
    cold_paths = [mnt / "accounts" / b / n for n in ("balance.json", "pots.json", "transactions.json")]
    held = [read_json_file(p) for p in held_paths]
    fetched = time.monotonic()
    assert held[0] == pretty(bank.balances[a]) and held[1] == pretty(live_pots(bank, a))
    new_balance = bank.balances[a]["balance"] + 777
    bank.set_balance(a, balance=new_balance)
    for endpoint in ("balance", "pots", "transactions"):
        bank.inject(endpoint=endpoint, kind=kind, count=None)
    wait_until(fetched + ttl + KERNEL_ATTR_CACHE)
    before = bank.counts["balance"]
    got = read_each_at_once(held_paths + cold_paths)
    assert bank.counts["balance"] > before, "no refresh was tried after the TTL"
    for path, want, data in zip(held_paths, held, got):
        assert data == want, f"{path}: {data!r} instead of the copy held"
    for path, res in zip(cold_paths, got[len(held_paths):]):
        assert isinstance(res, OSError) and res.errno == errno.EIO, f"{path}: {res!r}"
    st = status_of(mnt, f"balance/{a}")
    assert st["stale"] is True and st["last_error"], st
    # Every JSON file of the mount that can be read is whole.
    read_json_file(mnt / "accounts.json")
    read_json_file(mnt / "whoami.json")
    for p in held_paths:
        read_json_file(p)
    assert m.proc.poll() is None
    bank.clear_faults()
    f = held_paths[0]
    wait_for(lambda: json.loads(read_json_file(f))["balance"] == new_balance, timeout=12,
             what="the new balance once the API is back")
    assert read_json_file(cold_paths[0]) == pretty(bank.balances[b])


def test_a_401_midway_costs_one_refresh(bank, env, fmount):
    mnt = fmount("balance_ttl=1").path
    a, b = bank.main_account_id, bank.account_ids["joint"]
    first = json.loads(env.tokens.read_text())
    f = mnt / "accounts" / a / "balance.json"
    assert read_json_file(f) == pretty(bank.balances[a])
    assert read_json_file(mnt / "accounts" / a / "pots.json") == pretty(live_pots(bank, a))
    bank.advance(bank.token_lifetime + 60)  # the bank now answers 401: the token expired
    new_balance = bank.balances[a]["balance"] + 99
    bank.set_balance(a, balance=new_balance)
    assert read_json_file(mnt / "accounts" / b / "balance.json") == pretty(bank.balances[b])
    assert read_json_file(mnt / "accounts" / b / "pots.json") == pretty(live_pots(bank, b))
    wait_for(lambda: json.loads(read_json_file(f))["balance"] == new_balance, timeout=10,
             what="the new balance after the refresh")
    assert bank.counts["token"] == 1
    assert json.loads(env.tokens.read_text())["access_token"] != first["access_token"]


def test_unmount_with_a_fetch_in_flight_exits_0(bank, fmount):
    m = fmount()
    acc = bank.main_account_id
    os.listdir(m.path / "accounts" / acc)
    bank.inject(endpoint="transactions", kind="delay", delay=5, count=1)
    outcome = {}

    def reader():
        try:
            outcome["data"] = (m.path / "accounts" / acc / "transactions.csv").read_bytes()
        except OSError as e:
            outcome["error"] = e

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    wait_for(lambda: bank.counts["transactions"] >= 1, timeout=5, what="the transactions request")
    # While a reader waits inside the mount the kernel refuses a plain `fusermount3 -u`
    # (EBUSY, whatever the daemon does), so detach it as a user then must, lazily ...
    subprocess.run(["fusermount3", "-u", "-z", str(m.path)], check=True)
    m.mounted = False
    m.umount()  # ... and require the daemon to exit 0 within umount()'s timeout
    t.join(15)
    assert not t.is_alive(), "the reader hangs after the unmount"
    assert "error" in outcome or outcome["data"].startswith(b"Transaction ID,")


def test_sigterm_with_a_fetch_in_flight_stops_cleanly(bank, mounter):
    """systemd stops a busy mount with SIGTERM: the daemon unmounts and exits 0."""
    m = mounter()
    acc = bank.main_account_id
    bank.inject(endpoint="pots", kind="delay", delay=2.0, count=1)
    before = bank.counts["pots"]
    errors = []
    reader = threading.Thread(target=lambda: errors.append(
        subprocess.run(["cat", str(m.path / "accounts" / acc / "pots.json")], capture_output=True)))
    reader.start()
    wait_for(lambda: bank.counts["pots"] > before, timeout=10, what="the fetch to start")
    m.proc.send_signal(signal.SIGTERM)
    assert m.proc.wait(timeout=20) == 0, m.output()
    reader.join(20)
    assert not reader.is_alive(), "the reader hangs after the daemon stopped"
    m.mounted = False
    assert not is_mounted(m.path)
    # The reader got the whole file or an error, never part of one.
    cat = errors[0]
    assert cat.returncode != 0 or cat.stdout == pretty(live_pots(bank, acc)), cat


def test_sigterm_with_a_file_and_a_directory_open_exits_0(bank, mounter):
    """What the kernel never released (it still has them open) is freed at exit: the
    sanitizer build fails this on a leak."""
    m = mounter()
    acc = bank.main_account_id
    d = os.open(m.path / "accounts" / acc, os.O_RDONLY | os.O_DIRECTORY)
    f = open(m.path / "accounts" / acc / "balance.json", "rb")
    try:
        assert "balance.json" in os.listdir(d)
        assert f.read(1) == b"{"
        m.proc.send_signal(signal.SIGTERM)
        assert m.proc.wait(timeout=20) == 0, m.output()
        m.mounted = False
    finally:
        # With the daemon gone, closing may say ENOTCONN: the descriptors go anyway.
        for close in (f.close, lambda: os.close(d)):
            try:
                close()
            except OSError:
                pass
    assert not is_mounted(m.path)
