"""A newcomer's first hour: what monzohfs-login says at the end of its capture (names
beside ids, where each account's history now starts, Ctrl-C), the credential
messages of both programs, the mount point checks, where a detached daemon's log
goes, and refreshing without a remount."""
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import time
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conftest import DAEMON, LOGIN, ROOT, Mount, is_mounted, wait_for
from fakebank import parse_ts
from test_login import finish, free_port, start_login

LONDON = ZoneInfo("Europe/London")


def london_date(ns):
    return datetime.fromtimestamp(ns / 1e9, LONDON).date().isoformat()


def login_through_the_fake_page(env, *args):
    proc, url, _ = start_login(env, *args)
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
    return proc


# ------------------------------------------------------------------ the login's ending

def test_the_login_names_each_account_and_says_where_its_history_starts(bank, env):
    proc = login_through_the_fake_page(env)
    code, out, err = finish(proc)
    assert code == 0, err
    main = bank.main_account_id
    txs = bank.transactions[main]
    # Progress: the account's name beside its id.
    assert f"  current ({main}): {len(txs)} transactions\n" in err
    # The ending: a line per account, with the date its history now starts.
    ending = err[err.index(" transactions stored in "):]
    first = london_date(parse_ts(txs[0]["created"]))
    assert f"  current ({main}): {len(txs)} transactions, history from {first}\n" in ending
    assert f"  joint ({bank.account_ids['joint']}): " in ending
    assert f"  flex ({bank.account_ids['flex']}): " in ending
    for acc in bank.accounts:
        assert sum(acc["id"] in line for line in ending.splitlines()) == 1, acc["id"]
    assert "WARNING" not in err
    assert err.rstrip().endswith("Done: mount with  mkdir -p ~/monzo && monzohfs ~/monzo")


def test_ctrl_c_during_the_capture_says_what_was_kept_and_exits_130(bank, env, mounter):
    """The second account's capture waits on a slow bank; Ctrl-C ends the login at
    once (long before the bank answers) and says which accounts were captured.  One
    account after another (--parallel 1), so which were captured is known."""
    main = bank.main_account_id
    others = [a["id"] for a in bank.accounts if a["id"] != main]
    assert bank.accounts[0]["id"] == main
    hold = bank.hold("balance", after=1)   # the second account's sync starts with its balance
    try:
        proc = login_through_the_fake_page(env, "--parallel", "1")
        hold.wait_arrived()
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
        took = time.monotonic() - t0
        assert proc.returncode == 130, err
        assert took < 5, f"the login took {took:.1f}s to stop"
        assert not hold._released.is_set(), "the login must not have waited for the bank"
    finally:
        hold.release()
    interrupted = err[err.index("Interrupted"):]
    captured, _, rest = interrupted.partition("Not captured: ")
    assert f"current ({main})" in captured and "kept in " + str(env.data) in captured
    assert all(acc in rest for acc in others), rest
    assert "Done" not in err
    # What was captured stays in the store: an offline mount shows it.
    mnt = mounter("offline").path
    got = json.loads((mnt / "accounts" / main / "transactions.json").read_bytes())["transactions"]
    assert got == bank.transactions[main]


# ------------------------------------------------------------- credential messages

def creds(env):
    env.vars.update(MONZO_CLIENT_ID=env.bank.client_id, MONZO_CLIENT_SECRET=env.bank.client_secret)


def refused_mount(mounter):
    """A mount whose login check fails: exit 1, not mounted; its lines."""
    m = mounter(wait=False, login=False)
    assert m.proc.wait(timeout=30) == 1, m.output()
    return m.output().splitlines()


def test_an_expired_login_without_a_client_secret_names_the_setting_and_asks_nothing(bank, env, mounter):
    env.vars.update(MONZO_CLIENT_ID=bank.client_id)
    bank.write_tokens_file(str(env.tokens), bank.mint_token(), expires_at=bank.now() - timedelta(hours=1))
    bank.reset_counts()
    lines = refused_mount(mounter)
    assert len(lines) == 1, lines
    assert "has expired and cannot be refreshed: MONZO_CLIENT_SECRET is not set: set it in " in lines[0]
    assert str(env.config / "monzohfs" / "config") in lines[0] and str(env.tokens) in lines[0]
    assert "refused by the Monzo API" not in lines[0]
    assert bank.counts["whoami"] == 0 and bank.counts["token"] == 0  # nothing was asked


