"""The reports/ files: each one against the sums worked out here from the bank's own
transactions (per month, per category, per merchant, month-end balances), their
pictures drawn by rsvg-convert, and each picture's bars and points matching its CSV."""
import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

import pytest

import expected as E
from conftest import account_dir, read_csv

SVG = "{http://www.w3.org/2000/svg}"


def reports(mnt, acc):
    return account_dir(mnt, acc) / "reports"


def links(mnt):
    """{account id: friendly link name} as accounts.tsv shows them."""
    rows = (mnt / "accounts.tsv").read_text().splitlines()[1:]
    return {r.split("\t")[1]: r.split("\t")[0] for r in rows if r.split("\t")[0]}


def test_every_account_has_reports_and_the_mount_its_net_worth(bank, mounter):
    mnt = mounter().path
    assert "reports" in os.listdir(mnt)
    assert sorted(os.listdir(mnt / "reports")) == ["networth.csv", "networth.svg"]
    for a in bank.accounts:
        assert "reports" in os.listdir(account_dir(mnt, a["id"]))
        assert sorted(os.listdir(reports(mnt, a["id"]))) == [
            "balance.svg", "categories.csv", "merchants.csv", "monthly.csv", "spending.svg"]


def test_an_accounts_reports_are_the_sums_of_its_transactions(bank, mounter):
    mnt = mounter().path
    for a in bank.accounts:
        acc = a["id"]
        x = E.Expected(bank, acc)
        d = reports(mnt, acc)
        assert read_csv(d / "monthly.csv") == x.monthly_csv(), acc
        assert read_csv(d / "categories.csv") == x.categories_csv(), acc
        assert read_csv(d / "merchants.csv") == x.merchants_csv(), acc


def test_spending_follows_the_banks_flag_and_own_transfers_are_not_spending(bank, mounter):
    mnt = mounter().path
    main = bank.main_account_id
    left_out = [bank.transaction(t) for t in bank.spending_roles.values()]
    assert left_out and all(not t.get("include_in_spending") for t in left_out)
    own = [bank.transaction(side) for pair in bank.own_transfers for side in pair]
    assert own
    rows = {r[0]: r for r in read_csv(reports(mnt, main) / "monthly.csv")[1:]}
    for t in left_out + [t for t in own if t["account_id"] == main]:
        month = E.month(t["created"], E.LONDON)
        x = E.Expected(bank, main)
        # Spending as the month's transactions give it, without t: the same figure.
        spent = -sum(int(u["amount"]) for u in x.txs if E.in_spending(u) and E.month(u["created"], E.LONDON) == month)
        assert rows[month][4] == E.money(spent, "GBP"), (t["id"], rows[month])


def net_columns(bank, mnt, now_ns):
    """networth.csv's columns as the bank has them, with pots whose ledger the bank
    does not serve known from now_ns."""
    names = links(mnt)
    cols = []
    for a in bank.accounts:
        if a.get("closed"):
            continue
        acc = a["id"]
        cols.append((names.get(acc, acc), bank.transactions[acc], bank.balances[acc]["balance"], None))
        for p in bank.pots.get(acc, []):
            if p.get("deleted"):
                continue
            ledger = bank.pot_accounts.get(p["id"])
            if ledger:
                cols.append((p["name"], bank.transactions[ledger], p["balance"], None))
            else:
                cols.append((p["name"], [], p["balance"], now_ns))
    return cols


def test_net_worth_is_every_open_account_and_pot_at_each_months_end(bank, mounter):
    mnt = mounter().path
    before = time.time_ns()
    got = read_csv(mnt / "reports" / "networth.csv")
    after = time.time_ns()
    # A pot whose ledger is not served is known from the month of the read: on a
    # month's last second either month may be the one.
    assert got in (E.networth_csv(net_columns(bank, mnt, before)), E.networth_csv(net_columns(bank, mnt, after)))
    # A transfer between two of the user's accounts moves money between two columns:
    # the Total of its month counts it once, as nothing in or out.
    header = got[0]
    assert header[0] == "Month" and header[-1] == "Total"
    for row in got[1:]:
        filled = [int(c.replace(".", "")) for c in row[1:-1] if c]
        assert row[-1] == (E.money(sum(filled), "GBP") if filled else "")


# ------------------------------------------------------------------ pictures

def titles(svg):
    """{(month, series): amount text} of a picture's bars and points."""
    return {(m, s): v for m, s, v in E.svg_titles(svg)}


