"""The CSV rules of DESIGN.md ("CSV layout"), and the reports' rules (src/render/summary.h),
implemented again in plain Python, so the tests can compute what the mount must show
from the fake bank's ground truth.

Independent of the daemon on purpose: timestamps are parsed here to integer
nanoseconds, dates go through zoneinfo, money is integer minor units formatted with the
currency's ISO 4217 exponent (no float anywhere), and the balance is counted back from
the account's current balance.
"""
import calendar
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

HEADER = ["Transaction ID", "Date", "Time", "Type", "Name", "Emoji", "Category", "Amount",
          "Currency", "Local amount", "Local currency", "Notes and #tags", "Address",
          "Receipt", "Description", "Category split", "Money Out", "Money In", "Balance",
          "Balance currency"]

# ISO 4217 minor-unit exponents that are not 2 (the rest of the active codes use 2).
_EXPONENTS = {
    **{c: 0 for c in ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                      "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF")},
    **{c: 3 for c in ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")},
    **{c: 4 for c in ("CLF", "UYW")},
}

TYPES = {
    "mastercard": "Card payment",
    "payport_faster_payments": "Faster payment",
    "uk_retail_pot": "Pot transfer",
    "p2p_payment": "Monzo-to-Monzo",
}

_TS = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
                 r"([Zz]|[+-]\d{2}:\d{2})\Z")
_SNAKE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*\Z")


def exponent(currency):
    return _EXPONENTS.get(currency, 2)


def money(minor, currency):
    """Integer minor units -> signed decimal in major units (-1234 JPY -> "-1234",
    -1234 KWD -> "-1.234", -5 GBP -> "-0.05")."""
    minor = int(minor)
    e = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10 ** e)
    return f"{sign}{whole}.{frac:0{e}d}" if e else f"{sign}{whole}"


def instant_ns(ts):
    """RFC 3339 text -> integer nanoseconds since the epoch (the instant, not the text)."""
    m = _TS.match(ts)
    if not m:
        raise ValueError(f"not an RFC 3339 timestamp: {ts!r}")
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    datetime(y, mo, d)  # validates the day of the month
    secs = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    ns = secs * 10 ** 9 + int((m.group(7) or "0").ljust(9, "0"))
    off = m.group(8)
    if off not in ("Z", "z"):
        sign = 1 if off[0] == "+" else -1
        ns -= sign * (int(off[1:3]) * 3600 + int(off[4:6]) * 60) * 10 ** 9
    return ns


def local_time(ts, tz=LONDON):
    """created -> aware datetime in tz, fractional seconds truncated (floor)."""
    secs = instant_ns(ts) // 10 ** 9
    return datetime.fromtimestamp(secs, tz)


def date_time(ts, tz=LONDON):
    t = local_time(ts, tz)
    return t.strftime("%d/%m/%Y"), t.strftime("%H:%M:%S")


def month(ts, tz=LONDON):
    return local_time(ts, tz).strftime("%Y-%m")


def order_key(tx):
    return (instant_ns(tx["created"]), tx["id"])


def is_declined(tx):
    return bool(tx.get("decline_reason"))


def is_settled(tx):
    return bool(tx.get("settled"))


def category_name(category):
    if category and _SNAKE.match(category):
        text = category.replace("_", " ")
        return text[0].upper() + text[1:]
    return category or ""


def type_word(tx):
    scheme = tx.get("scheme") or ""
    if scheme == "bacs":
        meta = tx.get("metadata") or {}
        return "Direct Debit" if "bacs_direct_debit_instruction_id" in meta else "Bacs"
    return TYPES.get(scheme, scheme)


def _merchant(tx):
    m = tx.get("merchant")
    return m if isinstance(m, dict) else {}


def name(tx, pots):
    """pots: the account's pots as the API lists them, deleted ones included."""
    cp = tx.get("counterparty") or {}
    candidates = [_merchant(tx).get("name"), cp.get("name"), cp.get("preferred_name")]
    if tx.get("scheme") == "uk_retail_pot":
        pot_id = (tx.get("metadata") or {}).get("pot_id")
        candidates += [p.get("name") for p in pots if p.get("id") == pot_id]
    candidates.append(tx.get("description"))
    return next((c for c in candidates if c), "")


