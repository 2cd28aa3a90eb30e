"""The first files of the mount against the fake bank's ground truth: whoami, the
accounts, balances, pots, the friendly links and .status.json."""
import json
import os
import stat
import subprocess

import expected as E
from conftest import read_json, wait_for


def test_whoami(bank, mnt):
    who = read_json(mnt / "whoami.json")
    assert who == {"authenticated": True, "client_id": bank.client_id, "user_id": bank.user_id}


def test_accounts_json_is_every_account_as_sent(bank, mnt):
    assert read_json(mnt / "accounts.json") == {"accounts": bank.accounts}
    assert any(a["closed"] for a in bank.accounts), "the bank should have closed accounts"


def test_every_account_has_a_directory_with_its_files(bank, mnt):
    names = set(os.listdir(mnt / "accounts"))
    for acc in bank.accounts:
        assert acc["id"] in names
        d = mnt / "accounts" / acc["id"]
        assert sorted(os.listdir(d)) == [
            "account.json", "attachments", "balance.json", "declined.csv", "pending.csv", "pots", "pots.json",
            "reports", "transactions",
            "transactions.beancount", "transactions.csv", "transactions.journal", "transactions.json",
            "transactions.ofx", "transactions.qif", "transactions.tsv"]
        assert read_json(d / "account.json") == acc
        assert read_json(d / "balance.json") == bank.balances[acc["id"]]
        live = [p for p in bank.pots.get(acc["id"], []) if not p.get("deleted")]
        assert read_json(d / "pots.json") == {"pots": live}


def test_unknown_fields_are_kept(bank, mnt):
    extra = [a for a in bank.accounts if "x_new_field" in a]
    assert extra, "the fake bank should send a field clients do not know"
    acc = extra[0]
    got = read_json(mnt / "accounts" / acc["id"] / "account.json")
    assert got["x_new_field"] == acc["x_new_field"]


def test_deleted_pots_are_left_out(bank, mnt):
    acc = bank.accounts[0]["id"]
    pots = bank.pots[acc]
    assert any(p["deleted"] for p in pots) and any(not p["deleted"] for p in pots)
    shown = {p["id"] for p in read_json(mnt / "accounts" / acc / "pots.json")["pots"]}
    assert shown == {p["id"] for p in pots if not p["deleted"]}


def expected_links(accounts):
    base = {"uk_retail": "current", "uk_retail_joint": "joint", "uk_business": "business",
            "uk_monzo_flex": "flex", "uk_prepaid": "prepaid"}
    links, seen = {}, {}
    for a in accounts:
        name = base.get(a["type"])
        if not name or a["closed"]:
            continue
        seen[name] = seen.get(name, 0) + 1
        links[name if seen[name] == 1 else f"{name}-{seen[name]}"] = a["id"]
    return links


def test_friendly_links_point_at_open_accounts(bank, mnt):
    want = expected_links(bank.accounts)
    assert {"current", "joint", "business", "business-2"} <= set(want)
    # At the mount's root, so ~/monzo/*/balance.json is each open account by name ...
    got = {n: os.readlink(mnt / n) for n in os.listdir(mnt) if os.path.islink(mnt / n)}
    assert got == {name: f"accounts/{acc}" for name, acc in want.items()}
    # ... relative, resolving inside the mount ...
    assert read_json(mnt / "current" / "account.json")["id"] == want["current"]
    # ... and accounts/ holds the ids alone: accounts/*/ is each account once.
    assert sorted(os.listdir(mnt / "accounts")) == sorted(a["id"] for a in bank.accounts)
    assert not any(os.path.islink(mnt / "accounts" / n) for n in os.listdir(mnt / "accounts"))
    assert not os.path.exists(mnt / "accounts" / "current")
    globbed = subprocess.run("cat accounts/*/balance.json | grep -c '\"balance\"'", shell=True, cwd=mnt,
                             capture_output=True, text=True)
    assert int(globbed.stdout) == len(bank.accounts), globbed.stderr


def test_accounts_tsv_says_which_account_is_which(bank, mnt):
    links = {acc: name for name, acc in expected_links(bank.accounts).items()}
    lines = (mnt / "accounts.tsv").read_text(encoding="utf-8").split("\n")
    assert lines[0] == "link\tid\ttype\tclosed\tcurrency\tbalance" and lines[-1] == ""
    rows = [line.split("\t") for line in lines[1:-1]]
    assert [r[1] for r in rows] == [a["id"] for a in read_json(mnt / "accounts.json")["accounts"]]
    for r in rows:
        a = bank.account(r[1])
        bal = bank.balances.get(a["id"])
        want_balance = E.money(bal["balance"], bal["currency"]) if bal else ""
        assert r == [links.get(a["id"], ""), a["id"], a["type"], "true" if a["closed"] else "false",
                     a["currency"], want_balance], r


def test_modes_sizes_and_stable_bytes(mnt):
    assert stat.S_IMODE(os.stat(mnt).st_mode) == 0o555
    files = []
    for dirpath, dirnames, filenames in os.walk(mnt):
        for d in dirnames:
            p = os.path.join(dirpath, d)
            if not os.path.islink(p):
                assert stat.S_IMODE(os.stat(p).st_mode) == 0o555
        files += [os.path.join(dirpath, f) for f in filenames]
    assert len(files) >= 4
    for path in files:
        if os.path.islink(path):
            continue
        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) == 0o444, path
        with open(path, "rb") as f:
            first = f.read()
        with open(path, "rb") as f:
            second = f.read()
        assert st.st_size == len(first), path
        assert first == second, path
        if path.endswith(".json"):
            json.loads(first)


def test_status_json_is_valid_and_holds_no_secret(env, mounter):
    token = env.login()
    mnt = mounter().path
    read_json(mnt / "accounts.json")
    raw = (mnt / ".status.json").read_bytes()
    status = json.loads(raw)
    assert status["login"]["tokens_file"] == str(env.tokens)
    assert "accounts" in status["resources"]
    assert status["resources"]["accounts"]["fetched_at"].endswith("Z")
    for secret in (token["access_token"], token["refresh_token"], env.bank.client_secret):
        assert secret.encode() not in raw
    # Nothing fetched in between: the same bytes again.
    assert (mnt / ".status.json").read_bytes() == raw


def test_mtime_is_when_content_changed_not_when_fetched(bank, mounter):
    mnt = mounter("balance_ttl=1").path
    acc = bank.accounts[0]["id"]
    f = mnt / "accounts" / acc / "balance.json"
    first = os.stat(f).st_mtime_ns
    before = bank.counts.get("balance", 0)
    # Refetched after the TTL with the same content: the mtime stays.
    wait_for(lambda: os.stat(f).st_mtime_ns and bank.counts.get("balance", 0) > before, timeout=10,
             what="a refetch of the balance")
    assert os.stat(f).st_mtime_ns == first
    bank.set_balance(acc, balance=bank.balances[acc]["balance"] + 1)
    wait_for(lambda: os.stat(f).st_mtime_ns != first, timeout=10, what="the new balance's mtime")
    assert read_json(f)["balance"] == bank.balances[acc]["balance"]