def test_every_picture_is_plain_svg_that_rsvg_convert_draws(bank, mounter, tmp_path):
    if not shutil.which("rsvg-convert"):
        pytest.fail("rsvg-convert is missing: install the Debian package librsvg2-bin (scripts/test does)")
    mnt = mounter().path
    pictures = [mnt / "reports" / "networth.svg"] + [
        reports(mnt, a["id"]) / n for a in bank.accounts for n in ("spending.svg", "balance.svg")]
    for p in pictures:
        data = p.read_bytes()
        root = ET.fromstring(data)
        assert root.tag == SVG + "svg" and root.get("version") == "1.1", p
        # No script, no link out, nothing fetched: the file alone is the picture.
        assert not re.search(rb"<script|href|url\(|@import", data), p
        png = tmp_path / (p.parent.parent.name + "-" + p.name + ".png")
        subprocess.run(["rsvg-convert", "-o", str(png), str(p)], check=True, capture_output=True)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # Same data, same bytes: a backup skips it.
        assert p.read_bytes() == data


def test_the_pictures_numbers_are_their_csvs_numbers(bank, mounter):
    mnt = mounter().path
    main = bank.main_account_id
    d = reports(mnt, main)
    monthly = {r[0]: r for r in read_csv(d / "monthly.csv")[1:]}
    cats = {(r[0], r[1]): r[2] for r in read_csv(d / "categories.csv")[1:]}
    spending = titles((d / "spending.svg").read_bytes())
    months = [m for m, s in spending if s == "Spending"]
    assert months == list(monthly)[-24:]
    for (m, series), amount in spending.items():
        assert amount == (monthly[m][4] if series == "Spending" else cats[(m, series)]), (m, series)
    # Every category that spent in a month is a segment of its bar.
    assert {k for k, v in cats.items() if k[0] in months and not v.startswith("-") and v != "0.00"} == \
        {k for k in spending if k[1] != "Spending"}
    balance = titles((d / "balance.svg").read_bytes())
    assert balance == {(m, "Closing balance"): r[6] for m, r in monthly.items()}
    net = read_csv(mnt / "reports" / "networth.csv")
    picture = titles((mnt / "reports" / "networth.svg").read_bytes())
    want = {(row[0], name): cell for row in net[1:] for name, cell in zip(net[0][1:], row[1:]) if cell}
    assert picture == want


def test_a_bars_height_is_its_amount_on_the_axis(bank, mounter):
    mnt = mounter().path
    svg = ET.fromstring((reports(mnt, bank.main_account_id) / "spending.svg").read_bytes())
    ticks = [t.text for t in svg.iter(SVG + "text") if t.get("class") == "tick"]
    bottom, top = (int(ticks[0].replace(".", "")), int(ticks[-1].replace(".", "")))
    for bar in svg.iter(SVG + "g"):
        if bar.get("class") != "bar":
            continue
        below = 0
        for seg in bar.iter(SVG + "rect"):
            amount = int(seg.find(SVG + "title").text.rsplit(": ", 1)[1].replace(".", ""))
            lo, hi = E.svg_px(below, bottom, top), E.svg_px(below + amount, bottom, top)
            assert int(seg.get("height")) == hi - lo, seg.find(SVG + "title").text
            below += amount


# ------------------------------------------------------------------ the real bank

def test_a_refused_account_has_no_reports_and_no_net_worth_column(bank, mounter):
    refused = next(a["id"] for a in bank.accounts if a["id"] != bank.main_account_id and not a.get("closed"))
    bank.refuse("transactions", account_id=refused)
    mnt = mounter().path
    assert os.listdir(reports(mnt, refused)) == []
    with pytest.raises(OSError):
        (reports(mnt, refused) / "monthly.csv").read_bytes()
    # The others are whole.
    x = E.Expected(bank, bank.main_account_id)
    assert read_csv(reports(mnt, bank.main_account_id) / "monthly.csv") == x.monthly_csv()
    header = read_csv(mnt / "reports" / "networth.csv")[0]
    assert links(mnt).get(refused, refused) not in header


def test_a_strangers_names_in_the_pictures_are_text(bank, mounter):
    """A payment reference is anyone's text: in a picture it is text, never markup."""
    acc = bank.add_account()["id"]
    now = datetime.now(timezone.utc)
    bank.add_transaction(acc, created=now, amount=-1234, category='<script>alert(1)</script>',
                         include_in_spending=True)
    mnt = mounter().path
    data = (reports(mnt, acc) / "spending.svg").read_bytes()
    root = ET.fromstring(data)   # well-formed
    assert b"<script" not in data
    assert any("<script>alert(1)</script>" in (t.text or "") for t in root.iter(SVG + "title"))
