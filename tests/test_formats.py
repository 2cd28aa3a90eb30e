"""The other formats of each account (DESIGN.md "Other formats"): transactions.ofx,
.qif, .journal, .beancount and .tsv, and the root transactions.tsv.

Each file is read back by the tool that imports it (ofxdump from libofx, hledger,
bean-check, awk) or, for QIF, parsed back here, and compared with what tests/expected.py
computes from the fake bank's ground truth: the same rows as transactions.csv (or, for
the TSV, every transaction), in the same order, with the same dates and exact amounts.

Debian packages: `ofx` (ofxdump), `hledger`, `beancount` (bean-check and its Python
module); awk is in every Debian system (mawk).
"""
import json
import os
import re
import shutil
import subprocess
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

import expected as E
from conftest import account_dir
from test_files import expected_links

FORMATS = ("transactions.ofx", "transactions.qif", "transactions.journal",
           "transactions.beancount", "transactions.tsv")

# The history before the window the API shows: the main account's balance is more than
# the sum of its settled transactions, a business account's less. The journal and the
# beancount file must then open with these amounts. The other accounts open at zero.
OPENING = {"retail": 12345, "business": -250000}

TOOL_ENV = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", TZ="UTC")


# --------------------------------------------------------------------------- helpers

@pytest.fixture
def fmnt(bank, mounter):
    """A mount where two accounts have history older than what the bank lists."""
    for role, delta in OPENING.items():
        acc = bank.account_ids[role]
        bank.set_balance(acc, balance=bank.balances[acc]["balance"] + delta)
    return mounter().path


def account_ids(bank):
    return [a["id"] for a in bank.accounts]


def tool_or_skip(name, package):
    exe = shutil.which(name)
    if exe is None:
        pytest.skip(f"{name} is not installed (Debian package `{package}`)")
    return exe


def run(args, **kw):
    return subprocess.run(args, env=TOOL_ENV, capture_output=True, text=True, timeout=120,
                          **kw)


def iso_date(tx, tz=E.LONDON):
    return E.local_time(tx["created"], tz).strftime("%Y-%m-%d")


def settled_balance(exp):
    """The balance less the pending (not declined) transactions."""
    return int(exp.balance) - sum(int(t["amount"]) for t in exp.pending())


def opening_balance(exp):
    return settled_balance(exp) - exp.settled_total()


def to_minor(text, currency):
    """A decimal text ("-13.75", "1250", "0.5") -> integer minor units, exactly."""
    d = Decimal(text) * (10 ** E.exponent(currency))
    assert d == d.to_integral_value(), f"{text} has more places than {currency} allows"
    return int(d)


def is_ascii(data):
    return all(b < 0x80 for b in data)


def ascii_words(text):
    """The words of text made of ASCII letters and digits only (a transliteration of the
    whole text must keep these)."""
    return [w for w in re.split(r"[^\w]+", text) if w and re.fullmatch(r"[A-Za-z0-9]+", w)]


def assert_ascii_form_of(got, original, what, cap=None):
    """got is an ASCII rendering of original: equal when original is ASCII (and fits
    cap), else non-empty ASCII keeping original's ASCII words (up to cap)."""
    assert got and is_ascii(got.encode()), f"{what}: {got!r} is empty or not ASCII"
    assert got == got.strip(), f"{what}: {got!r} has spaces at its ends (from {original!r})"
    if cap is not None:
        assert len(got) <= cap, f"{what}: {got!r} is longer than {cap} characters"
    if original.isascii() and (cap is None or len(original) <= cap):
        assert got == original, f"{what}: {got!r}, want {original!r}"
        return
    words = ascii_words(original)
    if cap is not None:  # only the words that fit before the cut must be kept
        words = [w for w in words if original.find(w) + len(w) <= cap - 3]
    missing = [w for w in words if w not in got]
    assert not missing, f"{what}: {got!r} lost {missing} of {original!r}"


def assert_stable(path):
    size = os.stat(path).st_size
    first = path.read_bytes()
    second = path.read_bytes()
    assert size == len(first), f"{path}: st_size {size}, read {len(first)} bytes"
    assert first == second, f"{path}: two reads gave different bytes"
    return first


# --------------------------------------------------------------------------- all files

def test_every_format_is_there_with_exact_size_and_stable_bytes(bank, fmnt):
    for acc in account_ids(bank):
        for f in FORMATS:
            path = account_dir(fmnt, acc) / f
            data = assert_stable(path)
            assert data, f"{path} is empty"
            assert data.endswith(b"\n"), f"{path} does not end in a newline"
            assert os.stat(path).st_mode & 0o777 == 0o444, path
    assert_stable(fmnt / "transactions.tsv")
    names = set(os.listdir(account_dir(fmnt, bank.main_account_id)))
    assert set(FORMATS) <= names, f"listing lacks {set(FORMATS) - names}"
    assert "transactions.tsv" in os.listdir(fmnt)


