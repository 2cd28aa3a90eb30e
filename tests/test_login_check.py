"""A missing, garbled or rejected tokens file stops the mount at once, on the
terminal, with exit status 1 and a message naming the file and the fix."""
import os
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
    token = env.login()
    env.bank.mint_token()  # a newer login evicts the one in the file
    r = check_refused(env, tmp_path, "refused")
    assert token["access_token"] not in r.stderr
    assert env.bank.counts["whoami"] == 1
