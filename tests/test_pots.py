"""Pots as accounts of their own: accounts/acc_…/pots/ holds a link per pot name and a
directory per pot (deleted ones too) with pot.json and, once a transfer names the pot's
own account, that account's transactions in every format; the pot's and the account's
journals read together count each transfer once."""
import csv
import json
import os
import subprocess
from datetime import timedelta

import expected as E
from conftest import wait_for
from fakebank import parse_ts


def pots_dir(mnt, acc):
    return mnt / "accounts" / acc / "pots"


def pot_files(bank, pot):
    return bank.pot_accounts.get(pot["id"])


def test_every_pot_has_a_directory_and_a_link_by_name(bank, mounter):
    mnt = mounter().path
    for a in bank.accounts:
        acc = a["id"]
        d = pots_dir(mnt, acc)
        pots = bank.pots.get(acc, [])
        names = os.listdir(d)
        assert sorted(n for n in names if n.startswith("pot_")) == sorted(p["id"] for p in pots)
        links = {n: os.readlink(d / n) for n in names if os.path.islink(d / n)}
        # One link per named pot, to its directory, named after it (live pots first).
        assert sorted(links.values()) == sorted(p["id"] for p in pots if p["name"])
        for name, target in links.items():
            pot = bank.pot(target)
            assert "/" not in name and not name.startswith(".")
            assert name == pot["name"].replace("/", "-") or name.startswith(pot["name"].replace("/", "-") + "-")
            assert json.loads((d / name / "pot.json").read_bytes()) == pot
        for pot in pots:
            pd = d / pot["id"]
            assert json.loads((pd / "pot.json").read_bytes()) == pot
            files = set(os.listdir(pd))
            if pot_files(bank, pot) is None:  # no transfer names its account yet
                assert files == {"pot.json"}
            else:
                assert files == {"pot.json", "transactions", "transactions.json", "transactions.csv",
                                 "transactions.tsv", "transactions.ofx", "transactions.qif",
                                 "transactions.journal", "transactions.beancount"}


def test_a_pots_own_transactions_in_every_format(bank, mounter, tmp_path):
    mnt = mounter().path
    acc = bank.main_account_id
    with_accounts = [p for p in bank.pots[acc] if pot_files(bank, p)]
    assert any(p["deleted"] for p in with_accounts) and any(p["type"] == "flexible_savings" for p in with_accounts)
    for pot in with_accounts:
        pot_acc = bank.pot_accounts[pot["id"]]
        pd = pots_dir(mnt, acc) / pot["id"]
        txs = json.loads((pd / "transactions.json").read_bytes())["transactions"]
        assert txs == bank.transactions[pot_acc]
        x = E.Expected(bank, pot_acc, pot=pot)
        assert (pd / "transactions.csv").read_bytes() == E.rfc4180(x.transactions_csv())
        for m in x.months():
            assert json.loads((pd / "transactions" / f"{m}.json").read_bytes())["transactions"] == \
                x.month_transactions(m)
            assert (pd / "transactions" / f"{m}.csv").read_bytes() == E.rfc4180(x.month_csv(m))
        assert sorted(os.listdir(pd / "transactions")) == sorted(
            [f"{m}.csv" for m in x.months()] + [f"{m}.json" for m in x.months()])
        tsv = (pd / "transactions.tsv").read_text().splitlines()
        assert [line.split("\t")[1] for line in tsv[1:]] == [t["id"] for t in x.txs]
        assert {line.split("\t")[0] for line in tsv[1:]} == {pot_acc}
        # The import formats check out on their own.
        journal = pd / "transactions.journal"
        subprocess.run(["hledger", "-f", str(journal), "check"], check=True, capture_output=True,
                       env=dict(os.environ, LANG="C.UTF-8"))
        subprocess.run(["bean-check", str(pd / "transactions.beancount")], check=True, capture_output=True)
        subprocess.run(["ofxdump", str(pd / "transactions.ofx")], check=True, capture_output=True)


def test_the_account_and_pot_journals_read_together_give_the_pots_balance(bank, mounter):
    mnt = mounter().path
    acc = bank.main_account_id
    main = mnt / "accounts" / acc / "transactions.journal"
    for pot in bank.pots[acc]:
        if not pot_files(bank, pot):
            continue
        journal = pots_dir(mnt, acc) / pot["id"] / "transactions.journal"
        env = dict(os.environ, LANG="C.UTF-8")
        subprocess.run(["hledger", "-f", str(main), "-f", str(journal), "check"], check=True,
                       capture_output=True, env=env)
        out = subprocess.run(["hledger", "-f", str(main), "-f", str(journal), "bal", "--flat", "-N", "-E",
                              "-O", "csv", "assets:monzo:pots"],
                             check=True, capture_output=True, text=True, env=env).stdout
        # The name as the journals write it: no ':' inside an account name part.
        name = " ".join(pot["name"].replace(":", "-").split())
        totals = {r[0]: r[1] for r in csv.reader(out.splitlines()[1:])}
        settled = pot["balance"] - sum(t["amount"] for t in bank.transactions[bank.pot_accounts[pot["id"]]]
                                       if t["settled"] == "" and "decline_reason" not in t)
        want = f"{E.money(settled, pot['currency'])} GBP" if settled else "0"  # how hledger writes none
        assert totals[f"assets:monzo:pots:{name}"] == want, pot["name"]


