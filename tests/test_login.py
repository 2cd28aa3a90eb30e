"""monzohfs-login against the fake bank, and the refresh of the login while mounted:
expiry during use, one refresh for many readers, one refresh across two mounts."""
import fcntl
import json
import os
import pty
import re
import resource
import socket
import stat
import subprocess
import termios
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import LOGIN, live_pots, read_all_at_once, wait_for
from loopback_proxy import proxy, use_proxy  # noqa: F401 (proxy is a fixture)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_login(env, *args, port=None, host="127.0.0.1"):
    port = port or free_port()
    vars = dict(env.vars, MONZO_CLIENT_ID=env.bank.client_id, MONZO_CLIENT_SECRET=env.bank.client_secret,
                MONZO_REDIRECT_URI=f"http://{host}:{port}/callback")
    proc = subprocess.Popen([str(LOGIN), "--no-browser", *args], env=vars, cwd=env.root, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    return proc, url, port


def finish(proc):
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def test_full_login_saves_tokens_and_the_whole_history(bank, env, mounter):
    bank.approve_after_polls = 2
    proc, url, port = start_login(env)
    assert url.startswith(bank.url + "/?client_id=")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert list(urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)) == [
        "client_id", "redirect_uri", "response_type", "state"]
    assert q["redirect_uri"] == [f"http://127.0.0.1:{port}/callback"] and q["response_type"] == ["code"]
    assert len(q["state"][0]) >= 32
    with urllib.request.urlopen(url, timeout=10) as r:  # the fake page redirects to our callback
        assert r.status == 200
        assert b"Logged in" in r.read()
    code, out, err = finish(proc)
    assert code == 0, err
    assert out == ""  # the link was the only line on stdout
    assert "approve access in the Monzo app" in err
    assert env.bank.client_secret not in err

    st = os.stat(env.tokens)
    assert stat.S_IMODE(st.st_mode) == 0o600
    text = env.tokens.read_text()
    saved = json.loads(text)
    assert list(saved) == ["access_token", "refresh_token", "expires_at", "user_id", "client_id"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", saved["expires_at"])
    assert text.startswith('{\n  "access_token": ')
    assert saved["access_token"] not in err

    # The store has every account's whole history: an offline mount shows it.
    mnt = mounter("offline").path
    for acc in bank.accounts:
        got = json.loads((mnt / "accounts" / acc["id"] / "transactions.json").read_bytes())["transactions"]
        assert got == bank.transactions[acc["id"]]
    # ... and every pot's own account, named by the accounts' transfers.
    assert bank.pot_accounts
    for pot_id, pot_acc in bank.pot_accounts.items():
        pot = bank.pot(pot_id)
        got = json.loads((mnt / "accounts" / pot["current_account_id"] / "pots" / pot_id /
                          "transactions.json").read_bytes())["transactions"]
        assert got == bank.transactions[pot_acc]
        assert pot_acc in err  # shown as it is captured
    # ... and so does a live one, with the saved login.
    live = mounter(name="live").path
    assert json.loads((live / "whoami.json").read_bytes())["user_id"] == bank.user_id


def test_the_browser_does_not_inherit_the_client_secret(bank, env, tmp_path):
    """xdg-open and the browser it starts live on after the login: they are given the
    environment without MONZO_CLIENT_SECRET."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    seen = tmp_path / "browser-env.json"
    browser = bin_dir / "xdg-open"
    browser.write_text("#!/usr/bin/python3\n"
                       "import json, os, sys, urllib.request\n"
                       f"json.dump(dict(os.environ), open({str(seen)!r}, 'w'))\n"
                       "urllib.request.urlopen(sys.argv[1], timeout=10).read()\n")
    browser.chmod(0o755)
    vars = dict(env.vars, PATH=f"{bin_dir}:{env.vars['PATH']}", MONZO_CLIENT_ID=bank.client_id,
                MONZO_CLIENT_SECRET=bank.client_secret,
                MONZO_REDIRECT_URI=f"http://127.0.0.1:{free_port()}/callback")
    r = subprocess.run([str(LOGIN), "--no-sync"], env=vars, cwd=env.root, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr  # the fake browser followed the link
    got = json.loads(seen.read_text())
    assert got["MONZO_CLIENT_ID"] == bank.client_id and got["XDG_CACHE_HOME"] == env.vars["XDG_CACHE_HOME"]
    assert "MONZO_CLIENT_SECRET" not in got
    assert bank.client_secret not in seen.read_text()


def test_the_login_never_sends_the_secret_through_a_proxy_to_a_loopback_api(bank, env, proxy):
    use_proxy(env, proxy)
    proc, url, port = start_login(env)
    with urllib.request.urlopen(url, timeout=10) as r:  # the test's own request, not the login's
        assert r.status == 200
    code, out, err = finish(proc)
    assert code == 0, err
    assert env.tokens.exists()
    assert proxy.seen == []


def waiting_for_flock(pid):
    """Whether process pid is blocked on a flock, from the kernel's table of locks."""
    for line in open("/proc/locks"):
        f = line.split()
        if f[1] == "->" and f[2] == "FLOCK" and f[5] == str(pid):
            return True
    return False


def test_the_login_saves_under_the_refresh_lock(bank, env):
    """A mount refreshing at the same moment holds tokens.json.lock: the login waits
    for it, so that the refresh cannot write its older login over the new one."""
    env.tokens.parent.mkdir(mode=0o700, parents=True)
    with open(str(env.tokens) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc, url, port = start_login(env, "--no-sync")
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                assert r.status == 200
            wait_for(lambda: waiting_for_flock(proc.pid), what="the login to wait for the lock")
            assert not env.tokens.exists()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    code, out, err = finish(proc)
    assert code == 0, err
    assert json.loads(env.tokens.read_text())["access_token"]


def test_the_login_makes_an_existing_tokens_directory_private(bank, env):
    """monzoh, or an older version, may have made ~/.cache/monzoh readable by all."""
    env.tokens.parent.mkdir(mode=0o755, parents=True)
    os.chmod(env.tokens.parent, 0o755)
    proc, url, port = start_login(env, "--no-sync")
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
    code, out, err = finish(proc)
    assert code == 0, err
    assert stat.S_IMODE(os.stat(env.tokens.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(env.tokens).st_mode) == 0o600


def test_callback_with_a_wrong_or_missing_state_is_refused(bank, env):
    proc, url, port = start_login(env, "--no-sync")
    try:
        # Only loopback: the port is bound to 127.0.0.1, nothing else.
        listening = [line.split()[1] for line in open("/proc/net/tcp").read().splitlines()[1:]
                     if line.split()[3] == "0A"]
        assert f"0100007F:{port:04X}" in listening
        assert not any(a.endswith(f":{port:04X}") and a != f"0100007F:{port:04X}" for a in listening)
        cb = f"http://127.0.0.1:{port}/callback"
        for query in ("?code=abc&state=wrong", "?code=abc", "?state=&code=abc"):
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(cb + query, timeout=10)
            assert e.value.code == 400
        assert not env.tokens.exists()
        assert proc.poll() is None, "a bad callback must not end the login"
        # The real one still works afterwards.
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200
        code, out, err = finish(proc)
        assert code == 0, err
        assert env.tokens.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_an_error_from_the_callback_reaches_the_terminal_without_control_characters(bank, env):
    proc, url, port = start_login(env)
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["state"][0]
    error = "\x1b]0;pwned\x07\x1b[2Jaccess_denied\r\n\x9b31m\\"
    query = urllib.parse.urlencode({"state": state, "error": error})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/callback?{query}", timeout=10)
    assert e.value.code == 400
    code, out, err = finish(proc)
    assert code == 1
    assert not any(c in err for c in "\x1b\x07\r\x9b"), repr(err)
    assert "Monzo refused the login: \\x1b]0;pwned\\x07\\x1b[2Jaccess_denied\\x0d\\x0a\\xc2\\x9b31m\\\\" in err
    assert not env.tokens.exists()


# The bank's error text with an escape sequence (red), an OSC title change ended by a
# BEL, and a C1 CSI: none may reach a terminal raw.
HOSTILE = "\x1b[31mbad code\x1b]0;pwned\x07\u009b2J"
HOSTILE_SHOWN = "\\x1b[31mbad code\\x1b]0;pwned\\x07\\xc2\\x9b2J"


def assert_no_terminal_controls(text):
    assert not any(c in text for c in "\x1b\x07\x9b\u009b"), repr(text)


def test_the_banks_error_text_reaches_the_login_terminal_escaped(bank, env):
    bank.inject("token", status=400, code="bad_request.bad_param", message=HOSTILE)
    proc, url, port = start_login(env, "--no-sync")
    with urllib.request.urlopen(url, timeout=10):
        pass
    code, out, err = finish(proc)
    assert code == 1, err
    assert_no_terminal_controls(err)
    assert "Monzo did not accept the login code (HTTP 400 bad_request.bad_param: " + HOSTILE_SHOWN + ")" in err
    assert not env.tokens.exists()


def test_the_banks_error_text_reaches_the_daemons_terminal_escaped(bank, env, mounter):
    creds(env)
    env.login(expires_in=60)  # inside the 5-minute margin: refreshed before mounting
    bank.inject("token", status=400, code="bad_request.bad_param", message=HOSTILE, count=None)
    m = mounter(wait=False)
    assert m.proc.wait(timeout=30) == 1  # the login is refused: it says so, and does not mount
    out = m.output()
    assert_no_terminal_controls(out)
    assert f"Monzo refused to refresh the login in {env.tokens} (HTTP 400 bad_request.bad_param: " + \
        HOSTILE_SHOWN + "): log in again: monzohfs-login" in out


def test_ids_reach_the_terminal_escaped(bank, env):
    bank.user_id = "user_\x1b]0;pwned\x07\u009b"
    proc, url, port = start_login(env, "--no-sync")
    with urllib.request.urlopen(url, timeout=10):
        pass
    code, out, err = finish(proc)
    assert code == 0, err
    assert_no_terminal_controls(err)
    assert "Logged in as user_\\x1b]0;pwned\\x07\\xc2\\x9b." in err


def test_port_in_use_is_explained(bank, env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc, url, _ = start_login(env, port=port)
        code, out, err = finish(proc)
    assert code == 1
    assert url == ""
    assert f"port {port} is already in use" in err and "--port" in err


def listeners(port):
    """The local addresses listening on port, from the kernel's tables."""
    found = []
    for table, family in (("/proc/net/tcp", "v4"), ("/proc/net/tcp6", "v6")):
        for line in open(table).read().splitlines()[1:]:
            f = line.split()
            addr, p = f[1].split(":")
            if f[3] == "0A" and int(p, 16) == port:
                found.append((family, addr))
    return sorted(found)


V4_LOOPBACK = ("v4", "0100007F")
V6_LOOPBACK = ("v6", "00000000000000000000000001000000")


def log_in_on(env, host, listening, probe=()):
    """A login whose redirect URI names host: it must listen on exactly the addresses
    listening, answer 400 to a wrong state at each address of probe, and then log in."""
    proc, url, port = start_login(env, "--no-sync", host=host)
    try:
        assert url, proc.stderr.read()
        assert listeners(port) == sorted(listening)
        for addr in probe:
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(f"http://{addr}:{port}/callback?code=abc&state=wrong", timeout=10)
            assert e.value.code == 400 and b"does not match" in e.value.read()
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200
        code, out, err = finish(proc)
        assert code == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_localhost_redirect_is_served_on_both_loopback_addresses(bank, env):
    """A browser may reach localhost over IPv6 first: the login must hold [::1] too, so
    that no other local program listening there receives the code."""
    log_in_on(env, "localhost", [V4_LOOPBACK, V6_LOOPBACK], probe=("127.0.0.1", "[::1]"))


def test_a_taken_ipv6_loopback_port_stops_the_login(bank, env):
    with socket.socket(socket.AF_INET6) as s:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(("::1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc, url, _ = start_login(env, port=port, host="localhost")
        if url:  # it started, with the code going to whoever holds [::1]
            proc.kill()
        code, out, err = finish(proc)
    assert url == ""
    assert code == 1
    assert f"port {port} is already in use" in err


def test_an_ipv6_or_other_loopback_redirect_is_served_there_only(bank, env):
    log_in_on(env, "[::1]", [V6_LOOPBACK])
    log_in_on(env, "127.0.0.2", [("v4", "0200007F")])


def test_help_usage_and_version():
    r = subprocess.run([str(LOGIN), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "--no-browser" in r.stdout and "5 minutes" in r.stdout
    r = subprocess.run([str(LOGIN), "--bogus"], capture_output=True, text=True)
    assert r.returncode == 2 and "unknown option --bogus" in r.stderr and "usage:" in r.stderr
    r = subprocess.run([str(LOGIN), "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("monzohfs-login ")


def read_until(stream, text, what):
    """Reads a pipe until text has come; returns all that came."""
    got = b""
    os.set_blocking(stream.fileno(), False)
    def arrived():
        nonlocal got
        got += stream.read() or b""
        return text.encode() in got
    wait_for(arrived, what=what)
    return got.decode()


def test_credentials_typed_at_the_prompt_are_saved_so_that_they_read_back(bank, env):
    """A secret may hold " #", quotes and backslashes: what the login saves must be
    what it and the mount read from the config file afterwards."""
    bank.client_secret = 'mnzconf.a #b "c" \\d \'e\' '
    config = env.config / "monzohfs" / "config"
    master, slave = pty.openpty()
    vars = dict(env.vars, MONZO_REDIRECT_URI=f"http://127.0.0.1:{free_port()}/callback")
    proc = subprocess.Popen([str(LOGIN), "--no-browser", "--no-sync"], env=vars, cwd=env.root, stdin=slave,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.close(slave)
    echo = lambda: termios.tcgetattr(master)[3] & termios.ECHO  # noqa: E731
    try:
        read_until(proc.stderr, "Client ID: ", "the client id prompt")
        os.write(master, bank.client_id.encode() + b"\n")
        read_until(proc.stderr, "Client secret: ", "the secret prompt")
        wait_for(lambda: not echo(), what="echo to be off")  # turning it off drops what was typed
        os.write(master, bank.client_secret.encode() + b"\n")
        read_until(proc.stderr, "[Y/n] ", "the question to save them")
        wait_for(echo, what="echo to be back")
        os.write(master, b"y\n")
        url = read_until(proc.stdout, "\n", "the link").strip()
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    assert bank.client_secret not in proc.stderr.read().decode()
    # Read back by a login that is not on a terminal: Monzo takes the secret it read.
    vars = dict(env.vars, MONZO_REDIRECT_URI=f"http://127.0.0.1:{free_port()}/callback")
    proc = subprocess.Popen([str(LOGIN), "--no-browser", "--no-sync"], env=vars, cwd=env.root,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
    code, out, err = finish(proc)
    assert code == 0, err


def test_missing_client_id_names_the_variable(env):
    r = subprocess.run([str(LOGIN), "--no-browser"], env=env.vars, cwd=env.root, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    assert r.returncode == 1
    assert "MONZO_CLIENT_ID is not set" in r.stderr and ".env" in r.stderr


def creds(env):
    env.vars.update(MONZO_CLIENT_ID=env.bank.client_id, MONZO_CLIENT_SECRET=env.bank.client_secret)


def test_a_token_expiring_during_use_is_refreshed(bank, env, mounter):
    creds(env)
    first = env.login(expires_in=3600)
    mnt = mounter("balance_ttl=0").path
    acc = bank.main_account_id
    json.loads((mnt / "accounts" / acc / "balance.json").read_bytes())
    bank.advance(3601)  # the bank now rejects the access token
    assert json.loads((mnt / "accounts" / acc / "balance.json").read_bytes())["balance"] == \
        bank.balances[acc]["balance"]
    saved = json.loads(env.tokens.read_text())
    assert saved["access_token"] != first["access_token"]
    assert saved["refresh_token"] != first["refresh_token"]
    assert bank.counts["token"] == 1


def test_twenty_readers_after_expiry_cause_one_refresh(bank, env, mounter):
    creds(env)
    env.login(expires_in=3600)
    mnt = mounter().path
    os.listdir(mnt / "accounts")
    bank.advance(3601)
    paths = [mnt / "accounts" / a["id"] / f for a in bank.accounts for f in ("balance.json", "pots.json")]
    paths = (paths * 2)[:20]
    for path, data in zip(paths, read_all_at_once(paths)):
        acc = path.parent.name
        want = bank.balances[acc] if path.name == "balance.json" else live_pots(bank, acc)
        assert json.loads(data) == want, path
    assert bank.counts["token"] == 1


def test_two_mounts_refreshing_at_once_cause_one_refresh(bank, env, mounter):
    creds(env)
    env.login(expires_in=3600)
    a = mounter(name="a").path
    b = mounter(name="b").path
    acc = bank.main_account_id
    bank.advance(3601)
    results = [json.loads(d) for d in read_all_at_once([m / "accounts" / acc / "balance.json" for m in (a, b)])]
    assert results == [bank.balances[acc]] * 2
    assert bank.counts["token"] == 1
    # Both keep working with the one new login.
    for m in (a, b):
        assert json.loads((m / "accounts" / acc / "pots.json").read_bytes())["pots"]


def test_a_refused_refresh_keeps_tokens_json_and_says_what_to_do(bank, env, mounter):
    creds(env)
    env.login(expires_in=3600)
    mnt = mounter().path
    acc = bank.main_account_id
    before = env.tokens.read_bytes()
    held = (mnt / "accounts" / acc / "account.json").read_bytes()
    bank.mint_token()  # another login evicts ours: its refresh token is dead too
    bank.advance(3601)
    with pytest.raises(PermissionError):
        (mnt / "accounts" / acc / "balance.json").read_bytes()
    assert env.tokens.read_bytes() == before
    status = json.loads((mnt / ".status.json").read_bytes())
    assert status["login"]["state"] == "refused" and status["login"]["fix"] == "run monzohfs-login"
    assert (mnt / "accounts" / acc / "account.json").read_bytes() == held  # what is held is still served
    # A new login written while mounted is picked up without a remount.
    env.login()

    def balance_read():
        try:
            return json.loads((mnt / "accounts" / acc / "balance.json").read_bytes())
        except PermissionError:
            return None
    wait_for(lambda: balance_read() == bank.balances[acc], timeout=10, what="reads to work with the new login")


def test_a_new_login_captures_the_history_an_earlier_sync_could_not(bank, env, mounter):
    """Mounted first, after Monzo's window had closed: 89 days only.  A login later
    opens the window again, and monzohfs-login fills in everything older."""
    from datetime import timedelta
    acc = bank.main_account_id
    env.login(approved_at=bank.now() - timedelta(hours=1))
    m = mounter("transactions_ttl=3600")
    first = json.loads((m.path / "accounts" / acc / "transactions.json").read_bytes())["transactions"]
    assert len(first) < len(bank.transactions[acc])
    m.umount()
    bank.approve_after_polls = 1
    proc, url, _ = start_login(env)
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
    code, out, err = finish(proc)
    assert code == 0, err
    offline = mounter("offline", name="offline").path
    got = json.loads((offline / "accounts" / acc / "transactions.json").read_bytes())["transactions"]
    assert got == bank.transactions[acc]
    assert json.loads((offline / ".status.json").read_bytes())["history"][acc]["complete"] is True


def core_limit(pid):
    for line in open(f"/proc/{pid}/limits"):
        if line.startswith("Max core file size"):
            return line.split()[4:6]


@pytest.fixture
def cores_allowed():
    """Starts the programs with core dumps allowed, as a user's shell may (raising the
    hard limit where we may: with a hard limit of 0 the check would prove nothing)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
    if resource.getrlimit(resource.RLIMIT_CORE)[0] == 0:
        resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))
        pytest.skip("core dumps cannot be allowed here: the hard limit is 0")
    yield
    resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))


def test_the_daemon_and_the_login_never_dump_core(bank, env, mounter, cores_allowed):
    """A core file would hold the tokens and the client secret."""
    m = mounter()
    assert core_limit(m.proc.pid) == ["0", "0"]
    proc, url, port = start_login(env, "--no-sync")
    try:
        assert url
        assert core_limit(proc.pid) == ["0", "0"]
    finally:
        proc.kill()
        proc.wait()