# --------------------------------------------------------------------------- OFX

OFX_HEADER = ["OFXHEADER:100", "DATA:OFXSGML", "VERSION:102", "SECURITY:NONE",
              "ENCODING:USASCII", "CHARSET:1252", "COMPRESSION:NONE", "OLDFILEUID:NONE",
              "NEWFILEUID:NONE"]
TRNTYPES = {"CREDIT", "DEBIT", "INT", "DIV", "FEE", "SRVCHG", "DEP", "ATM", "POS", "XFER",
            "CHECK", "PAYMENT", "CASH", "DIRECTDEP", "DIRECTDEBIT", "REPEATPMT", "OTHER"}


def ofx_rows(exp):
    return [t for t in exp.settled() if int(t["amount"]) != 0]


def ofxdump(path):
    """Runs ofxdump; returns its blocks as (callback name, {field: value}) in order."""
    exe = tool_or_skip("ofxdump", "ofx")
    p = run([exe, str(path)])
    assert p.returncode == 0, f"ofxdump {path} exited {p.returncode}:\n{p.stderr[-4000:]}"
    errors = [line for line in p.stderr.splitlines() if "ERROR" in line]
    assert not errors, f"ofxdump {path} reported errors:\n" + "\n".join(errors[:20])
    blocks = []
    for line in p.stdout.splitlines():
        if re.match(r"\w+\(\):$", line):
            blocks.append((line[:-3], {}))
        elif line.startswith("    ") and ":" in line and blocks:
            key, _, value = line.partition(":")
            blocks[-1][1][key.strip()] = value.strip()
    return blocks


def ofxdump_date(text):
    """"Sat Aug 10 12:00:00 2024 UTC" (ofxdump run with TZ=UTC) -> datetime."""
    text = re.sub(r"\s+", " ", text).strip()
    assert text.endswith(" UTC"), text
    return datetime.strptime(text[:-4], "%a %b %d %H:%M:%S %Y")


def sgml_value(block, tag):
    """The value of an SGML element in a block (up to the next tag or line end)."""
    m = re.search(rf"<{tag}>([^<\r\n]*)", block)
    return None if m is None else m.group(1)


def test_ofx_is_ascii_sgml_with_the_1_0_2_header(bank, fmnt):
    for acc in account_ids(bank):
        path = account_dir(fmnt, acc) / "transactions.ofx"
        data = path.read_bytes()
        bad = [i for i, b in enumerate(data) if b >= 0x80]
        assert not bad, f"{path} is not ASCII: {data[max(bad[0] - 40, 0):bad[0] + 40]!r}"
        lines = re.split(r"\r?\n", data.decode("ascii"))
        assert lines[:len(OFX_HEADER)] == OFX_HEADER, f"{path}: header {lines[:10]}"
        assert lines[len(OFX_HEADER)] == "", f"{path}: no blank line after the header"
        body = "\n".join(lines[len(OFX_HEADER) + 1:])
        assert body.lstrip().startswith("<OFX>") and body.rstrip().endswith("</OFX>"), path
        assert body.count("<STMTRS>") == 1, f"{path}: want one statement"


def test_ofxdump_lists_the_settled_nonzero_rows_of_every_account(bank, fmnt):
    for a in bank.accounts:
        acc = a["id"]
        exp = E.Expected(bank, acc)
        path = account_dir(fmnt, acc) / "transactions.ofx"
        blocks = ofxdump(path)
        want = ofx_rows(exp)

        accounts = [b for n, b in blocks if n == "ofx_proc_account"]
        assert len(accounts) == 1, f"{acc}: ofxdump saw {len(accounts)} accounts"
        info = accounts[0]
        assert info.get("Account type") == "CHECKING", (acc, info)
        assert info.get("Default Currency") == exp.currency, (acc, info)
        if a.get("sort_code") and a.get("account_number"):
            assert (info.get("Bank ID"), info.get("Account #")) == \
                (a["sort_code"], a["account_number"]), f"{acc}: {info}"
        else:
            # The account id; OFX caps ACCTID at 22 characters, so its first 22
            # characters are accepted too (still unique: 14 random characters remain).
            assert info.get("Account #") in (acc, acc[:22]), \
                f"{acc} has no account number: {info}"

        stmts = [b for n, b in blocks if n == "ofx_proc_statement"]
        assert len(stmts) == 1, f"{acc}: ofxdump saw {len(stmts)} statements"
        stmt = stmts[0]
        assert stmt.get("Default Currency") == exp.currency, (acc, stmt)
        assert "Ledger balance" in stmt, f"{acc}: no LEDGERBAL: {stmt}"
        assert to_minor(stmt["Ledger balance"], exp.currency) == int(exp.balance), \
            f"{acc}: LEDGERBAL {stmt['Ledger balance']}, want {E.money(exp.balance, exp.currency)}"
        assert "Start date of this statement" in stmt and "End date of this statement" in stmt, \
            f"{acc}: DTSTART/DTEND missing: {stmt}"

        txs = [b for n, b in blocks if n == "ofx_proc_transaction"]
        assert len(txs) == len(want), f"{acc}: ofxdump lists {len(txs)} transactions, want {len(want)}"
        got_ids = [b.get("Financial institution's ID for this transaction") for b in txs]
        assert got_ids == [t["id"] for t in want], f"{acc}: FITIDs differ from transactions.csv"
        for b, t in zip(txs, want):
            what = f"{acc}/transactions.ofx {t['id']}"
            assert Decimal(b["Total money amount"]) == Decimal(E.money(t["amount"], exp.currency)), \
                f"{what}: amount {b['Total money amount']}, want {E.money(t['amount'], exp.currency)}"
            posted = ofxdump_date(b["Date posted"])
            assert (posted.strftime("%Y-%m-%d"), posted.strftime("%H:%M:%S")) == \
                (iso_date(t), "12:00:00"), f"{what}: posted {posted}, want noon of {iso_date(t)}"
            assert_ascii_form_of(b.get("Name of payee or transaction description", ""),
                                 E.name(t, exp.pots), f"{what} NAME", cap=32)
            start = ofxdump_date(stmt["Start date of this statement"]).date()
            end = ofxdump_date(stmt["End date of this statement"]).date()
            assert start <= posted.date() <= end, f"{what}: {posted} outside {start}..{end}"