def test_a_client_monzo_rejects_is_named_with_where_it_was_set(bank, env, mounter):
    env.vars.update(MONZO_CLIENT_ID=bank.client_id)
    config = env.config / "monzohfs" / "config"
    config.parent.mkdir(mode=0o700)
    config.write_text("MONZO_CLIENT_SECRET=mnzconf.wrong\n")
    config.chmod(0o600)
    env.login(expires_in=60)   # inside the margin: refreshed before mounting, with the wrong secret
    lines = refused_mount(mounter)
    assert len(lines) == 1, lines
    assert lines[0] == ("monzohfs: Monzo rejected the client (HTTP 401 unauthorized.bad_client: Bad client "
                        f"credentials): check MONZO_CLIENT_ID (set in the environment) and MONZO_CLIENT_SECRET "
                        f"(set in {config})")
    assert "mnzconf.wrong" not in lines[0]


def test_a_refresh_token_another_login_replaced_says_log_in_again(bank, env, mounter):
    creds(env)
    env.login(expires_in=60)
    bank.mint_token()   # a newer login evicts ours, refresh token and all
    lines = refused_mount(mounter)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"monzohfs: Monzo refused to refresh the login in {env.tokens} (HTTP 401 "
                               "unauthorized.bad_refresh_token.evicted")
    assert lines[0].endswith("): log in again: monzohfs-login")