def address(tx):
    addr = _merchant(tx).get("address")
    return (addr or {}).get("short_formatted") or ""


def category_split(tx):
    cats = tx.get("categories") or {}
    if len(cats) < 2:
        return ""
    return ",".join(f"{category_name(k)}:{money(v, tx['currency'])}" for k, v in cats.items())


def running_balances(txs, balance):
    """{tx id: balance after it}: balance minus every non-declined transaction after it
    in (created instant, id) order."""
    out = {}
    running = int(balance)
    for tx in sorted(txs, key=order_key, reverse=True):
        out[tx["id"]] = running
        if not is_declined(tx):
            running -= int(tx["amount"])
    return out


# The spreadsheet guard of the CSV text cells (README.md, "What the mount holds"): past
# its leading spaces and ASCII control characters, a cell that begins with = + - @ or
# a fullwidth form of them, and is not a lone + or -, is shown with a ' in front.
_BLANKS = "".join(chr(c) for c in range(1, 0x21))
_FORMULA_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def text_cell(text):
    """A text cell as the CSVs show it."""
    rest = text.lstrip(_BLANKS)
    if rest.startswith(_FORMULA_START) and rest not in ("+", "-"):
        return "'" + text
    return text


def row(tx, pots, balance_after, account_currency, tz=LONDON):
    """The 20 CSV fields of one transaction; balance_after None leaves Balance empty."""
    d, t = date_time(tx["created"], tz)
    cur = tx["currency"]
    amount = int(tx["amount"])
    g = text_cell
    return [
        tx["id"], d, t, g(type_word(tx)), g(name(tx, pots)), g(_merchant(tx).get("emoji") or ""),
        g(category_name(tx.get("category"))), money(amount, cur), cur,
        money(tx["local_amount"], tx["local_currency"]), tx["local_currency"],
        g(tx.get("notes") or ""), g(address(tx)), "", g(tx.get("description") or ""),
        g(category_split(tx)),
        money(amount, cur) if amount < 0 else "",
        money(amount, cur) if amount > 0 else "",
        "" if balance_after is None else money(balance_after, account_currency),
        account_currency,
    ]