def test_ofx_elements_hold_the_exact_values(bank, fmnt):
    """The SGML itself: TRNAMT exactly the decimal, DTPOSTED noon of the London date,
    TRNTYPE a known type agreeing with the sign, NAME <= 32 and MEMO <= 255 characters."""
    for acc in account_ids(bank):
        exp = E.Expected(bank, acc)
        text = (account_dir(fmnt, acc) / "transactions.ofx").read_bytes().decode("ascii")
        blocks = re.findall(r"<STMTTRN>(.*?)</STMTTRN>", text, re.S)
        want = ofx_rows(exp)
        assert len(blocks) == len(want), f"{acc}: {len(blocks)} STMTTRN, want {len(want)}"
        for block, t in zip(blocks, want):
            what = f"{acc}/transactions.ofx {t['id']}"
            assert sgml_value(block, "FITID") == t["id"], what
            amount = E.money(t["amount"], exp.currency)
            assert sgml_value(block, "TRNAMT") == amount, \
                f"{what}: TRNAMT {sgml_value(block, 'TRNAMT')!r}, want {amount!r}"
            posted = sgml_value(block, "DTPOSTED") or ""
            want_posted = iso_date(t).replace("-", "") + "120000"
            assert re.fullmatch(re.escape(want_posted) + r"(\.0+)?(\[[+-]?\d+(\.\d+)?(:\w+)?\])?",
                                posted), f"{what}: DTPOSTED {posted!r}, want {want_posted}"
            trntype = sgml_value(block, "TRNTYPE")
            assert trntype in TRNTYPES, f"{what}: TRNTYPE {trntype!r}"
            if int(t["amount"]) < 0:
                assert trntype not in ("CREDIT", "DEP", "DIRECTDEP", "INT", "DIV"), \
                    f"{what}: a debit of {amount} typed {trntype}"
            else:
                assert trntype not in ("DEBIT", "DIRECTDEBIT", "FEE", "SRVCHG", "ATM"), \
                    f"{what}: a credit of {amount} typed {trntype}"
            entity = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
            name = sgml_value(block, "NAME")
            assert name and name == name.strip(), \
                f"{what}: NAME {name!r} is empty or has spaces at its ends"
            for tag, cap in (("NAME", 32), ("MEMO", 255)):
                value = sgml_value(block, tag)
                if value is not None:
                    plain = re.sub(r"&(amp|lt|gt);", lambda m: entity[m.group(0)], value)
                    assert len(plain) <= cap, f"{what}: {tag} {plain!r} is over {cap} characters"
        m = re.search(r"<LEDGERBAL>\s*<BALAMT>([^<\s]+)", text)
        assert m and m.group(1) == E.money(exp.balance, exp.currency), \
            f"{acc}: LEDGERBAL {m and m.group(1)!r}, want {E.money(exp.balance, exp.currency)}"
        assert sgml_value(text, "CURDEF") == exp.currency, acc


# --------------------------------------------------------------------------- QIF

def parse_qif(text):
    """-> (type line, [ {code: value} ]) ; a record's codes must not repeat."""
    lines = [line.rstrip("\r") for line in text.split("\n")]
    assert lines[-1] == "", "the QIF does not end in a newline"
    lines = lines[:-1]
    records, current = [], {}
    for line in lines[1:]:
        if line == "^":
            records.append(current)
            current = {}
            continue
        assert line, "an empty line inside the QIF"
        code, value = line[0], line[1:]
        assert code not in current, f"{code} twice in one record: {current} then {line!r}"
        current[code] = value
    assert not current, f"the last record is not closed with ^: {current}"
    return lines[0], records


