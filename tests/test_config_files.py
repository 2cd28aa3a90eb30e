"""./.env and the config file are read as tokens.json is: only a regular file, opened
without blocking, of at most 64 KiB.  A ./.env that is none of these (a link to
/dev/zero, a FIFO, a huge file: whatever the directory one stands in holds) is passed
over with a warning and both programs carry on; the config file, the user's own, stops
them with a message naming it.  Each answer comes at once, never after a hang."""
import os
import resource
import select
import subprocess
import time
import urllib.request

import pytest

from conftest import DAEMON, LOGIN, is_mounted

BIG = 65 * 1024  # past the 64 KiB cap


def limit_memory():
    """Bounds what a program that reads without end can take (not under ASan, whose
    shadow memory needs a large address space)."""
    if "ASAN_OPTIONS" not in os.environ:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def make(path, kind):
    """Puts at path a link to /dev/zero, a FIFO with no writer, or a file of valid
    KEY=value lines past the cap."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "dev_zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_text("# padding\n" * (BIG // 10 + 1))


def login_vars(env):
    return dict(env.vars, MONZO_CLIENT_ID=env.bank.client_id, MONZO_CLIENT_SECRET=env.bank.client_secret)


def start_login(env):
    return subprocess.Popen([str(LOGIN), "--no-browser", "--no-sync"], env=login_vars(env), cwd=env.root,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=limit_memory)


def first_line(proc, within):
    """The first line of stdout, or a failure when none comes within `within` seconds."""
    ready, _, _ = select.select([proc.stdout], [], [], within)
    assert ready, f"no output within {within}s: the program hangs"
    return proc.stdout.readline().strip()


@pytest.mark.parametrize("kind", ["dev_zero", "fifo", "oversized"])
def test_a_dotenv_that_is_no_config_is_passed_over_by_the_login(bank, env, kind):
    make(env.root / ".env", kind)
    proc = start_login(env)
    try:
        url = first_line(proc, within=10)
        assert url.startswith(bank.url), url
        with urllib.request.urlopen(url, timeout=10):
            pass
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    why = "larger than 64 KiB" if kind == "oversized" else "not a regular file"
    assert f".env is ignored: {why}" in err
    assert env.tokens.exists()


@pytest.mark.parametrize("kind", ["dev_zero", "fifo", "oversized"])
def test_a_config_file_that_is_no_config_stops_the_login_at_once(env, kind):
    config = env.config / "monzohfs" / "config"
    make(config, kind)
    t0 = time.monotonic()
    r = subprocess.run([str(LOGIN), "--no-browser", "--no-sync"], env=login_vars(env), cwd=env.root,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20,
                       preexec_fn=limit_memory)
    assert time.monotonic() - t0 < 10
    assert r.returncode == 1, r.stderr
    why = "larger than 64 KiB" if kind == "oversized" else "not a regular file"
    assert f"cannot read {config}: {why}" in r.stderr
    assert not env.tokens.exists()


def test_the_daemon_passes_over_a_fifo_dotenv_and_mounts(env, mounter):
    make(env.root / ".env", "fifo")
    m = mounter()
    assert (m.path / "whoami.json").read_bytes()
    assert ".env is ignored: not a regular file" in m.output()


def test_the_daemon_refuses_an_oversized_config_file(env, tmp_path):
    config = env.config / "monzohfs" / "config"
    make(config, "oversized")
    env.login()
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    try:
        r = subprocess.run([str(DAEMON), str(mnt)], env=env.vars, cwd=env.root, capture_output=True, text=True,
                           timeout=20, stdin=subprocess.DEVNULL, preexec_fn=limit_memory)
    finally:
        if is_mounted(mnt):
            subprocess.run(["fusermount3", "-u", "-z", str(mnt)])
    assert r.returncode == 1, r.stderr
    assert f"cannot read {config}: larger than 64 KiB" in r.stderr
