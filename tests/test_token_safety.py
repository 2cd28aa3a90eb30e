"""Where the daemon's tokens may go (never through a proxy to a loopback API, never
where a ./.env says), and the refresh keeping working however the daemon was started
and whatever is written over tokens.json."""
import json
import os
import subprocess

from conftest import DAEMON, is_mounted, wait_for
from loopback_proxy import proxy, use_proxy  # noqa: F401 (proxy is a fixture)
from test_packaging import daemon_pids


def test_a_proxy_never_carries_requests_to_a_loopback_api(bank, env, mounter, proxy):
    use_proxy(env, proxy)
    env.vars.update(MONZO_CLIENT_ID=bank.client_id, MONZO_CLIENT_SECRET=bank.client_secret)
    env.login(expires_in=3600)
    mnt = mounter("balance_ttl=0").path
    acc = bank.main_account_id
    assert json.loads((mnt / "whoami.json").read_bytes())["user_id"] == bank.user_id
    bank.advance(3601)  # a refresh: the client secret and the refresh token go out too
    assert json.loads((mnt / "accounts" / acc / "balance.json").read_bytes()) == bank.balances[acc]
    assert bank.counts["token"] == 1
    assert proxy.seen == []


def test_relative_tokens_and_store_paths_keep_working_after_detaching(bank, env, tmp_path):
    """The daemon's working directory becomes / when it detaches: the tokens file, its
    lock and the store must still be found for the refresh and the sync."""
    env.vars.update(MONZO_CLIENT_ID=bank.client_id, MONZO_CLIENT_SECRET=bank.client_secret)
    first = env.login(expires_in=3600)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    tokens = os.path.relpath(env.tokens, env.root)
    opts = f"tokens={tokens},store=data/relative.sqlite3,balance_ttl=0"
    r = subprocess.run([str(DAEMON), "-o", opts, str(mnt)], env=env.vars, cwd=tmp_path, capture_output=True,
                       text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    try:
        wait_for(lambda: is_mounted(mnt), what="the detached mount")
        pids = daemon_pids(mnt)
        assert len(pids) == 1
        acc = bank.main_account_id
        got = json.loads((mnt / "accounts" / acc / "transactions.json").read_bytes())["transactions"]
        assert got == bank.transactions[acc]
        assert (tmp_path / "data" / "relative.sqlite3").stat().st_size > 0
        bank.advance(3601)  # the access token has expired: the next read refreshes it
        assert json.loads((mnt / "accounts" / acc / "balance.json").read_bytes()) == bank.balances[acc]
        assert bank.counts["token"] == 1
        assert json.loads(env.tokens.read_text())["access_token"] != first["access_token"]
    finally:
        subprocess.run(["fusermount3", "-u", "-z", str(mnt)], stderr=subprocess.DEVNULL)
    wait_for(lambda: not daemon_pids(mnt), what="the detached daemon to exit")


def test_a_dotenv_in_the_working_directory_cannot_say_where_tokens_go(bank, env, mounter, proxy):
    """An untrusted directory's ./.env may name the client, never the API: the address
    comes from the config file, with a warning that ./.env's was ignored."""
    del env.vars["MONZO_BASE_URL"]
    env.vars["MONZO_CLIENT_ID"] = bank.client_id
    (env.config / "monzohfs").mkdir()
    (env.config / "monzohfs" / "config").write_text(
        f"MONZO_BASE_URL={bank.url}\nMONZO_CLIENT_SECRET={bank.client_secret}\n")
    (env.root / ".env").write_text(f"MONZO_BASE_URL={proxy.url}\nMONZO_AUTH_URL={proxy.url}\n")
    env.login(expires_in=3600)
    m = mounter()
    assert json.loads((m.path / "whoami.json").read_bytes())["user_id"] == bank.user_id
    bank.advance(3601)
    acc = bank.main_account_id
    assert json.loads((m.path / "accounts" / acc / "balance.json").read_bytes()) == bank.balances[acc]
    assert proxy.seen == []
    assert "MONZO_BASE_URL" in m.output() and "ignored" in m.output()


def test_a_fifo_put_in_place_of_tokens_json_does_not_hang_the_mount(bank, env, mounter):
    """Every thread that needs the token looks at tokens.json under one lock: opening a
    FIFO there must not block them all."""
    mnt = mounter("balance_ttl=0").path
    acc = bank.main_account_id
    fifo, saved = env.tokens.with_name("fifo"), env.tokens.with_name("saved")
    os.link(env.tokens, saved)
    os.mkfifo(fifo)
    os.link(fifo, env.tokens.with_name("fifo-in-place"))
    os.replace(fifo, env.tokens)
    # A reader of a FUSE file cannot be killed while the daemon works on its request:
    # it runs in a process of its own, waited for below.
    reader = subprocess.Popen(["cat", str(mnt / "accounts" / acc / "balance.json")], stdout=subprocess.PIPE)
    try:
        wait_for(lambda: reader.poll() is not None, timeout=10, what="a read while tokens.json is a FIFO")
    finally:
        # Should the daemon be stuck opening the FIFO, the file comes back and the
        # opener is let go, so that the mount can be taken down.
        os.replace(saved, env.tokens)
        try:
            os.close(os.open(env.tokens.with_name("fifo-in-place"), os.O_WRONLY | os.O_NONBLOCK))
        except OSError:  # ENXIO: nobody was waiting
            pass
        out, _ = reader.communicate()
    assert reader.returncode == 0 and json.loads(out) == bank.balances[acc]


def test_a_refresh_reply_without_a_refresh_token_keeps_the_one_there_was(bank, env, mounter):
    env.vars.update(MONZO_CLIENT_ID=bank.client_id, MONZO_CLIENT_SECRET=bank.client_secret)
    first = env.login(expires_in=3600)
    mnt = mounter("balance_ttl=0").path
    acc = bank.main_account_id
    bank.confidential = False  # the token endpoint now answers without refresh_token
    bank.advance(3601)
    assert json.loads((mnt / "accounts" / acc / "balance.json").read_bytes()) == bank.balances[acc]
    assert bank.counts["token"] == 1
    saved = json.loads(env.tokens.read_text())
    assert saved["access_token"] != first["access_token"]
    assert saved["refresh_token"] == first["refresh_token"]


def test_an_older_login_written_back_to_tokens_json_is_not_adopted(bank, env, mounter):
    """A backup restored or a stale copy synced over tokens.json: the mount keeps its
    newer token rather than take one that expires sooner (and was spent)."""
    env.vars.update(MONZO_CLIENT_ID=bank.client_id, MONZO_CLIENT_SECRET=bank.client_secret)
    env.login(expires_in=3600)
    older = env.tokens.read_bytes()
    mnt = mounter("balance_ttl=0").path
    acc = bank.main_account_id
    bank.advance(3601)
    assert json.loads((mnt / "accounts" / acc / "balance.json").read_bytes()) == bank.balances[acc]
    newer = env.tokens.read_bytes()
    assert newer != older
    stale = env.tokens.with_name("stale")
    stale.write_bytes(older)
    os.replace(stale, env.tokens)
    assert json.loads((mnt / "accounts" / acc / "balance.json").read_bytes()) == bank.balances[acc]
    assert bank.counts["token"] == 1  # no refresh with the spent refresh token
    assert json.loads((mnt / ".status.json").read_bytes())["login"]["state"] == "ok"