def test_qif_parses_back_to_the_settled_nonzero_rows(bank, fmnt):
    for acc in account_ids(bank):
        exp = E.Expected(bank, acc)
        path = account_dir(fmnt, acc) / "transactions.qif"
        data = path.read_bytes()
        assert is_ascii(data), f"{path} is not ASCII"
        first, records = parse_qif(data.decode("ascii"))
        assert first == "!Type:Bank", f"{path}: first line {first!r}"
        want = ofx_rows(exp)
        assert [r.get("N") for r in records] == [t["id"] for t in want], \
            f"{path}: the N ids differ from transactions.csv's settled, non-zero rows"
        for r, t in zip(records, want):
            what = f"{acc}/transactions.qif {t['id']}"
            assert r.get("D") == E.date_time(t["created"])[0], f"{what}: D {r.get('D')!r}"
            assert r.get("T") == E.money(t["amount"], exp.currency), f"{what}: T {r.get('T')!r}"
            assert r.get("C") == "*", f"{what}: C {r.get('C')!r}"
            assert_ascii_form_of(r.get("P", ""), E.name(t, exp.pots), f"{what} P")
            assert set(r) <= set("DTPMNCL"), f"{what}: unexpected codes {sorted(r)}"


# --------------------------------------------------------------------------- hledger

def hledger(*args):
    exe = tool_or_skip("hledger", "hledger")
    p = run([exe, *args])
    assert p.returncode == 0, f"hledger {' '.join(args)} exited {p.returncode}:\n{p.stderr}"
    return p.stdout


def json_minor(amounts, currency, what):
    """hledger JSON amounts of one commodity -> integer minor units, exactly."""
    assert len(amounts) == 1, f"{what}: {len(amounts)} amounts"
    a = amounts[0]
    assert a["acommodity"] == currency, f"{what}: commodity {a['acommodity']!r}, want {currency}"
    q = a["aquantity"]
    return to_minor(str(Decimal(q["decimalMantissa"]).scaleb(-q["decimalPlaces"])), currency)


def asset_account(bank, acc):
    links = {v: k for k, v in expected_links(bank.accounts).items()}
    return f"assets:monzo:{links.get(acc, acc)}"


def test_hledger_check_passes_for_every_journal(bank, fmnt):
    for acc in account_ids(bank):
        path = account_dir(fmnt, acc) / "transactions.journal"
        hledger("-f", str(path), "check")
        # rows oldest first: the dates never go back
        hledger("-f", str(path), "check", "ordereddates")


def test_journal_agrees_with_transactions_csv(bank, fmnt):
    for acc in account_ids(bank):
        exp = E.Expected(bank, acc)
        path = account_dir(fmnt, acc) / "transactions.journal"
        txns = json.loads(hledger("-f", str(path), "print", "-x", "-O", "json"))
        asset = asset_account(bank, acc)
        cur = exp.currency

        def ids_of(t):
            return [v for k, v in t["ttags"] if v.startswith("tx_")]

        # The opening balance first (it may be left out when it is zero).
        opening = opening_balance(exp)
        if txns and not ids_of(txns[0]):
            head = txns.pop(0)
            got = sum(json_minor(p["pamount"], cur, f"{acc} opening")
                      for p in head["tpostings"] if p["paccount"] == asset)
            assert got == opening, f"{acc}: opening balance {got}, want {opening}"
        else:
            assert opening == 0, f"{acc}: no opening-balance transaction first (want {opening})"
        for t in txns:
            assert len(ids_of(t)) == 1, f"{acc}: a transaction without one id tag: {t['tdescription']!r} {t['ttags']}"

        want = exp.settled()
        assert [ids_of(t)[0] for t in txns] == [t["id"] for t in want], \
            f"{acc}: the journal's ids differ from transactions.csv's"
        running = opening
        for i, (j, t) in enumerate(zip(txns, want)):
            what = f"{acc}/transactions.journal {t['id']}"
            assert j["tdate"] == iso_date(t), f"{what}: date {j['tdate']}, want {iso_date(t)}"
            assert j["tstatus"] == "Cleared", f"{what}: status {j['tstatus']}"
            # The name and type as sent: the CSVs' spreadsheet guard is theirs alone.
            assert j["tdescription"] == f"{E.name(t, exp.pots)} | {E.type_word(t)}", \
                f"{what}: description {j['tdescription']!r}"
            ours = [p for p in j["tpostings"] if p["paccount"] == asset]
            assert len(ours) == 1, f"{what}: {len(ours)} postings to {asset}: " \
                f"{[p['paccount'] for p in j['tpostings']]}"
            assert json_minor(ours[0]["pamount"], cur, what) == int(t["amount"]), what
            others = [p["paccount"] for p in j["tpostings"] if p["paccount"] != asset]
            assert others and all(a.split(":")[0] in ("expenses", "income") or
                                  (t.get("scheme") == "uk_retail_pot" and
                                   a.startswith("assets:monzo:pots:")) for a in others), \
                f"{what}: other postings {others}"
            running += int(t["amount"])
            last_of_day = i + 1 == len(want) or iso_date(want[i + 1]) != iso_date(t)
            if last_of_day:
                ba = ours[0]["pbalanceassertion"]
                assert ba is not None, f"{what}: no balance assertion on the day's last posting"
                assert json_minor([ba["baamount"]], cur, what) == running, \
                    f"{what}: asserts {ba['baamount']['aquantity']}, want {E.money(running, cur)}"
        assert running == settled_balance(exp), acc

        # hledger's own total of the asset account is the settled balance.
        out = hledger("-f", str(path), "balance", f"^{asset}$", "-N", "-E", "-O", "csv")
        rows = [r.split(",") for r in out.strip().splitlines()]
        total = rows[1][1].strip('"')
        got = 0 if total == "0" else to_minor(total.replace(cur, "").strip(), cur)
        assert got == settled_balance(exp), \
            f"{acc}: hledger balance {total}, want {E.money(settled_balance(exp), cur)}"


