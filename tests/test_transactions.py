"""The transaction files of every account against the fake bank's ground truth:
transactions.json, the three CSVs, the month files, their bytes, and an hledger import.

What the files must hold is computed by tests/expected.py, an independent reading of
DESIGN.md's "CSV layout"; the tests of single awkward cases also spell out the values
a user would look for, literally.
"""
import csv
import io
import json
import os
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest

import expected as E
from conftest import ROOT, account_dir, read_csv, read_json

RULES = ROOT / "packaging" / "hledger" / "monzohfs.rules"
CSV_FILES = ("transactions.csv", "pending.csv", "declined.csv")


# --------------------------------------------------------------------------- helpers

def assert_rows(got, want, what):
    """Equal row lists, with a message naming the first row and columns that differ."""
    if got == want:
        return
    assert got[:1] == want[:1], f"{what}: header is {got[:1]}, want {want[:1]}"
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            if len(g) != len(w):
                pytest.fail(f"{what}: row {i} has {len(g)} fields, want {len(w)}:\n{g}\n{w}")
            diff = {E.HEADER[k]: (g[k], w[k]) for k in range(len(w)) if g[k] != w[k]}
            pytest.fail(f"{what}: row {i} ({w[0]}) differs, (shown, expected): {diff}")
    pytest.fail(f"{what}: {len(got) - 1} rows, want {len(want) - 1}")


def shown(bank, mnt, name):
    """The awkward transaction `name` as the CSVs show it: (file name, {column: value}).
    It must be in exactly one of transactions.csv, pending.csv and declined.csv."""
    tx_id = bank.awkward[name]
    acc = bank.transaction(tx_id)["account_id"]
    hits = []
    for f in CSV_FILES:
        for r in read_csv(account_dir(mnt, acc) / f)[1:]:
            if r[0] == tx_id:
                hits.append((f, dict(zip(E.HEADER, r))))
    assert len(hits) == 1, f"{name} ({tx_id}) is shown {len(hits)} times: {hits}"
    return hits[0]


def settled_row(bank, mnt, name):
    f, row = shown(bank, mnt, name)
    assert f == "transactions.csv", f"{name} is in {f}, want transactions.csv"
    return row


def expected_row(bank, name, with_balance=True):
    tx = bank.transaction(bank.awkward[name])
    return dict(zip(E.HEADER, E.Expected(bank, tx["account_id"]).row(tx, with_balance)))


# --------------------------------------------------------------------------- JSON

def test_transactions_json_is_every_transaction_as_sent(bank, mounter):
    main = bank.main_account_id
    # A field no client knows yet, at the top level and inside metadata.
    odd = bank.add_transaction(main, created="2024-03-05T10:00:00.123Z", amount=-250,
                               x_future_field={"kind": "new", "values": [1, 2.5, None]},
                               metadata={"x_meta": "kept", "mcc": "5411"})
    mnt = mounter().path
    for acc in bank.accounts:
        acc = acc["id"]
        path = account_dir(mnt, acc) / "transactions.json"
        got = read_json(path)
        assert got == {"transactions": bank.transactions[acc]}, f"{acc}: transactions.json"
        # One transaction per line, oldest first, between the wrapper's lines.
        lines = path.read_bytes().decode("utf-8").split("\n")
        assert lines[0] == '{"transactions": [' and lines[-2:] == ["]}", ""], acc
        body = lines[1:-2]
        assert [json.loads(line.rstrip(",")) for line in body] == bank.transactions[acc]
        assert all(line.endswith(",") for line in body[:-1]) and not body[-1].endswith(",")

    txs = read_json(account_dir(mnt, main) / "transactions.json")["transactions"]
    by_id = {t["id"]: t for t in txs}
    # Pending and declined ones are there too, merchants as objects, unknown fields kept.
    assert by_id[bank.awkward["pending_1"]]["settled"] == ""
    assert by_id[bank.awkward["declined_pending"]]["decline_reason"] == "INSUFFICIENT_FUNDS"
    assert by_id[bank.awkward["declined_settled"]]["decline_reason"] == "INVALID_CVC"
    merchant = by_id[bank.awkward["merchant_comma"]]["merchant"]
    assert isinstance(merchant, dict) and merchant["name"] == "Smith, Jones & Sons"
    assert merchant["address"]["short_formatted"] == "Unit 4, Tannery Yard, York YO1 7HF"
    assert by_id[odd["id"]]["x_future_field"] == {"kind": "new", "values": [1, 2.5, None]}
    assert by_id[odd["id"]]["metadata"]["x_meta"] == "kept"
    created = [E.order_key(t) for t in txs]
    assert created == sorted(created), "transactions.json is not oldest first"


