"""The calendar is a test input: the daemon and the fake bank run on one pinned clock
(libfaketime for the daemon, the bank's own fake clock), at the moments where dates go
wrong: the first minute of a month, New Year, the last hour of a month in British
Summer Time, both clock-change nights and 29 February.  At each, every transaction is
in exactly one month file, Date and Time are London's, a month that begins is found
once its first payment arrives, and a mount whose full-history window has closed
holds exactly the last 89 days."""
import json
import os
import time
from datetime import datetime, timedelta

import pytest

import expected as E
from conftest import Mount, PinnedEnv, read_csv, wait_for
from fakebank import FakeBank, parse_ts

TTL = 2


def utc(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# moment: the pinned UTC instant.  new_month: London's month at that moment has no
# transaction yet.  extras: payments made before the mount, each with the month file,
# Date and Time that London shows for it, worked out by hand.
CASES = {
    "first-minute-of-a-winter-month": dict(
        moment="2026-12-01T00:00:30Z", new_month="2026-12",
        extras=[("2026-11-30T23:59:59.999Z", "2026-11", "30/11/2026", "23:59:59")]),
    "first-minute-of-a-summer-month": dict(
        moment="2027-06-30T23:00:30Z", new_month="2027-07",
        extras=[("2027-06-30T22:59:59Z", "2027-06", "30/06/2027", "23:59:59")]),
    "new-year": dict(
        moment="2027-01-01T00:00:30Z", new_month="2027-01",
        extras=[("2026-12-31T23:59:59.5Z", "2026-12", "31/12/2026", "23:59:59")]),
    "last-hour-of-a-month-in-summer-time": dict(
        moment="2027-08-31T23:30:30Z", new_month="2027-09",
        extras=[("2027-08-31T22:59:59Z", "2027-08", "31/08/2027", "23:59:59")]),
    "clocks-go-forward": dict(
        moment="2027-03-28T00:59:30Z", new_month=None,
        extras=[("2027-03-28T00:59:59Z", "2027-03", "28/03/2027", "00:59:59"),
                ("2027-03-28T01:00:00Z", "2027-03", "28/03/2027", "02:00:00")]),
    "clocks-go-back": dict(
        moment="2027-10-31T01:30:30Z", new_month=None,
        extras=[("2027-10-31T00:30:00Z", "2027-10", "31/10/2027", "01:30:00"),
                ("2027-10-31T00:59:59Z", "2027-10", "31/10/2027", "01:59:59"),
                ("2027-10-31T01:00:00Z", "2027-10", "31/10/2027", "01:00:00"),
                ("2027-10-31T01:30:00Z", "2027-10", "31/10/2027", "01:30:00")]),
    "leap-day": dict(
        moment="2028-02-29T12:00:00Z", new_month=None,
        extras=[("2028-02-28T23:59:59Z", "2028-02", "28/02/2028", "23:59:59"),
                ("2028-02-29T00:00:00Z", "2028-02", "29/02/2028", "00:00:00")]),
}


@pytest.fixture(params=sorted(CASES), ids=sorted(CASES))
def case(request):
    return dict(CASES[request.param], name=request.param)


@pytest.fixture
def pinned(case, built):
    moment = utc(case["moment"])
    bank = FakeBank(seed=1, anchor=moment.date())
    bank.pin(moment)
    bank.start(host="127.0.0.1", port=0)
    yield bank
    bank.stop()


@pytest.fixture
def mounts():
    made = []
    yield made
    for m in made:
        try:
            if m.proc.poll() is None:
                m.umount()
        finally:
            m.cleanup()


def csv_rows(path):
    return [line.split(",") for line in path.read_text().splitlines()[1:]]


def check_account(d, bank, acc, txs):
    """The files of account directory d hold exactly txs (the bank's own dicts)."""
    x = E.Expected(bank, acc)
    ids = {t["id"] for t in txs}
    months = sorted({E.month(t["created"]) for t in txs})
    assert sorted(os.listdir(d / "transactions")) == sorted(
        [f"{m}.csv" for m in months] + [f"{m}.json" for m in months])
    # Every transaction in exactly one month file, the one of its London date.
    seen = []
    for m in months:
        in_month = json.loads((d / "transactions" / f"{m}.json").read_bytes())["transactions"]
        assert in_month == [t for t in x.month_transactions(m) if t["id"] in ids], m
        seen += [t["id"] for t in in_month]
        assert (d / "transactions" / f"{m}.csv").read_bytes() == E.rfc4180(
            [E.HEADER] + [r for r in x.month_csv(m)[1:] if r[0] in ids]), m
    assert sorted(seen) == sorted(ids)
    # Date and Time: London's, whatever the daemon's own TZ says.
    assert (d / "transactions.csv").read_bytes() == E.rfc4180(
        [E.HEADER] + [r for r in x.transactions_csv()[1:] if r[0] in ids])
    assert json.loads((d / "transactions.json").read_bytes())["transactions"] == \
        [t for t in x.txs if t["id"] in ids]


def check_reports(mnt, bank, acc):
    """The account's reports and the mount's net worth, by the London months of its
    transactions (a pot without a ledger is known from the pinned moment's month)."""
    x = E.Expected(bank, acc)
    d = mnt / "accounts" / acc / "reports"
    assert read_csv(d / "monthly.csv") == x.monthly_csv()
    assert read_csv(d / "categories.csv") == x.categories_csv()
    assert read_csv(d / "merchants.csv") == x.merchants_csv()
    now_ns = int(bank.now().timestamp()) * 10 ** 9
    names = {r.split("\t")[1]: r.split("\t")[0] for r in (mnt / "accounts.tsv").read_text().splitlines()[1:]}
    cols = []
    for a in bank.accounts:
        if a.get("closed"):
            continue
        cols.append((names.get(a["id"]) or a["id"], bank.transactions[a["id"]], bank.balances[a["id"]]["balance"], None))
        for p in bank.pots.get(a["id"], []):
            if not p.get("deleted"):
                ledger = bank.pot_accounts.get(p["id"])
                cols.append((p["name"], bank.transactions[ledger] if ledger else [], p["balance"],
                             None if ledger else now_ns))
    assert read_csv(mnt / "reports" / "networth.csv") == E.networth_csv(cols)


def check_extras(d, made):
    rows = {r[0]: r for r in csv_rows(d / "transactions.csv")}
    for tx, (_, month, date, clock) in made:
        assert rows[tx["id"]][1:3] == [date, clock], tx["created"]
        assert tx["id"] in {r[0] for r in csv_rows(d / "transactions" / f"{month}.csv")}
    # Rows follow the instant, not the text of the local time (the clocks-go-back night).
    order = [r[0] for r in csv_rows(d / "transactions.csv")]
    mine = [tx["id"] for tx, _ in sorted(made, key=lambda p: parse_ts(p[0]["created"]))]
    assert [i for i in order if i in set(mine)] == mine


def test_files_are_right_on_the_days_dates_go_wrong(case, pinned, tmp_path, mounts):
    bank = pinned
    acc = bank.main_account_id
    moment = utc(case["moment"])
    window = moment - timedelta(days=89)
    inside = bank.add_transaction(acc, created=window + timedelta(hours=1), description="INSIDE")
    outside = bank.add_transaction(acc, created=window - timedelta(hours=1), description="OUTSIDE")
    made = [(bank.add_transaction(acc, created=c, amount=-500, description="EDGE %d" % i), rest)
            for i, (c, *rest) in enumerate(case["extras"])]
    made = [(tx, (tx["created"], *rest)) for tx, rest in made]
    assert all(parse_ts(t["created"]) < parse_ts(case["moment"]) + 10**9 * 60 for t, _ in made)

    # 1. A login approved just now: the whole history, then today's first payment.
    env = PinnedEnv(tmp_path, bank)
    env.login()
    m = Mount(env, tmp_path / "full", [f"transactions_ttl={TTL}"])
    mounts.append(m)
    m.wait()
    status = json.loads((m.path / ".status.json").read_bytes())
    assert moment <= utc(status["mounted_at"]) <= moment + timedelta(minutes=2), "not pinned"
    d = m.path / "accounts" / acc
    check_account(d, bank, acc, bank.transactions[acc])
    check_extras(d, made)
    check_reports(m.path, bank, acc)
    now_month = E.month(bank.now().isoformat().replace("+00:00", "Z"))
    if case["new_month"]:
        assert now_month == case["new_month"]
        assert not (d / "transactions" / f"{now_month}.csv").exists()
    first = bank.add_transaction(acc, amount=-2300, description="FIRST OF THE MONTH")
    added = time.monotonic()
    wait_for(lambda: first["id"] in {r[0] for r in csv_rows(d / "transactions" / f"{E.month(first['created'])}.csv")},
             timeout=TTL + 10, what="the new payment in its month's file")
    assert time.monotonic() - added <= TTL + 1 + 1.0
    check_account(d, bank, acc, bank.transactions[acc])
    check_reports(m.path, bank, acc)
    status = json.loads((m.path / ".status.json").read_bytes())
    assert status["history"][acc]["complete"] is True
    m.umount()

    # 2. The full-history window closed long ago, and a new store: the last 89 days.
    env.login(approved_at=moment - timedelta(days=1))
    m = Mount(env, tmp_path / "recent", [f"store={tmp_path / 'fresh.sqlite3'}"])
    mounts.append(m)
    m.wait()
    d = m.path / "accounts" / acc
    recent = [t for t in bank.transactions[acc] if parse_ts(t["created"]) >= parse_ts(
        window.isoformat().replace("+00:00", "Z"))]
    assert inside in recent and outside not in recent
    check_account(d, bank, acc, recent)
    hist = json.loads((m.path / ".status.json").read_bytes())["history"][acc]
    assert hist["complete"] is False
    known_from = utc(hist["known_from"])
    assert window <= known_from <= window + timedelta(minutes=2)
