"""State and generated data of the fake Monzo bank.

Everything the HTTP server answers lives in one FakeBank object: the accounts, balances,
pots and transactions generated from a seed, the OAuth client and its tokens, the fake
clock, the request counters and the injected faults.

Dates of the generated data
---------------------------
The data is generated relative to an *anchor*: midnight UTC of the day the bank is
built (or the ``anchor=`` date given to the constructor). The same seed and the same
anchor give byte-identical data.

* The bulk of each account's history is spread from 2023-01-01 (or anchor - 400 days,
  whichever is earlier) to just before the anchor; card payments created in the last
  two days before the anchor are still pending.
* The awkward cases that are about *content* (odd names, notes, currencies, schemes,
  declines, splits...) sit between anchor - 60 days and anchor - 4 days, so they are
  visible both inside and outside the 5-minute full-history window. The three pending
  ones are in the last three days before the anchor. The pot transfers naming a
  deleted pot sit just before that pot was deleted (20 days before the anchor).
* The awkward cases that are about *dates* (month ends around the UK clock changes)
  sit at absolute instants in 2025: 2025-03-31T23:30:00Z, 2025-04-30T23:59:59.5Z,
  2025-10-26T00:30:00Z, 2025-10-26T01:30:00Z and 2025-10-31T23:30:00Z. (With an
  explicit anchor earlier than that, they move back by whole years.)

* Pot accounts (below): a pot's opening transfer sits a few minutes to two hours after
  the pot was created, which is before the generated history starts; interest is paid
  between 02:00 and 05:00 UTC on the 1st of each month; a closing withdrawal sits
  within an hour after the pot's last other transaction (and before a deleted pot's
  deletion). A pot nothing was ever moved into ("never_used") was created between 3
  and 2 days before the anchor.
* Attachments (below) are on the first settled card payment at or after 8, 45, 80 and
  150 days before the anchor in the main account and 20 days in the business account,
  besides the awkward one; each was added between its transaction's creation and its
  settlement.

The fake clock starts at the real time (shifted by whole days when an explicit anchor
is given, so that "now" is on the anchor day) and only moves with advance().

Pot accounts
------------
As in reality, a pot's own ledger is an account of its own, never listed by /accounts
and without /balance, whose id the current account's pot transfers (scheme
uk_retail_pot) carry as metadata.pot_account_id.  A pot has one in ``pot_accounts`` (and
/transactions answers for it) once a transfer names it; the others have none.  Its
transactions, in ``transactions[pot account id]``, are:

* the other side of each of the current account's transfers to or from the pot: the
  same instant, settled time, category, metadata and ledger_insertion_id, the opposite
  amount, scheme uk_retail_pot, and the current account's id as the description (as the
  pot id is on the current account's side), coin-jar round-ups (trigger coin_jar)
  included;
* for a savings pot (type flexible_savings), interest each month: scheme
  "monzo_interest", category "savings", description "Interest", metadata
  interest_period_start / interest_period_end (dates), interest_rate ("4.10") and
  ledger_insertion_id.  No recorded interest payment was found (docs/monzo-api.md),
  so this shape is invented; "savings" is the category recorded pot deposits carry;
* an opening deposit before the generated history, and, where the generated transfers
  took out less than they put in (they ignore what a pot holds), one closing
  withdrawal: transfers whose current-account side is not in the generated data.  With
  them a pot account's transactions add up to the pot's balance (0 for a deleted pot)
  and their running total never goes below 0.

Own accounts and spending
-------------------------
Money moves between the user's own current and joint accounts (``own_transfers``: pairs
of the sending side's id and the receiving side's id).  A few of the current account's
generated faster payments, spread over the history, become such transfers of the same
amount: payments to payees become transfers to the joint account ("Bills share"), a
friend's "Thanks!" becomes one from it ("Back from joint"), skipped where it would take
the joint account below zero.  The joint account gains the other side, so the current
account keeps its count and its balance.  Both sides are faster payments, settled at
once, a second or two apart (the joint side after the current side when money leaves
the current account, before it when money arrives), with opposite amounts, the same
reference and fps_payment_id, and a counterparty naming the other account: its id,
holders (owners' names joined by " & "), sort code and account number.  They are drawn
from a generator of their own (see _drawing_from): the rest of the data is unchanged.

include_in_spending follows docs/monzo-api.md: true for money out (card payments,
direct debits, payments to people), false for pot transfers, money in (refunds being
the exception: true) and declined or hidden-amount card checks.  Transfers between own
accounts are false on both sides, and the user left one settled card payment and one
refund out of spending (``spending_roles``: "card_excluded", "refund_excluded").

Attachments
-----------
Attachment objects (monzo-api.md 1.8, plus the "type" and "url" older responses have)
sit on a few transactions, named in ``attachment_roles``: "receipt_png", "two_attachments"
(a JPEG and a PDF), "large_jpeg" (about 200 KiB), "old_receipt" (a PDF, older than 90
days), "invoice_pdf" (business account) and the awkward "attachment" (a JPEG).  Their
file_url name the attachment host that start() runs on a second loopback address
(``attachment_url``; https://attachments.fakebank.invalid until then).  It serves GET and
HEAD with exact sizes and file_type as Content-Type; the bytes (``attachment_bytes``)
are a valid PNG/JPEG/PDF start and end around filler, the same for the same seed.  It
takes no token: any request with an Authorization header gets 403 and is recorded in
``attachment_auth_violations``.  add_attachment and remove_attachment change them later.

All of this is drawn from generators of its own (see _drawing_from), so the data made
before pot accounts and attachment files existed is unchanged but for the attachments.

Refusals and worlds
-------------------
The real bank has less friendly days: it refuses a part for good while serving the rest
(DESIGN.md, "When the bank refuses a part").  refuse() refuses one endpoint for one
account (or every pot's own ledger, or every account) with a real error body until
clear_refusals(); attachment_host_down() makes the attachment host refuse connections;
strip_optional_fields() makes a handful of transactions lack optional fields or have
them null, as real responses may.  These are not faults: clear_faults() leaves them.
world(name) selects one such day by name (WORLDS) and says what it refuses; world(None)
is the normal day.  The default choices (refused_account, the stripped handful) are the
same for the same seed and anchor.
"""

from __future__ import annotations

import base64
import bisect
import calendar
import contextlib
import copy
import gc
import json
import os
import random
import re
import secrets
import select
import socket
import string
import struct
import threading
import time
import zlib
from datetime import date, datetime, timedelta, timezone
from http import HTTPStatus
from urllib.parse import urlsplit

from .traffic import Traffic

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
NS = 1_000_000_000
DAY = 86400 * NS
HOUR = 3600 * NS
MIN = 60 * NS
MS = 1_000_000

# Endpoint names used by counts and inject(endpoint=...); "attachment" is any request
# to the attachment host.
ENDPOINTS = ("auth", "token", "logout", "whoami", "accounts", "balance", "pots",
             "transactions", "transaction", "not_found", "attachment")
NOT_API = ("auth", "attachment")    # what inject(endpoint=None) leaves alone
DATA_ENDPOINTS = ("accounts", "balance", "pots", "transactions", "transaction")
FAULT_KINDS = ("status", "delay", "bad_json", "truncate", "drop", "slow")

# What refuse() can refuse, and the error bodies it answers with by default: the codes
# are the real API's (docs/monzo-api.md 3 and 4, DESIGN "When the bank refuses a part");
# the messages are the fake's own, the real ones being unrecorded.
REFUSABLE = ("balance", "pots", "transactions", "transaction", "attachment")
REFUSAL_BODIES = {
    403: ("forbidden.insufficient_permissions",
          "Access forbidden due to insufficient permissions"),
    404: ("not_found.account", "Account not found"),
}
_STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 429: "too_many_requests",
    500: "internal_service", 502: "bad_gateway", 503: "service_unavailable",
    504: "gateway_timeout",
}

# Optional transaction fields strip_optional_fields() takes away by default, and the
# fields it never takes (what the bank itself files transactions by).
STRIPPABLE_FIELDS = ("merchant", "counterparty", "metadata", "categories", "settled",
                     "attachments", "local_amount")
UNSTRIPPABLE_FIELDS = ("id", "account_id", "created", "amount", "currency")
STRIP_MODES = ("missing", "null")

# The bank's less friendly days, each selected by world(name); see refuse() and world().
WORLDS = ("pot_ledgers_404", "pot_ledgers_403", "account_transactions_403",
          "account_balance_403", "account_pots_403", "attachment_host_down",
          "attachment_host_500", "fields_missing", "fields_null")

FULL_HISTORY_WINDOW = 300 * NS       # 5 minutes after approval
RECENT_LIMIT = 90 * DAY              # afterwards only the last 90 days

SCOPE_PRE = "third_party_developer_app.pre_verification"
SCOPE_VERIFIED = "third_party_developer_app.verified"   # invented: the real value is unknown

_TS_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})\Z")


# --------------------------------------------------------------------------- time

def parse_ts(text: str) -> int:
    """RFC 3339 timestamp (0-9 fraction digits, Z or +hh:mm) -> integer ns since epoch."""
    m = _TS_RE.match(text)
    if not m:
        raise ValueError("not an RFC 3339 timestamp: %r" % (text,))
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and s < 61):
        raise ValueError("bad timestamp: %r" % (text,))
    # validates the day of month
    datetime(y, mo, d)
    frac = m.group(7) or ""
    ns = (calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) * NS
          + (int(frac.ljust(9, "0")) if frac else 0))
    off = m.group(8)
    if off not in ("Z", "z"):
        sign = 1 if off[0] == "+" else -1
        ns -= sign * (int(off[1:3]) * 3600 + int(off[4:6]) * 60) * NS
    return ns


_DAY_PREFIX = {}


def format_ts(value) -> str:
    """ns int or aware datetime -> RFC 3339 UTC with Z, fraction without trailing zeros
    (as Go's RFC3339Nano, which is what the real API does)."""
    if isinstance(value, datetime):
        value = _dt_to_ns(value)
    sec, frac = divmod(int(value), NS)
    day, rest = divmod(sec, 86400)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = "%04d-%02d-%02dT" % time.gmtime(day * 86400)[:3]
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    if frac:
        return "%s%02d:%02d:%02d.%sZ" % (prefix, h, m, s, ("%09d" % frac).rstrip("0"))
    return "%s%02d:%02d:%02dZ" % (prefix, h, m, s)


def _dt_to_ns(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    delta = dt - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86400 + delta.seconds) * NS + delta.microseconds * 1000