# --------------------------------------------------------------------------- whole CSVs

def test_csv_files_equal_the_expected_rows_for_every_account(bank, mnt):
    for acc in bank.accounts:
        acc = acc["id"]
        exp = E.Expected(bank, acc)
        d = account_dir(mnt, acc)
        assert_rows(read_csv(d / "transactions.csv"), exp.transactions_csv(),
                    f"{acc}/transactions.csv")
        assert_rows(read_csv(d / "pending.csv"), exp.pending_csv(), f"{acc}/pending.csv")
        assert_rows(read_csv(d / "declined.csv"), exp.declined_csv(), f"{acc}/declined.csv")
    main = E.Expected(bank, bank.main_account_id)
    assert main.settled() and main.pending() and main.declined(), \
        "the main account should have settled, pending and declined transactions"


def test_balance_counts_back_from_the_current_balance(bank, mnt):
    """The newest row's Balance is the balance the API gives; each older row's is the
    next one's less that row's amount (pending ones count, declined ones do not)."""
    acc = bank.main_account_id
    d = account_dir(mnt, acc)
    rows = read_csv(d / "transactions.csv")[1:] + read_csv(d / "pending.csv")[1:]
    rows.sort(key=lambda r: E.order_key(bank.transaction(r[0])))
    balance = bank.balances[acc]["balance"]
    assert rows[-1][18] == E.money(balance, "GBP")
    running = balance
    for r in reversed(rows):
        assert r[18] == E.money(running, "GBP"), r
        running -= bank.transaction(r[0])["amount"]
    assert all(r[18] == "" for r in read_csv(d / "declined.csv")[1:])


# --------------------------------------------------------------------------- awkward cases

def test_commas_and_quotes_in_names_addresses_and_descriptions(bank, mnt):
    row = settled_row(bank, mnt, "merchant_comma")
    assert row["Name"] == "Smith, Jones & Sons"
    assert row["Address"] == "Unit 4, Tannery Yard, York YO1 7HF"
    assert row["Description"].startswith("SMITH, JONES & SONS")
    assert row["Amount"] == "-23.49" and row["Money Out"] == "-23.49" and row["Money In"] == ""
    row = settled_row(bank, mnt, "address_commas")
    assert row["Address"] == "Unit 4, Tannery Yard, York YO1 7HF" and row["Amount"] == "-8.75"
    row = settled_row(bank, mnt, "merchant_quotes")
    assert row["Name"] == 'The "Famous" Chippy'
    assert row["Emoji"] == "🐟" and row["Category"] == "Eating out"
    raw = (account_dir(mnt, bank.main_account_id) / "transactions.csv").read_bytes()
    assert b',"The ""Famous"" Chippy",' in raw and b',"Smith, Jones & Sons",' in raw


def test_newlines_commas_and_quotes_in_notes(bank, mnt):
    row = settled_row(bank, mnt, "notes_newline")
    assert row["Notes and #tags"] == 'Line one, with a comma\nand "quoted" words on line two'
    assert row == expected_row(bank, "notes_newline")
    raw = (account_dir(mnt, bank.main_account_id) / "transactions.csv").read_bytes()
    assert b',"Line one, with a comma\nand ""quoted"" words on line two",' in raw


def test_tabs_and_backslashes_in_notes_are_kept(bank, mnt):
    row = settled_row(bank, mnt, "notes_tab_backslash")
    assert row["Notes and #tags"] == "tab\there and a back\\slash: C:\\receipts\\2025"