class Expected:
    """What one account's CSV files must hold, from the bank's ground truth."""

    def __init__(self, bank, acc, tz=LONDON, pot=None):
        """pot: for a pot's own account acc, the pot (its balance counts back the rows,
        its account's pots name them)."""
        self.acc = acc
        self.tz = tz
        self.txs = sorted(bank.transactions[acc], key=order_key)
        if pot is None:
            self.pots = bank.pots.get(acc, [])
            self.currency = bank.account(acc)["currency"]
            self.balance = bank.balances[acc]["balance"]
        else:
            self.pots = bank.pots.get(pot["current_account_id"], [])
            self.currency = pot["currency"]
            self.balance = pot["balance"]
        self.balances = running_balances(self.txs, self.balance)

    def row(self, tx, with_balance=True):
        bal = self.balances[tx["id"]] if with_balance else None
        return row(tx, self.pots, bal, self.currency, self.tz)

    def settled(self):
        return [t for t in self.txs if is_settled(t) and not is_declined(t)]

    def pending(self):
        return [t for t in self.txs if not is_settled(t) and not is_declined(t)]

    def declined(self):
        return [t for t in self.txs if is_declined(t)]

    def transactions_csv(self):
        return [HEADER] + [self.row(t) for t in self.settled()]

    def pending_csv(self):
        return [HEADER] + [self.row(t) for t in self.pending()]

    def declined_csv(self):
        return [HEADER] + [self.row(t, with_balance=False) for t in self.declined()]

    def months(self):
        return sorted({month(t["created"], self.tz) for t in self.txs})

    def month_csv(self, m):
        return [HEADER] + [self.row(t) for t in self.settled() if month(t["created"], self.tz) == m]

    def month_transactions(self, m):
        return [t for t in self.txs if month(t["created"], self.tz) == m]

    def settled_total(self):
        """Sum of the settled, non-declined amounts, exactly (minor units)."""
        return sum(int(t["amount"]) for t in self.settled())

    # ---- the reports (reports/monthly.csv, categories.csv, merchants.csv)

    def report_months(self):
        """Every month from the first transaction's to the last one's, gaps included."""
        return month_range(self.months())

    def closing_balances(self, with_balance=True):
        """{month: balance at its end} over report_months(); None without a balance."""
        return closing_balances(self.txs, self.balance if with_balance else None,
                                self.report_months(), self.tz)

    def monthly_csv(self, with_balance=True):
        cur = self.currency
        per = {m: {"in": 0, "out": 0, "spending": 0, "count": 0} for m in self.report_months()}
        for t in self.txs:
            if is_declined(t):
                continue
            m = per[month(t["created"], self.tz)]
            amount = int(t["amount"])
            if is_settled(t):
                m["in" if amount > 0 else "out"] += abs(amount)
                m["count"] += 1
            if in_spending(t):
                m["spending"] -= amount
        closing = self.closing_balances(with_balance)
        rows = [MONTHLY_HEADER]
        for mo, m in per.items():
            rows.append([mo, money(m["in"], cur), money(m["out"], cur),
                         money(m["in"] - m["out"], cur), money(m["spending"], cur),
                         str(m["count"]),
                         "" if closing[mo] is None else money(closing[mo], cur)])
        return rows

    def categories_csv(self):
        cur = self.currency
        per = {}                       # (month, category text) -> [spending, in, count]
        for t in self.txs:
            booked, spending = is_settled(t) and not is_declined(t), in_spending(t)
            if not booked and not spending:
                continue
            mo = month(t["created"], self.tz)
            for cat, amount in category_parts(t):
                c = per.setdefault((mo, category_name(cat)), [0, 0, 0])
                if spending:
                    c[0] -= amount
                if booked:
                    c[1] += max(amount, 0)
                    c[2] += 1
        rows = [CATEGORIES_HEADER]
        for (mo, cat), (spent, took, n) in sorted(per.items(),
                                                  key=lambda kv: (kv[0][0], kv[0][1].encode())):
            rows.append([mo, text_cell(cat), money(spent, cur), money(took, cur), str(n)])
        return rows

    def merchants_csv(self):
        cur = self.currency
        per = {}                       # (year, name) -> [spending, count]
        for t in self.txs:
            if not in_spending(t):
                continue
            key = (month(t["created"], self.tz)[:4], name(t, self.pots))
            n = per.setdefault(key, [0, 0])
            n[0] -= int(t["amount"])
            n[1] += 1
        order = sorted(per.items(), key=lambda kv: (kv[0][0], -kv[1][0], kv[0][1].encode()))
        return [MERCHANTS_HEADER] + [[y, text_cell(nm), money(spent, cur), str(n)]
                                     for (y, nm), (spent, n) in order]


# --------------------------------------------------------------------------- reports

MONTHLY_HEADER = ["Month", "Money in", "Money out", "Net", "Spending", "Transactions",
                  "Closing balance"]
CATEGORIES_HEADER = ["Month", "Category", "Spending", "Money in", "Transactions"]
MERCHANTS_HEADER = ["Year", "Name", "Spending", "Transactions"]
SVG_PLOT_HEIGHT = 240              # the pictures' plot height in pixels (summary.h)


def in_spending(tx):
    """Counted in Spending: the bank's include_in_spending (missing: no), not declined;
    pending ones count, as in the app."""
    return bool(tx.get("include_in_spending")) and not is_declined(tx)


def category_parts(tx):
    """[(category, amount)]: a split of two or more entries that adds up to the amount
    spreads it, else the whole amount is the category's."""
    cats = tx.get("categories") or {}
    amount = int(tx["amount"])
    if len(cats) >= 2 and sum(int(v) for v in cats.values()) == amount:
        return [(k, int(v)) for k, v in cats.items()]
    return [(tx.get("category") or "", amount)]