def test_a_transfer_shows_in_the_pot_after_its_ttl(bank, mounter):
    m = mounter("transactions_ttl=1", "pots_ttl=1")
    acc = bank.main_account_id
    pot = next(p for p in bank.pots[acc] if not p["deleted"] and pot_files(bank, p))
    pd = pots_dir(m.path, acc) / pot["id"]
    (pd / "transactions.csv").read_bytes()
    out, into = bank.transfer_to_pot(acc, pot["id"], 1234)
    wait_for(lambda: into["id"].encode() in (pd / "transactions.csv").read_bytes(), timeout=15,
             what="the transfer in the pot's file")
    assert (pd / "transactions.csv").read_bytes() == E.rfc4180(
        E.Expected(bank, bank.pot_accounts[pot["id"]], pot=bank.pot(pot["id"])).transactions_csv())
    assert out["id"].encode() in (m.path / "accounts" / acc / "transactions.csv").read_bytes()


def test_a_pot_transferred_to_for_the_first_time_gets_its_files(bank, mounter):
    m = mounter("transactions_ttl=1", "pots_ttl=1")
    acc = bank.main_account_id
    pot = next(p for p in bank.pots[acc] if not p["deleted"] and not pot_files(bank, p))
    pd = pots_dir(m.path, acc) / pot["id"]
    assert os.listdir(pd) == ["pot.json"]
    bank.transfer_to_pot(acc, pot["id"], 500)
    wait_for(lambda: (pd / "transactions.json").exists(), timeout=15, what="the pot's files")
    txs = json.loads((pd / "transactions.json").read_bytes())["transactions"]
    assert txs == bank.transactions[bank.pot_accounts[pot["id"]]]


def test_the_root_tsv_has_every_pots_own_transactions(bank, mounter):
    mnt = mounter().path
    rows = [line.split("\t") for line in (mnt / "transactions.tsv").read_text().splitlines()[1:]]
    by_account = {}
    for r in rows:
        by_account.setdefault(r[0], []).append(r[1])
    for pot_id, pot_acc in bank.pot_accounts.items():
        assert by_account[pot_acc] == [t["id"] for t in sorted(bank.transactions[pot_acc], key=E.order_key)]


def test_pots_own_history_keeps_the_90_day_rule(bank, env, mounter, tmp_path):
    """With the full-history window closed and a new store, a pot's own account gives
    its last 89 days, as an account does, and says so in .status.json."""
    env.login(approved_at=bank.now() - timedelta(days=1))
    m = mounter(f"store={tmp_path / 'fresh.sqlite3'}")
    acc = bank.main_account_id
    pot = next(p for p in bank.pots[acc] if p["type"] == "flexible_savings" and pot_files(bank, p))
    pot_acc = bank.pot_accounts[pot["id"]]
    txs = json.loads((pots_dir(m.path, acc) / pot["id"] / "transactions.json").read_bytes())["transactions"]
    edge = (bank.now() - timedelta(days=89)).timestamp() * 1e9
    assert txs == [t for t in bank.transactions[pot_acc] if parse_ts(t["created"]) >= edge]
    assert len(txs) < len(bank.transactions[pot_acc])
    hist = json.loads((m.path / ".status.json").read_bytes())["history"][pot_acc]
    assert hist["complete"] is False


def test_a_pot_ledger_counts_back_from_the_balance_synced_with_it(bank, mounter):
    """The pot's balance its Balance column counts back from is taken by the ledger's
    own sync, not from a /pots copy kept for its TTL: after a transfer, the last row's
    Balance is the pot's new balance at once, and pot.json agrees."""
    import time
    from conftest import wait_until
    acc = bank.main_account_id
    pot_id = next(p for p, pa in bank.pot_accounts.items() if bank.pot(p)["current_account_id"] == acc)
    mnt = mounter("transactions_ttl=1").path   # pots keep their 300 s TTL
    d = pots_dir(mnt, acc) / pot_id
    (d / "transactions.csv").read_bytes()
    bank.transfer_to_pot(acc, pot_id, 1234)
    wait_until(time.monotonic() + 1.2)
    pot = bank.pot(pot_id)
    x = E.Expected(bank, bank.pot_accounts[pot_id], pot=pot)
    assert (d / "transactions.csv").read_bytes() == E.rfc4180(x.transactions_csv())
    assert json.loads((d / "pot.json").read_bytes()) == pot