@pytest.mark.parametrize("name, want", [
    ("emoji", {"Name": "🍕 Slice Club", "Emoji": "🍕", "Notes and #tags": "Pizza night 🍕🎉 #treat",
               "Amount": "-18.50"}),
    ("non_ascii", {"Name": "Café Müller", "Emoji": "🥐", "Address": "3 Rue Étienne, London N1 9GU",
                   "Notes and #tags": "Croissant & café au lait — £4.20 über-good"}),
    ("pound_sign", {"Name": "£1 Wonders Ltd", "Notes and #tags": "£1 exactly", "Amount": "-1.00"}),
    ("counterparty_non_ascii", {"Name": "José Ñúñez", "Description": "Concert tickets £42",
                                "Type": "Faster payment", "Money In": "42.00"}),
])
def test_emoji_and_non_ascii_text(bank, mnt, name, want):
    row = settled_row(bank, mnt, name)
    assert {k: row[k] for k in want} == want
    assert row == expected_row(bank, name)


@pytest.mark.parametrize("name, amount, local, currency", [
    ("foreign_jpy", "-6.30", "-1200", "JPY"),
    ("foreign_kwd", "-3.17", "-1.234", "KWD"),
    ("foreign_eur", "-17.34", "-20.00", "EUR"),
    ("foreign_usd", "-9.45", "-12.00", "USD"),
])
def test_local_amounts_use_the_currency_exponent(bank, mnt, name, amount, local, currency):
    row = settled_row(bank, mnt, name)
    assert (row["Amount"], row["Currency"]) == (amount, "GBP")
    assert (row["Local amount"], row["Local currency"]) == (local, currency)
    assert row["Money Out"] == amount and row["Money In"] == ""
    assert row["Category"] == "Holidays" and row["Category split"] == ""


def test_zero_amount_leaves_money_out_and_in_empty(bank, mnt):
    f, row = shown(bank, mnt, "card_check_zero")
    assert f == "pending.csv"
    assert (row["Amount"], row["Local amount"]) == ("0.00", "0.00")
    assert (row["Money Out"], row["Money In"]) == ("", "")
    assert row["Notes and #tags"] == "Card check" and row["Balance"] != ""
    assert row == expected_row(bank, "card_check_zero")


def test_refund_is_money_in(bank, mnt):
    row = settled_row(bank, mnt, "refund")
    assert (row["Amount"], row["Money Out"], row["Money In"]) == ("29.99", "", "29.99")
    assert row["Type"] == "Card payment" and row["Name"] == "Tandem Outdoor"
    assert row["Notes and #tags"] == "Returned the tent"


@pytest.mark.parametrize("name, pot_role, amount", [
    ("pot_out_live", "holiday", "-50.00"),
    ("pot_in_live", "holiday", "25.00"),
    ("pot_out_deleted", "deleted_recent", "-120.00"),
    ("pot_in_deleted", "deleted_recent", "120.00"),
])
def test_pot_transfers_are_named_after_their_pot(bank, mnt, name, pot_role, amount):
    pot = bank.pot_roles[pot_role]
    assert pot["deleted"] == (pot_role == "deleted_recent")
    row = settled_row(bank, mnt, name)
    assert row["Type"] == "Pot transfer"
    assert row["Name"] == pot["name"]
    assert row["Description"] == pot["id"]
    assert row["Amount"] == amount
    money_out_in = (amount, "") if amount.startswith("-") else ("", amount)
    assert (row["Money Out"], row["Money In"]) == money_out_in
    assert row == expected_row(bank, name)


@pytest.mark.parametrize("name, amount", [("declined_pending", "-249.99"),
                                          ("declined_settled", "-10.99")])
def test_declined_only_in_declined_csv_without_balance(bank, mnt, name, amount):
    tx = bank.transaction(bank.awkward[name])
    assert bool(tx["settled"]) == (name == "declined_settled")
    f, row = shown(bank, mnt, name)
    assert f == "declined.csv"
    assert row["Amount"] == amount and row["Money Out"] == amount
    assert row["Balance"] == "" and row["Balance currency"] == "GBP"
    assert row == expected_row(bank, name, with_balance=False)


