"""Amounts beyond ±10^15 minor units: bad input, as a page of invalid JSON is.

The bank sends an amount no account can hold (1e300, INT64_MAX, in the amount, the
local amount, a category's amount or the balance): the sync that met it stores
nothing, the mount keeps serving the copy it had, .status.json and the log say why,
and once the bank sends sense again the next sync stores it.  Run in the sanitizer
build, the daemon must meet no undefined behaviour on the way (UBSan reports say
"runtime error")."""
import json
import time

import pytest

from conftest import wait_for, wait_until

KERNEL_ATTR_CACHE = 1.2  # the kernel's 1 s attribute cache, plus a margin
INT64_MAX = 9223372036854775807
WHY = "beyond +/-10^15 minor units"


def status(mnt):
    return json.loads((mnt / ".status.json").read_bytes())


def bad_amount(bank, acc, case):
    """Makes the bank send one absurd amount on acc; returns the ids of the
    transactions added for it (to be removed once the test has seen the refusal)."""
    before = bank.balances[acc]["balance"]
    if case == "amount_1e300":
        tx = bank.add_transaction(acc, amount=-100)
        bank.update_transaction(tx["id"], amount=1e300)
        ids = [tx["id"]]
    elif case == "amount_int64_max_twice":
        ids = [bank.add_transaction(acc, amount=INT64_MAX)["id"] for _ in range(2)]
    elif case == "local_amount":
        ids = [bank.add_transaction(acc, amount=-100, local_amount=INT64_MAX, local_currency="JPY")["id"]]
    elif case == "category_amount":
        ids = [bank.add_transaction(acc, amount=-100, categories={"general": -10**16, "shopping": 10**16 - 100})["id"]]
    elif case == "balance":
        bank.set_balance(acc, balance=-10**16)
        return []
    # The balance stays sane, so it is the page of transactions that is refused.
    bank.set_balance(acc, balance=before)
    return ids


@pytest.mark.parametrize("case", ["amount_1e300", "amount_int64_max_twice", "local_amount", "category_amount",
                                  "balance"])
def test_an_absurd_amount_keeps_the_stored_copy(bank, env, mounter, case):
    ttl = 1
    m = mounter(f"transactions_ttl={ttl}", f"balance_ttl={ttl}")
    a = bank.main_account_id
    acc = m.path / "accounts" / a
    files = [acc / "transactions.csv", acc / "transactions.json", acc / "transactions.journal",
             m.path / "transactions.tsv"]
    held = [f.read_bytes() for f in files]
    fetched = time.monotonic()
    balance_before = bank.balances[a]["balance"]
    ids = bad_amount(bank, a, case)

    wait_until(fetched + ttl + KERNEL_ATTR_CACHE)
    # The refresh is tried, refused as bad input, and the copy held is served.
    got = [f.read_bytes() for f in files]
    assert got == held, "a file changed after a sync that should have stored nothing"
    res = status(m.path)["resources"][f"transactions/{a}"]
    assert res["stale"] is True and WHY in res["last_error"]["message"], res
    assert WHY in m.output()
    assert b"e+300" not in got[1] and b"9223372036854775807" not in got[1]

    # The bank sends sense again: the next sync stores it, and the status is clean.
    for tx_id in ids:
        bank.remove_transaction(tx_id)
    bank.set_balance(a, balance=balance_before)
    bank.add_transaction(a, amount=-4321, notes="after the absurd one")
    wait_for(lambda: b"after the absurd one" in (acc / "transactions.json").read_bytes(), timeout=15,
             what="the next sync to store what the bank sends now")
    assert status(m.path)["resources"][f"transactions/{a}"]["last_error"] is None
    out = m.output()
    assert "runtime error" not in out, out
