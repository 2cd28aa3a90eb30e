"""Shared fixtures: a fake Monzo bank on loopback, private XDG directories, and real
FUSE mounts of the monzohfs daemon that must unmount and exit 0 at teardown."""
import csv
import glob
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
sys.path.insert(0, str(TESTS))

from fakebank import FakeBank  # noqa: E402

BUILD = Path(os.environ.get("MONZOHFS_BUILD", ROOT / "build"))
# MONZOHFS_TEST_NOW=2027-01-01T00:00:05Z runs every test from that moment: its fake
# bank is pinned there and its daemons run on the bank's clock (libfaketime), so the
# whole suite can be tried on the dates that go wrong, not only on today's.
TEST_NOW = os.environ.get("MONZOHFS_TEST_NOW")
DAEMON = BUILD / "monzohfs"
LOGIN = BUILD / "monzohfs-login"


def is_mounted(path):
    """Whether something is mounted at path, from the kernel's mount table: unlike
    os.path.ismount it says yes for a mount whose daemon has died (ENOTCONN)."""
    target = os.path.abspath(str(path))
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
            if point == target:
                return True
    return False


def live_pots(bank, acc):
    """What pots.json shows: the account's pots as the API sends them, deleted ones left out."""
    return {"pots": [p for p in bank.pots.get(acc, []) if not p.get("deleted")]}


def account_dir(mnt, acc):
    return mnt / "accounts" / acc


def read_json(path):
    """A JSON file of the mount, which must end in a newline."""
    data = Path(path).read_bytes()
    assert data.endswith(b"\n"), f"{path} does not end in a newline"
    return json.loads(data.decode("utf-8"))


def read_csv(path):
    """The rows of a CSV file as Python's csv module reads it (header included)."""
    return list(csv.reader(io.StringIO(Path(path).read_bytes().decode("utf-8"), newline="")))


def csv_ids(path):
    """The Transaction IDs of a CSV file of the mount, its header left out."""
    return {line.split(",", 1)[0] for line in Path(path).read_text().splitlines()[1:]}


def waits_in_daemon(tid):
    """Whether thread (or process) tid waits for the daemon's answer to a request, as
    its kernel stack shows: for the request itself, or (a read the kernel sent ahead)
    for the page that request fills.  Where the stack cannot be read (not root, no
    /proc/PID/stack), the test is skipped with that reason: a probe that cannot see
    would prove nothing."""
    try:
        st = Path(f"/proc/{tid}/stack").read_text()
    except PermissionError as e:
        pytest.skip(f"cannot see where a reader waits: {e}")
    except FileNotFoundError:
        return False   # gone already
    return ("request_wait_answer" in st and "fuse_do_ioctl" not in st) or \
        ("folio_wait_bit" in st and "filemap_get_pages" in st)


def wait_for(cond, timeout=10.0, interval=0.02, what="condition"):
    """Polls cond() until it is truthy; fails the test after timeout seconds.  An
    OSError from cond() (a file that does not exist yet, a mount still coming up) is
    one more "not yet": the last one is reported only if the timeout passes."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = cond()
        except OSError as e:
            value, last_error = None, e
        if value:
            return value
        if time.monotonic() > deadline:
            why = f" (last error: {last_error!r})" if last_error else ""
            pytest.fail(f"timed out after {timeout}s waiting for {what}{why}")
        time.sleep(interval)


def read_all_at_once(paths):
    """Reads every path in its own thread, all released together; returns the bytes
    in the order given and raises the first error any reader met."""
    barrier = threading.Barrier(len(paths))
    results, errors = [None] * len(paths), []

    def reader(i):
        try:
            barrier.wait()
            results[i] = Path(paths[i]).read_bytes()
        except Exception as e:  # re-raised below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(len(paths))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def wait_until(t):
    """Waits for the monotonic clock to pass t (a TTL running out is the condition)."""
    while time.monotonic() < t:
        time.sleep(min(0.05, max(0.0, t - time.monotonic())))


class Env:
    """Private XDG base directories and the environment a daemon runs with."""

    def __init__(self, root: Path, bank: FakeBank):
        self.root = root
        self.cache = root / "cache"
        self.data = root / "data"
        self.config = root / "config"
        for d in (self.cache, self.data, self.config):
            d.mkdir(mode=0o700, exist_ok=True)
        self.tokens = self.cache / "monzoh" / "tokens.json"
        self.bank = bank
        self.vars = {k: v for k, v in os.environ.items() if not k.startswith("MONZO_")}
        self.vars.update(
            XDG_CACHE_HOME=str(self.cache),
            XDG_DATA_HOME=str(self.data),
            XDG_CONFIG_HOME=str(self.config),
            MONZO_BASE_URL=bank.url,
            MONZO_AUTH_URL=bank.url,
            LANG="C.UTF-8",
            # Test-only: the fake's attachment host, on loopback over http://, counts
            # as a host on the internet (test_attachment_hosts.py).
            MONZOHFS_TEST_ATTACHMENT_HOSTS=f"{bank.attachment_host}:{bank.attachment_port}",
        )

    def login(self, **kw):
        """Writes tokens.json for a freshly minted token; returns the token dict."""
        token = self.bank.mint_token(**kw)
        self.bank.write_tokens_file(str(self.tokens), token)
        return token


def faketime_library():
    """libfaketime's thread-safe build (Debian package faketime)."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1"))
    if not found:
        pytest.fail("libfaketime is missing: install the Debian package faketime (scripts/test does)")
    return found[0]