def _ns_to_dt(ns: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=ns // 1000)


def _to_ns(value) -> int:
    """datetime, RFC 3339 string or ns int -> ns."""
    if isinstance(value, datetime):
        return _dt_to_ns(value)
    if isinstance(value, str):
        return parse_ts(value)
    return int(value)


def _ts_value(value) -> str:
    """A settled/created/updated argument as the API's string."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        parse_ts(value)
        return value
    return format_ts(_to_ns(value))


def _truncate_frac(ns: int, digits: int) -> int:
    unit = 10 ** (9 - digits)
    return ns - ns % unit


# --------------------------------------------------------------------------- files

_NO_FILE_HOST = "https://attachments.fakebank.invalid"   # file_url's host until start()
_FILE_EXT = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _file_content(file_type: str, size: int, rng: random.Random) -> bytes:
    """Exactly `size` bytes of a file of that type: a valid start and end, and filler from
    rng where readers skip it (a private PNG chunk, JPEG comments, a PDF stream); of
    another type, rng's bytes alone."""
    if file_type == "image/png":
        head = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2,
                                                                        0, 0, 0))
        tail = _png_chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + _png_chunk(b"IEND", b"")
        out = head + _png_chunk(b"fkFl", rng.randbytes(size - len(head) - len(tail) - 12)) + tail
    elif file_type == "image/jpeg":
        head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        rest = size - len(head) - 2
        k = -(-rest // 65537)            # comment segments: 4 bytes each, 65533 of data
        data = rest - 4 * k
        parts = [head]                   # joined once: a large file is built in linear time
        for i in range(k):
            n = data // k + (i < data % k)
            parts.append(b"\xff\xfe" + struct.pack(">H", n + 2) + rng.randbytes(n))
        out = b"".join(parts) + b"\xff\xd9"
    elif file_type == "application/pdf":
        head = b"%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length %d >>\nstream\n"
        tail = b"\nendstream\nendobj\ntrailer\n<< >>\n%%EOF\n"
        n = size - len(head % 0) - len(tail)
        while len(head % n) + n + len(tail) != size:
            n -= 1
        out = head % n + rng.randbytes(n) + tail
    else:                                # any other type: bytes, as sent
        out = rng.randbytes(size)
    assert len(out) == size
    return out


# --------------------------------------------------------------------------- errors

class ApiError(Exception):
    """An API error answer: HTTP status plus Monzo's JSON error body."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__("%d %s: %s" % (status, code, message))
        self.status = status
        self.body = {"code": code, "message": message}
        self.body.update(extra)
        self.headers = {}


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP %d" % status


def _auth_error(code: str, description: str) -> ApiError:
    return ApiError(401, code, description, error="invalid_token",
                    error_description=description)


# --------------------------------------------------------------------------- static data

_CITIES = {
    # city: (region, country alpha-3, lat, lon)
    "London": ("Greater London", "GBR", 51.5072, -0.1276),
    "Leeds": ("West Yorkshire", "GBR", 53.7997, -1.5492),
    "York": ("North Yorkshire", "GBR", 53.9590, -1.0815),
    "Manchester": ("Greater Manchester", "GBR", 53.4808, -2.2426),
    "Bristol": ("City of Bristol", "GBR", 51.4545, -2.5879),
    "Edinburgh": ("City of Edinburgh", "GBR", 55.9533, -3.1883),
    "Tokyo": ("Tokyo", "JPN", 35.6762, 139.6503),
    "Kuwait City": ("Al Asimah", "KWT", 29.3759, 47.9774),
    "Paris": ("Île-de-France", "FRA", 48.8566, 2.3522),
    "New York": ("NY", "USA", 40.7128, -74.0060),
}
_COUNTRY_NAMES = {"GBR": "United Kingdom", "JPN": "Japan", "KWT": "Kuwait", "FRA": "France",
                  "USA": "United States"}

# key: (name, category, emoji, street, city, postcode, mcc, website, tags, flags)
# flags: "online", "atm", "nologo"
_MERCHANTS = [
    ("greenleaf", "Greenleaf Market", "groceries", "🛒", "14 Kirkgate", "Leeds", "LS1 6BY",
     "5411", "greenleaf.example", "#groceries", ""),
    ("larder", "Corner Larder", "groceries", "🥫", "2 Stonegate", "York", "YO1 8AS",
     "5499", "", "#groceries #local", ""),
    ("coop", "Harvest Co-op", "groceries", "🥦", "88 Gloucester Road", "Bristol", "BS7 8BN",
     "5411", "harvest.example", "#groceries", ""),
    ("bramble", "Bramble & Oak Café", "eating_out", "☕", "9 Northern Quarter", "Manchester",
     "M4 1HN", "5814", "brambleoak.example", "#coffee", ""),
    ("noodle", "Noodle Yard", "eating_out", "🍜", "31 Leith Walk", "Edinburgh", "EH6 8LS",
     "5812", "", "#food", ""),
    ("kettle", "The Copper Kettle", "eating_out", "🫖", "5 Shambles", "York", "YO1 7LZ",
     "5812", "", "#tea", "nologo"),
    ("rail", "Northline Rail", "transport", "🚆", "Station Approach", "Leeds", "LS1 4DY",
     "4112", "northline.example", "#travel", ""),
    ("bikes", "CityHop Bikes", "transport", "🚲", "1 Canal Street", "Manchester", "M1 3HE",
     "4121", "cityhop.example", "#travel", "online"),
    ("fuel", "Metro Fuel", "transport", "⛽", "240 Ring Road", "Leeds", "LS12 6AA",
     "5541", "", "#car", ""),
    ("books", "Harbour Books", "shopping", "📚", "17 Harbourside", "Bristol", "BS1 5TY",
     "5942", "harbourbooks.example", "#books", ""),
    ("outdoor", "Tandem Outdoor", "shopping", "🎒", "60 Deansgate", "Manchester", "M3 2EN",
     "5941", "tandem.example", "#kit", ""),
    ("pixel", "Pixel Parts Online", "shopping", "💻", "", "", "", "5732", "pixelparts.example",
     "#tech", "online"),
    ("cinema", "Moonbeam Cinema", "entertainment", "🎬", "3 Lothian Road", "Edinburgh",
     "EH3 9BX", "7832", "moonbeam.example", "#film", ""),
    ("stream", "Streamly", "entertainment", "📺", "", "", "", "4899", "streamly.example",
     "#subscription", "online"),
    ("energy", "Northgrid Energy", "bills", "💡", "", "", "", "4900", "northgrid.example",
     "#bills", "online"),
    ("broadband", "Brightwave Broadband", "bills", "📶", "", "", "", "4814",
     "brightwave.example", "#bills", "online"),
    ("water", "Clearwater Utilities", "bills", "🚰", "", "", "", "4900", "", "#bills",
     "online nologo"),
    ("barber", "Sharp Cuts Barbers", "personal_care", "💈", "44 Briggate", "Leeds", "LS1 6HD",
     "7241", "", "#haircut", ""),
    ("air", "Skylark Air", "holidays", "✈️", "", "", "", "4511", "skylark.example",
     "#holiday", "online"),
    ("post", "Post & Parcel", "general", "📮", "8 High Street", "York", "YO1 8NB", "9402",
     "", "", ""),
    ("charity", "Ocean Rescue Trust", "charity", "🐳", "", "", "", "8398", "oceanrescue.example",
     "#charity", "online"),
    ("florist", "Petal & Stem Florist", "gifts", "💐", "21 Clifton Down", "Bristol", "BS8 3HT",
     "5992", "", "#gift", ""),
    ("atm", "Cash Machine", "cash", "🏧", "Briggate", "Leeds", "LS1 6ER", "6011", "", "", "atm"),
    # awkward merchants
    ("comma", "Smith, Jones & Sons", "shopping", "🔨", "Unit 4, Tannery Yard", "York",
     "YO1 7HF", "5251", "", "#diy", ""),
    ("quotes", 'The "Famous" Chippy', "eating_out", "🐟", "7 Sea Front", "Edinburgh",
     "EH15 1AB", "5814", "", "#food", ""),
    ("emoji", "🍕 Slice Club", "eating_out", "🍕", "12 Park Row", "Bristol", "BS1 5LJ",
     "5812", "sliceclub.example", "#pizza", ""),
    ("umlaut", "Café Müller", "eating_out", "🥐", "3 Rue Étienne", "London", "N1 9GU",
     "5814", "", "#café", ""),
    ("pound", "£1 Wonders Ltd", "shopping", "🛍️", "100 Market Street", "Manchester",
     "M1 1PW", "5331", "", "", ""),
    ("jpy", "Ramen Ichiban", "eating_out", "🍜", "1-2-3 Shinjuku", "Tokyo", "160-0022",
     "5812", "", "#food", ""),
    ("kwd", "Souq Mubarakiya Café", "eating_out", "🥙", "Mubarakiya Souq", "Kuwait City",
     "15000", "5812", "", "#food", ""),
    ("eur", "Boulangerie du Coin", "eating_out", "🥖", "12 Rue de Rivoli", "Paris", "75004",
     "5462", "", "#food", ""),
    ("usd", "Route Nine Diner", "eating_out", "🍔", "400 Broadway", "New York", "10013",
     "5812", "", "#food", ""),
    ("software", "Cloudnest Hosting", "bills", "☁️", "", "", "", "7372", "cloudnest.example",
     "#business", "online"),
    ("stationer", "Inkwell Stationers", "shopping", "🖊️", "6 Queen Street", "Edinburgh",
     "EH2 1JE", "5943", "", "#office", ""),
]

# categories: (low, high) amount in pence for card payments
_SPEND = {
    "groceries": (150, 9000), "eating_out": (250, 4500), "transport": (150, 6000),
    "shopping": (300, 15000), "entertainment": (500, 3000), "bills": (1500, 12000),
    "personal_care": (800, 3500), "holidays": (5000, 60000), "general": (100, 2000),
    "charity": (300, 2500), "gifts": (1000, 6000), "cash": (1000, 20000),
}

_CARD_NOTES = ["#lunch with the team", "Birthday present for Mum 🎁", "split with Sam #shared",
               "#work expenses", "Train to see Gran", "#treat", "refund due?", "🎉 party stuff"]
_DECLINE_REASONS = ["INSUFFICIENT_FUNDS", "CARD_INACTIVE", "CARD_BLOCKED", "INVALID_CVC",
                    "OTHER", "SCA_NOT_AUTHENTICATED_CARD_NOT_PRESENT", "INVALID_PIN"]
_PEOPLE = ["Sam Patel", "Priya Shah", "Tom O'Neill", "Aisha Bello", "Chris Wong",
           "Megan Lloyd", "Jo Kowalski", "Dan Evans"]
_PAYEES = [("Landlord Properties Ltd", "Rent"), ("A Clarke", "Football subs"),
           ("Greenway Nursery", "Childcare"), ("K Morris", "Car share"),
           ("Savings Co", "Monthly saving")]
_EMPLOYERS = [("Acme Widgets Ltd", "SALARY"), ("Northwind Trading", "PAYROLL"),
              ("Freelance Client Co", "INV 2041")]
_DD = [("energy", "NORTHGRID ENERGY", "DD-NG-%06d"), ("broadband", "BRIGHTWAVE BB", "BW%08d"),
       ("water", "CLEARWATER UTIL", "CW-%07d")]


def _iban(sort_code: str, account_number: str) -> tuple:
    bban = "MONZ" + sort_code + account_number
    digits = "".join(str(int(c, 36)) for c in bban + "GB00")
    check = 98 - int(digits) % 97
    unformatted = "GB%02d%s" % (check, bban)
    formatted = " ".join(unformatted[i:i + 4] for i in range(0, len(unformatted), 4))
    return unformatted, formatted


# --------------------------------------------------------------------------- sessions

class _Session:
    """One login of the client for the user: what approval hangs on."""
    __slots__ = ("client_id", "user_id", "approved_ns", "polls", "access", "refresh")

    def __init__(self, client_id, user_id, approved_ns):
        self.client_id = client_id
        self.user_id = user_id
        self.approved_ns = approved_ns
        self.polls = 0
        self.access = None
        self.refresh = None


class _Token:
    __slots__ = ("session", "expires_ns", "state")

    def __init__(self, session, expires_ns):
        self.session = session
        self.expires_ns = expires_ns
        self.state = "live"          # live | evicted | revoked | used (refresh tokens)


# --------------------------------------------------------------------------- holds

def _peer_closed(conn) -> bool:
    """Whether the other end of conn has closed it (readable, and nothing to read)."""
    try:
        readable, _, _ = select.select([conn], [], [], 0)
        return bool(readable) and conn.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class Hold:
    """A request held by FakeBank.hold(): arrived is set once it waits; release() lets
    it be answered.  A hold never released lets go by itself after `limit` seconds,
    so a failing test cannot hang the server."""

    def __init__(self, endpoint: str, skip: int, answered: bool = False, limit: float = 60.0,
                 every: bool = False, account: str | None = None):
        self.endpoint = endpoint
        self.account = account
        self.skip = skip
        self.answered = answered
        self.every = every
        self.limit = limit
        self.arrived = threading.Event()
        self.abandoned = threading.Event()
        self._released = threading.Event()

    def wait(self, conn=None) -> bool:
        """Called by the server in the request's thread; conn: the request's socket.
        A client that closes it while held (it gave up waiting) sets abandoned, and
        False is returned: a test can tell a client that asked again at once from
        one that timed out."""
        self.arrived.set()
        deadline = time.monotonic() + self.limit
        while not self._released.wait(0.02 if conn is not None else self.limit):
            if time.monotonic() >= deadline:
                break
            if _peer_closed(conn):
                self.abandoned.set()
                return False
        return True

    def release(self) -> None:
        self._released.set()

    def wait_arrived(self, timeout: float = 10.0) -> None:
        if not self.arrived.wait(timeout):
            raise AssertionError("no %s request arrived within %ss" % (self.endpoint, timeout))


# --------------------------------------------------------------------------- the bank

class FakeBank:
    """The fake Monzo bank. See the module docstring and tests/test_fakebank.py."""

    def __init__(self, seed: int = 1, transactions: int | None = None,
                 anchor: date | datetime | str | None = None, verbose: bool = False):
        self.seed = seed
        self.verbose = verbose
        self._lock = threading.RLock()
        self._rng = random.Random(seed)

        real_today = datetime.now(timezone.utc).date()
        if anchor is None:
            anchor_date = real_today
            self._offset_ns = 0
        else:
            if isinstance(anchor, str):
                anchor = date.fromisoformat(anchor[:10])
            if isinstance(anchor, datetime):
                anchor = anchor.date()
            anchor_date = anchor
            self._offset_ns = (anchor_date - real_today).days * DAY
        self.anchor = datetime(anchor_date.year, anchor_date.month, anchor_date.day,
                               tzinfo=timezone.utc)
        self._anchor_ns = _dt_to_ns(self.anchor)

        # settings tests may change
        self.token_lifetime = 21600
        self.approve_after_polls = 2
        self.confidential = True          # False: no refresh tokens, as for public clients
        self.redirect_uris = None         # None: any redirect_uri accepted at GET /
        self.code_lifetime = 600          # seconds an authorisation code stays usable

        self._counts = {name: 0 for name in ENDPOINTS}
        self.traffic_shaping = Traffic(seed, ENDPOINTS)   # latency and rate limit
        self._faults = []
        self._refusals = []               # see refuse(); clear_faults() leaves them
        self._attachment_down = False     # see attachment_host_down()
        self.stripped = {}                # tx id -> {field: value before the strip}
        self.stripped_roles = {}          # role -> tx id (see strip_optional_fields)
        self._stripped_files = {}         # path -> what _files held, while stripped
        self._stripped_attachment_roles = {}   # what left attachment_roles, the same
        self._strip_originals = {}        # tx id -> a copy of it before the strip
        self._strip_mode = None
        self.world_name = None            # the last world() selected
        self._holds = []
        self._tx_bytes = {}               # (tx id, expand) -> its JSON, as served
        self._sessions = {}               # (client_id, user_id) -> live _Session
        self._access = {}                 # access token -> _Token
        self._refresh = {}                # refresh token -> _Token
        self._codes = {}                  # code -> dict

        self._txs = {}                    # account id -> [tx], sorted by (created, id)
        self._keys = {}                   # account id -> [(created_ns, id)]
        self._by_id = {}                  # tx id -> tx
        self.awkward = {}
        self.pot_accounts = {}            # pot id -> pot account id, once a transfer shows it
        self._pot_of_account = {}         # pot account id -> pot

        self._server = None
        self._thread = None
        self._file_server = None
        self._file_thread = None
        self._internal_server = None      # see start_internal_host()
        self._internal_thread = None
        self.internal_url = None
        self.internal_requests = []       # (method, path) of each request it had

        # the attachment host (see start())
        self.attachment_host = None
        self.attachment_port = None
        self.attachment_url = None
        self.attachment_roles = {}        # name -> id of a transaction with attachments
        self.attachment_auth_violations = []   # requests that carried Authorization
        self._files = {}                  # path -> (attachment, file name, size)
        self._file_bytes = {}             # path -> content, made at the first ask
        self._attachment_counts = {}      # path -> {method: n}
        self._attachment_redirects = {}   # path -> (status, location): redirect_attachment()
        self.attachment_lengths = {"HEAD": "exact", "GET": "exact"}   # attachment_content_length()

        n_main = 400 if transactions is None else int(transactions)
        if n_main < 0:
            raise ValueError("transactions must be >= 0")
        gc_was_enabled = gc.isenabled()
        gc.disable()          # generation makes ~10 containers per transaction: the
        try:                  # cyclic GC would rescan them again and again
            self._generate(n_main)
        finally:
            if gc_was_enabled:
                gc.enable()

    # ------------------------------------------------------------------ clock

    def _now_ns(self) -> int:
        return time.time_ns() + self._offset_ns

    def now(self) -> datetime:
        """The fake clock: an aware UTC datetime."""
        return _ns_to_dt(self._now_ns())

    def advance(self, seconds: float) -> datetime:
        """Move the fake clock forward (or back, if negative); returns the new now()."""
        with self._lock:
            self._offset_ns += int(round(float(seconds) * NS))
        return self.now()

    def pin(self, moment) -> datetime:
        """Set the fake clock to moment (datetime, RFC 3339 or ns); it ticks on from there."""
        with self._lock:
            self._offset_ns += _to_ns(moment) - self._now_ns()
        return self.now()

    def faketime(self, skew: float = 0.0) -> str:
        """How far the fake clock (plus skew seconds) is from the real one, as
        libfaketime's FAKETIME wants it ("+86400.250000000"), so a daemon can share
        the clock, or run that much ahead of it (behind, for a negative skew)."""
        with self._lock:
            ns = self._offset_ns + int(round(skew * NS))
        sign = "-" if ns < 0 else "+"
        return f"{sign}{abs(ns) // NS}.{abs(ns) % NS:09d}"

    # ------------------------------------------------------------------ ids

    def _rid(self, prefix: str, k: int = 18) -> str:
        return prefix + "0000" + "".join(self._rng.choices(B62, k=k))

    # ------------------------------------------------------------------ public views

    @property
    def counts(self) -> dict:
        with self._lock:
            return dict(self._counts)

    def reset_counts(self) -> None:
        """Requests per endpoint and per attachment file back to 0 (the record of
        attachment_auth_violations stays)."""
        with self._lock:
            for k in self._counts:
                self._counts[k] = 0
            self._attachment_counts.clear()
        self.traffic_shaping.reset()

    def count(self, endpoint: str) -> None:
        with self._lock:
            self._counts[endpoint] = self._counts.get(endpoint, 0) + 1

    @property
    def transactions(self) -> dict:
        """account id -> list of transactions, oldest first, merchant expanded.
        The lists are the bank's own: read, don't modify (use the methods)."""
        return self._txs

    @property
    def main_account_id(self) -> str:
        return self.account_ids["retail"]

    def account(self, acc_id: str) -> dict:
        for a in self.accounts:
            if a["id"] == acc_id:
                return a
        raise KeyError(acc_id)

    def transaction(self, tx_id: str) -> dict:
        return self._by_id[tx_id]

    def pot(self, pot_id: str) -> dict:
        for plist in self.pots.values():
            for p in plist:
                if p["id"] == pot_id:
                    return p
        raise KeyError(pot_id)

    # ------------------------------------------------------------------ generation

    def _generate(self, n_main: int) -> None:
        rng = self._rng
        anchor = self._anchor_ns
        start = min(_dt_to_ns(datetime(2023, 1, 1, tzinfo=timezone.utc)), anchor - 400 * DAY)
        self._start_ns = start

        self.user_id = self._rid("user_")
        self.partner_user_id = self._rid("user_")
        self.client_id = self._rid("oauth2client_")
        self.client_secret = "mnzconf." + "".join(rng.choices(B62 + "+/", k=86))
        me = {"user_id": self.user_id, "preferred_name": "Renée Okafor",
              "preferred_first_name": "Renée"}
        partner = {"user_id": self.partner_user_id, "preferred_name": "Jürgen Dahl",
                   "preferred_first_name": "Jürgen"}
        self.owners = [me, partner]

        # ---- accounts
        ids = {role: self._rid("acc_") for role in
               ("retail", "joint", "business", "business2", "flex", "prepaid", "joint_closed")}
        self.account_ids = ids

        def created(y, m, d):
            ns = _dt_to_ns(datetime(y, m, d, tzinfo=timezone.utc))
            return format_ts(_truncate_frac(ns + rng.randrange(DAY), 3))

        def details(acc_id, acc_no, sort="040004"):
            unf, fmt = _iban(sort, acc_no)
            return {
                "account_number": acc_no,
                "sort_code": sort,
                "payment_details": {
                    "locale_uk": {"account_number": acc_no, "sort_code": sort},
                    "iban": {
                        "unformatted": unf,
                        "formatted": fmt,
                        "bic": "MONZGB2L",
                        "usage_description": "Get paid from abroad in over 40 currencies; a "
                        "conversion fee applies. [How it works](monzo://backend_screen?id="
                        "international-payment-views:bank-transfer-info&instance_params_id="
                        + acc_id + ")",
                        "usage_description_web": "Get paid from abroad in over 40 currencies; "
                        "a conversion fee applies.",
                    },
                },
                "monzo_branch_address_formatted":
                    "Monzo Bank, 1 Example Yard, London EC2A 9ZZ, United Kingdom",
            }

        def account(acc_id, when, description, typ, owner_type, product_type, owners,
                    closed=False, bank=None, is_flex=False, icon="personal", extra=None):
            a = {
                "id": acc_id,
                "closed": closed,
                "created": when,
                "description": description,
                "type": typ,
                "owner_type": owner_type,
                "is_flex": is_flex,
                "product_type": product_type,
                "closed_account_app_access": closed,
                "currency": "GBP",
                "legal_entity": "monzo_uk",
                "country_code": "GB",
                "country_code_alpha3": "GBR",
                "owners": [dict(o) for o in owners],
            }
            if bank:
                a.update(bank)
            if icon:
                a["assets"] = {"image_url":
                               "https://images.fakebank.invalid/account_icon/%s@3x.png" % icon}
            if extra:
                a.update(extra)
            return a

        def acct_no():
            return "%08d" % rng.randrange(10 ** 7, 10 ** 8)

        self.accounts = []
        acc_id = ids["retail"]
        self.accounts.append(account(
            acc_id, created(2019, 4, 2), self.user_id, "uk_retail", "personal", "standard",
            [me], bank=details(acc_id, acct_no()),
            extra={"x_new_field": {"kind": "future", "values": [1, 2, 3]}}))
        acc_id = ids["joint"]
        self.accounts.append(account(
            acc_id, created(2020, 9, 14),
            "Joint account between %s and %s" % (self.partner_user_id, self.user_id),
            "uk_retail_joint", "joint", "standard", [me, partner],
            bank=details(acc_id, acct_no()),
            icon="joint"))
        self.business_ids = [self._rid("business_"), self._rid("business_")]
        acc_id = ids["business"]
        self.accounts.append(account(
            acc_id, created(2021, 2, 1), self.business_ids[0], "uk_business", "business",
            "business_lite", [me], bank=details(acc_id, acct_no()), icon="business",
            extra={"business_id": self.business_ids[0]}))
        acc_id = ids["business2"]
        self.accounts.append(account(
            acc_id, created(2022, 6, 20), self.business_ids[1], "uk_business", "business",
            "business_pro", [me], bank=details(acc_id, acct_no()), icon="business",
            extra={"business_id": self.business_ids[1]}))
        self.accounts.append(account(
            ids["flex"], created(2021, 9, 17), self._rid("monzoflex_"), "uk_monzo_flex",
            "personal", "flex", [me], is_flex=True, icon="flex"))
        self.accounts.append(account(
            ids["prepaid"], created(2017, 8, 18), self.user_id, "uk_prepaid", "personal",
            "prepaid", [me], closed=True, icon=None))
        acc_id = ids["joint_closed"]
        self.accounts.append(account(
            acc_id, created(2018, 10, 6),
            "Joint account between %s and %s" % (self.user_id, self.partner_user_id),
            "uk_retail_joint", "joint", "standard", [me, partner], closed=True,
            bank=details(acc_id, acct_no()), icon="joint"))
        for a in self.accounts:
            self._txs[a["id"]] = []
            self._keys[a["id"]] = []

        self.cards = {aid: self._rid("mccard_") for aid in ids.values()}

        # ---- merchants
        self.merchants = {}
        self._merchant_extra = {}
        for spec in _MERCHANTS:
            self.merchants[spec[0]] = self._make_merchant(spec)

        # ---- pots
        self._make_pots()

        # ---- transactions
        self._gen_main(n_main)
        self._gen_joint(35)
        self._gen_business(ids["business"], 30, invoices=True)
        self._gen_business(ids["business2"], 20, invoices=False)
        self._gen_flex(12)
        self._gen_prepaid(14)
        self._gen_joint_closed(16)
        self._gen_own_transfers()
        self._gen_spending_exclusions()

        # ---- balances
        self.balances = {}
        for a in self.accounts:
            aid = a["id"]
            bal = sum(t["amount"] for t in self._txs[aid] if "decline_reason" not in t)
            pots_total = sum(p["balance"] for p in self.pots.get(aid, []) if not p["deleted"])
            if a["closed"]:
                spend = 0
            elif aid == ids["retail"]:
                spend = -rng.randrange(300, 4000)
            elif aid == ids["joint"]:
                spend = -rng.randrange(100, 1500)
            else:
                spend = 0
            self.balances[aid] = {
                "balance": bal,
                "total_balance": bal + pots_total,
                "balance_including_flexible_savings": bal + pots_total,
                "currency": "GBP",
                "spend_today": spend,
                "local_currency": "",
                "local_exchange_rate": 0,
                "local_spend": [{"spend_today": spend, "currency": "GBP"}] if spend else [],
            }

        # ---- added later, each from a generator of its own (see _drawing_from)
        self._gen_pot_accounts()
        self._gen_attachments()

    @contextlib.contextmanager
    def _drawing_from(self, name: str):
        """Let the generator helpers (_rid, _blk, _ri, _times...) draw from a generator
        of their own, named `name` and derived from the seed, for a while.  What was added
        to the generated data after its first version comes from such generators, so the
        main generator's sequence, and all it made, stays as it was."""
        saved = self._rng
        self._rng = random.Random("fakebank:%s:%d" % (name, self.seed))
        try:
            yield self._rng
        finally:
            self._rng = saved

    # ---------------------------------------------------------------- merchants

    def _make_merchant(self, spec) -> dict:
        rng = self._rng
        key, name, category, emoji, street, city, postcode, mcc, website, tags, flags = spec
        mid = self._rid("merch_")
        online = "online" in flags
        if city:
            region, country, lat, lon = _CITIES[city]
            lat = round(lat + rng.uniform(-0.02, 0.02), 6)
            lon = round(lon + rng.uniform(-0.02, 0.02), 6)
            short = "%s, %s %s" % (street, city, postcode) if street else "%s %s" % (city,
                                                                                   postcode)
            address = {
                "short_formatted": short,
                "formatted": "%s, %s" % (short, _COUNTRY_NAMES[country]),
                "address": street,
                "city": city,
                "region": region,
                "country": country,
                "postcode": postcode,
                "latitude": lat,
                "longitude": lon,
                "zoom_level": 17,
                "approximate": False,
            }
            descriptor_city = city.upper()
        else:
            country = "GLO"
            address = {
                "short_formatted": "Somewhere on the internet",
                "formatted": "Online",
                "address": "",
                "city": "",
                "region": "",
                "country": "GLO",
                "postcode": "",
                "latitude": round(rng.uniform(40, 60), 6),
                "longitude": round(rng.uniform(-10, 20), 6),
                "zoom_level": 5,
                "approximate": True,
            }
            descriptor_city = (website or "ONLINE").upper()[:13]
        created_ns = _dt_to_ns(datetime(2016, 1, 1, tzinfo=timezone.utc)) + \
            rng.randrange(6 * 365) * DAY + rng.randrange(DAY)
        updated_ns = created_ns + rng.randrange(30, 900) * DAY
        m = {
            "id": mid,
            "group_id": self._rid("grp_"),
            "created": format_ts(_truncate_frac(created_ns, 3)),
            "name": name,
            "logo": "" if "nologo" in flags else
                    "https://logos.fakebank.invalid/%s.png" % key,
            "emoji": emoji,
            "category": category,
            "online": online,
            "atm": "atm" in flags,
            "address": address,
            "updated": format_ts(_truncate_frac(updated_ns, 3)),
            "metadata": {
                "created_for_merchant": mid,
                "created_for_transaction": self._rid("tx_"),
                "provider": "user" if online else "google",
                "provider_id": "" if online else "ChIJ" + "".join(rng.choices(B62, k=23)),
                "suggested_tags": tags,
                "twitter_id": "",
                "website": website,
            },
            "disable_feedback": False,
        }
        country3 = country if country != "GLO" else "GBR"
        self._merchant_extra[mid] = ("%-22s %-13s %s" % (name.upper()[:22], descriptor_city,
                                                          country3), mcc)
        return m

    def _descriptor(self, merchant):
        extra = self._merchant_extra.get(merchant.get("id"))
        if extra:
            return extra
        return (str(merchant.get("name", "")).upper(), "5999")

    # ---------------------------------------------------------------- pots

    def _new_pot(self, acc, name, style, balance, *, goal=None, typ="default",
                 product="default", isa="", round_up=False, mult=None, created_ns, updated_ns,
                 deleted=False, locked_until_ns=None, charity=None, bills=False) -> dict:
        """A pot of current account acc, appended to its /pots list. Its pot account id
        is drawn here too (it exists from the start), but only shown once a transfer
        names it: see _gen_pot_accounts."""
        pid = self._rid("pot_")
        self._pot_acc_ids[pid] = self._rid("acc_")
        p = {"id": pid, "name": name, "style": style, "balance": 0 if deleted else balance,
             "currency": "GBP"}
        if goal is not None:
            p["goal_amount"] = goal
        p.update({
            "type": typ,
            "product_id": product,
            "current_account_id": acc,
            "cover_image_url": "https://images.fakebank.invalid/pots/%s.png"
                               % (style or "custom-" + pid[-6:]),
            "isa_wrapper": isa,
            "round_up": round_up,
            "round_up_multiplier": mult,
            "is_tax_pot": False,
            "created": format_ts(_truncate_frac(created_ns, 3)),
            "updated": format_ts(_truncate_frac(updated_ns, 3)),
            "deleted": deleted,
            "locked": locked_until_ns is not None,
        })
        if locked_until_ns is not None:
            p["lock_type"] = "until_date"
            p["locked_until"] = format_ts(locked_until_ns)
        if charity is not None:
            p["charity_id"] = charity
        p["available_for_bills"] = bills
        p["has_virtual_cards"] = False
        self.pots[acc].append(p)
        return p

    def _make_pots(self) -> None:
        rng = self._rng
        anchor = self._anchor_ns
        start = self._start_ns
        self.pots = {a["id"]: [] for a in self.accounts}
        self._pot_acc_ids = {}            # pot id -> its pot account id, shown or not
        pot = self._new_pot

        def t(days_before_start=None, days_before_anchor=None):
            if days_before_start is not None:
                base = start - days_before_start * DAY
            else:
                base = anchor - days_before_anchor * DAY
            return base + rng.randrange(DAY)

        lock_ns = anchor + 400 * DAY
        main = self.account_ids["retail"]
        self.pot_roles = {}
        self.pot_roles["holiday"] = pot(
            main, "🏖️ Summer in Lisbon", "beach_ball", 64250, goal=180000, round_up=True,
            mult=1, created_ns=t(300), updated_ns=t(days_before_anchor=3))
        self.pot_roles["isa"] = pot(
            main, "💰 Rainy Day ISA", "teal", 412077, typ="flexible_savings",
            product="flexible_isa", isa="ISA", created_ns=t(500),
            updated_ns=t(days_before_anchor=9), charity="")
        self.pot_roles["bills"] = pot(
            main, "Bills & Direct Debits", "", 23100, created_ns=t(200),
            updated_ns=t(days_before_anchor=5), bills=True)
        self.pot_roles["locked"] = pot(
            main, "🔒 House deposit", "cactus", 1250000, goal=2500000, round_up=True, mult=2,
            created_ns=t(150), updated_ns=t(days_before_anchor=12),
            locked_until_ns=lock_ns - lock_ns % DAY)
        self.pot_roles["christmas"] = pot(
            main, "🎄 Christmas 🎁", "piggy_bank", 18000, goal=40000, created_ns=t(90),
            updated_ns=t(days_before_anchor=30))
        self.pot_roles["deleted_old"] = pot(
            main, "Old car fund", "window", 0, goal=300000, created_ns=t(700),
            updated_ns=start + 200 * DAY + rng.randrange(DAY), deleted=True)
        self.pot_roles["deleted_recent"] = pot(
            main, "🎸 Guitar fund", "amber", 0, created_ns=t(100),
            updated_ns=anchor - 20 * DAY + rng.randrange(DAY), deleted=True)

        joint = self.account_ids["joint"]
        self.pot_roles["joint_sofa"] = pot(
            joint, "🛋️ New sofa", "fairy_lights", 45500, goal=120000, round_up=True, mult=1,
            created_ns=t(60), updated_ns=t(days_before_anchor=6))
        self.pot_roles["joint_kitty"] = pot(
            joint, "Groceries kitty 🛒", "", 8020, created_ns=t(120),
            updated_ns=t(days_before_anchor=2), bills=True)
        self.pot_roles["joint_locked"] = pot(
            joint, "🔒 Wedding 💍", "color_green", 730000, goal=1500000,
            created_ns=t(30), updated_ns=t(days_before_anchor=40),
            locked_until_ns=(anchor + 200 * DAY) - (anchor + 200 * DAY) % DAY)
        self.pot_roles["joint_deleted_old"] = pot(
            joint, "Joint holiday", "waves", 0, goal=200000, created_ns=t(400),
            updated_ns=start + 120 * DAY + rng.randrange(DAY), deleted=True)
        self.pot_roles["joint_deleted_recent"] = pot(
            joint, "🐶 Dog fund", "rain", 0, created_ns=t(20),
            updated_ns=anchor - 45 * DAY + rng.randrange(DAY), deleted=True)

    # ---------------------------------------------------------------- transaction builder

    def _tx(self, acc, txid, created_ns, amount, description, scheme, category, *,
            merchant=None, notes="", metadata=None, settled="created", updated_ns=None,
            local_amount=None, local_currency=None, categories="default",
            counterparty=None, dedupe_id="", originator=False, include_in_spending=False,
            can=(False, False, False, False, False), is_load=False, user_id="",
            decline_reason=None, labels=None, attachments=None, atm_fees_detailed=None,
            tab=None, currency="GBP", amount_is_pending=False, international=None,
            fees=None, parent_account_id="") -> dict:
        created = format_ts(created_ns)
        if settled == "created":
            settled_s = created
            settled_ns = created_ns
        elif settled is None or settled == "":
            settled_s = ""
            settled_ns = created_ns
        else:
            settled_ns = _to_ns(settled)
            settled_s = format_ts(settled_ns)
        if updated_ns is None:
            updated_ns = _truncate_frac(max(created_ns, settled_ns)
                                        + self._ri(40, 900) * 1_000_000, 3)
        if categories == "default":
            categories = {category: amount}
        if local_currency is None:
            local_currency = currency
            if local_amount is None:
                local_amount = amount
        tx = {
            "id": txid,
            "created": created,
            "description": description,
            "amount": amount,
            "fees": {} if fees is None else fees,
            "currency": currency,
            "merchant": merchant,
            "notes": notes,
            "metadata": {} if metadata is None else metadata,
            "labels": labels,
            "attachments": attachments,
            "international": international,
            "category": category,
            "categories": categories,
            "is_load": is_load,
            "settled": settled_s,
            "decline_reason": decline_reason,
            "local_amount": local_amount,
            "local_currency": local_currency,
            "updated": format_ts(updated_ns),
            "account_id": acc,
            "user_id": user_id,
            "counterparty": {} if counterparty is None else counterparty,
            "scheme": scheme,
            "dedupe_id": dedupe_id,
            "originator": originator,
            "include_in_spending": include_in_spending,
            "can_be_excluded_from_breakdown": can[1],
            "can_be_made_subscription": can[2],
            "can_split_the_bill": can[3],
            "can_add_to_tab": can[0],
            "can_match_transactions_in_categorization": can[4],
            "amount_is_pending": amount_is_pending,
            "atm_fees_detailed": atm_fees_detailed,
            "parent_account_id": parent_account_id,
        }
        if decline_reason is None:
            del tx["decline_reason"]
        if tab is not None:
            tx["tab"] = tab
        return tx

    # -- kinds. Each returns a transaction dict; `blk` is a random 36-char block.

    def _blk(self) -> str:
        # 27 random bytes -> 36 base-64 characters, folded into base 62
        return base64.b64encode(self._rng.randbytes(27)).decode("ascii").replace(
            "+", "Q").replace("/", "k")

    def _ri(self, lo: int, hi: int | None = None) -> int:
        """Fast randrange (only needs to be deterministic, not perfectly uniform)."""
        if hi is None:
            return int(self._rng.random() * lo)
        return lo + int(self._rng.random() * (hi - lo))

    def _card(self, acc, created_ns, merchant, amount, *, pending=False, notes="",
              local_amount=None, local_currency=None, decline_reason=None, user_id=None,
              category=None, categories="default", hide_amount=False, txid=None,
              settle_after_ns=None, labels=None, atm_fees_detailed=None, extra_meta=None):
        b = self._blk()
        txid = txid or "tx_0000" + b[:18]
        descriptor, mcc = self._descriptor(merchant)
        life = "mclifecycle_0000" + b[6:24]
        auth = "mcauthmsg_0000" + b[12:30]
        meta = {
            "ledger_insertion_id": "entryset_0000" + b[18:36],
            "mastercard_approval_type": "full",
            "mastercard_auth_message_id": auth,
            "mastercard_card_id": self.cards.get(acc) or "mccard_0000" + b[:18],
            "mastercard_lifecycle_id": life,
            "mcc": mcc,
        }
        if hide_amount:
            meta = {"auth_account_id": acc, "hide_amount": "true",
                    "hide_transaction": "false",
                    "mastercard_auth_message_id": auth,
                    "mastercard_card_id": meta["mastercard_card_id"],
                    "mastercard_lifecycle_id": life, "mcc": mcc}
        if notes:
            meta["notes"] = notes
        if extra_meta:
            meta.update(extra_meta)
        if pending or decline_reason is not None:
            settled = ""
        else:
            meta["mastercard_clearing_message_id"] = "mcclearingmsg_0000" + b[3:21]
            if settle_after_ns is None:
                settle_after_ns = self._ri(6 * HOUR, 40 * HOUR)
            settled = _truncate_frac(created_ns + settle_after_ns, (2, 3, 3)[self._ri(3)])
        category = category or merchant["category"]
        spending = decline_reason is None and not hide_amount
        if user_id is None:
            user_id = self.user_id
        return self._tx(
            acc, txid, created_ns, amount, descriptor, "mastercard", category,
            merchant=merchant, notes=notes, metadata=meta, settled=settled,
            local_amount=local_amount, local_currency=local_currency, categories=categories,
            dedupe_id="mclifecycle:%s:MASTERCARD_AUTH:%s" % (life, auth),
            include_in_spending=spending,
            can=(not hide_amount, True, not hide_amount, not hide_amount, True),
            user_id=user_id, decline_reason=decline_reason, labels=labels,
            atm_fees_detailed=atm_fees_detailed)

    def _pot_transfer(self, acc, created_ns, pot, amount, *, trigger="user", txid=None,
                      category=None):
        b = self._blk()
        txid = txid or "tx_0000" + b[:18]
        deposit = amount < 0
        ext = "%s:%s-%s-%s" % (self.user_id, b[0:8].lower(), b[8:12].lower(),
                               b[12:24].lower())
        meta = {"external_id": ext, "ledger_insertion_id": "entryset_0000" + b[18:36],
                "pot_account_id": self._pot_acc_ids[pot["id"]]}
        if deposit:
            meta["pot_deposit_id"] = "potdep_0000" + b[6:24]
        meta["pot_id"] = pot["id"]
        if not deposit:
            meta["pot_withdrawal_id"] = "potwdr_0000" + b[6:24]
        meta["trigger"] = trigger
        meta["user_id"] = self.user_id
        return self._tx(
            acc, txid, created_ns, amount, pot["id"], "uk_retail_pot",
            category or ("savings" if deposit else "transfers"), metadata=meta,
            dedupe_id="%s:%s:%s:%s" % (pot["id"], acc, "deposit" if deposit else "withdraw",
                                       ext),
            originator=True)

    def _p2p(self, acc, created_ns, amount, cp, *, notes="", tab=None, description=None,
             txid=None, category="general"):
        b = self._blk()
        txid = txid or "tx_0000" + b[:18]
        meta = {}
        if notes:
            meta["notes"] = notes
        meta["p2p_initiator"] = "tab" if tab else ("payment-request" if amount > 0 else "p2p")
        meta["p2p_transfer_id"] = "p2p_0000" + b[6:24]
        if amount < 0:
            meta["payee_id"] = "payee_0000" + b[12:30]
        if tab:
            meta["tab_id"] = tab["id"]
        name = cp.get("name") or cp.get("preferred_name") or ""
        return self._tx(
            acc, txid, created_ns, amount, description if description is not None else name,
            "p2p_payment", category, notes=notes, metadata=meta, counterparty=cp,
            dedupe_id="p2p-payment:%s:%s%s:%s-%s" % (acc, cp.get("account_id", ""),
                                                     cp.get("user_id", ""), b[0:8], b[8:20]),
            originator=amount < 0, include_in_spending=amount < 0, tab=tab)

    def _fps(self, acc, created_ns, amount, name, reference, *, category=None, txid=None,
             categories="default", cp=None):
        rng = self._rng
        b = self._blk()
        txid = txid or "tx_0000" + b[:18]
        hx = rng.randbytes(24).hex().upper()
        fpid = "FP" + hx[:32]
        if cp is None:
            cp = {"account_number": "%08d" % self._ri(10 ** 8), "name": name,
                  "sort_code": "%06d" % self._ri(10 ** 6),
                  "user_id": "anonuser_" + b[10:32].lower()}
        meta = {"faster_payment": "true", "fps_fpid": fpid, "fps_payment_id": fpid,
                "insertion": "entryset_0000" + b[18:36], "notes": reference,
                "trn": hx[32:48]}
        if amount > 0:
            # incoming payments settle at the next 06:00 UTC
            day = created_ns - created_ns % DAY
            settle = day + 6 * HOUR
            if settle <= created_ns:
                settle += DAY
            if settle >= self._anchor_ns - MIN:
                settle = created_ns
            direction = "INBOUND"
            category = category or "income"
        else:
            settle = created_ns
            direction = "OUTBOUND"
            category = category or "transfers"
        return self._tx(
            acc, txid, created_ns, amount, reference, "payport_faster_payments", category,
            notes=reference, metadata=meta, settled=settle, categories=categories,
            counterparty=cp,
            dedupe_id="com.monzo.fps:%04d:%s:%s" % (self._ri(10000), fpid, direction),
            originator=amount < 0, include_in_spending=amount < 0)

    def _bacs(self, acc, created_ns, amount, name, reference, *, merchant=None, dd=True,
              txid=None, category=None):
        b = self._blk()
        txid = txid or "tx_0000" + b[:18]
        cp = {"account_number": "%08d" % self._ri(10 ** 8), "name": name}
        if dd:
            cp["service_user_number"] = "%06d" % self._ri(10 ** 6)
        cp["sort_code"] = "%06d" % self._ri(10 ** 6)
        cp["user_id"] = "anonuser_" + b[10:32].lower()
        meta = {}
        if dd:
            meta["bacs_direct_debit_instruction_id"] = "ddi_0000" + b[0:18]
        meta["bacs_payment_id"] = "bacspayment_0000" + b[6:24]
        meta["bacs_record_id"] = "bacsrcd_0000" + b[12:30]
        meta["ledger_insertion_id"] = "entryset_0000" + b[18:36]
        meta["notes"] = reference
        if dd:
            meta["subscription_id"] = "sub_0000" + b[3:21]
        category = category or ("bills" if dd else "income")
        return self._tx(
            acc, txid, created_ns, amount, reference, "bacs", category, merchant=merchant,
            notes=reference, metadata=meta, counterparty=cp,
            dedupe_id="bacs:" + meta["bacs_record_id"], include_in_spending=amount < 0,
            can=(True, False, True, True, True) if dd else (False,) * 5)

    # ---------------------------------------------------------------- bulk streams

    def _times(self, n, lo_ns, hi_ns):
        """n sorted creation instants in [lo, hi) with 0/1/2/3/6 fraction digits."""
        rng = self._rng
        lo_us, hi_us = lo_ns // 1000, hi_ns // 1000
        rnd = rng.random
        span = hi_us - lo_us
        out = []
        for _ in range(n):
            ns = (lo_us + int(rnd() * span)) * 1000
            r = rnd()
            if r < 0.08:
                ns -= ns % NS
            elif r < 0.20:
                ns -= ns % 100_000_000
            elif r < 0.35:
                ns -= ns % 10_000_000
            elif r < 0.92:
                ns -= ns % 1_000_000
            out.append(ns)
        out.sort()
        return out

    def _bulk(self, acc, n, lo_ns, hi_ns, *, weights, merchants, pots=(), users=None,
              payees=_PAYEES, employers=_EMPLOYERS, people=_PEOPLE, tab=None):
        rng = self._rng
        rnd = rng.random
        rr = self._ri
        pending_from = self._anchor_ns - 2 * DAY
        kinds, cum = [], []
        total = 0.0
        for k, w in weights:
            total += w
            kinds.append(k)
            cum.append(total)
        merch = [self.merchants[k] for k in merchants]
        atm = self.merchants["atm"]
        dd_merchants = [(self.merchants[k], n_, r) for k, n_, r in _DD]
        pot_windows = []
        for p in pots:
            c = parse_ts(p["created"])
            e = parse_ts(p["updated"]) if p["deleted"] else None
            pot_windows.append((c, e, p))
        contacts = [{"account_id": self._rid("acc_"), "name": nm, "preferred_name": nm,
                     "user_id": self._rid("user_")} for nm in people]
        out = []
        for ns in self._times(n, lo_ns, hi_ns):
            x = rnd() * total
            kind = kinds[bisect.bisect_right(cum, x) if x < total else len(kinds) - 1]
            uid = users[rr(len(users))] if users else None
            if kind == "card":
                m = merch[rr(len(merch))]
                lo, hi = _SPEND.get(m["category"], (200, 5000))
                amount = -rr(lo, hi)
                r = rnd()
                tx = self._card(
                    acc, ns, m, amount, pending=ns >= pending_from,
                    notes=_CARD_NOTES[rr(len(_CARD_NOTES))] if r < 0.06 else "",
                    decline_reason=_DECLINE_REASONS[rr(len(_DECLINE_REASONS))]
                    if r > 0.994 else None, user_id=uid)
            elif kind == "refund":
                m = merch[rr(len(merch))]
                tx = self._card(acc, ns, m, rr(300, 6000), pending=ns >= pending_from,
                                user_id=uid)
            elif kind == "atm":
                amount = -rr(1, 20) * 1000
                tx = self._card(
                    acc, ns, atm, amount, pending=ns >= pending_from,
                    labels=["withdrawal.atm.domestic"], user_id=uid,
                    atm_fees_detailed={
                        "allowance_id": "withdrawal.atm.domestic",
                        "allowance_usage_explainer_text":
                            "Withdrawals in the UK are free up to your monthly allowance.",
                        "fee_amount": 0, "fee_currency": "GBP", "fee_summary": None,
                        "withdrawal_amount": amount, "withdrawal_currency": "GBP"})
            elif kind == "pot":
                live = [p for c, e, p in pot_windows if c < ns and (e is None or ns < e)]
                if not live:
                    m = merch[rr(len(merch))]
                    tx = self._card(acc, ns, m, -rr(200, 3000), pending=ns >= pending_from,
                                    user_id=uid)
                else:
                    p = live[rr(len(live))]
                    amt = rr(500, 30000)
                    tx = self._pot_transfer(acc, ns, p, -amt if rnd() < 0.6 else amt,
                                            trigger="user" if rnd() < 0.8 else "coin_jar")
            elif kind == "p2p":
                cp = dict(contacts[rr(len(contacts))])
                amt = rr(500, 6000)
                t = tab if (tab is not None and rnd() < 0.15) else None
                tx = self._p2p(acc, ns, -amt if rnd() < 0.5 else amt, cp,
                               notes="🍻 drinks" if rnd() < 0.2 else "", tab=t)
            elif kind == "fps_out":
                nm, ref = payees[rr(len(payees))]
                tx = self._fps(acc, ns, -rr(1000, 90000), nm, ref)
            elif kind == "fps_in":
                if rnd() < 0.25:
                    nm, ref = employers[rr(len(employers))]
                    tx = self._fps(acc, ns, rr(180000, 320000), nm, ref)
                else:
                    nm = people[rr(len(people))]
                    tx = self._fps(acc, ns, rr(500, 20000), nm, "Thanks!",
                                   category="general")
            elif kind == "dd":
                m, nm, ref = dd_merchants[rr(len(dd_merchants))]
                tx = self._bacs(acc, ns, -rr(1500, 12000), nm, ref % rr(10 ** 6),
                                merchant=m)
            else:
                raise AssertionError(kind)
            out.append((ns, tx["id"], tx))
        return out

    def _store(self, acc, items) -> None:
        """Sort (created_ns, id, tx) items into the account's list."""
        items.sort(key=lambda it: (it[0], it[1]))
        self._txs[acc] = [it[2] for it in items]
        self._keys[acc] = [(it[0], it[1]) for it in items]
        for it in items:
            self._by_id[it[1]] = it[2]

    def _opening(self, acc, items, target_low, target_high, when_ns, name="R OKAFOR",
                 ref="Opening transfer"):
        """A faster payment in before everything else, so the balance ends positive."""
        s = sum(t["amount"] for _, _, t in items if "decline_reason" not in t)
        target = self._rng.randrange(target_low, target_high)
        amount = max(target - s, 100)
        when_ns = _truncate_frac(when_ns, 3)
        tx = self._fps(acc, when_ns, amount, name, ref, category="transfers")
        items.append((when_ns, tx["id"], tx))

    # ---------------------------------------------------------------- main account

    def _gen_main(self, n: int) -> None:
        rng = self._rng
        acc = self.account_ids["retail"]
        anchor = self._anchor_ns
        start = self._start_ns
        items = []
        weights = [("card", 0.64), ("refund", 0.01), ("atm", 0.02), ("pot", 0.08),
                   ("p2p", 0.08), ("fps_out", 0.05), ("fps_in", 0.06), ("dd", 0.06)]
        everyday = ["greenleaf", "larder", "coop", "bramble", "noodle", "kettle", "rail",
                    "bikes", "fuel", "books", "outdoor", "pixel", "cinema", "stream", "barber",
                    "air", "post", "charity", "florist"]
        live_pots = [p for p in self.pots[acc]]
        self.tab = self._make_tab()

        awkward = self._awkward_main(acc) if n >= 48 else []
        n_bulk = n - len(awkward) - (1 if n > 0 else 0)
        items.extend(awkward)
        if n_bulk > 0:
            items.extend(self._bulk(acc, n_bulk, start + DAY, anchor - 30 * MIN,
                                    weights=weights, merchants=everyday, pots=live_pots,
                                    tab=self.tab))
        if n > 0:
            self._opening(acc, items, 150000, 450000, start + rng.randrange(HOUR, 20 * HOUR))
        self._store(acc, items)

    def _make_tab(self) -> dict:
        rng = self._rng
        tab_id = self._rid("tab_")
        opened = format_ts(_truncate_frac(self._start_ns + rng.randrange(30 * DAY), 3))
        modified = format_ts(_truncate_frac(self._anchor_ns - rng.randrange(2, 30) * DAY, 3))
        parts = []
        people = [(self.user_id, "Renée Okafor", "Renée", 4120),
                  (self._rid("user_"), "Sam Patel", "Sam", 0),
                  (self._rid("user_"), "Priya Shah", "Priya", -4120)]
        for i, (uid, name, first, settle) in enumerate(people):
            p = {"first_name": first, "id": self._rid("participant_"), "name": name,
                 "payment_status": "not-requested", "settle_amount": settle,
                 "settle_currency": "GBP", "status": "accepted", "tab_id": tab_id,
                 "total_amount": 0, "total_currency": "GBP", "user_id": uid}
            if i:
                p["invited_at"] = opened
                p["invited_by"] = self.user_id
            parts.append(p)
        return {"created_by": self.user_id, "currency": "GBP", "id": tab_id,
                "item_count": 57, "left_participants": [], "modified_at": modified,
                "name": "Flat 4B 🏠", "opened_at": opened, "participants": parts,
                "status": "open", "total": -24690}

    def _awkward_main(self, acc) -> list:
        rng = self._rng
        anchor = self._anchor_ns
        M = self.merchants
        items = []
        used = set()

        def recent():
            # a random instant between anchor-60d and anchor-4d, 3 fraction digits
            while True:
                ns = _truncate_frac(anchor - 60 * DAY + rng.randrange(56 * DAY // 1000) * 1000,
                                    3)
                if ns not in used:
                    used.add(ns)
                    return ns

        def add(name, tx, ns):
            self.awkward[name] = tx["id"]
            items.append((ns, tx["id"], tx))

        def card(name, merchant, amount, ns=None, **kw):
            ns = recent() if ns is None else ns
            add(name, self._card(acc, ns, merchant, amount, **kw), ns)

        card("merchant_comma", M["comma"], -2349)
        card("address_commas", M["comma"], -875)
        card("merchant_quotes", M["quotes"], -1260)
        card("notes_newline", M["bramble"], -465,
             notes='Line one, with a comma\nand "quoted" words on line two')
        card("notes_tab_backslash", M["books"], -1599,
             notes="tab\there and a back\\slash: C:\\receipts\\2025")
        card("emoji", M["emoji"], -1850, notes="Pizza night 🍕🎉 #treat")
        card("non_ascii", M["umlaut"], -420, notes="Croissant & café au lait — £4.20 über-good")
        card("pound_sign", M["pound"], -100, notes="£1 exactly")
        card("foreign_jpy", M["jpy"], -630, local_amount=-1200, local_currency="JPY",
             category="holidays", categories={"holidays": -630})
        card("foreign_kwd", M["kwd"], -317, local_amount=-1234, local_currency="KWD",
             category="holidays", categories={"holidays": -317})
        card("foreign_eur", M["eur"], -1734, local_amount=-2000, local_currency="EUR",
             category="holidays", categories={"holidays": -1734})
        card("foreign_usd", M["usd"], -945, local_amount=-1200, local_currency="USD",
             category="holidays", categories={"holidays": -945})
        card("card_check_zero", M["stream"], 0, pending=True, hide_amount=True,
             notes="Card check")
        card("refund", M["outdoor"], 2999, notes="Returned the tent")
        card("declined_pending", M["pixel"], -24999, decline_reason="INSUFFICIENT_FUNDS")
        # declined but carrying a settled time, like the monzo-lib sample
        ns = recent()
        tx = self._card(acc, ns, M["stream"], -1099, decline_reason="INVALID_CVC")
        tx["settled"] = format_ts(_truncate_frac(ns + 9 * HOUR + rng.randrange(HOUR), 3))
        add("declined_settled", tx, ns)
        card("split", M["bramble"], -2200, category="eating_out",
             categories={"eating_out": -1500, "shopping": -700},
             notes="Lunch plus a mug to take home")
        card("custom_category", M["stationer"], -4500, category="Side hustle",
             categories={"Side hustle": -4500})
        card("custom_category_id", M["software"], -1200, category="custom_cat_7f3a9b",
             categories={"custom_cat_7f3a9b": -1200})
        card("atm", M["atm"], -5000, labels=["withdrawal.atm.domestic"],
             atm_fees_detailed={
                 "allowance_id": "withdrawal.atm.domestic",
                 "allowance_usage_explainer_text":
                     "Withdrawals in the UK are free up to your monthly allowance.",
                 "fee_amount": 0, "fee_currency": "GBP", "fee_summary": None,
                 "withdrawal_amount": -5000, "withdrawal_currency": "GBP"})
        # two transactions created at the same instant: order falls back to the id
        ns = recent()
        a = self._card(acc, ns, M["larder"], -310)
        b = self._card(acc, ns, M["larder"], -199)
        add("same_created_1", a, ns)
        add("same_created_2", b, ns)

        # pot transfers: a live pot and a recently deleted one
        live = self.pot_roles["holiday"]
        gone = self.pot_roles["deleted_recent"]
        ns = recent()
        add("pot_out_live", self._pot_transfer(acc, ns, live, -5000), ns)
        ns = recent()
        add("pot_in_live", self._pot_transfer(acc, ns, live, 2500), ns)
        gone_ns = parse_ts(gone["updated"])
        ns = _truncate_frac(gone_ns - 10 * DAY - rng.randrange(DAY), 3)
        add("pot_out_deleted", self._pot_transfer(acc, ns, gone, -12000), ns)
        ns = _truncate_frac(gone_ns - 2 * MIN, 2)
        add("pot_in_deleted", self._pot_transfer(acc, ns, gone, 12000), ns)

        # bank transfers
        ns = recent()
        add("faster_payment_in",
            self._fps(acc, ns, 125000, "Acme Widgets Ltd", "ACME PAYROLL NOV"), ns)
        ns = recent()
        add("faster_payment_out",
            self._fps(acc, ns, -65000, "Landlord Properties Ltd", "Rent flat 4B"), ns)
        ns = recent()
        add("counterparty_non_ascii",
            self._fps(acc, ns, 4200, "José Ñúñez", "Concert tickets £42"), ns)
        ns = recent()
        cp = {"account_id": self._rid("acc_"), "name": "Sam Patel",
              "preferred_name": "Sam Patel", "user_id": self._rid("user_")}
        add("p2p_payment", self._p2p(acc, ns, -1850, cp, notes="Dinner 🍝, thanks!"), ns)
        ns = recent()
        cp = {"preferred_name": "Kit 🐈", "user_id": self._rid("user_")}
        add("counterparty_preferred_only",
            self._p2p(acc, ns, 750, cp, description="MONZO TRANSFER"), ns)
        ns = recent()
        add("p2p_tab", self._p2p(acc, ns, -2300, dict(cp, name="Kit Morgan"),
                                 tab=self.tab), ns)
        ns = recent()
        ns -= ns % DAY
        ns += 2 * HOUR + rng.randrange(HOUR // 1000) * 1000
        add("bacs_direct_debit",
            self._bacs(acc, ns, -5632, "NORTHGRID ENERGY", "NG-448812",
                       merchant=M["energy"]), ns)
        ns = recent()
        ns -= ns % DAY
        ns += 3 * HOUR
        add("bacs_credit",
            self._bacs(acc, ns, 18240, "CITY COUNCIL REFUND", "COUNCIL TAX REFUND",
                       dd=False), ns)
        # an attachment
        ns = recent()
        tx = self._card(acc, ns, M["post"], -745, notes="Receipt attached")
        tx["attachments"] = [{
            "created": format_ts(ns + 5 * MIN),
            "external_id": tx["id"],
            "file_type": "image/jpeg",
            "file_url": "https://attachments.fakebank.invalid/%s/receipt.jpg" % tx["id"],
            "id": self._rid("attach_"),
            "type": "image/jpeg",
            "url": "https://attachments.fakebank.invalid/%s/receipt.jpg" % tx["id"],
            "user_id": self.user_id,
        }]
        add("attachment", tx, ns)

        # pending ones in the last few days
        for i, (m, amt) in enumerate([(M["greenleaf"], -2875), (M["rail"], -1340),
                                      (M["bramble"], -385)], 1):
            ns = _truncate_frac(anchor - (3 * DAY) + rng.randrange(3 * DAY - HOUR) // 1000
                                * 1000, (1, 2, 6)[i - 1])
            used.add(ns)
            card("pending_%d" % i, m, amt, ns=ns, pending=True)

        # dates around month ends and the UK clock changes (absolute, in 2025)
        fixed = [("month_end_bst_2025_03_31", "2025-03-31T23:30:00Z", M["noodle"], -1640),
                 ("month_end_2025_04_30", "2025-04-30T23:59:59.5Z", M["kettle"], -560),
                 ("clock_change_2025_10_26_bst", "2025-10-26T00:30:00Z", M["cinema"], -1200),
                 ("clock_change_2025_10_26_gmt", "2025-10-26T01:30:00Z", M["cinema"], -900),
                 ("month_end_gmt_2025_10_31", "2025-10-31T23:30:00Z", M["quotes"], -1075)]
        for name, when, m, amt in fixed:
            ns = parse_ts(when)
            while ns >= anchor - 3 * DAY:
                dt = _ns_to_dt(ns)
                try:
                    dt = dt.replace(year=dt.year - 1)
                except ValueError:
                    dt = dt.replace(year=dt.year - 1, day=28)
                ns = _dt_to_ns(dt)
            card(name, m, amt, ns=ns)
        return items

    # ---------------------------------------------------------------- other accounts

    def _gen_joint(self, n: int) -> None:
        acc = self.account_ids["joint"]
        created = parse_ts(self.account(acc)["created"])
        lo = max(created + DAY, self._start_ns)
        items = self._bulk(acc, n, lo, self._anchor_ns - 45 * MIN,
                           weights=[("card", 0.6), ("pot", 0.1), ("dd", 0.15), ("p2p", 0.15)],
                           merchants=["greenleaf", "larder", "coop", "kettle", "cinema",
                                      "florist"], pots=self.pots[acc],
                           users=[self.user_id, self.partner_user_id],
                           people=["Renée Okafor", "Jürgen Dahl"])
        self._opening(acc, items, 60000, 200000, lo - HOUR, name="J DAHL",
                      ref="Joint account top up")
        self._store(acc, items)

    def _gen_business(self, acc, n, invoices) -> None:
        rng = self._rng
        created = parse_ts(self.account(acc)["created"])
        lo = max(created + DAY, self._start_ns)
        items = self._bulk(acc, n, lo, self._anchor_ns - 50 * MIN,
                           weights=[("card", 0.55), ("fps_out", 0.2), ("fps_in", 0.25)],
                           merchants=["software", "stationer", "pixel", "rail", "post"],
                           payees=[("Studio Rent Ltd", "Studio rent"),
                                   ("K Okafor Accountancy", "Bookkeeping")],
                           employers=[("Client Alpha Ltd", "INV-%04d" % rng.randrange(10000)),
                                      ("Client Beta plc", "Invoice payment")],
                           people=["Client Gamma", "Client Delta"])
        self._opening(acc, items, 200000, 900000 if invoices else 300000, lo - HOUR,
                      name="RENEE OKAFOR", ref="Capital")
        self._store(acc, items)

    def _gen_flex(self, n: int) -> None:
        rng = self._rng
        acc = self.account_ids["flex"]
        lo = self._start_ns + 10 * DAY
        hi = self._anchor_ns - 3 * DAY
        items = []
        flex_id = self.account(acc)["description"]
        for ns in self._times(n, lo, hi):
            b = self._blk()
            amount = -rng.randrange(2000, 20000) if rng.random() < 0.6 else \
                rng.randrange(2000, 20000)
            meta = {"exclude_from_breakdown": "false",
                    "ledger_entry_intent": "monzo-flex.purchase" if amount < 0 else
                    "monzo-flex.service_collects_scheduled_payment",
                    "ledger_insertion_id": "entryset_0000" + b[18:36],
                    "monzo_flex_id": flex_id}
            tx = self._tx(acc, "tx_0000" + b[:18], ns, amount,
                          "Flex purchase" if amount < 0 else "Flex repayment", "monzo_flex",
                          "shopping" if amount < 0 else "transfers", metadata=meta,
                          dedupe_id="%s:%s:monzo-flex:%s" % (acc, flex_id, b[3:21]),
                          originator=True, include_in_spending=amount < 0)
            items.append((ns, tx["id"], tx))
        self._store(acc, items)

    def _gen_prepaid(self, n: int) -> None:
        rng = self._rng
        acc = self.account_ids["prepaid"]
        lo = parse_ts(self.account(acc)["created"]) + HOUR
        hi = lo + 300 * DAY
        items = []
        merch = [self.merchants[k] for k in ("kettle", "larder", "rail", "cinema")]
        times = self._times(n, lo, hi)
        for i, ns in enumerate(times[:-1]):
            b = self._blk()
            if i % 4 == 0:
                tx = self._tx(acc, "tx_0000" + b[:18], ns, rng.randrange(1, 6) * 1000,
                              "Top up", "gps_mastercard", "mondo", is_load=True,
                              metadata={"ledger_insertion_id": "entryset_0000" + b[18:36]},
                              user_id=self.user_id)
            else:
                tx = self._card(acc, ns, merch[rng.randrange(len(merch))],
                                -rng.randrange(100, 900))
                tx["scheme"] = "gps_mastercard"
            items.append((ns, tx["id"], tx))
        # closing: move what is left out, so the closed account ends at zero
        if times:
            left = sum(t["amount"] for _, _, t in items if "decline_reason" not in t)
            ns = times[-1]
            tx = self._fps(acc, ns, -left if left else -1, "RENEE OKAFOR",
                           "Prepaid account closure")
            if not left:
                tx["amount"] = tx["local_amount"] = 0
                tx["categories"] = {tx["category"]: 0}
            items.append((ns, tx["id"], tx))
        self._store(acc, items)

    def _gen_joint_closed(self, n: int) -> None:
        acc = self.account_ids["joint_closed"]
        lo = parse_ts(self.account(acc)["created"]) + DAY
        hi = lo + 500 * DAY
        items = self._bulk(acc, max(n - 2, 0), lo + DAY, hi - DAY,
                           weights=[("card", 0.7), ("p2p", 0.3)],
                           merchants=["greenleaf", "kettle", "cinema"],
                           users=[self.user_id, self.partner_user_id],
                           people=["Renée Okafor", "Jürgen Dahl"])
        if n >= 2:
            self._opening(acc, items, 20000, 50000, lo, name="R OKAFOR", ref="Joint start")
            left = sum(t["amount"] for _, _, t in items if "decline_reason" not in t)
            tx = self._fps(acc, hi, -left, "R OKAFOR", "Closing joint account")
            items.append((hi, tx["id"], tx))
        self._store(acc, items)

    # ---------------------------------------------------------------- own accounts

    def _gen_own_transfers(self) -> None:
        """Transfers between the current and the joint account: a few of the current
        account's generated faster payments become transfers of the same amount to or
        from the joint account, whose side is added to the joint account.  The current
        account keeps its count, its amounts and every other transaction; see the
        module docstring ("Own accounts")."""
        main, joint = self.account_ids["retail"], self.account_ids["joint"]
        self.own_transfers = []
        if not self._txs[joint]:
            return
        taken = set(self.awkward.values())
        late = self._anchor_ns - 3 * DAY
        keys, txs = self._keys[main], self._txs[main]

        def bulk_fps(sign, category):
            return [i for i, ((ns, tid), t) in enumerate(zip(keys, txs))
                    if t["scheme"] == "payport_faster_payments" and t["amount"] * sign > 0
                    and t["category"] == category and tid not in taken and ns < late]

        def spread(idx, k):
            k = min(k, len(idx))
            return [idx[(2 * j + 1) * len(idx) // (2 * k)] for j in range(k)]

        # out of the current account: payments to payees; into it: friends' "Thanks!"
        chosen = sorted([(i, -1) for i in spread(bulk_fps(-1, "transfers"), 4)] +
                        [(i, 1) for i in spread(bulk_fps(1, "general"), 3)])
        joint_run = [(ns, t["amount"]) for (ns, _), t in zip(self._keys[joint], self._txs[joint])
                     if "decline_reason" not in t]
        main_items = list(zip(keys, txs))
        joint_items = [(ns, tid, t) for (ns, tid), t in zip(self._keys[joint], self._txs[joint])]
        with self._drawing_from("own_transfers"):
            for i, sign in chosen:
                (ns, old_id), old = main_items[i]
                amount = abs(old["amount"])
                if sign > 0 and amount > self._lowest_after(joint_run, ns):
                    continue          # the joint account would go overdrawn: leave it
                if sign < 0:
                    out, inn = self._own_transfer(main, joint, ns, amount, "Bills share")
                    mine, theirs = out, inn
                else:
                    out, inn = self._own_transfer(joint, main, ns, amount, "Back from joint")
                    mine, theirs = inn, out
                theirs_ns = parse_ts(theirs["created"])
                main_items[i] = ((ns, mine["id"]), mine)
                joint_items.append((theirs_ns, theirs["id"], theirs))
                joint_run.append((theirs_ns, theirs["amount"]))
                del self._by_id[old_id]
                self.own_transfers.append((out["id"], inn["id"]))
        self._store(main, [(ns, tid, t) for (ns, tid), t in main_items])
        self._store(joint, joint_items)

    @staticmethod
    def _lowest_after(run, ns) -> int:
        """The lowest running total of (created_ns, amount) items at or after ns."""
        total = low = None
        for at, amount in sorted(run):
            total = (total or 0) + amount
            if at >= ns:
                low = total if low is None else min(low, total)
        return 0 if low is None else low

    def _holders(self, acc_id) -> str:
        return " & ".join(o["preferred_name"] for o in self.account(acc_id)["owners"])

    def _own_transfer(self, src, dst, at_ns, amount, reference) -> tuple:
        """A faster payment of `amount` (> 0) from account src to account dst, both
        the user's: (src's side, dst's side).  The current account's side sits at
        at_ns, the joint account's side a second or two away (after it when the money
        leaves the current account, before it when it arrives there).  Each side
        settles at once, names the other account's holders, sort code and account
        number, and is left out of spending, as a move between one's own accounts is."""
        fpid = "FP" + self._rng.randbytes(16).hex().upper()
        gap = self._ri(300, 2500) * MS
        if src == self.account_ids["retail"]:
            src_ns, dst_ns = at_ns, _truncate_frac(at_ns + gap, 3)
        else:
            src_ns, dst_ns = _truncate_frac(at_ns - gap, 3), at_ns
        route = self._ri(10000)
        sides = []
        for acc, other, ns, amt, direction in ((src, dst, src_ns, -amount, "OUTBOUND"),
                                               (dst, src, dst_ns, amount, "INBOUND")):
            a = self.account(other)
            cp = {"account_id": other, "account_number": a["account_number"],
                  "name": self._holders(other), "sort_code": a["sort_code"],
                  "user_id": self.user_id}
            meta = {"faster_payment": "true", "fps_fpid": fpid, "fps_payment_id": fpid,
                    "insertion": "entryset_0000" + self._blk()[18:36], "notes": reference,
                    "trn": fpid[2:18]}
            sides.append(self._tx(
                acc, "tx_0000" + self._blk()[:18], ns, amt, reference,
                "payport_faster_payments", "transfers", notes=reference, metadata=meta,
                counterparty=cp, dedupe_id="com.monzo.fps:%04d:%s:%s" % (route, fpid, direction),
                originator=amt < 0, include_in_spending=False, user_id=self.user_id))
        return sides[0], sides[1]

    def _gen_spending_exclusions(self) -> None:
        """A card payment and a refund of the current account that the user left out
        of spending (include_in_spending false), as the app lets one do: roles
        "card_excluded" and "refund_excluded" in spending_roles."""
        self.spending_roles = {}
        taken = set(self.awkward.values())
        txs = self._txs[self.account_ids["retail"]]
        late = self._anchor_ns - 3 * DAY
        cards = [t for t in txs if t["scheme"] == "mastercard" and t["settled"]
                 and t["include_in_spending"] and t["id"] not in taken
                 and parse_ts(t["created"]) < late]
        refunds = [t for t in cards if t["amount"] > 0]
        payments = [t for t in cards if t["amount"] < 0]
        for role, found in (("card_excluded", payments), ("refund_excluded", refunds)):
            if found:
                t = found[len(found) // 2]
                t["include_in_spending"] = False
                self.spending_roles[role] = t["id"]

    # ---------------------------------------------------------------- pot accounts

    def _gen_pot_accounts(self) -> None:
        """Each pot a transfer names gets its own account and ledger; a new pot that
        nothing was ever moved into is added to the main account.  See the module
        docstring ("Pot accounts")."""
        legs = {}                         # pot id -> [(created_ns, transfer)]
        for a in self.accounts:
            for (ns, _), t in zip(self._keys[a["id"]], self._txs[a["id"]]):
                if t["scheme"] == "uk_retail_pot":
                    legs.setdefault(t["metadata"]["pot_id"], []).append((ns, t))
        with self._drawing_from("pots"):
            created_ns = self._anchor_ns - 3 * DAY + self._ri(DAY)
            self.pot_roles["never_used"] = self._new_pot(
                self.account_ids["retail"], "🌱 Someday", "color_blue", 0, goal=50000,
                created_ns=created_ns, updated_ns=created_ns)
            for plist in self.pots.values():
                for pot in plist:
                    if pot["id"] in legs:
                        self._store(self._open_pot_account(pot),
                                    self._pot_ledger(pot, legs[pot["id"]]))

    def _open_pot_account(self, pot) -> str:
        """Show the pot's account (as its first transfer does); returns its id."""
        pot_acc = self._pot_acc_ids[pot["id"]]
        self.pot_accounts[pot["id"]] = pot_acc
        self._pot_of_account[pot_acc] = pot
        self._txs.setdefault(pot_acc, [])
        self._keys.setdefault(pot_acc, [])
        return pot_acc

    def _pot_leg(self, tx, created_ns=None) -> dict:
        """The pot account's side of a current account's pot transfer tx: the same
        instant, ledger entry, metadata (pot_account_id is this account), category and
        settled time, the opposite amount.  Its description is the current account's id,
        as the current account's side names the pot."""
        b = self._blk()
        meta = dict(tx["metadata"])
        pot_acc = meta["pot_account_id"]
        amount = -tx["amount"]
        if created_ns is None:
            created_ns = parse_ts(tx["created"])
        return self._tx(
            pot_acc, "tx_0000" + b[:18], created_ns, amount, tx["account_id"],
            "uk_retail_pot", tx["category"], metadata=meta,
            settled="created" if tx["settled"] == tx["created"] else tx["settled"],
            dedupe_id="%s:%s:%s:%s" % (meta["pot_id"], pot_acc,
                                       "deposit" if amount > 0 else "withdraw",
                                       meta.get("external_id", "")),
            user_id=tx["user_id"])

    def _pot_ledger(self, pot, legs) -> list:
        """(created_ns, id, tx) items of a pot account: the legs of the current account's
        transfers, monthly interest for a savings pot, and the transfers outside the
        generated history that make it end at the pot's balance without going below 0."""
        pot_acc = self._pot_acc_ids[pot["id"]]
        items = []
        for ns, t in legs:
            leg = self._pot_leg(t, ns)
            items.append((ns, leg["id"], leg))
        if pot["type"] == "flexible_savings":
            items.extend(self._interest(pot, pot_acc))
        items.sort(key=lambda it: (it[0], it[1]))
        run = low = 0
        for _, _, t in items:
            run += t["amount"]
            low = min(low, run)
        opening = max(pot["balance"] - run, -low)
        surplus = opening + run - pot["balance"]
        cur = pot["current_account_id"]
        if opening:
            # moved in before the generated history starts (pots are older than it)
            ns = _truncate_frac(parse_ts(pot["created"]) + self._ri(MIN, 2 * HOUR), 3)
            leg = self._pot_leg(self._pot_transfer(cur, ns, pot, -opening), ns)
            items.insert(0, (ns, leg["id"], leg))
        if surplus:
            # the generated transfers ignore what a pot holds: what is left over is
            # withdrawn last (for a deleted pot, just before it was deleted)
            last = items[-1][0] + MS
            end = parse_ts(pot["updated"]) if pot["deleted"] else self._anchor_ns - 30 * MIN
            ns = _truncate_frac(last + self._ri(max(min(end - last, HOUR), 1)), 3)
            leg = self._pot_leg(self._pot_transfer(cur, ns, pot, surplus), ns)
            items.append((ns, leg["id"], leg))
        return items

    def _interest(self, pot, pot_acc) -> list:
        """Interest paid into a savings pot's account early on the 1st of each month
        for the month before, about 4.1% AER of the pot's balance."""
        lo = max(parse_ts(pot["created"]), self._start_ns)
        hi = parse_ts(pot["updated"]) if pot["deleted"] else self._anchor_ns
        d = _ns_to_dt(lo).date()
        period_from = d
        items = []
        while True:
            d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
            month_ns = _dt_to_ns(datetime(d.year, d.month, d.day, tzinfo=timezone.utc))
            if month_ns >= hi - 6 * HOUR:
                return items
            ns = _truncate_frac(month_ns + self._ri(2 * HOUR, 5 * HOUR), 3)
            b = self._blk()
            until = d - timedelta(days=1)
            amount = max(1, int(pot["balance"] * 0.041 / 12 * (0.85 + 0.3 * self._rng.random())))
            meta = {"interest_period_end": until.isoformat(),
                    "interest_period_start": period_from.isoformat(),
                    "interest_rate": "4.10",
                    "ledger_insertion_id": "entryset_0000" + b[18:36],
                    "pot_id": pot["id"]}
            tx = self._tx(pot_acc, "tx_0000" + b[:18], ns, amount, "Interest",
                          "monzo_interest", "savings", metadata=meta,
                          dedupe_id="interest:%s:%s" % (pot_acc, until.strftime("%Y-%m")))
            items.append((ns, tx["id"], tx))
            period_from = d

    # ---------------------------------------------------------------- attachments

    # name -> (account role, days before the anchor, files: (name, type, size range))
    _ATTACHED = [
        ("receipt_png", "retail", 8, [("receipt.png", "image/png", (1500, 12000))]),
        ("two_attachments", "retail", 45, [("receipt.jpg", "image/jpeg", (15000, 90000)),
                                           ("warranty.pdf", "application/pdf",
                                            (20000, 120000))]),
        ("large_jpeg", "retail", 80, [("photo.jpg", "image/jpeg", (204800, 206848))]),
        ("old_receipt", "retail", 150, [("receipt.pdf", "application/pdf", (3000, 30000))]),
        ("invoice_pdf", "business", 20, [("invoice.pdf", "application/pdf",
                                          (20000, 120000))]),
    ]

    def _gen_attachments(self) -> None:
        """Attachments on settled card payments about 8, 45, 80 and 150 days before the
        anchor in the main account and 20 in the business one (the first at or after
        each), besides the awkward one: names in attachment_roles.  Their files are
        served by the attachment host (see start())."""
        with self._drawing_from("attachments"):
            tx_id = self.awkward.get("attachment")
            if tx_id:
                att = self._by_id[tx_id]["attachments"][0]
                self._add_file(att, "receipt.jpg", self._ri(15000, 90000))
                self.attachment_roles["attachment"] = tx_id
            for role, acc_role, days, files in self._ATTACHED:
                tx = self._attachable(self.account_ids[acc_role], days)
                if tx is None:
                    continue
                created_ns = parse_ts(tx["created"])
                window = max(parse_ts(tx["settled"]) - created_ns, 2 * MIN)
                tx["attachments"] = []
                for name, file_type, (lo, hi) in files:
                    ns = _truncate_frac(created_ns + self._ri(MIN, window), 3)
                    att = {"created": format_ts(ns), "external_id": tx["id"],
                           "file_type": file_type, "file_url": "", "id": self._rid("attach_"),
                           "type": file_type, "url": "", "user_id": self.user_id}
                    tx["attachments"].append(att)
                    self._add_file(att, name, self._ri(lo, hi))
                self.attachment_roles[role] = tx["id"]

    def _attachable(self, acc, days):
        """The first settled card payment without attachments `days` before the anchor
        or later (before the pending ones), or None."""
        taken = set(self.awkward.values())
        keys = self._keys[acc]
        for i in range(bisect.bisect_left(keys, (self._anchor_ns - days * DAY, "")), len(keys)):
            t = self._txs[acc][i]
            if t["scheme"] == "mastercard" and t["settled"] and t["amount"] < 0 and \
                    "decline_reason" not in t and not t["attachments"] and t["id"] not in taken:
                return t
        return None

    def _add_file(self, att, name, size) -> None:
        path = "/file/%s/%s/%s" % (self.user_id, att["id"], name)
        self._files[path] = (att, name, size)
        att["file_url"] = att["url"] = (self.attachment_url or _NO_FILE_HOST) + path

    def attachment_bytes(self, file_url: str) -> bytes:
        """The content the attachment host serves for file_url (KeyError if none)."""
        return self._file_content(urlsplit(file_url).path)

    def _file_content(self, path: str) -> bytes:
        with self._lock:
            data = self._file_bytes.get(path)
            if data is None:
                att, _, size = self._files[path]
                rng = random.Random("fakebank:file:%d:%s" % (self.seed, att["id"]))
                data = self._file_bytes[path] = _file_content(att["file_type"], size, rng)
            return data

    def attachment_file(self, path: str):
        """(content type, bytes) the attachment host serves at path, or None (used by
        the server)."""
        with self._lock:
            if path not in self._files:
                return None
            return self._files[path][0]["file_type"], self._file_content(path)

    def attachment_seen(self, path: str, method: str, authorization) -> None:
        """Count a request to the attachment host; one that carries an Authorization
        header is also recorded in attachment_auth_violations (used by the server)."""
        with self._lock:
            self._counts["attachment"] += 1
            per = self._attachment_counts.setdefault(path, {})
            per[method] = per.get(method, 0) + 1
            if authorization is not None:
                self.attachment_auth_violations.append(
                    {"method": method, "path": path, "authorization": authorization})

    @property
    def attachment_counts(self) -> dict:
        """file URL -> {method: requests}, for every path asked for since the last
        reset_counts(), refused requests included."""
        with self._lock:
            base = self.attachment_url or _NO_FILE_HOST
            return {base + path: dict(per) for path, per in self._attachment_counts.items()}

    def redirect_attachment(self, url_or_path: str, location: str | None,
                            status: int = 302) -> None:
        """Make the attachment host answer every request for the path of url_or_path
        (a file_url, or a path on the host, served or not) with `status` and a
        Location header, after faults and holds; location None serves the path again.
        Such requests are counted like the others."""
        path = urlsplit(url_or_path).path if "://" in url_or_path else url_or_path
        with self._lock:
            if location is None:
                self._attachment_redirects.pop(path, None)
            else:
                self._attachment_redirects[path] = (int(status), location)

    def attachment_content_length(self, head: str = "exact", get: str = "exact") -> None:
        """What Content-Length the attachment host gives a file's 200 answers, HEAD's
        and GET's: "exact" (the default), "none" (no Content-Length: a GET's body then
        ends when the connection closes) or, for HEAD only, "less" (one byte less than
        the file, as a host whose file grew, or that lies, would)."""
        if head not in ("exact", "none", "less") or get not in ("exact", "none"):
            raise ValueError("HEAD's length is exact, none or less, GET's exact or none")
        with self._lock:
            self.attachment_lengths = {"HEAD": head, "GET": get}

    def attachment_redirect(self, path: str):
        """(status, location) of a redirect set for path, or None (used by the server)."""
        with self._lock:
            return self._attachment_redirects.get(path)

    def _point_attachments_at(self, base: str) -> None:
        with self._lock:
            for files in (self._files, self._stripped_files):
                for path, (att, _, _) in files.items():
                    att["file_url"] = att["url"] = base + path

    # ------------------------------------------------------------------ mutation API

    def add_account(self, typ: str = "uk_retail", closed: bool = False) -> dict:
        """Open a new account (no transactions, balance 0, no pots), created now on the
        fake clock; returns it (the bank's own dict)."""
        with self._lock:
            acc_id = self._rid("acc_")
            a = {"id": acc_id, "closed": closed,
                 "created": format_ts(_truncate_frac(self._now_ns(), 3)),
                 "description": self.user_id, "type": typ, "owner_type": "personal",
                 "is_flex": False, "product_type": "standard",
                 "closed_account_app_access": closed, "currency": "GBP",
                 "legal_entity": "monzo_uk", "country_code": "GB", "country_code_alpha3": "GBR",
                 "owners": [dict(self.owners[0])]}
            self.accounts.append(a)
            self._txs[acc_id] = []
            self._keys[acc_id] = []
            self.pots[acc_id] = []
            self.balances[acc_id] = {
                "balance": 0, "total_balance": 0, "balance_including_flexible_savings": 0,
                "currency": "GBP", "spend_today": 0, "local_currency": "",
                "local_exchange_rate": 0, "local_spend": []}
            return a

    def set_balance(self, acc_id: str, balance: int | None = None,
                    total_balance: int | None = None, **other_fields) -> dict:
        """Change the balance object /balance returns. Given only balance, total_balance
        and balance_including_flexible_savings move by the same amount."""
        with self._lock:
            b = self.balances[acc_id]
            if balance is not None:
                delta = int(balance) - b["balance"]
                b["balance"] = int(balance)
                if total_balance is None:
                    b["total_balance"] += delta
                    if "balance_including_flexible_savings" not in other_fields:
                        b["balance_including_flexible_savings"] += delta
            if total_balance is not None:
                b["total_balance"] = int(total_balance)
            b.update(other_fields)
            return copy.deepcopy(b)

    def _adjust_balance(self, acc_id, delta, created_ns=None, spending=False):
        pot = self._pot_of_account.get(acc_id)
        if pot is not None:
            # a pot account: the pot's balance, and its current account's totals, move
            # (a deleted pot stays at 0)
            if pot["deleted"] or not delta:
                return
            pot["balance"] += delta
            pot["updated"] = format_ts(_truncate_frac(self._now_ns(), 3))
            b = self.balances.get(pot["current_account_id"])
            if b is not None:
                b["total_balance"] += delta
                b["balance_including_flexible_savings"] += delta
            return
        b = self.balances.get(acc_id)
        if b is None or not delta:
            return
        b["balance"] += delta
        b["total_balance"] += delta
        b["balance_including_flexible_savings"] += delta
        if spending and delta < 0 and created_ns is not None:
            today = self._now_ns()
            if created_ns // DAY == today // DAY:
                b["spend_today"] += delta
                for ls in b["local_spend"]:
                    if ls.get("currency") == b["currency"]:
                        ls["spend_today"] += delta
                        break
                else:
                    b["local_spend"].append({"spend_today": delta, "currency": b["currency"]})

    def _insert(self, acc, tx, ns) -> None:
        key = (ns, tx["id"])
        i = bisect.bisect_left(self._keys[acc], key)
        self._keys[acc].insert(i, key)
        self._txs[acc].insert(i, tx)
        self._by_id[tx["id"]] = tx

    def _unlink(self, tx) -> None:
        acc = tx["account_id"]
        key = (parse_ts(tx["created"]), tx["id"])
        i = bisect.bisect_left(self._keys[acc], key)
        if i >= len(self._keys[acc]) or self._keys[acc][i] != key:
            raise KeyError(tx["id"])
        del self._keys[acc][i]
        del self._txs[acc][i]

    def _resolve_merchant(self, merchant):
        if merchant is None or isinstance(merchant, dict):
            return merchant
        if isinstance(merchant, str):
            if merchant in self.merchants:
                return self.merchants[merchant]
            for m in self.merchants.values():
                if m["id"] == merchant or m["name"] == merchant:
                    return m
            spec = ("new_%d" % len(self.merchants), merchant, "general", "🧾", "1 New Street",
                    "London", "E1 1AA", "5999", "", "", "")
            m = self._make_merchant(spec)
            self.merchants[spec[0]] = m
            return m
        raise TypeError("merchant must be None, a dict, or a name/key/id string")

    def add_transaction(self, acc_id: str, **fields) -> dict:
        """Add a transaction to an account; returns it (the bank's own dict).

        By default: a settled GBP card payment of -1234 at a catalogue merchant, created
        now on the fake clock. Any field can be given; also:
          created / settled / updated: datetime, ns int or RFC 3339 string ("" = pending)
          merchant: a merchant dict, None, or a string (catalogue key, merchant id or
                    name; an unknown name makes a new merchant)
        The account's balance moves by the amount (unless declined); in a pot account,
        the pot's balance and its current account's total_balance do."""
        with self._lock:
            self._changed()
            if acc_id not in self._txs:
                raise KeyError(acc_id)
            now = self._now_ns()
            created_ns = _to_ns(fields.pop("created", now))
            amount = int(fields.pop("amount", -1234))
            merchant = self._resolve_merchant(fields.pop("merchant", self.merchants["greenleaf"]))
            decline = fields.pop("decline_reason", None)
            settled = fields.pop("settled", "" if decline is not None else "created")
            txid = fields.pop("id", None)
            if merchant is not None and fields.get("scheme", "mastercard") == "mastercard":
                tx = self._card(acc_id, created_ns, merchant, amount, txid=txid,
                                pending=(settled in ("", None)), decline_reason=decline,
                                settle_after_ns=0 if settled == "created" else None,
                                category=fields.pop("category", None))
                if settled not in ("", None, "created"):
                    tx["settled"] = _ts_value(settled)
                if settled == "created":
                    tx["settled"] = tx["created"]
            else:
                category = fields.pop("category", "general")
                b = self._blk()
                tx = self._tx(acc_id, txid or "tx_0000" + b[:18], created_ns, amount,
                              fields.pop("description", "Payment"),
                              fields.pop("scheme", "payport_faster_payments"), category,
                              merchant=merchant,
                              settled=settled if settled in ("", None, "created")
                              else _to_ns(settled),
                              decline_reason=decline, user_id="",
                              include_in_spending=amount < 0)
            for k in ("created", "settled", "updated"):
                if k in fields:
                    fields[k] = _ts_value(fields[k])
            if "merchant" in fields:
                fields["merchant"] = self._resolve_merchant(fields["merchant"])
            tx.update(fields)
            if "amount" not in fields and "local_amount" not in fields and \
                    tx["local_currency"] == tx["currency"]:
                tx["local_amount"] = tx["amount"]
            if tx["id"] in self._by_id:
                raise ValueError("duplicate transaction id " + tx["id"])
            self._insert(acc_id, tx, parse_ts(tx["created"]))
            if "decline_reason" not in tx:
                self._adjust_balance(acc_id, tx["amount"], parse_ts(tx["created"]),
                                     tx.get("include_in_spending", False))
            return tx

    def update_transaction(self, tx_id: str, **fields) -> dict:
        """Change fields of a transaction (settle it, change its amount, notes...).
        "updated" moves to now unless given. settled=True means settled now. When the
        amount changes and local_amount/categories are not given, they follow it (if in
        the account currency / single-category). The balance follows the amount."""
        if "id" in fields or "account_id" in fields:
            raise ValueError("a transaction's id and account_id cannot change")
        with self._lock:
            self._changed()
            tx = self._by_id[tx_id]
            acc = tx["account_id"]
            old_amount = tx["amount"]
            was_declined = "decline_reason" in tx
            old_created = tx["created"]
            if fields.get("settled") is True:
                fields["settled"] = self._now_ns()
            for k in ("created", "settled", "updated"):
                if k in fields:
                    fields[k] = _ts_value(fields[k])
            if "merchant" in fields:
                fields["merchant"] = self._resolve_merchant(fields["merchant"])
            if "amount" in fields:
                new = int(fields["amount"])
                if "local_amount" not in fields and tx["local_currency"] == tx["currency"]:
                    fields["local_amount"] = new
                if "categories" not in fields and isinstance(tx.get("categories"), dict) \
                        and len(tx["categories"]) == 1:
                    fields["categories"] = {next(iter(tx["categories"])): new}
            if "created" in fields and fields["created"] != old_created:
                self._unlink(tx)
                tx.update(fields)
                self._insert(acc, tx, parse_ts(tx["created"]))
            else:
                tx.update(fields)
            if "updated" not in fields:
                tx["updated"] = format_ts(_truncate_frac(self._now_ns(), 3))
            if tx.get("decline_reason") is None and "decline_reason" in tx:
                del tx["decline_reason"]
            old_eff = 0 if was_declined else old_amount
            new_eff = 0 if "decline_reason" in tx else tx["amount"]
            self._adjust_balance(acc, new_eff - old_eff)
            return tx

    def transfer_to_pot(self, acc_id: str, pot_id: str, amount: int, created=None,
                        trigger: str = "user") -> tuple:
        """Move money between current account acc_id and its pot as the app does: amount
        > 0 deposits into the pot, < 0 withdraws from it.  Writes both sides, the
        current account's uk_retail_pot transfer (-amount, described by the pot id) and
        the pot account's (+amount), at one instant (now on the fake clock unless
        `created`, as for add_transaction), with one ledger entry and the same metadata;
        the account's balance, the pot's balance and the account's total_balance move.
        The first transfer to a pot shows its pot account (bank.pot_accounts).  Locks
        and what the pot holds are not checked.  Returns (the current account's
        transaction, the pot account's)."""
        with self._lock:
            self._changed()
            pot = self.pot(pot_id)
            if pot["current_account_id"] != acc_id:
                raise ValueError("pot %s belongs to %s" % (pot_id, pot["current_account_id"]))
            if pot["deleted"]:
                raise ValueError("pot %s is deleted" % pot_id)
            amount = int(amount)
            if not amount:
                raise ValueError("amount must not be 0")
            ns = _truncate_frac(self._now_ns() if created is None else _to_ns(created), 3)
            if pot_id not in self.pot_accounts:
                self._open_pot_account(pot)
            tx = self._pot_transfer(acc_id, ns, pot, -amount, trigger=trigger)
            leg = self._pot_leg(tx, ns)
            if tx["id"] in self._by_id or leg["id"] in self._by_id:
                raise ValueError("duplicate transaction id")
            for t in (tx, leg):
                self._insert(t["account_id"], t, ns)
                self._adjust_balance(t["account_id"], t["amount"])
            return tx, leg

    def add_attachment(self, tx_id: str, file_type: str = "image/jpeg", size: int = 20000,
                       name: str | None = None, created=None) -> dict:
        """Attach a file to a transaction, as POST /attachment/register does: the
        attachment object (created now on the fake clock unless `created`) goes at the
        end of its attachments, the attachment host serves `size` bytes of file_type
        (image/png, image/jpeg or application/pdf; at least 128) as `name`, and the
        transaction's updated moves to now.  Given a name, file_type may be any
        text (what an app registered), its bytes random.  Returns the attachment (the
        bank's own)."""
        if file_type not in _FILE_EXT and name is None:
            raise ValueError("file_type must be one of " + ", ".join(_FILE_EXT) +
                             " unless a name is given")
        if int(size) < 128:
            raise ValueError("size must be at least 128")
        with self._lock:
            self._changed()
            tx = self._by_id[tx_id]
            now = self._now_ns()
            att = {"created": format_ts(_truncate_frac(now if created is None else
                                                       _to_ns(created), 3)),
                   "external_id": tx_id, "file_type": file_type, "file_url": "",
                   "id": self._rid("attach_"), "type": file_type, "url": "",
                   "user_id": self.user_id}
            self._add_file(att, name or "upload." + _FILE_EXT[file_type], int(size))
            tx["attachments"] = (tx.get("attachments") or []) + [att]
            tx["updated"] = format_ts(_truncate_frac(now, 3))
            return att

    def remove_attachment(self, attachment_id: str) -> dict:
        """Deregister an attachment (POST /attachment/deregister): it leaves its
        transaction ([] when none is left), its file is no longer served (404), and the
        transaction's updated moves to now.  Returns the attachment."""
        with self._lock:
            self._changed()
            for path, (att, _, _) in list(self._files.items()):
                if att["id"] == attachment_id:
                    break
            else:
                raise KeyError(attachment_id)
            del self._files[path]
            self._file_bytes.pop(path, None)
            tx = self._by_id[att["external_id"]]
            tx["attachments"] = [a for a in tx.get("attachments") or ()
                                 if a["id"] != attachment_id]
            tx["updated"] = format_ts(_truncate_frac(self._now_ns(), 3))
            return att

    def remove_transaction(self, tx_id: str) -> dict:
        """Remove a transaction (a pending one that vanished); the balance follows."""
        with self._lock:
            self._changed()
            tx = self._by_id.pop(tx_id)
            self._unlink(tx)
            if "decline_reason" not in tx:
                self._adjust_balance(tx["account_id"], -tx["amount"])
            return tx

    # ------------------------------------------------------------------ faults

    def inject(self, endpoint: str | None = None, kind: str = "status", status: int = 503,
               count: int | None = 1, delay: float = 0.0, retry_after=None,
               code: str | None = None, message: str | None = None) -> None:
        """Make the next `count` requests to `endpoint` (None: any API endpoint but the
        browser page "auth"; "attachment": the attachment host, where bad_json has no
        sense) misbehave. kind: status | delay | bad_json | truncate | drop | slow.
        count None: until clear_faults(). delay applies before any kind but slow,
        which sends the body in twenty even pieces spread over `delay` seconds (a
        slow but steady link)."""
        if kind not in FAULT_KINDS:
            raise ValueError("unknown fault kind %r" % (kind,))
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError("unknown endpoint %r (one of %s)" % (endpoint, ", ".join(ENDPOINTS)))
        if count is not None and int(count) < 1:
            raise ValueError("count must be >= 1 or None")
        if endpoint == "attachment" and kind == "bad_json":
            raise ValueError("the attachment host sends no JSON")
        with self._lock:
            self._faults.append({
                "endpoint": endpoint, "kind": kind, "status": int(status),
                "remaining": None if count is None else int(count), "delay": float(delay),
                "retry_after": retry_after, "code": code, "message": message})

    def hold(self, endpoint: str, after: int = 0, answered: bool = False,
             every: bool = False, account: str | None = None) -> "Hold":
        """Hold one request to `endpoint` (the one after `after` others) until the Hold
        is released: a test can then change the bank exactly between two requests of a
        client.  answered=False holds it before the answer is made (the client gets
        the bank as it is at release); answered=True makes the answer first and holds
        its sending (the client gets the bank as it was when it asked, late).
        every=True holds that request and every later one to `endpoint`: a client's
        work stops at a known point, however fast or slow the machine.  account: only
        the requests for that account_id count and are held."""
        if endpoint not in ENDPOINTS:
            raise ValueError("unknown endpoint %r (one of %s)" % (endpoint, ", ".join(ENDPOINTS)))
        h = Hold(endpoint, int(after), answered, every=every, account=account)
        with self._lock:
            self._holds.append(h)
        return h

    def take_hold(self, endpoint: str, account: str | None = None):
        """The Hold this request must wait on, if any (used by the server); account:
        the request's account_id."""
        with self._lock:
            for h in self._holds:
                if h.endpoint == endpoint and h.account in (None, account):
                    if h.skip > 0:
                        h.skip -= 1
                        return None
                    if not h.every:
                        self._holds.remove(h)
                    return h
        return None

    def clear_faults(self) -> None:
        """Forget the injected faults (refusals and worlds stay: clear_refusals())."""
        with self._lock:
            self._faults.clear()

    def take_fault(self, endpoint: str):
        """The fault to apply to this request, if any (used by the server)."""
        with self._lock:
            for f in self._faults:
                if f["endpoint"] is None and endpoint in NOT_API:
                    continue
                if f["endpoint"] is not None and f["endpoint"] != endpoint:
                    continue
                if f["remaining"] is not None:
                    f["remaining"] -= 1
                    if f["remaining"] <= 0:
                        self._faults.remove(f)
                return dict(f)
        return None

    # ------------------------------------------------------------------ latency, rate limit

    def set_latency(self, seconds: float = 0.0, jitter: float = 0.0, endpoint: str | None = None) -> dict:
        """Every request to `endpoint` (None: every API endpoint without a latency of its
        own) waits seconds plus up to jitter more before its answer (traffic.py).
        Returns every latency set, by endpoint ("*" for None)."""
        return self.traffic_shaping.set_latency(seconds, jitter, endpoint)

    def rate_limit(self, in_flight: int | None = None, per_second: float | None = None,
                   retry_after: int | None = 1, endpoint: str | None = None):
        """429 with Retry-After above in_flight requests at once or per_second a second
        (traffic.py); rate_limit() lifts it."""
        return self.traffic_shaping.rate_limit(in_flight, per_second, retry_after, endpoint)

    @property
    def requests(self) -> list:
        """[{"endpoint", "target", "at", "throttled"}] of each API request since the last
        reset_counts(), in the order they arrived."""
        return self.traffic_shaping.requests

    @property
    def traffic(self) -> dict:
        """{"max_in_flight", "in_flight", "connections", "throttled"} since the last
        reset_counts()."""
        return self.traffic_shaping.stats

    # ------------------------------------------------------------------ refusals

    def refuse(self, endpoint: str, account_id: str | None = None, status: int = 403,
               code: str | None = None, message: str | None = None,
               pot_ledgers: bool = False) -> dict:
        """Refuse, until clear_refusals(), every request to `endpoint` about one account,
        as the real bank refuses a part it will not serve while serving the rest.

        endpoint: "transactions" (its account_id parameter), "balance" (account_id),
        "pots" (current_account_id), "transaction" (GET /transactions/<id>: the
        transaction's account) or "attachment" (the attachment host: the account of the
        transaction the file is attached to).  account_id None refuses the endpoint for
        every account; pot_ledgers=True (with "transactions" or "transaction" and no
        account_id) refuses it for every pot's own ledger account, those a later
        transfer_to_pot shows included.

        The answer is `status` with Monzo's error body {"code", "message",
        "retryable": {}}: by default 403 forbidden.insufficient_permissions, 404
        not_found.account, other statuses their class ("internal_service" for 500).
        The attachment host answers with the message as text/plain.  A refusal is
        checked where the answer is made: after the access token (a bad one still
        gets 401) and approval, after injected faults and holds; a refused request is
        counted as any other.  clear_faults() leaves refusals alone.  Returns the
        refusal (a copy)."""
        if endpoint not in REFUSABLE:
            raise ValueError("cannot refuse %r (one of %s)"
                             % (endpoint, ", ".join(REFUSABLE)))
        status = int(status)
        if not 400 <= status <= 599:
            raise ValueError("status must be 4xx or 5xx")
        if pot_ledgers and (account_id is not None or
                            endpoint not in ("transactions", "transaction")):
            raise ValueError("pot_ledgers takes no account_id, and only the transactions "
                             "or transaction endpoint")
        default_code, default_message = REFUSAL_BODIES.get(status, (
            _STATUS_CODES.get(status, "http_%d" % status), _status_phrase(status)))
        r = {"endpoint": endpoint, "account_id": account_id,
             "pot_ledgers": bool(pot_ledgers), "status": status, "code": code or default_code,
             "message": message or default_message}
        with self._lock:
            self._refusals.append(r)
        return dict(r)

    def refuse_pot_ledgers(self, status: int = 404, code: str | None = None,
                           message: str | None = None) -> dict:
        """GET /transactions?account_id=<a pot's own ledger account> refused for every
        pot, later ones too: 404 not_found.account by default, 403
        forbidden.insufficient_permissions for status=403 (see refuse())."""
        return self.refuse("transactions", status=status, code=code, message=message,
                           pot_ledgers=True)

    def clear_refusals(self) -> None:
        """Serve everything refuse() refused again, and bring the attachment host back
        up (attachment_host_up()).  Stripped fields stay: see
        restore_optional_fields() and world(None)."""
        with self._lock:
            self._refusals.clear()
        self.attachment_host_up()

    @property
    def refusals(self) -> list:
        """The refusals in force (copies), oldest first."""
        with self._lock:
            return [dict(r) for r in self._refusals]

    def refusal(self, endpoint: str, account_id: str | None):
        """The refusal (a copy) that answers a request to endpoint about account_id,
        or None."""
        with self._lock:
            for r in self._refusals:
                if r["endpoint"] != endpoint:
                    continue
                if r["pot_ledgers"]:
                    hit = account_id in self._pot_of_account
                else:
                    hit = r["account_id"] is None or r["account_id"] == account_id
                if hit:
                    return dict(r)
        return None

    def check_refusal(self, endpoint: str, account_id: str | None) -> None:
        """Raise the API's error if a refusal answers this request (used by api_*)."""
        r = self.refusal(endpoint, account_id)
        if r is not None:
            raise ApiError(r["status"], r["code"], r["message"], retryable={})

    def attachment_refusal(self, path: str):
        """(status, text body) the attachment host answers at path when a refusal
        covers it, or None (used by the server)."""
        with self._lock:
            found = self._files.get(path)
            tx = self._by_id.get(found[0]["external_id"]) if found else None
            r = self.refusal("attachment", tx["account_id"] if tx else None)
        if r is None:
            return None
        return r["status"], (r["message"] + "\n").encode("utf-8")

    # ------------------------------------------------------------------ attachment host

    def attachment_host_down(self) -> None:
        """Take the attachment host off the network until attachment_host_up() (or
        clear_refusals()): its listening socket is closed and its open connections
        cut, so a connect() gets ECONNREFUSED.  Its address and port are kept, and
        the file_url with them; a start() after stop() keeps it down.  Requests that
        never connect are not counted."""
        with self._lock:
            self._attachment_down = True
            srv, th = self._file_server, self._file_thread
            self._file_server = self._file_thread = None
        if srv is not None:
            srv.shutdown()
            srv.close_all_connections()
            srv.server_close()
            th.join(10)

    def attachment_host_up(self) -> None:
        """Serve the attachment files again, on the address and port they had (a no-op
        when the host is up or the bank is not serving)."""
        from .server import serve
        with self._lock:
            self._attachment_down = False
            if self._server is None or self._file_server is not None or \
                    self.attachment_port is None:
                return
            self._file_server, self._file_thread = serve(
                self, self.attachment_host, self.attachment_port, files=True)

    @property
    def attachment_host_is_down(self) -> bool:
        return self._attachment_down

    # ------------------------------------------------------------------ missing fields

    def strip_optional_fields(self, tx_ids=None, mode: str = "missing",
                              fields=STRIPPABLE_FIELDS) -> list:
        """Make transactions lack their optional `fields` (mode "missing": the key is
        gone) or have them null (mode "null"), as a real response may; until
        restore_optional_fields().  A field a transaction does not have is left alone.

        tx_ids None picks a handful, the same for the same seed, in stripped_roles
        (role -> id): "card_merchant" (a settled card payment with a merchant, main
        account), "counterparty" (a settled payment with a counterparty, business
        account), "pot_transfer" (a joint account pot transfer whose pot has another),
        "attachments" (the business invoice with its attachment), "pending" (a pending
        payment), "foreign" (a payment in another currency) and "pot_ledger" (a
        savings pot's interest), each where it exists.  A transaction stripped of its
        attachments no longer has files: the host answers 404 for them,
        attachment_bytes raises KeyError, and its role leaves attachment_roles.
        Amounts are untouched, so balances stay as they are; "updated" does not move.
        bank.stripped maps each id to {field: its value before}.  Returns the ids."""
        if mode not in STRIP_MODES:
            raise ValueError("mode must be one of " + ", ".join(STRIP_MODES))
        fields = (fields,) if isinstance(fields, str) else tuple(fields)
        bad = [f for f in fields if f in UNSTRIPPABLE_FIELDS]
        if bad:
            raise ValueError("cannot strip " + ", ".join(bad))
        with self._lock:
            self._changed()
            if tx_ids is None:
                roles = self._strip_choices()
                ids = list(roles.values())
            else:
                roles = {}
                ids = [tx_ids] if isinstance(tx_ids, str) else list(tx_ids)
                for tx_id in ids:
                    self._by_id[tx_id]           # KeyError for an unknown one
            for tx_id in ids:
                self._strip(self._by_id[tx_id], mode, fields)
            self._strip_mode = mode
            self.stripped_roles.update(roles)
            return ids

    def _strip(self, tx, mode, fields) -> None:
        self._strip_originals.setdefault(tx["id"], dict(tx))
        saved = self.stripped.setdefault(tx["id"], {})
        for f in fields:
            if f not in tx:
                continue
            saved.setdefault(f, copy.deepcopy(tx[f]))
            if f == "attachments":
                self._hide_files(tx)
            if mode == "missing":
                del tx[f]
            else:
                tx[f] = None

    def _hide_files(self, tx) -> None:
        """The attachment files of tx are no longer served (until restored)."""
        for att in tx.get("attachments") or ():
            path = urlsplit(att["file_url"]).path
            if path in self._files:
                self._stripped_files[path] = self._files.pop(path)
                self._file_bytes.pop(path, None)
        for role, tx_id in list(self.attachment_roles.items()):
            if tx_id == tx["id"]:
                self._stripped_attachment_roles[role] = self.attachment_roles.pop(role)

    def restore_optional_fields(self) -> None:
        """Undo strip_optional_fields(): the stripped transactions are as they were
        before it (keys in their order), their files served again."""
        with self._lock:
            self._changed()
            for tx_id, orig in self._strip_originals.items():
                tx = self._by_id.get(tx_id)
                if tx is not None:
                    tx.clear()
                    tx.update(orig)
            self._files.update(self._stripped_files)
            self.attachment_roles.update(self._stripped_attachment_roles)
            for d in (self._strip_originals, self._stripped_files,
                      self._stripped_attachment_roles, self.stripped, self.stripped_roles):
                d.clear()
            self._strip_mode = None

    def _strip_choices(self) -> dict:
        """role -> id of the transactions strip_optional_fields() picks by default."""
        rng = random.Random("fakebank:strip:%d" % self.seed)
        ids = self.account_ids
        taken = set(self.awkward.values()) | set(self.attachment_roles.values())
        chosen = {}

        def pick(role, prefer, test, allow_taken=False):
            rest = [a for a in self._txs if a not in prefer]
            for may_take in (False, True) if allow_taken else (False,):
                for accs in (prefer, rest):
                    found = [t for a in accs for t in self._txs.get(a, ())
                             if test(t) and t["id"] not in chosen.values()
                             and (may_take or t["id"] not in taken)]
                    if found:
                        chosen[role] = rng.choice(found)["id"]
                        return

        def card(t):
            return t.get("scheme") == "mastercard" and isinstance(t.get("merchant"), dict) \
                and t.get("settled") and "decline_reason" not in t \
                and not t.get("attachments")

        transfers = {}
        for t in self._txs.get(ids["joint"], ()):
            if t.get("scheme") == "uk_retail_pot":
                pot_id = (t.get("metadata") or {}).get("pot_id")
                transfers[pot_id] = transfers.get(pot_id, 0) + 1

        pick("card_merchant", [ids["retail"]], card)
        pick("counterparty", [ids["business"]],
             lambda t: bool(t.get("counterparty")) and bool(t.get("settled")))
        pick("pot_transfer", [ids["joint"]],
             lambda t: t.get("scheme") == "uk_retail_pot"
             and transfers.get((t.get("metadata") or {}).get("pot_id"), 0) >= 2)
        att = self.attachment_roles.get("invoice_pdf")
        if att is None:
            att = next((self.attachment_roles[r] for r in sorted(self.attachment_roles)),
                       None)
        if att is not None:
            chosen["attachments"] = att
        pick("pending", [ids["joint"], ids["retail"]],
             lambda t: t.get("settled") == "" and "decline_reason" not in t, True)
        pick("foreign", [ids["retail"]],
             lambda t: t.get("local_currency") != t.get("currency"), True)
        pick("pot_ledger", list(self._pot_of_account),
             lambda t: t.get("scheme") == "monzo_interest")
        return chosen

    # ------------------------------------------------------------------ worlds

    @property
    def refused_account(self) -> str | None:
        """The account the account_*_403 worlds refuse: the first open account, in
        /accounts order, that is not the main one and has transactions and pots not
        deleted (the joint account), or None."""
        for a in self.accounts:
            aid = a["id"]
            if a["closed"] or aid == self.main_account_id or not self._txs.get(aid):
                continue
            if any(not p["deleted"] for p in self.pots.get(aid, ())):
                return aid
        return None

    def world(self, name: str | None) -> dict:
        """Answer as the bank does on one of its less friendly days, until the next
        world() (None or "normal": everything served, nothing stripped).  Each world
        starts from the normal one (clear_refusals(), restore_optional_fields());
        injected faults are left alone.  name, one of WORLDS:

          pot_ledgers_404 / pot_ledgers_403   GET /transactions on any pot's own ledger
                                              account: 404 not_found.account / 403
                                              forbidden.insufficient_permissions
          account_transactions_403            GET /transactions and /transactions/<id>
                                              of refused_account (the joint account)
          account_balance_403                 GET /balance of refused_account
          account_pots_403                    GET /pots of refused_account
          attachment_host_down                connections to the attachment host refused
          attachment_host_500                 the attachment host answers 500
          fields_missing / fields_null        strip_optional_fields(mode="missing" /
                                              "null") on the default handful

        Returns what it refuses (world_info())."""
        if name == "normal":
            name = None
        if name is not None and name not in WORLDS:
            raise ValueError("unknown world %r (one of %s)" % (name, ", ".join(WORLDS)))
        self.clear_refusals()
        self.restore_optional_fields()
        acc = self.refused_account
        if acc is None and name is not None and name.startswith("account_"):
            raise ValueError("no account for %s: none open but the main one has "
                             "transactions and pots" % name)
        self.world_name = name
        if name in ("pot_ledgers_404", "pot_ledgers_403"):
            self.refuse_pot_ledgers(int(name[-3:]))
        elif name == "account_transactions_403":
            self.refuse("transactions", acc, 403)
            self.refuse("transaction", acc, 403)
        elif name == "account_balance_403":
            self.refuse("balance", acc, 403)
        elif name == "account_pots_403":
            self.refuse("pots", acc, 403)
        elif name == "attachment_host_down":
            self.attachment_host_down()
        elif name == "attachment_host_500":
            self.refuse("attachment", status=500)
        elif name in ("fields_missing", "fields_null"):
            self.strip_optional_fields(mode=name[len("fields_"):])
        return self.world_info()

    def world_info(self) -> dict:
        """What the world selected by world() refuses, for tests to know which files
        must fail:

          world               its name, or None
          refused_endpoints   endpoints refused ([] when none), refused_endpoint the
                              first or None; "attachment" is the attachment host
          refused_accounts    the accounts they are refused for: refused_account, or
                              for pot_ledgers_* every pot account shown so far (later
                              ones are refused too); [] for the attachment host
          pot_ledgers         whether every pot ledger is refused
          status, code        the HTTP status and error code (None when none: the
                              attachment host down refuses connections instead)
          attachment_host     "up" or "down"
          refused_files       the file_url the attachment host fails for
          stripped            ids of the transactions stripped, stripped_roles role ->
                              id, mode "missing" / "null" / None, fields stripped"""
        with self._lock:
            name = self.world_name
            refusals = [r for r in self._refusals]
            endpoints = []
            for r in refusals:
                if r["endpoint"] not in endpoints:
                    endpoints.append(r["endpoint"])
            if self._attachment_down and "attachment" not in endpoints:
                endpoints.append("attachment")
            pot_ledgers = any(r["pot_ledgers"] for r in refusals)
            accounts = []
            for r in refusals:
                got = sorted(self._pot_of_account) if r["pot_ledgers"] else \
                    [r["account_id"]] if r["account_id"] is not None and \
                    r["endpoint"] != "attachment" else []
                accounts.extend(a for a in got if a not in accounts)
            files = sorted(a["file_url"] for path, (a, _, _) in self._files.items()
                           if self._attachment_down or self.attachment_refusal(path))
            return {
                "world": name,
                "refused_endpoints": endpoints,
                "refused_endpoint": endpoints[0] if endpoints else None,
                "refused_accounts": accounts,
                "pot_ledgers": pot_ledgers,
                "status": refusals[0]["status"] if refusals else None,
                "code": refusals[0]["code"] if refusals else None,
                "attachment_host": "down" if self._attachment_down else "up",
                "refused_files": files,
                "stripped": list(self.stripped),
                "stripped_roles": dict(self.stripped_roles),
                "mode": self._strip_mode if self.stripped else None,
                "fields": sorted({f for saved in self.stripped.values() for f in saved}),
            }

    # ------------------------------------------------------------------ tokens

    @staticmethod
    def _b64(obj) -> str:
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def _jwt(self, kind, session, exp_ns) -> str:
        head = self._b64({"alg": "ES256", "typ": "JWT"})
        body = self._b64({"app": session.client_id, "exp": exp_ns // NS,
                          "iat": self._now_ns() // NS, "jti": kind + "_" + secrets.token_hex(12),
                          "tkn": kind, "uid": session.user_id, "v": "2"})
        return "%s.%s.%s" % (head, body, secrets.token_urlsafe(64))

    def _new_session(self, client_id, user_id, approved_ns) -> _Session:
        key = (client_id, user_id)
        old = self._sessions.get(key)
        if old is not None:
            for tok, table in ((old.access, self._access), (old.refresh, self._refresh)):
                if tok in table and table[tok].state == "live":
                    table[tok].state = "evicted"
        s = _Session(client_id, user_id, approved_ns)
        self._sessions[key] = s
        return s

    def _issue(self, session, expires_in=None) -> dict:
        """New access (and refresh) token for a session; the previous ones stop working."""
        now = self._now_ns()
        expires_in = self.token_lifetime if expires_in is None else int(expires_in)
        if session.access in self._access and self._access[session.access].state == "live":
            self._access[session.access].state = "evicted"
        exp = now + expires_in * NS
        access = self._jwt("at", session, exp)
        self._access[access] = _Token(session, exp)
        session.access = access
        resp = {"access_token": access, "client_id": session.client_id,
                "expires_in": expires_in}
        if self.confidential:
            refresh = self._jwt("rt", session, exp)
            self._refresh[refresh] = _Token(session, None)
            session.refresh = refresh
            resp["refresh_token"] = refresh
        resp["scope"] = SCOPE_VERIFIED if session.approved_ns is not None else SCOPE_PRE
        resp["token_type"] = "Bearer"
        resp["user_id"] = session.user_id
        return resp

    def mint_token(self, expires_in: int | None = None, approved: bool = True,
                   approved_at=None) -> dict:
        """A fresh login without the browser: returns the token response. It evicts
        the previous token of the client+user. expires_in None = bank.token_lifetime
        (21600 unless changed). approved_at (datetime, RFC 3339 or ns)
        defaults to now on the fake clock, which opens the 5-minute full-history window."""
        with self._lock:
            if approved:
                approved_ns = self._now_ns() if approved_at is None else _to_ns(approved_at)
            else:
                approved_ns = None
            s = self._new_session(self.client_id, self.user_id, approved_ns)
            if not approved and self.approve_after_polls is not None \
                    and self.approve_after_polls <= 0:
                s.approved_ns = self._now_ns()
            return self._issue(s, expires_in)

    def approve(self, when=None) -> None:
        """Approve the live login in the 'app' now (or at `when`)."""
        with self._lock:
            s = self._sessions.get((self.client_id, self.user_id))
            if s is None:
                raise RuntimeError("no login to approve")
            s.approved_ns = self._now_ns() if when is None else _to_ns(when)

    def check_access(self, header: str | None) -> _Session:
        """Authorization header -> session, or raise the API's 401."""
        with self._lock:
            if not header or not header.startswith("Bearer "):
                raise _auth_error("unauthorized.bad_access_token",
                                  "No access token was supplied")
            tok = self._access.get(header[7:].strip())
            if tok is None or tok.state == "revoked":
                raise _auth_error("unauthorized.bad_access_token", "Invalid access token")
            if tok.state == "evicted":
                raise _auth_error("unauthorized.bad_access_token.evicted",
                                  "Access token has been evicted")
            if self._now_ns() >= tok.expires_ns:
                raise _auth_error("unauthorized.bad_access_token.expired",
                                  "Access token has expired")
            return tok.session

    def check_permissions(self, session, endpoint) -> None:
        """403 forbidden.insufficient_permissions until the login is approved. Refused
        GET /accounts calls count towards approve_after_polls."""
        with self._lock:
            if session.approved_ns is not None:
                return
            if endpoint == "accounts":
                session.polls += 1
                n = self.approve_after_polls
                if n is not None and session.polls >= n:
                    session.approved_ns = self._now_ns()
            raise ApiError(403, "forbidden.insufficient_permissions",
                           "Access forbidden due to insufficient permissions",
                           retryable={})

    def check_history(self, session, lower_ns) -> None:
        """The 5-minute / 90-day rule. lower_ns None = from the beginning of time."""
        with self._lock:
            now = self._now_ns()
            if session.approved_ns is not None and now - session.approved_ns <= \
                    FULL_HISTORY_WINDOW:
                return
            if lower_ns is None or lower_ns < now - RECENT_LIMIT:
                raise ApiError(403, "forbidden.verification_required",
                               "Verification required: only the last 90 days of "
                               "transactions can be read more than 5 minutes after "
                               "authentication", retryable={})

    def authorize(self, client_id, redirect_uri, state) -> str:
        """GET / : returns the redirect location with a fresh code, or raises ValueError."""
        with self._lock:
            if client_id != self.client_id:
                raise ValueError("Unknown client_id")
            if not redirect_uri:
                raise ValueError("redirect_uri is required")
            if self.redirect_uris is not None and redirect_uri not in self.redirect_uris:
                raise ValueError("There was a problem sending your magic link")
            code = "%s.%s.%s" % (self._b64({"alg": "ES256", "typ": "JWT"}),
                                 self._b64({"tkn": "ac", "jti": secrets.token_hex(12)}),
                                 secrets.token_urlsafe(48))
            self._codes[code] = {"client_id": client_id, "redirect_uri": redirect_uri,
                                 "issued_ns": self._now_ns(), "used": False}
            from urllib.parse import urlencode
            q = {"code": code}
            if state is not None:
                q["state"] = state
            sep = "&" if "?" in redirect_uri else "?"
            return redirect_uri + sep + urlencode(q)

    def token_grant(self, form: dict) -> dict:
        """POST /oauth2/token (form already decoded into str -> str)."""
        def bad(status, code, message, error):
            return ApiError(status, code, message, error=error, error_description=message,
                            retryable={})
        grant = form.get("grant_type")
        if not grant:
            raise bad(400, "bad_request.missing_param.grant_type",
                      "The field 'grant_type' is required", "invalid_request")
        for f in ("client_id", "client_secret"):
            if not form.get(f):
                raise bad(400, "bad_request.missing_param." + f,
                          "The field '%s' is required" % f, "invalid_request")
        with self._lock:
            if form["client_id"] != self.client_id or form["client_secret"] != \
                    self.client_secret:
                raise bad(401, "unauthorized.bad_client", "Bad client credentials",
                          "invalid_client")
            if grant == "authorization_code":
                for f in ("redirect_uri", "code"):
                    if not form.get(f):
                        raise bad(400, "bad_request.missing_param." + f,
                                  "The field '%s' is required" % f, "invalid_request")
                c = self._codes.get(form["code"])
                if c is None or c["used"] or c["client_id"] != form["client_id"] or \
                        self._now_ns() - c["issued_ns"] > self.code_lifetime * NS:
                    raise bad(401, "unauthorized.bad_authorization_code",
                              "Bad authorization code", "invalid_grant")
                if c["redirect_uri"] != form["redirect_uri"]:
                    raise bad(401, "unauthorized.bad_authorization_code.redirect_uri_mismatch",
                              "The redirect_uri does not match the one used to authorise",
                              "invalid_grant")
                c["used"] = True
                n = self.approve_after_polls
                approved = self._now_ns() if (n is not None and n <= 0) else None
                s = self._new_session(self.client_id, self.user_id, approved)
                resp = self._issue(s)
                resp["scope"] = SCOPE_PRE
                return resp
            if grant == "refresh_token":
                rt = form.get("refresh_token")
                if not rt:
                    raise bad(400, "bad_request.missing_param.refresh_token",
                              "The field 'refresh_token' is required", "invalid_request")
                tok = self._refresh.get(rt)
                if tok is None or tok.state in ("used", "revoked"):
                    raise bad(401, "unauthorized.bad_refresh_token", "Bad refresh token",
                              "invalid_grant")
                if tok.state == "evicted":
                    raise bad(401, "unauthorized.bad_refresh_token.evicted",
                              "Refresh token has been evicted by a newer login",
                              "invalid_grant")
                tok.state = "used"
                return self._issue(tok.session)
            raise bad(400, "bad_request.bad_param.grant_type",
                      "Unsupported grant_type", "unsupported_grant_type")

    def logout(self, session) -> None:
        with self._lock:
            for tok, table in ((session.access, self._access),
                               (session.refresh, self._refresh)):
                if tok in table:
                    table[tok].state = "revoked"

    def write_tokens_file(self, path, token: dict, expires_at: datetime | None = None) -> str:
        """Write monzoh's tokens.json (keys access_token, refresh_token, expires_at,
        user_id, client_id; two-space indent, no trailing newline; expires_at with six
        fraction digits and +00:00), mode 0600, missing parent dirs made 0700.

        expires_at defaults to real time + what is left of the token's life on the fake
        clock (the client compares it with the real clock)."""
        path = os.fspath(path)
        if expires_at is None:
            with self._lock:
                tok = self._access.get(token.get("access_token"))
                if tok is not None:
                    left_ns = tok.expires_ns - self._now_ns()
                else:
                    left_ns = int(token.get("expires_in", self.token_lifetime)) * NS
            expires_at = datetime.now(timezone.utc) + timedelta(microseconds=left_ns // 1000)
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=timezone.utc)
        expires_at = expires_at.astimezone(timezone.utc)
        data = {
            "access_token": token["access_token"],
            "refresh_token": token.get("refresh_token"),
            "expires_at": expires_at.isoformat(timespec="microseconds"),
            "user_id": token.get("user_id", self.user_id),
            "client_id": token.get("client_id", self.client_id),
        }
        parent = os.path.dirname(os.path.abspath(path))
        missing = []
        d = parent
        while not os.path.isdir(d):
            missing.append(d)
            d = os.path.dirname(d)
        for d in reversed(missing):
            os.mkdir(d, 0o700)
            os.chmod(d, 0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, json.dumps(data, indent=2).encode("utf-8"))
        finally:
            os.close(fd)
        return path

    # ------------------------------------------------------------------ API data

    def api_accounts(self, account_type=None) -> dict:
        with self._lock:
            accs = self.accounts if account_type is None else \
                [a for a in self.accounts if a["type"] == account_type]
            return {"accounts": accs}

    def _check_account(self, acc_id, param="account_id", known=None):
        """400 without an id, 404 for one not in `known` (default: any account with
        transactions, pot accounts included)."""
        if not acc_id:
            raise ApiError(400, "bad_request.missing_param." + param,
                           "The field '%s' is required" % param, retryable={})
        if acc_id not in (self._txs if known is None else known):
            raise ApiError(404, "not_found.account_not_found", "Account not found",
                           retryable={})

    def api_balance(self, acc_id) -> dict:
        with self._lock:
            if acc_id:
                self.check_refusal("balance", acc_id)
            self._check_account(acc_id, known=self.balances)
            return self.balances[acc_id]

    def api_pots(self, acc_id) -> dict:
        with self._lock:
            if acc_id:
                self.check_refusal("pots", acc_id)
            self._check_account(acc_id, "current_account_id", known=self.balances)
            return {"pots": self.pots.get(acc_id, [])}

    @staticmethod
    def _view(tx, expand):
        if expand or not isinstance(tx.get("merchant"), dict):
            return tx
        v = dict(tx)
        v["merchant"] = tx["merchant"]["id"]
        return v

    def api_transactions(self, session, acc_id, since=None, before=None, limit=None,
                         expand=False) -> dict:
        with self._lock:
            if acc_id:
                self.check_refusal("transactions", acc_id)
            self._check_account(acc_id)
            if limit is None or limit == "":
                n = 30
            else:
                try:
                    n = int(limit)
                except ValueError:
                    raise ApiError(400, "bad_request.bad_param.limit",
                                   "The field 'limit' must be an integer", retryable={})
                if n < 1 or n > 100:
                    raise ApiError(400, "bad_request.bad_param.limit",
                                   "The field 'limit' must be between 1 and 100",
                                   retryable={})
            keys = self._keys[acc_id]
            lo = 0
            lower_ns = None
            if since:
                if since.startswith("tx_"):
                    tx = self._by_id.get(since)
                    if tx is None or tx["account_id"] != acc_id:
                        raise ApiError(400, "bad_request.bad_param.since",
                                       "The transaction given as 'since' was not found",
                                       retryable={})
                    key = (parse_ts(tx["created"]), since)
                    lo = bisect.bisect_right(keys, key)
                    lower_ns = key[0]
                else:
                    try:
                        lower_ns = parse_ts(since)
                    except ValueError:
                        raise ApiError(400, "bad_request.bad_param.since",
                                       "The field 'since' must be an RFC 3339 timestamp "
                                       "or a transaction id", retryable={})
                    lo = bisect.bisect_left(keys, (lower_ns, ""))
            hi = len(keys)
            if before:
                try:
                    before_ns = parse_ts(before)
                except ValueError:
                    raise ApiError(400, "bad_request.bad_param.before",
                                   "The field 'before' must be an RFC 3339 timestamp",
                                   retryable={})
                hi = bisect.bisect_left(keys, (before_ns, ""))
            self.check_history(session, lower_ns)
            txs = self._txs[acc_id][lo:max(lo, min(hi, lo + n))]
            return {"transactions": [self._view(t, expand) for t in txs]}

    def transactions_page(self, session, acc_id, since=None, before=None, limit=None,
                          expand=False) -> bytes:
        """api_transactions as the bytes the server sends: each transaction's JSON is
        made once and kept until a method changes the bank, so paging a large history
        costs what the real API's network does, not Python's JSON encoder."""
        with self._lock:
            page = self.api_transactions(session, acc_id, since, before, limit, expand)["transactions"]
            parts = []
            for t in page:
                key = (t["id"], expand)
                b = self._tx_bytes.get(key)
                if b is None:
                    b = self._tx_bytes[key] = dumps(t)
                parts.append(b)
            return b'{"transactions":[' + b",".join(parts) + b"]}"

    def _changed(self) -> None:
        """Forget the JSON kept of transactions: one may have changed."""
        self._tx_bytes.clear()

    def api_transaction(self, tx_id, expand=False) -> dict:
        with self._lock:
            tx = self._by_id.get(tx_id)
            if tx is None:
                raise ApiError(404, "not_found.transaction_not_found",
                               "Transaction not found", retryable={})
            self.check_refusal("transaction", tx["account_id"])
            return {"transaction": self._view(tx, expand)}

    # ------------------------------------------------------------------ server

    def start(self, host: str = "127.0.0.1", port: int = 0, attachment_host: str | None = None,
              attachment_port: int | None = None) -> "FakeBank":
        """Serve the API on host:port (0 = any free port), and the attachments' files on
        a second loopback host, each in a background thread.  The attachment host is
        attachment_host (default 127.0.0.2, or `host` where that cannot be bound) on
        attachment_port (default: the one the previous start had, else any free port);
        the attachments' file_url name it from then on (attachment_url).  After
        attachment_host_down() the attachment host's port is chosen but not served."""
        from .server import serve
        if self._server is not None:
            raise RuntimeError("already started")
        self._server, self._thread = serve(self, host, port)
        self.host = host
        self.port = self._server.server_address[1]
        self.url = _base_url(host, self.port)
        hosts = [attachment_host] if attachment_host else \
            ["127.0.0.2" if host != "127.0.0.2" else "127.0.0.3", host]
        ports = [attachment_port] if attachment_port is not None else \
            [p for p in (self.attachment_port, 0) if p is not None]
        for h, p in [(h, p) for h in hosts for p in ports]:
            try:
                self._file_server, self._file_thread = serve(self, h, p, files=True)
                break
            except OSError as e:
                failed = e
        else:
            self.stop()
            raise failed
        self.attachment_host = h
        self.attachment_port = self._file_server.server_address[1]
        self.attachment_url = _base_url(h, self.attachment_port)
        self._point_attachments_at(self.attachment_url)
        if self._attachment_down:
            self.attachment_host_down()
        return self

    def start_internal_host(self, host: str = "127.0.0.3") -> str:
        """Serve, on another loopback address and any free port, a host that stands
        for one of the user's own network, which an attachment's file_url (or a
        redirect) must never reach: it answers every GET and HEAD with 200 and a page
        and records them in internal_requests.  Returns its base URL (internal_url);
        stop() stops it."""
        from .server import serve
        if self._internal_server is None:
            self._internal_server, self._internal_thread = serve(self, host, 0, internal=True)
            self.internal_url = _base_url(host, self._internal_server.server_address[1])
        return self.internal_url

    def internal_seen(self, method: str, path: str) -> None:
        """Record a request to the internal host (used by the server)."""
        with self._lock:
            self.internal_requests.append((method, path))

    def stop(self) -> None:
        """Stop serving, the API, the attachment host and the internal host: close
        every open connection and join the threads."""
        for srv, th in ((self._server, self._thread), (self._file_server, self._file_thread),
                        (self._internal_server, self._internal_thread)):
            if srv is None:
                continue
            srv.shutdown()
            srv.close_all_connections()
            srv.server_close()
            th.join(10)
        self._server = self._thread = self._file_server = self._file_thread = None
        self._internal_server = self._internal_thread = None

    def __enter__(self):
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------------ JSON

    def info(self) -> dict:
        """What a separate process needs to know (GET /_fake/info)."""
        return {"client_id": self.client_id, "client_secret": self.client_secret,
                "user_id": self.user_id, "account_ids": self.account_ids,
                "awkward": self.awkward, "pot_accounts": self.pot_accounts,
                "pot_roles": {role: p["id"] for role, p in self.pot_roles.items()},
                "attachment_url": self.attachment_url,
                "attachment_roles": self.attachment_roles,
                "own_transfers": self.own_transfers, "spending_roles": self.spending_roles,
                "now": format_ts(self._now_ns()),
                "anchor": format_ts(self._anchor_ns), "seed": self.seed,
                "token_lifetime": self.token_lifetime,
                "approve_after_polls": self.approve_after_polls,
                "world": self.world_name, "refused_account": self.refused_account,
                "worlds": list(WORLDS), "latency": self.traffic_shaping.latency_info()}


def _base_url(host: str, port: int) -> str:
    return "http://%s:%d" % (host if ":" not in host else "[%s]" % host, port)


def dumps(obj) -> bytes:
    """JSON as the real API writes it: compact, raw UTF-8, and &, <, > escaped as Go's
    encoding/json does."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=_no_json)
    s = s.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return s.encode("utf-8")


def _no_json(o):
    raise TypeError("not JSON serialisable: %r" % (o,))
