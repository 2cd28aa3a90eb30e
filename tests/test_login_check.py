"""A missing, garbled or rejected tokens file stops the mount at once, on the
terminal, with exit status 1 and a message naming the file and the fix."""
import os
import resource
import subprocess

from conftest import DAEMON, is_mounted


def run_daemon(env, mnt):
    mnt.mkdir()
    return subprocess.run([str(DAEMON), str(mnt)], env=env.vars, cwd=env.root, capture_output=True,
                          text=True, timeout=30, stdin=subprocess.DEVNULL)


def check_refused(env, tmp_path, *needles):
    mnt = tmp_path / "mnt"
    r = run_daemon(env, mnt)
    assert r.returncode == 1, r.stderr
    assert str(env.tokens) in r.stderr
    assert "monzohfs-login" in r.stderr
    for n in needles:
        assert n in r.stderr
    assert not is_mounted(mnt)
    return r


def test_missing_tokens_file(env, tmp_path):
    check_refused(env, tmp_path, "does not exist")


def test_garbled_tokens_file(env, tmp_path):
    env.tokens.parent.mkdir(parents=True)
    env.tokens.write_text('{"access_token": "abc", "expires_at": ')
    check_refused(env, tmp_path)


def test_rejected_token(env, tmp_path):
    env.vars.update(MONZO_CLIENT_ID=env.bank.client_id, MONZO_CLIENT_SECRET=env.bank.client_secret)
    token = env.login()
    env.bank.mint_token()  # a newer login evicts the one in the file, and its refresh token
    r = check_refused(env, tmp_path, "Monzo refused to refresh the login")
    assert token["access_token"] not in r.stderr
    assert env.bank.counts["whoami"] == 1 and env.bank.counts["token"] == 1
    assert len(r.stderr.splitlines()) == 1, r.stderr


def test_rejected_token_without_a_client_names_the_setting(env, tmp_path):
    env.login()
    env.bank.mint_token()
    r = run_daemon(env, tmp_path / "mnt")
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines() == [
        f"monzohfs: Monzo refused the login in {env.tokens} (HTTP 401 unauthorized.bad_access_token.evicted) "
        f"and it cannot be refreshed: MONZO_CLIENT_ID is not set: set it in the environment, in ./.env or in "
        f"{env.config / 'monzohfs' / 'config'}"]
    assert env.bank.counts["token"] == 0


def limit_memory():
    """Bounds what a daemon that reads without end can take (not under ASan, whose
    shadow memory needs a large address space)."""
    if "ASAN_OPTIONS" not in os.environ:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def run_daemon_briefly(env, mnt):
    mnt.mkdir()
    try:
        return subprocess.run([str(DAEMON), str(mnt)], env=env.vars, cwd=env.root, capture_output=True,
                              text=True, timeout=20, stdin=subprocess.DEVNULL, preexec_fn=limit_memory)
    finally:
        if is_mounted(mnt):  # it should not have mounted: leave nothing behind
            subprocess.run(["fusermount3", "-u", "-z", str(mnt)])


def test_a_tokens_file_that_is_not_a_regular_file_is_refused_at_once(env, tmp_path):
    """A FIFO would block the open for ever, /dev/zero would be read without end."""
    env.tokens.parent.mkdir(parents=True)
    os.mkfifo(env.tokens)
    for make in (lambda: None, lambda: (env.tokens.unlink(), env.tokens.symlink_to("/dev/zero"))):
        make()
        r = run_daemon_briefly(env, tmp_path / f"mnt-{env.tokens.lstat().st_mode:o}")
        assert r.returncode == 1, r.stderr
        assert str(env.tokens) in r.stderr and "not a regular file" in r.stderr
        assert "monzohfs-login" in r.stderr


def test_a_tokens_file_past_the_size_cap_is_refused(env, tmp_path):
    token = env.login()
    text = env.tokens.read_text()
    env.tokens.write_text(text[:-1] + " " * (1 << 20) + "}")  # valid JSON, but 1 MiB
    r = run_daemon_briefly(env, tmp_path / "mnt")
    assert r.returncode == 1, r.stderr
    assert str(env.tokens) in r.stderr and "too large" in r.stderr
    assert token["access_token"] not in r.stderr
