"""A newcomer's first hour: what monzohfs-login says at the end of its capture (names
beside ids, where each account's history now starts, Ctrl-C), the credential
messages of both programs, the mount point checks, where a detached daemon's log
goes, and refreshing without a remount."""
import json
import signal
import subprocess
import time
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from conftest import LOGIN
from fakebank import parse_ts
from test_login import finish, free_port, start_login

LONDON = ZoneInfo("Europe/London")


def london_date(ns):
    return datetime.fromtimestamp(ns / 1e9, LONDON).date().isoformat()


def login_through_the_fake_page(env):
    proc, url, _ = start_login(env)
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
    once (long before the bank answers) and says which accounts were captured."""
    main = bank.main_account_id
    others = [a["id"] for a in bank.accounts if a["id"] != main]
    assert bank.accounts[0]["id"] == main
    hold = bank.hold("balance", after=1)   # the second account's sync starts with its balance
    try:
        proc = login_through_the_fake_page(env)
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