@pytest.mark.parametrize("name, type_word, want_name", [
    ("faster_payment_in", "Faster payment", "Acme Widgets Ltd"),
    ("faster_payment_out", "Faster payment", "Landlord Properties Ltd"),
    ("bacs_direct_debit", "Direct Debit", "Northgrid Energy"),
    ("bacs_credit", "Bacs", "CITY COUNCIL REFUND"),
    ("p2p_payment", "Monzo-to-Monzo", "Sam Patel"),
    ("p2p_tab", "Monzo-to-Monzo", "Kit Morgan"),
    ("counterparty_preferred_only", "Monzo-to-Monzo", "Kit 🐈"),
    ("atm", "Card payment", "Cash Machine"),
    ("attachment", "Card payment", "Post & Parcel"),
])
def test_type_words_and_names(bank, mnt, name, type_word, want_name):
    row = settled_row(bank, mnt, name)
    assert row["Type"] == type_word
    assert row["Name"] == want_name
    assert row["Receipt"] == ""
    assert row == expected_row(bank, name)


def test_other_schemes_are_shown_as_sent_and_named_by_description(bank, mnt):
    """Flex and prepaid transactions: no word for their scheme, and with no merchant or
    counterparty the Name falls back to the description."""
    seen = set()
    for role in ("flex", "prepaid"):
        acc = bank.account_ids[role]
        rows = read_csv(account_dir(mnt, acc) / "transactions.csv")[1:]
        assert len(rows) == len(E.Expected(bank, acc).settled()) > 0
        for r in rows:
            tx = bank.transaction(r[0])
            if tx["scheme"] in ("monzo_flex", "gps_mastercard"):
                assert r[3] == tx["scheme"], r
                seen.add(tx["scheme"])
            if not tx["merchant"] and not tx["counterparty"]:
                assert r[4] == tx["description"], r
                seen.add(r[4])
    assert {"monzo_flex", "gps_mastercard", "Flex purchase", "Top up"} <= seen


def test_faster_payment_amounts_and_notes(bank, mnt):
    row = settled_row(bank, mnt, "faster_payment_in")
    assert (row["Amount"], row["Money In"], row["Money Out"]) == ("1250.00", "1250.00", "")
    assert row["Category"] == "Income" and row["Notes and #tags"] == "ACME PAYROLL NOV"
    row = settled_row(bank, mnt, "faster_payment_out")
    assert (row["Amount"], row["Money Out"], row["Money In"]) == ("-650.00", "-650.00", "")
    assert row["Category"] == "Transfers" and row["Description"] == "Rent flat 4B"
    row = settled_row(bank, mnt, "bacs_direct_debit")
    assert row["Amount"] == "-56.32" and row["Category"] == "Bills" and row["Emoji"] == "💡"


def test_category_split(bank, mnt):
    row = settled_row(bank, mnt, "split")
    assert row["Category"] == "Eating out"
    assert row["Category split"] == "Eating out:-15.00,Shopping:-7.00"
    assert row["Amount"] == "-22.00"
    raw = (account_dir(mnt, bank.main_account_id) / "transactions.csv").read_bytes()
    assert b',"Eating out:-15.00,Shopping:-7.00",' in raw


@pytest.mark.parametrize("name, category", [
    ("custom_category", "Side hustle"),          # not an id: as sent
    ("custom_category_id", "Custom cat 7f3a9b"),  # a snake_case id: DESIGN's rule applies
])
def test_custom_categories(bank, mnt, name, category):
    row = settled_row(bank, mnt, name)
    assert row["Category"] == category
    assert row["Category split"] == ""


def test_same_created_instant_orders_by_id(bank, mnt):
    a, b = (bank.transaction(bank.awkward[n]) for n in ("same_created_1", "same_created_2"))
    assert a["created"] == b["created"]
    ids = [r[0] for r in read_csv(account_dir(mnt, bank.main_account_id) / "transactions.csv")]
    first, second = sorted([a["id"], b["id"]])
    assert ids.index(second) == ids.index(first) + 1


def test_pending_rows_only_in_pending_csv_with_balance(bank, mnt):
    for name in ("pending_1", "pending_2", "pending_3"):
        f, row = shown(bank, mnt, name)
        assert f == "pending.csv", name
        assert row["Balance"] != "" and row["Balance currency"] == "GBP"
        assert row == expected_row(bank, name)