class PinnedEnv(Env):
    """An Env whose daemons run on the fake bank's clock (or skew seconds off it),
    through libfaketime: the calendar is a test input.  The daemon's own TZ is set far from London on purpose:
    months and dates must follow the mount's zone, not the machine's."""

    def __init__(self, root: Path, bank: FakeBank, skew: float = 0.0):
        super().__init__(root, bank)
        self.skew = skew
        self.vars.update(LD_PRELOAD=faketime_library(), FAKETIME=bank.faketime(skew),
                         FAKETIME_DONT_FAKE_MONOTONIC="1", TZ="America/Los_Angeles")
        if "ASAN_OPTIONS" in self.vars:  # libfaketime is preloaded ahead of ASan's runtime
            self.vars["ASAN_OPTIONS"] += ":verify_asan_link_order=0"

    def login(self, **kw):
        """tokens.json with expires_at on the fake clock, as the daemon will read it."""
        token = self.bank.mint_token(**kw)
        life = token.get("expires_in", self.bank.token_lifetime)
        self.bank.write_tokens_file(str(self.tokens), token,
                                    expires_at=self.bank.now() + timedelta(seconds=life + self.skew))
        return token


class Mount:
    """One monzohfs daemon in the foreground, mounted on a private directory."""

    def __init__(self, env: Env, path: Path, options=(), extra_args=()):
        self.env = env
        self.path = path
        self.path.mkdir(exist_ok=True)
        self.log = open(env.root / f"daemon-{path.name}.log", "w+")
        args = [str(DAEMON), "-f"]
        for o in options:
            args += ["-o", o]
        args += list(extra_args) + [str(path)]
        self.proc = subprocess.Popen(args, env=env.vars, cwd=env.root, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.mounted = False

    def wait(self, timeout=10.0):
        def ready():
            if self.proc.poll() is not None:
                pytest.fail(f"monzohfs exited with {self.proc.returncode} before mounting:\n{self.output()}")
            return is_mounted(self.path)
        wait_for(ready, timeout, what=f"the mount at {self.path}")
        self.mounted = True
        return self

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def umount(self):
        """Unmounts and requires the daemon to exit 0 (catches hangs and crashes)."""
        if self.mounted:
            subprocess.run(["fusermount3", "-u", str(self.path)], check=True)
            self.mounted = False
        try:
            code = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"monzohfs did not exit after unmount:\n{self.output()}")
        assert code == 0, f"monzohfs exited {code}:\n{self.output()}"

    def cleanup(self):
        if self.mounted or is_mounted(self.path):
            subprocess.run(["fusermount3", "-u", "-z", str(self.path)], stderr=subprocess.DEVNULL)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def built():
    if not DAEMON.exists():
        pytest.exit(f"{DAEMON} is missing: build first (scripts/test does)", returncode=2)


def make_pinned_bank(moment: str, seed=1, **kw) -> FakeBank:
    """A started fake bank whose clock stands at moment (ISO 8601, e.g.
    "2027-01-01T00:00:05Z"), its data generated around that day."""
    at = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    b = FakeBank(seed=seed, anchor=at.date(), **kw)
    b.pin(at)
    return b.start(host="127.0.0.1", port=0)


def make_bank(seed=1, **kw) -> FakeBank:
    """A started fake bank, pinned to MONZOHFS_TEST_NOW when that is set."""
    if TEST_NOW:
        return make_pinned_bank(TEST_NOW, seed, **kw)
    return FakeBank(seed=seed, **kw).start(host="127.0.0.1", port=0)


def make_env(root: Path, bank: FakeBank) -> Env:
    """An Env for bank, its daemons on the bank's clock when MONZOHFS_TEST_NOW is set."""
    return PinnedEnv(root, bank) if TEST_NOW else Env(root, bank)


@pytest.fixture
def bank():
    b = make_bank()
    yield b
    b.stop()


@pytest.fixture
def env(tmp_path, bank, built):
    return make_env(tmp_path, bank)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the test, so that a fixture's teardown knows
    whether the test failed."""
    outcome = yield
    setattr(item, "report_" + outcome.get_result().when, outcome.get_result())


def failed(request) -> bool:
    report = getattr(request.node, "report_call", None)
    return report is not None and report.failed


@pytest.fixture
def mounter(env, tmp_path, request):
    """mounter(*options) mounts (logging in first unless the test already did) and
    returns the Mount; every mount is unmounted and checked at teardown.  A failed
    test's report ends with what each of its daemons logged."""
    mounts = []

    def mount(*options, name="mnt", login=True, wait=True, extra_args=(), env=env):
        if login and not env.tokens.exists():
            env.login()
        m = Mount(env, tmp_path / name, options, extra_args)
        mounts.append(m)
        return m.wait() if wait else m

    yield mount
    errors = []
    for m in mounts:
        if failed(request):
            print(f"--- what the daemon at {m.path} logged ---\n{m.output()[-20000:]}")
        try:
            if m.proc.poll() is None or m.mounted:
                m.umount()
        except BaseException as e:  # keep unmounting the others
            errors.append(e)
        finally:
            m.cleanup()
    if errors:
        raise errors[0]


@pytest.fixture
def mnt(mounter):
    return mounter().path
