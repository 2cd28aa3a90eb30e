"""Where the daemon's tokens may go: never through a proxy to a loopback API, and the
refresh keeps working however the daemon was started and whatever is written over
tokens.json."""
import json

from loopback_proxy import proxy, use_proxy  # noqa: F401 (proxy is a fixture)


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