def _month_index(m):
    y, mo = m.split("-")
    return int(y) * 12 + int(mo) - 1


def month_range(months):
    """The months from the earliest to the latest of months ("YYYY-MM"), gaps included."""
    if not months:
        return []
    lo, hi = min(_month_index(m) for m in months), max(_month_index(m) for m in months)
    return ["%04d-%02d" % (i // 12, i % 12 + 1) for i in range(lo, hi + 1)]


def month_end_ns(m, tz=LONDON):
    """The first instant after the local month m, in ns."""
    i = _month_index(m) + 1
    return int(datetime(i // 12, i % 12 + 1, 1, tzinfo=tz).timestamp()) * 10 ** 9


def closing_balances(txs, balance, months, tz=LONDON):
    """{month: balance at its end} for each of months: balance minus every non-declined
    amount created in a later month (None for every month when balance is None)."""
    sums = {}
    for t in txs:
        if not is_declined(t):
            m = month(t["created"], tz)
            sums[m] = sums.get(m, 0) + int(t["amount"])
    out = {}
    for m in months:
        out[m] = None if balance is None else \
            int(balance) - sum(v for k, v in sums.items() if k > m)
    return out


def networth_csv(columns, currency="GBP", tz=LONDON):
    """networth.csv's rows.  columns: [(name, transactions, balance or None, known_from
    ns or None)] in the CSV's order; a column's months ending at or before known_from
    are empty (a pot whose balance is known only since then), and its month reaches
    into the table.  Total: the sum of the month's filled cells."""
    months = set()
    for _, txs, balance, known in columns:
        months |= {month(t["created"], tz) for t in txs}
        if balance is not None and known:
            months.add(datetime.fromtimestamp(known // 10 ** 9, tz).strftime("%Y-%m"))
    span = month_range(months)
    cells = []
    for _, txs, balance, known in columns:
        closing = closing_balances(txs, balance, span, tz)
        cells.append({m: v for m, v in closing.items()
                      if v is not None and not (known and month_end_ns(m, tz) <= known)})
    rows = [["Month"] + [text_cell(c[0]) for c in columns] + ["Total"]]
    for m in span:
        filled = [c[m] for c in cells if m in c]
        rows.append([m] + [money(c[m], currency) if m in c else "" for c in cells]
                    + [money(sum(filled), currency) if filled else ""])
    return rows


def svg_titles(svg):
    """[(month, series, amount text)] of every <title>MONTH SERIES: AMOUNT</title> in a
    report picture, in document order (entities decoded)."""
    out = []
    for el in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}title"):
        m = re.fullmatch(r"(\d{4}-\d{2}) (.*): (-?\d+(?:\.\d+)?)", el.text or "", re.S)
        if m:
            out.append(m.groups())
    return out


def svg_axis(lo, hi):
    """(bottom, top) of a picture's axis over lo..hi minor units (lo <= 0 <= hi): the
    step is the smallest 1, 2 or 5 x 10^k that covers hi - lo in 4 steps."""
    want = max(-(-(hi - lo) // 4), 1)
    p = 1
    while True:
        step = next((k * p for k in (1, 2, 5) if k * p >= want), None)
        if step:
            break
        p *= 10
    bottom, top = lo // step * step, -(-hi // step) * step
    return bottom, max(top, bottom + step)


def svg_px(v, bottom, top, height=SVG_PLOT_HEIGHT):
    """Pixels above the axis's bottom at which a value stands."""
    v = min(max(v, bottom), top)
    return (v - bottom) * height // (top - bottom)


def rfc4180(rows):
    """rows -> the bytes DESIGN.md specifies: a field with , " CR or LF quoted with "
    doubled, LF line ends, UTF-8 without BOM."""
    def field(v):
        if any(c in v for c in ',"\r\n'):
            return '"' + v.replace('"', '""') + '"'
        return v
    return "".join(",".join(field(v) for v in r) + "\n" for r in rows).encode("utf-8")