# --------------------------------------------------------------------------- beancount

def load_beancount(path):
    try:
        from beancount import loader
    except ImportError:
        pytest.skip("the beancount Python module is not installed (Debian package `beancount`)")
    entries, errors, _ = loader.load_file(str(path))
    assert not errors, f"{path}: {errors[:5]}"
    return entries


def test_bean_check_passes_for_every_account(bank, fmnt):
    exe = tool_or_skip("bean-check", "beancount")
    for acc in account_ids(bank):
        path = account_dir(fmnt, acc) / "transactions.beancount"
        p = run([exe, str(path)])
        assert p.returncode == 0 and p.stderr == "", \
            f"bean-check {acc}/transactions.beancount exited {p.returncode}:\n{p.stderr[:4000]}"


def test_beancount_ids_dates_amounts_and_balances(bank, fmnt):
    tool_or_skip("bean-check", "beancount")
    for acc in account_ids(bank):
        exp = E.Expected(bank, acc)
        path = account_dir(fmnt, acc) / "transactions.beancount"
        text = path.read_bytes().decode("utf-8")
        want = exp.settled()
        ids = re.findall(r'^[ \t]+id:[ \t]*"([^"]*)"', text, re.M)
        assert ids == [t["id"] for t in want], \
            f"{acc}: the ids in transactions.beancount differ from transactions.csv's"

        entries = load_beancount(path)
        kinds = {type(e).__name__ for e in entries}
        txns = [e for e in entries if type(e).__name__ == "Transaction"]
        rows = [e for e in txns if "id" in e.meta]
        # The account's own asset account is the one every row posts to (pot
        # transfers post to a pot's asset account too).
        common = set.intersection(*({p.account for p in e.postings} for e in rows))
        common = sorted(a for a in common if a.startswith("Assets:"))
        assert len(common) == 1, f"{acc}: the rows share the Assets accounts {common}"
        asset = common[0]
        opens = [e for e in entries if type(e).__name__ == "Open" and e.account == asset]
        assert len(opens) == 1, f"{acc}: {asset} opened {len(opens)} times"
        by_id = {e.meta["id"]: e for e in rows}
        cur = exp.currency
        for t in want:
            e = by_id[t["id"]]
            what = f"{acc}/transactions.beancount {t['id']}"
            assert e.date.isoformat() == iso_date(t), f"{what}: date {e.date}"
            assert e.flag == "*", f"{what}: flag {e.flag!r}"
            assert e.payee == E.name(t, exp.pots), f"{what}: payee {e.payee!r}"
            assert e.narration is not None, what
            ours = [p for p in e.postings if p.account == asset]
            assert len(ours) == 1, f"{what}: {len(ours)} postings to {asset}"
            assert ours[0].units.currency == cur and \
                ours[0].units.number == Decimal(E.money(t["amount"], cur)), \
                f"{what}: {ours[0].units}, want {E.money(t['amount'], cur)} {cur}"
        assert opens[0].date.isoformat() <= iso_date(want[0]), f"{acc}: opened too late"

        # The opening balance: a transaction without an id, before the first row.
        others = [e for e in txns if "id" not in e.meta]
        opening = opening_balance(exp)
        got = sum((p.units.number for e in others for p in e.postings if p.account == asset),
                  Decimal(0))
        assert got == Decimal(E.money(opening, cur)), \
            f"{acc}: opening balance {got}, want {E.money(opening, cur)}"
        assert all(e.date.isoformat() <= iso_date(want[0]) for e in others), acc

        # The closing balance: the settled balance, the day after the last row.
        assert "Balance" in kinds, f"{acc}: no balance directive"
        balances = [e for e in entries if type(e).__name__ == "Balance" and e.account == asset]
        last = max(balances, key=lambda e: e.date)
        day_after = date.fromisoformat(iso_date(want[-1])) + timedelta(days=1)
        assert last.date == day_after, f"{acc}: closing balance dated {last.date}, want {day_after}"
        assert last.amount.currency == cur and \
            last.amount.number == Decimal(E.money(settled_balance(exp), cur)), \
            f"{acc}: closing balance {last.amount}, want {E.money(settled_balance(exp), cur)}"