# Around the month ends and the 2025 clock changes (BST from 2025-03-30 01:00Z to
# 2025-10-26 01:00Z): (London date, time, month file).
MONTH_EDGES = {
    "month_end_bst_2025_03_31": ("2025-03-31T23:30:00Z", "01/04/2025", "00:30:00", "2025-04"),
    "month_end_2025_04_30": ("2025-04-30T23:59:59.5Z", "01/05/2025", "00:59:59", "2025-05"),
    "clock_change_2025_10_26_bst": ("2025-10-26T00:30:00Z", "26/10/2025", "01:30:00", "2025-10"),
    "clock_change_2025_10_26_gmt": ("2025-10-26T01:30:00Z", "26/10/2025", "01:30:00", "2025-10"),
    "month_end_gmt_2025_10_31": ("2025-10-31T23:30:00Z", "31/10/2025", "23:30:00", "2025-10"),
}


@pytest.mark.parametrize("name", sorted(MONTH_EDGES))
def test_month_edges_use_london_time(bank, mnt, name):
    created, date, time, month = MONTH_EDGES[name]
    tx = bank.transaction(bank.awkward[name])
    assert tx["created"] == created, "the fake bank moved this case"
    assert E.date_time(created) == (date, time) and E.month(created) == month
    row = settled_row(bank, mnt, name)
    assert (row["Date"], row["Time"]) == (date, time)
    months = account_dir(mnt, tx["account_id"]) / "transactions"
    holding = [p.stem for p in sorted(months.glob("*.csv"))
               if any(r[0] == tx["id"] for r in read_csv(p)[1:])]
    assert holding == [month]
    in_json = [p.stem for p in sorted(months.glob("*.json"))
               if any(t["id"] == tx["id"] for t in read_json(p)["transactions"])]
    assert in_json == [month]


def test_clock_change_rows_keep_instant_order(bank, mnt):
    """Both show 01:30:00 on 26/10/2025; the BST one happened an hour earlier."""
    bst, gmt = (bank.awkward[n] for n in ("clock_change_2025_10_26_bst",
                                           "clock_change_2025_10_26_gmt"))
    rows = read_csv(account_dir(mnt, bank.main_account_id) / "transactions" / "2025-10.csv")
    ids = [r[0] for r in rows]
    assert ids.index(bst) < ids.index(gmt)


def test_dates_are_london_whatever_the_machine_time_zone(bank, env, mounter):
    env.vars["TZ"] = "Pacific/Auckland"
    mnt = mounter().path
    acc = bank.main_account_id
    exp = E.Expected(bank, acc)
    d = account_dir(mnt, acc)
    assert_rows(read_csv(d / "transactions.csv"), exp.transactions_csv(), "transactions.csv")
    assert sorted(p.stem for p in (d / "transactions").glob("*.csv")) == exp.months()


def test_tz_option_changes_dates_and_months(bank, mounter):
    zone = ZoneInfo("America/New_York")
    mnt = mounter("tz=America/New_York").path
    acc = bank.main_account_id
    exp = E.Expected(bank, acc, tz=zone)
    d = account_dir(mnt, acc)
    assert_rows(read_csv(d / "transactions.csv"), exp.transactions_csv(), "transactions.csv")
    assert sorted(p.stem for p in (d / "transactions").glob("*.csv")) == exp.months()
    # 2025-04-30T23:59:59.5Z is still April in New York.
    tx_id = bank.awkward["month_end_2025_04_30"]
    assert any(r[0] == tx_id for r in read_csv(d / "transactions" / "2025-04.csv"))
    row = next(r for r in read_csv(d / "transactions.csv") if r[0] == tx_id)
    assert (row[1], row[2]) == ("30/04/2025", "19:59:59")


# --------------------------------------------------------------------------- added cases

def test_rows_are_ordered_by_parsed_instant_then_id(bank, mounter):
    """Creation times that sort wrongly as text: fewer fraction digits, and an offset."""
    acc = bank.main_account_id
    for tx_id, created in [("tx_0000zzzzOrderA", "2024-02-10T12:00:00Z"),
                           ("tx_0000aaaaOrderB", "2024-02-10T12:00:00.5Z"),
                           ("tx_0000mmmmOrderC", "2024-02-10T12:00:00.25Z"),
                           ("tx_0000bbbbOrderD", "2024-02-10T13:00:00.1+01:00"),
                           ("tx_0000yyyyOrderE", "2024-02-10T12:00:00.250Z")]:
        bank.add_transaction(acc, id=tx_id, created=created)
    mnt = mounter().path
    want = ["tx_0000zzzzOrderA", "tx_0000bbbbOrderD", "tx_0000mmmmOrderC",
            "tx_0000yyyyOrderE", "tx_0000aaaaOrderB"]
    rows = read_csv(account_dir(mnt, acc) / "transactions.csv")
    got = [r for r in rows if r[0] in want]
    assert [r[0] for r in got] == want
    assert all((r[1], r[2]) == ("10/02/2024", "12:00:00") for r in got)
    assert_rows(rows, E.Expected(bank, acc).transactions_csv(), "transactions.csv")