def test_the_login_names_the_client_settings_when_monzo_rejects_the_client(bank, env):
    vars = dict(env.vars, MONZO_CLIENT_ID=bank.client_id, MONZO_CLIENT_SECRET="mnzconf.wrong",
                MONZO_REDIRECT_URI=f"http://127.0.0.1:{free_port()}/callback")
    proc = subprocess.Popen([str(LOGIN), "--no-browser", "--no-sync"], env=vars, cwd=env.root,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with urllib.request.urlopen(proc.stdout.readline().strip(), timeout=10):
        pass
    code, out, err = finish(proc)
    assert code == 1, err
    line = next(line for line in err.splitlines() if "rejected" in line)
    assert line == ("monzohfs-login: Monzo rejected the client (HTTP 401 unauthorized.bad_client: Bad client "
                    "credentials): check MONZO_CLIENT_ID and MONZO_CLIENT_SECRET (set in the environment)")
    assert "mnzconf.wrong" not in err and not env.tokens.exists()


# ------------------------------------------------------------------ the mount point

def run_daemon(env, *args, timeout=20):
    """monzohfs -f ARGS, expected to refuse before mounting: (exit status, stderr lines).
    One that mounts after all is stopped and unmounted, and the test fails."""
    proc = subprocess.Popen([str(DAEMON), "-f", *map(str, args)], env=env.vars, cwd=env.root,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        subprocess.run(["fusermount3", "-u", "-z", str(args[-1])], stderr=subprocess.DEVNULL)
        pytest.fail(f"monzohfs mounted on {args[-1]} instead of refusing:\n{err}")
    return proc.returncode, err.splitlines()


def test_a_missing_mount_point_says_how_to_make_it(bank, env, tmp_path):
    env.login()
    mnt = tmp_path / "nowhere" / "monzo"
    code, lines = run_daemon(env, mnt)
    assert code == 1, lines
    assert lines == [f"monzohfs: the mount point {mnt} does not exist: make it first with  mkdir -p {mnt}"]
    assert bank.counts["whoami"] == 0   # said before anything was asked


def test_a_regular_file_is_refused_as_a_mount_point(bank, env, tmp_path):
    env.login()
    f = tmp_path / "monzo"
    f.write_text("not a directory\n")
    code, lines = run_daemon(env, f)
    assert code == 1, lines
    assert len(lines) == 1 and lines[0].startswith(f"monzohfs: the mount point {f} is not a directory: "), lines
    assert not is_mounted(f) and bank.counts["whoami"] == 0


def test_a_point_monzohfs_already_serves_is_refused_naming_its_pid(bank, env, mounter):
    m = mounter()
    code, lines = run_daemon(env, m.path)
    assert code == 1, lines
    assert lines == [f"monzohfs: {m.path} is already mounted by monzohfs (pid {m.proc.pid}): unmount it first "
                     f"with  fusermount3 -u {m.path}"]
    points = [line.split()[4] for line in open("/proc/self/mountinfo") if line.split()[4] == str(m.path)]
    assert len(points) == 1, "two daemons stacked on one mount point"
    # Named from the working directory too, as `monzohfs -f monzo` gives it.
    code, lines = run_daemon(env, os.path.relpath(m.path, env.root))
    assert code == 1 and f"(pid {m.proc.pid})" in lines[0], lines


def test_a_mount_left_by_a_daemon_that_died_says_to_unmount_it(bank, env, tmp_path):
    env.login()
    m = Mount(env, tmp_path / "mnt").wait()
    try:
        m.proc.kill()
        m.proc.wait()
        assert is_mounted(m.path)   # the kernel's mount stays, with nobody behind it
        code, lines = run_daemon(env, m.path)
        assert code == 1, lines
        assert lines == [f"monzohfs: {m.path} is the mount of a monzohfs that has stopped: unmount it with  "
                         f"fusermount3 -u {m.path}  and mount again"]
    finally:
        m.mounted = False
        m.cleanup()


def test_without_dev_fuse_it_says_what_to_check(bank, env, tmp_path):
    """/dev/fuse hidden in a mount namespace of the test's own (the machine's stays as
    it is): the mount fails, and the message says what to check."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("hiding /dev/fuse needs root and unshare(1)")
    creds(env)
    env.login()
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                        'mount -t tmpfs none /dev && exec "$@"', "sh", str(DAEMON), "-f", str(mnt)],
                       env=env.vars, cwd=env.root, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1, r.stderr
    line = next(line for line in r.stderr.splitlines() if line.startswith("monzohfs: "))
    assert line.startswith(f"monzohfs: cannot mount on {mnt}: /dev/fuse: No such file or directory: "), line
    assert "sudo modprobe fuse" in line and "fuse3 package" in line
    assert not is_mounted(mnt)


def man_exit_statuses(page):
    """{status: its paragraph} from the EXIT STATUS section of a man page's source."""
    text = (ROOT / "packaging" / "man" / page).read_text()
    section = text.split("# EXIT STATUS", 1)[1].split("\n# ", 1)[0]
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^\*(\d+)\*\n((?:\t.*\n?)+)", section, re.M)}


def test_an_unknown_option_exits_with_the_status_the_man_page_gives_and_names_it(bank, env, tmp_path):
    env.login()
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    code, lines = run_daemon(env, "-o", "foo", mnt)
    statuses = man_exit_statuses("monzohfs.1.scd")
    said = [s for s, text in statuses.items() if "unknown option" in " ".join(text.split())]
    assert said == [code], (code, statuses)
    assert any("foo" in line and "unknown option" in line for line in lines), lines
    assert bank.counts["whoami"] == 0


# ------------------------------------------------------------ where the log goes

def pid_gone(pid):
    """Whether process pid has exited (gone, or a zombie nobody has reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def mount_detached(env, mnt, **vars):
    """monzohfs without -f: it mounts, says so, and detaches.  (exit status, stderr)."""
    r = subprocess.run([str(DAEMON), str(mnt)], env=dict(env.vars, **vars), cwd=env.root,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    return r.returncode, r.stderr


def unmount_detached(mnt, pid):
    subprocess.run(["fusermount3", "-u", str(mnt)], check=True)
    wait_for(lambda: pid_gone(pid), timeout=15, what=f"the detached daemon {pid} to exit")


def test_without_syslog_a_detached_daemon_logs_to_a_private_bounded_file(bank, env, tmp_path):
    creds(env)
    env.login()
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    state = tmp_path / "state"
    log = state / "monzohfs" / "monzohfs.log"
    log.parent.mkdir(parents=True, mode=0o755)
    log.parent.chmod(0o755)
    # A log already at its bound, left readable by an older version: the next line
    # turns it over.
    old = b"2020-01-01T00:00:00Z monzohfs[1]: an old line\n"
    log.write_bytes(old * ((1 << 20) // len(old)))
    log.chmod(0o644)
    code, err = mount_detached(env, mnt, XDG_STATE_HOME=str(state),
                               MONZOHFS_TEST_SYSLOG_SOCKET=str(tmp_path / "no-syslog-here"))
    pid = None
    try:
        assert code == 0, err
        assert err.splitlines() == [f"monzohfs: mounted on {mnt}; its log: {log}"]
        serving = wait_for(lambda: re.search(rf"Z monzohfs\[(\d+)\]: serving {re.escape(str(mnt))} \(pid (\d+)\)\n",
                                             log.read_text()), what="the daemon's first line in its log")
        pid = int(serving.group(2))
        assert serving.group(1) == serving.group(2)
        assert stat.S_IMODE(log.stat().st_mode) == 0o600 and stat.S_IMODE(log.parent.stat().st_mode) == 0o700
        turned = log.with_name("monzohfs.log.1")
        assert turned.read_bytes().startswith(old) and log.stat().st_size < 4096
        assert stat.S_IMODE(turned.stat().st_mode) == 0o600
        json.loads((mnt / "whoami.json").read_bytes())
        unmount_detached(mnt, pid)
        pid = None
        assert f"]: unmounted {mnt}\n" in log.read_text()
    finally:
        if is_mounted(mnt):
            subprocess.run(["fusermount3", "-u", "-z", str(mnt)], stderr=subprocess.DEVNULL)
        if pid and not pid_gone(pid):
            os.kill(pid, signal.SIGTERM)


def test_with_syslog_a_detached_daemon_says_where_to_read_its_log(bank, env, tmp_path):
    creds(env)
    env.login()
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    sock_path = tmp_path / "log.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(sock_path))
        code, err = mount_detached(env, mnt, XDG_STATE_HOME=str(tmp_path / "state"),
                                   MONZOHFS_TEST_SYSLOG_SOCKET=str(sock_path))
    try:
        assert code == 0, err
        journal = os.path.exists("/run/systemd/journal/socket")
        where = "journalctl --user -t monzohfs" if journal else "syslog, as monzohfs"
        assert err.splitlines() == [f"monzohfs: mounted on {mnt}; its log: {where}"]
        assert not (tmp_path / "state").exists()
        json.loads((mnt / "whoami.json").read_bytes())
    finally:
        pids = [p for p in map(int, filter(str.isdigit, os.listdir("/proc")))
                if mountpoint_argv(p) == str(mnt)]
        if is_mounted(mnt):
            subprocess.run(["fusermount3", "-u", str(mnt)], check=True)
        for p in pids:
            wait_for(lambda: pid_gone(p), timeout=15, what=f"the detached daemon {p} to exit")


def mountpoint_argv(pid):
    """The last argument of process pid's command line, if it is a monzohfs."""
    try:
        argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[:-1]
    except OSError:
        return None
    if argv and os.path.basename(argv[0]) == b"monzohfs":
        return argv[-1].decode()
    return None


# --------------------------------------------------------- refreshing, and the demo

def test_sighup_fetches_everything_again_without_a_remount(bank, mounter):
    m = mounter("ttl=3600")
    acc = bank.main_account_id
    path = m.path / "accounts" / acc / "balance.json"
    before = json.loads(path.read_bytes())["balance"]
    bank.set_balance(acc, balance=before + 12345)
    assert json.loads(path.read_bytes())["balance"] == before   # within its TTL: as it was
    os.kill(m.proc.pid, signal.SIGHUP)
    wait_for(lambda: json.loads(path.read_bytes())["balance"] == before + 12345,
             what="the new balance after SIGHUP")
    assert is_mounted(m.path) and m.proc.poll() is None   # refreshed, not unmounted
    assert "SIGHUP: every file is fetched again at its next look" in m.output()


DEMO = ROOT / "scripts" / "demo"


def test_demo_help_prints_help_and_mounts_nothing(tmp_path):
    r = subprocess.run([str(DEMO), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: scripts/demo [DIR]\n") and "Ctrl-C" in r.stdout
    assert r.stderr == "" and list(tmp_path.iterdir()) == []
    r = subprocess.run([str(DEMO), "--bogus"], cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "unknown option --bogus" in r.stderr and list(tmp_path.iterdir()) == []


def test_the_demo_logs_in_with_the_fake_banks_client_and_says_why_an_unmount_waits(tmp_path):
    from test_login import read_until
    mnt = tmp_path / "demo"
    demo = subprocess.Popen([str(DEMO), str(mnt)], cwd=tmp_path,
                            env=dict(os.environ, MONZOHFS_BUILD=str(DAEMON.parent)),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    busy = None
    try:
        read_until(demo.stdout, "Press Ctrl-C here", "the demo to mount")
        assert json.loads((mnt / "current" / "balance.json").read_bytes())["currency"] == "GBP"
        busy = subprocess.Popen(["sleep", "600"], cwd=mnt)   # a shell left inside the mount
        demo.send_signal(signal.SIGINT)
        said = read_until(demo.stderr, "waiting for them", "the demo to say why it waits")
        assert f"the mount is busy: close the shells and programs using {mnt}" in said
        assert "is not set" not in said, said   # the login's client is the fake bank's
        busy.kill()
        busy.wait()
        demo.wait(timeout=30)
        rest = said + demo.stderr.read().decode()
        assert f"demo stopped: unmounted {mnt} and stopped the fake bank" in rest
        assert not is_mounted(mnt) and not mnt.exists()
    finally:
        if busy and busy.poll() is None:
            busy.kill()
        if demo.poll() is None:   # the demo, its bank and its daemon
            os.killpg(demo.pid, signal.SIGTERM)
            demo.wait(timeout=30)
        if is_mounted(mnt):
            subprocess.run(["fusermount3", "-u", "-z", str(mnt)])