# --------------------------------------------------------------------------- TSV

TSV_HEADER = ["account", "id", "status", "date", "time", "amount_minor", "amount", "currency",
              "local_amount_minor", "local_currency", "category", "name", "description",
              "notes"]
_ESC = {"\\": "\\\\", "\t": "\\t", "\r": "\\r", "\n": "\\n"}
_UNESC = {"\\": "\\", "t": "\t", "r": "\r", "n": "\n"}


def tsv_escape(text):
    return "".join(_ESC.get(c, c) for c in text)


def tsv_unescape(field):
    out, i = [], 0
    while i < len(field):
        c = field[i]
        if c == "\\":
            nxt = field[i + 1:i + 2]
            assert nxt in _UNESC, f"a lone backslash in {field!r}"
            out.append(_UNESC[nxt])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def status(tx):
    return "declined" if E.is_declined(tx) else "settled" if E.is_settled(tx) else "pending"


def tsv_row(exp, tx):
    d = E.local_time(tx["created"], exp.tz)
    fields = [exp.acc, tx["id"], status(tx), d.strftime("%Y-%m-%d"), d.strftime("%H:%M:%S"),
              str(int(tx["amount"])), E.money(tx["amount"], tx["currency"]), tx["currency"],
              str(int(tx["local_amount"])), tx["local_currency"], tx.get("category") or "",
              E.name(tx, exp.pots), tx.get("description") or "", tx.get("notes") or ""]
    return [tsv_escape(f) for f in fields]


def read_tsv(path):
    data = assert_stable(path)
    text = data.decode("utf-8")
    assert not text.startswith("\ufeff"), f"{path} starts with a BOM"
    assert text.endswith("\n"), f"{path} does not end in a newline"
    assert "\r" not in text, f"{path} holds a raw CR"
    return [line.split("\t") for line in text[:-1].split("\n")]


def assert_tsv_rows(got, want, what):
    assert got[0] == TSV_HEADER, f"{what}: header {got[0]}"
    for i, g in enumerate(got[1:], 1):
        assert len(g) == 14, f"{what}: line {i + 1} has {len(g)} fields: {g}"
    got_ids = [g[1] for g in got[1:]]
    want_ids = [w[1] for w in want]
    assert got_ids == want_ids, f"{what}: ids/order differ ({len(got_ids)} rows, want {len(want_ids)})"
    for g, w in zip(got[1:], want):
        if g != w:
            diff = {TSV_HEADER[k]: (g[k], w[k]) for k in range(14) if g[k] != w[k]}
            pytest.fail(f"{what}: row {w[1]} differs, (shown, expected): {diff}")


def test_tsv_holds_every_transaction_of_every_account(bank, fmnt):
    for acc in account_ids(bank):
        exp = E.Expected(bank, acc)
        got = read_tsv(account_dir(fmnt, acc) / "transactions.tsv")
        assert_tsv_rows(got, [tsv_row(exp, t) for t in exp.txs], f"{acc}/transactions.tsv")
    main = E.Expected(bank, bank.main_account_id)
    assert main.pending() and main.declined(), "the main account should have all three kinds"


def test_root_tsv_is_every_account_in_accounts_json_order(bank, fmnt):
    order = [a["id"] for a in json.loads((fmnt / "accounts.json").read_bytes())["accounts"]]
    assert sorted(order) == sorted(account_ids(bank))
    root = assert_stable(fmnt / "transactions.tsv")
    header = ("\t".join(TSV_HEADER) + "\n").encode()
    bodies, want = [], []
    for acc in order:
        # The account's rows, then those of each of its pots' own accounts (by pot id).
        pots = sorted(p for p in bank.pot_accounts if bank.pot(p)["current_account_id"] == acc)
        dirs = [account_dir(fmnt, acc)] + [account_dir(fmnt, acc) / "pots" / p for p in pots]
        for d in dirs:
            data = (d / "transactions.tsv").read_bytes()
            assert data.startswith(header), d
            bodies.append(data[len(header):])
        want += [tsv_row(E.Expected(bank, acc), t) for t in E.Expected(bank, acc).txs]
        for p in pots:
            x = E.Expected(bank, bank.pot_accounts[p], pot=bank.pot(p))
            want += [tsv_row(x, t) for t in x.txs]
    assert root == header + b"".join(bodies), \
        "MOUNT/transactions.tsv is not the header plus each account's rows (then its pots') in accounts.json order"
    assert_tsv_rows(read_tsv(fmnt / "transactions.tsv"), want, "transactions.tsv")


AWK_SETTLED = 'NR > 1 && $3 == "settled" { s += $6 } END { printf "%.0f\\n", s }'
AWK_FIELDS = '{ print NF }'