def test_fractional_seconds_are_truncated_not_rounded(bank, mounter):
    acc = bank.main_account_id
    tx = bank.add_transaction(acc, created="2024-06-30T22:59:59.999999999Z", amount=-99)
    mnt = mounter().path
    d = account_dir(mnt, acc)
    row = next(r for r in read_csv(d / "transactions.csv") if r[0] == tx["id"])
    assert (row[1], row[2]) == ("30/06/2024", "23:59:59")
    assert any(r[0] == tx["id"] for r in read_csv(d / "transactions" / "2024-06.csv"))
    assert not any(r[0] == tx["id"] for r in read_csv(d / "transactions" / "2024-07.csv"))


def test_amounts_below_one_unit_keep_their_sign_and_places(bank, mounter):
    acc = bank.main_account_id
    out = bank.add_transaction(acc, created="2024-05-02T09:00:00Z", amount=-5,
                               local_amount=-5, local_currency="KWD")
    inn = bank.add_transaction(acc, created="2024-05-02T10:00:00Z", amount=7,
                               local_amount=-3, local_currency="JPY")
    mnt = mounter().path
    rows = {r[0]: dict(zip(E.HEADER, r))
            for r in read_csv(account_dir(mnt, acc) / "transactions.csv")[1:]}
    r = rows[out["id"]]
    assert (r["Amount"], r["Money Out"], r["Money In"], r["Local amount"]) == \
        ("-0.05", "-0.05", "", "-0.005")
    r = rows[inn["id"]]
    assert (r["Amount"], r["Money Out"], r["Money In"], r["Local amount"]) == \
        ("0.07", "", "0.07", "-3")


def test_a_month_with_no_settled_transaction_has_a_header_only_csv(bank, mounter):
    acc = bank.main_account_id
    declined = bank.add_transaction(acc, created="2022-07-15T10:00:00Z", amount=-4000,
                                    decline_reason="INSUFFICIENT_FUNDS")
    pending = bank.add_transaction(acc, created="2022-08-15T10:00:00Z", amount=-300,
                                   settled="")
    mnt = mounter().path
    months = account_dir(mnt, acc) / "transactions"
    for m, tx in (("2022-07", declined), ("2022-08", pending)):
        assert (months / f"{m}.csv").read_bytes() == E.rfc4180([E.HEADER])
        assert read_json(months / f"{m}.json") == {"transactions": [tx]}
    assert not (months / "2022-06.csv").exists()


# --------------------------------------------------------------------------- month files

def test_month_files_partition_the_full_files(bank, mnt):
    for acc in bank.accounts:
        acc = acc["id"]
        exp = E.Expected(bank, acc)
        d = account_dir(mnt, acc)
        months = exp.months()
        assert months, acc
        assert sorted(os.listdir(d / "transactions")) == \
            sorted([f"{m}.csv" for m in months] + [f"{m}.json" for m in months]), acc
        full = read_csv(d / "transactions.csv")
        rows, txs = [], []
        for m in months:
            part = read_csv(d / "transactions" / f"{m}.csv")
            assert part[0] == E.HEADER, f"{acc}/{m}.csv header"
            assert_rows(part, exp.month_csv(m), f"{acc}/transactions/{m}.csv")
            rows += part[1:]
            got = read_json(d / "transactions" / f"{m}.json")
            assert list(got) == ["transactions"]
            assert all(E.month(t["created"]) == m for t in got["transactions"]), f"{acc}/{m}.json"
            txs += got["transactions"]
        assert rows == full[1:], f"{acc}: the month CSVs do not add up to transactions.csv"
        assert txs == read_json(d / "transactions.json")["transactions"], \
            f"{acc}: the month JSON files do not add up to transactions.json"