def awk(program, path):
    exe = tool_or_skip("awk", "mawk")
    p = run([exe, "-F", "\t", program, str(path)])
    assert p.returncode == 0, f"awk on {path}: {p.stderr}"
    return p.stdout


def test_awk_sums_the_settled_amounts(bank, fmnt):
    total = 0
    for acc in account_ids(bank):
        exp = E.Expected(bank, acc)
        path = account_dir(fmnt, acc) / "transactions.tsv"
        assert int(awk(AWK_SETTLED, path)) == exp.settled_total(), acc
        fields = awk(AWK_FIELDS, path).split()
        assert fields and set(fields) == {"14"}, f"{acc}: awk sees NF {sorted(set(fields))}"
        assert len(fields) == len(exp.txs) + 1, f"{acc}: awk sees {len(fields)} lines"
        total += exp.settled_total()
    for pot_id, pot_acc in bank.pot_accounts.items():  # the pots' own accounts are in it too
        total += E.Expected(bank, pot_acc, pot=bank.pot(pot_id)).settled_total()
    root = fmnt / "transactions.tsv"
    assert int(awk(AWK_SETTLED, root)) == total
    fields = awk(AWK_FIELDS, root).split()
    assert set(fields) == {"14"}, f"MOUNT/transactions.tsv: awk sees NF {sorted(set(fields))}"


AWKWARD_TEXT = ["notes_newline", "notes_tab_backslash", "emoji", "non_ascii", "pound_sign",
                "merchant_quotes", "merchant_comma", "counterparty_non_ascii",
                "counterparty_preferred_only", "p2p_payment"]


@pytest.mark.parametrize("name", AWKWARD_TEXT)
def test_tsv_text_round_trips(bank, fmnt, name):
    tx = bank.transaction(bank.awkward[name])
    exp = E.Expected(bank, tx["account_id"])
    for path in (account_dir(fmnt, tx["account_id"]) / "transactions.tsv",
                 fmnt / "transactions.tsv"):
        lines = [r for r in read_tsv(path)[1:] if r[1] == tx["id"]]
        assert len(lines) == 1, f"{name} is on {len(lines)} lines of {path}"
        r = dict(zip(TSV_HEADER, lines[0]))
        assert len(lines[0]) == 14
        assert tsv_unescape(r["notes"]) == (tx.get("notes") or ""), path
        assert tsv_unescape(r["description"]) == (tx.get("description") or ""), path
        assert tsv_unescape(r["name"]) == E.name(tx, exp.pots), path
        assert r["status"] == "settled" and r["category"] == (tx.get("category") or "")


def test_tsv_escapes_literally(bank, fmnt):
    tx = bank.transaction(bank.awkward["notes_tab_backslash"])
    raw = (account_dir(fmnt, tx["account_id"]) / "transactions.tsv").read_bytes()
    assert b"\ttab\\there and a back\\\\slash: C:\\\\receipts\\\\2025\n" in raw
    tx = bank.transaction(bank.awkward["notes_newline"])
    assert b'\tLine one, with a comma\\nand "quoted" words on line two\n' in raw


def test_tsv_status_and_amount_columns(bank, fmnt):
    """The pending, declined and foreign-currency cases, literally."""
    acc = bank.main_account_id
    rows = {r[1]: dict(zip(TSV_HEADER, r))
            for r in read_tsv(account_dir(fmnt, acc) / "transactions.tsv")[1:]}
    r = rows[bank.awkward["pending_1"]]
    assert (r["status"], r["amount_minor"], r["amount"]) == ("pending", "-2875", "-28.75")
    r = rows[bank.awkward["declined_settled"]]
    assert (r["status"], r["amount_minor"], r["amount"]) == ("declined", "-1099", "-10.99")
    r = rows[bank.awkward["foreign_kwd"]]
    assert (r["amount_minor"], r["amount"], r["currency"], r["local_amount_minor"],
            r["local_currency"], r["category"]) == ("-317", "-3.17", "GBP", "-1234", "KWD",
                                                     "holidays")
    r = rows[bank.awkward["month_end_2025_04_30"]]
    assert (r["date"], r["time"]) == ("2025-05-01", "00:59:59")
    r = rows[bank.awkward["custom_category_id"]]
    assert r["category"] == "custom_cat_7f3a9b"


# --------------------------------------------------------------------------- hard text