# --------------------------------------------------------------------------- bytes

def test_bytes_are_utf8_lf_and_sizes_exact(bank, mnt):
    for acc in bank.accounts:
        acc = acc["id"]
        exp = E.Expected(bank, acc)
        d = account_dir(mnt, acc)
        files = [d / "transactions.json", *(d / f for f in CSV_FILES)]
        files += sorted((d / "transactions").iterdir())
        for path in files:
            size = os.stat(path).st_size
            data = path.read_bytes()
            assert size == len(data) == os.stat(path).st_size, path
            assert not data.startswith(b"\xef\xbb\xbf"), f"{path} starts with a BOM"
            text = data.decode("utf-8")  # strict: fails on invalid UTF-8
            assert text.endswith("\n"), path
            if path.suffix == ".json":
                assert "\r" not in text, path
                json.loads(text)
            else:
                # Exactly RFC 4180 with LF line ends: a field is quoted only when it
                # holds , " CR or LF.
                assert data == E.rfc4180(read_csv(path)), f"{path}: quoting or line ends"
        want = {"transactions.csv": exp.transactions_csv(), "pending.csv": exp.pending_csv(),
                "declined.csv": exp.declined_csv()}
        for f, rows in want.items():
            assert (d / f).read_bytes() == E.rfc4180(rows), f"{acc}/{f}"


# --------------------------------------------------------------------------- hledger

def hledger_or_skip():
    exe = shutil.which("hledger")
    if exe is None:
        pytest.skip("hledger is not installed (Debian package `hledger`): "
                    "cannot check the import of transactions.csv")
    return exe


def minor_units(text, currency):
    """An hledger amount like "-1234.56 GBP" or "0" -> integer minor units, exactly."""
    number, _, commodity = text.partition(" ")
    if number != "0":
        assert commodity == currency, text
    sign = -1 if number.startswith("-") else 1
    whole, _, frac = number.lstrip("-").partition(".")
    e = E.exponent(currency)
    assert len(frac) <= e, text
    return sign * (int(whole) * 10 ** e + int(frac.ljust(e, "0") or "0"))


def test_hledger_imports_transactions_csv(bank, mnt, tmp_path):
    exe = hledger_or_skip()
    run_env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
    for acc in bank.accounts:
        acc = acc["id"]
        exp = E.Expected(bank, acc)
        csv_path = account_dir(mnt, acc) / "transactions.csv"

        def hledger(*args, source=("-f", str(csv_path), "--rules-file", str(RULES)),
                    stdin=None, parse=True):
            p = subprocess.run([exe, *source, *args], input=stdin, env=run_env, cwd=tmp_path,
                               capture_output=True, text=True, timeout=120)
            assert p.returncode == 0, f"hledger {' '.join(args)} on {acc}:\n{p.stderr}"
            return list(csv.reader(io.StringIO(p.stdout, newline=""))) if parse else p.stdout

        # Every settled row once, with its id as the code and its amount exactly.
        reg = hledger("register", "^assets:monzo$", "-O", "csv")
        assert reg[0][:7] == ["txnidx", "date", "code", "description", "account", "amount",
                              "total"]
        got = [(r[2], r[1], minor_units(r[5], exp.currency)) for r in reg[1:]]
        want = [(t["id"], E.local_time(t["created"]).strftime("%Y-%m-%d"), t["amount"])
                for t in exp.settled()]
        assert got == want, f"{acc}: hledger's register differs from transactions.csv"

        # The account's total is the sum of the settled, non-declined amounts.
        bal = hledger("balance", "^assets:monzo$", "-N", "-E", "-O", "csv")
        assert bal[0] == ["account", "balance"] and len(bal) == 2, bal
        assert bal[1][0] == "assets:monzo"
        assert minor_units(bal[1][1], exp.currency) == exp.settled_total(), acc

        # The journal it makes reads back cleanly (a CSV column taken for a balance
        # assertion, or a comment that breaks the syntax, would fail here).
        journal = hledger("print", parse=False)
        hledger("check", source=("-f", "-"), stdin=journal, parse=False)