def test_long_names_and_markup_characters(bank, mounter):
    """A name over 32 characters with & < > " in it: OFX escapes and truncates it, the
    other formats still read back."""
    acc = bank.main_account_id
    long_name = 'Fish & Chips <Harbour> "Best" Emporium of Whitby Ltd'
    tx = bank.add_transaction(acc, created="2024-04-03T11:00:00Z", amount=-1234,
                              merchant=long_name, notes="a <b> & c > d")
    mnt = mounter().path
    d = account_dir(mnt, acc)
    exp = E.Expected(bank, acc)
    assert E.name(tx, exp.pots) == long_name

    _, records = parse_qif((d / "transactions.qif").read_bytes().decode("ascii"))
    r = next(r for r in records if r.get("N") == tx["id"])
    assert (r["D"], r["T"], r["P"]) == ("03/04/2024", "-12.34", long_name)

    hledger("-f", str(d / "transactions.journal"), "check")
    j = json.loads(hledger("-f", str(d / "transactions.journal"), "print", "-x", "-O", "json"))
    t = next(t for t in j if any(v == tx["id"] for _, v in t["ttags"]))
    assert t["tdescription"] == f"{long_name} | Card payment"

    exe = tool_or_skip("bean-check", "beancount")
    p = run([exe, str(d / "transactions.beancount")])
    assert p.returncode == 0 and p.stderr == "", p.stderr[:4000]
    e = next(e for e in load_beancount(d / "transactions.beancount") if e.meta.get("id") == tx["id"])
    assert e.payee == long_name

    # Last: without ofxdump the test stops here (skipped), having checked the rest.
    blocks = [b for n, b in ofxdump(d / "transactions.ofx") if n == "ofx_proc_transaction"]
    ours = [b for b in blocks if b.get("Financial institution's ID for this transaction") == tx["id"]]
    assert len(ours) == 1
    shown = ours[0].get("Name of payee or transaction description", "")
    assert 0 < len(shown) <= 32 and long_name.startswith(shown.rstrip(". ")[:25]), shown


def test_a_note_that_looks_like_a_tag_stays_text_in_the_journal(bank, mounter):
    """hledger reads "word:" in a comment as a tag (and date: as a date); a note is
    the user's text, so it must come through as text and make no tags."""
    acc = bank.main_account_id
    tx = bank.add_transaction(acc, created="2024-04-03T11:00:00Z", amount=-1234,
                              notes="date:2024-99-99 Dinner: with Sam, back\\slash:x")
    d = account_dir(mounter().path, acc)
    journal = str(d / "transactions.journal")
    hledger("-f", journal, "check")
    assert hledger("-f", journal, "tags").split() == ["id"]
    t = next(t for t in json.loads(hledger("-f", journal, "print", "-O", "json"))
             if any(v == tx["id"] for _, v in t["ttags"]))
    assert "Dinner : with Sam" in t["tcomment"] and "2024-99-99" in t["tcomment"]


# --------------------------------------------------------------------------- time zones

def dates_shown(d):
    """{tx id: date} as the QIF, the journal and the beancount file show them (ISO)."""
    _, records = parse_qif((d / "transactions.qif").read_bytes().decode("ascii"))
    qif = {r["N"]: datetime.strptime(r["D"], "%d/%m/%Y").strftime("%Y-%m-%d") for r in records}
    journal = {v: t["tdate"] for t in json.loads(hledger("-f", str(d / "transactions.journal"),
                                                         "print", "-O", "json"))
               for _, v in t["ttags"] if v.startswith("tx_")}
    text = (d / "transactions.beancount").read_bytes().decode("utf-8")
    bean = dict((i, day) for day, i in re.findall(
        r'^(\d{4}-\d{2}-\d{2}) \*.*\n[ \t]+id:[ \t]*"([^"]*)"', text, re.M))
    return qif, journal, bean


@pytest.mark.parametrize("machine_tz, option, zone", [
    ("Pacific/Auckland", None, "Europe/London"),
    ("UTC", "tz=America/New_York", "America/New_York"),
])
def test_dates_follow_the_mount_time_zone(bank, env, mounter, machine_tz, option, zone):
    env.vars["TZ"] = machine_tz
    mnt = mounter(*([option] if option else [])).path
    acc = bank.main_account_id
    exp = E.Expected(bank, acc, tz=ZoneInfo(zone))
    d = account_dir(mnt, acc)
    assert_tsv_rows(read_tsv(d / "transactions.tsv"), [tsv_row(exp, t) for t in exp.txs],
                    f"transactions.tsv in {zone}")
    want = {t["id"]: iso_date(t, exp.tz) for t in exp.settled()}
    qif, journal, bean = dates_shown(d)
    assert qif == {k: v for k, v in want.items() if int(bank.transaction(k)["amount"]) != 0}
    assert journal == want and bean == want
    text = (d / "transactions.ofx").read_bytes().decode("ascii")
    posted = dict((i, day) for day, i in re.findall(
        r"<DTPOSTED>(\d{8})120000.*?<FITID>([^<\s]+)", text, re.S))
    assert posted == {k: v.replace("-", "") for k, v in want.items()
                      if int(bank.transaction(k)["amount"]) != 0}
    # 2025-04-30T23:59:59.5Z: 1 May in London, 30 April in New York.
    tx_id = bank.awkward["month_end_2025_04_30"]
    assert journal[tx_id] == ("2025-05-01" if zone == "Europe/London" else "2025-04-30")
