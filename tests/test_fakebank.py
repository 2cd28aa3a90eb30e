"""Tests of the fake Monzo bank (tests/fakebank), over real HTTP with urllib."""

import http.client as httpclient
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

from fakebank import FakeBank, format_ts, parse_ts  # noqa: E402
from fakebank.bank import dumps  # noqa: E402


# --------------------------------------------------------------------------- helpers

class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<Resp %d %r>" % (self.status, self.body[:200])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http(method, url, token=None, form=None, body=None, timeout=10):
    data = None
    headers = {}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _OPENER.open(req, timeout=timeout) as r:
            return Resp(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Resp(e.code, e.headers, e.read())


def api(bank, path, token, expand=False, **params):
    q = [(k, v) for k, v in params.items() if v is not None]
    if expand:
        q.append(("expand[]", "merchant"))
    url = bank.url + path + ("?" + urllib.parse.urlencode(q) if q else "")
    return http("GET", url, token)


def walk(bank, token, acc, limit=100, since=None, before=None, expand=True):
    """Page through /transactions the way monzohfs does; returns every transaction."""
    out = []
    pages = 0
    while True:
        r = api(bank, "/transactions", token, expand=expand, account_id=acc, limit=limit,
                since=since, before=before)
        assert r.status == 200, r
        page = r.json()["transactions"]
        pages += 1
        out.extend(page)
        if len(page) < limit:
            return out, pages
        since = page[-1]["id"]


def login(bank, redirect_uri="http://localhost:8080/callback", state="st4te"):
    """The browser part of the OAuth flow: returns the code from the redirect."""
    r = http("GET", bank.url + "/?" + urllib.parse.urlencode({
        "client_id": bank.client_id, "redirect_uri": redirect_uri,
        "response_type": "code", "state": state}))
    assert r.status == 302, r
    loc = urllib.parse.urlsplit(r.headers["Location"])
    q = urllib.parse.parse_qs(loc.query)
    assert q["state"] == [state]
    return q["code"][0]


def exchange(bank, code, redirect_uri="http://localhost:8080/callback", **over):
    form = {"grant_type": "authorization_code", "client_id": bank.client_id,
            "client_secret": bank.client_secret, "redirect_uri": redirect_uri, "code": code}
    form.update(over)
    return http("POST", bank.url + "/oauth2/token", form=form)


def refresh(bank, refresh_token, **over):
    form = {"grant_type": "refresh_token", "client_id": bank.client_id,
            "client_secret": bank.client_secret, "refresh_token": refresh_token}
    form.update(over)
    return http("POST", bank.url + "/oauth2/token", form=form)


# --------------------------------------------------------------------------- fixtures

@pytest.fixture
def bank():
    b = FakeBank(seed=1)
    b.start()
    yield b
    b.stop()


@pytest.fixture
def token(bank):
    return bank.mint_token()["access_token"]


@pytest.fixture
def main(bank):
    return bank.main_account_id


# key sets of the recorded real responses (docs/monzo-api.md, fixtures/monzo)
TX_KEYS = {
    "account_id", "amount", "amount_is_pending", "atm_fees_detailed", "attachments",
    "can_add_to_tab", "can_be_excluded_from_breakdown", "can_be_made_subscription",
    "can_match_transactions_in_categorization", "can_split_the_bill", "categories",
    "category", "counterparty", "created", "currency", "dedupe_id", "description", "fees",
    "id", "include_in_spending", "international", "is_load", "labels", "local_amount",
    "local_currency", "merchant", "metadata", "notes", "originator", "parent_account_id",
    "scheme", "settled", "updated", "user_id"}
TX_OPTIONAL = {"tab", "decline_reason"}
MERCHANT_KEYS = {"id", "group_id", "created", "name", "logo", "emoji", "category", "online",
                 "atm", "address", "updated", "metadata", "disable_feedback"}
ADDRESS_KEYS = {"short_formatted", "formatted", "address", "city", "region", "country",
                "postcode", "latitude", "longitude", "zoom_level", "approximate"}
ACCOUNT_KEYS = {"id", "closed", "created", "description", "type", "owner_type", "is_flex",
                "product_type", "closed_account_app_access", "currency", "legal_entity",
                "country_code", "country_code_alpha3", "owners"}
BANK_DETAIL_KEYS = {"account_number", "sort_code", "payment_details"}
POT_KEYS = {"id", "name", "style", "balance", "currency", "type", "product_id",
            "current_account_id", "cover_image_url", "isa_wrapper", "round_up",
            "round_up_multiplier", "is_tax_pot", "created", "updated", "deleted", "locked",
            "available_for_bills", "has_virtual_cards"}
POT_OPTIONAL = {"goal_amount", "lock_type", "locked_until", "charity_id"}
BALANCE_KEYS = {"balance", "total_balance", "balance_including_flexible_savings", "currency",
                "spend_today", "local_currency", "local_exchange_rate", "local_spend"}


# --------------------------------------------------------------------------- auth basics

def test_auth_required(bank, main):
    for path in ("/ping/whoami", "/accounts", "/balance?account_id=" + main,
                 "/pots?current_account_id=" + main, "/transactions?account_id=" + main):
        r = http("GET", bank.url + path)
        assert r.status == 401, path
        assert r.headers["Content-Type"] == "application/json"
        body = r.json()
        assert body["code"] == "unauthorized.bad_access_token"
        assert body["error"] == "invalid_token"
        assert body["message"] and body["error_description"]
        r = http("GET", bank.url + path, token="not-a-token")
        assert r.status == 401 and r.json()["code"] == "unauthorized.bad_access_token"


def test_whoami(bank):
    tok = bank.mint_token(approved=False)
    r = api(bank, "/ping/whoami", tok["access_token"])
    assert r.status == 200
    assert r.json() == {"authenticated": True, "client_id": bank.client_id,
                        "user_id": bank.user_id}
    assert tok["user_id"] == bank.user_id and tok["client_id"] == bank.client_id


def test_unknown_path_and_method(bank, token):
    r = api(bank, "/nope", token)
    assert r.status == 404
    assert r.json()["code"] == "not_found.no_handler"
    assert r.json()["message"] == "No handler for GET /nope"
    r = http("POST", bank.url + "/accounts", token, form={"x": "1"})
    assert r.status == 405 and r.headers["Content-Type"] == "application/json"


# --------------------------------------------------------------------------- accounts

def test_accounts_unfiltered_and_filtered(bank, token):
    r = api(bank, "/accounts", token)
    assert r.status == 200
    accs = r.json()["accounts"]
    assert [(a["type"], a["closed"]) for a in accs] == [
        ("uk_retail", False), ("uk_retail_joint", False), ("uk_business", False),
        ("uk_business", False), ("uk_monzo_flex", False), ("uk_prepaid", True),
        ("uk_retail_joint", True)]
    assert accs == bank.accounts
    for a in accs:
        assert ACCOUNT_KEYS <= set(a), a["type"]
        assert re.fullmatch(r"acc_[0-9A-Za-z]{22}", a["id"])
        assert a["currency"] == "GBP" and a["country_code"] == "GB"
        if a["type"] in ("uk_retail", "uk_retail_joint", "uk_business"):
            assert BANK_DETAIL_KEYS <= set(a)
            assert re.fullmatch(r"\d{8}", a["account_number"])
            assert re.fullmatch(r"\d{6}", a["sort_code"])
            assert a["payment_details"]["locale_uk"] == {
                "account_number": a["account_number"], "sort_code": a["sort_code"]}
            iban = a["payment_details"]["iban"]["unformatted"]
            # a real IBAN check digit
            n = int("".join(str(int(c, 36)) for c in iban[4:] + iban[:4]))
            assert n % 97 == 1
        else:
            assert not BANK_DETAIL_KEYS & set(a)
    assert len(accs[1]["owners"]) == 2 and len(accs[6]["owners"]) == 2
    assert sum("x_new_field" in a for a in accs) == 1

    r = api(bank, "/accounts", token, account_type="uk_retail")
    assert [a["id"] for a in r.json()["accounts"]] == [bank.main_account_id]
    r = api(bank, "/accounts", token, account_type="uk_retail_joint")
    assert [a["closed"] for a in r.json()["accounts"]] == [False, True]
    r = api(bank, "/accounts", token, account_type="uk_business")
    assert len(r.json()["accounts"]) == 2


# --------------------------------------------------------------------------- balance

def test_balance_shape(bank, token, main):
    r = api(bank, "/balance", token, account_id=main)
    assert r.status == 200
    b = r.json()
    assert set(b) == BALANCE_KEYS
    assert b == bank.balances[main]
    assert isinstance(b["balance_including_flexible_savings"], int)
    assert b["spend_today"] < 0
    assert b["local_currency"] == "" and b["local_exchange_rate"] == 0
    assert isinstance(b["local_spend"], list)
    # consistent with the transactions: every non-declined amount
    assert b["balance"] == sum(t["amount"] for t in bank.transactions[main]
                               if "decline_reason" not in t)
    live = sum(p["balance"] for p in bank.pots[main] if not p["deleted"])
    assert b["total_balance"] == b["balance"] + live

    r = api(bank, "/balance", token)
    assert r.status == 400
    assert r.json()["code"] == "bad_request.missing_param.account_id"
    r = api(bank, "/balance", token, account_id="acc_0000nosuchaccount00000")
    assert r.status == 404 and r.json()["code"].startswith("not_found.")


def test_set_balance(bank, token, main):
    before = dict(bank.balances[main])
    bank.set_balance(main, balance=12345)
    b = api(bank, "/balance", token, account_id=main).json()
    assert b["balance"] == 12345
    assert b["total_balance"] - 12345 == before["total_balance"] - before["balance"]
    bank.set_balance(main, total_balance=99, spend_today=-1)
    b = api(bank, "/balance", token, account_id=main).json()
    assert (b["balance"], b["total_balance"], b["spend_today"]) == (12345, 99, -1)


# --------------------------------------------------------------------------- pots

def test_pots(bank, token, main):
    r = api(bank, "/pots", token)
    assert r.status == 400
    assert r.json() == {"code": "bad_request.missing_param.current_account_id",
                        "message": "The field 'current_account_id' is required",
                        "retryable": {}}
    for acc in (main, bank.account_ids["joint"]):
        pots = api(bank, "/pots", token, current_account_id=acc).json()["pots"]
        assert pots == bank.pots[acc]
        for p in pots:
            assert POT_KEYS <= set(p) <= POT_KEYS | POT_OPTIONAL
            assert p["current_account_id"] == acc
        deleted = [p for p in pots if p["deleted"]]
        assert len(deleted) == 2 and all(p["balance"] == 0 for p in deleted)
        assert any(p["style"] == "" for p in pots)
        assert any("goal_amount" not in p for p in pots)
        locked = [p for p in pots if p["locked"]]
        assert locked and all(p["lock_type"] == "until_date" and p["locked_until"]
                              for p in locked)
        assert any(p["round_up_multiplier"] is None for p in pots)
        assert any(ord(p["name"][0]) > 0x2000 for p in pots)   # emoji
    r = api(bank, "/pots", token, current_account_id=bank.account_ids["business"])
    assert r.status == 200 and r.json() == {"pots": []}


# --------------------------------------------------------------------------- transactions

def test_transaction_shapes(bank, token, main):
    seen_schemes = set()
    for acc in bank.account_ids.values():
        txs = bank.transactions[acc]
        assert len(txs) >= 5, acc
        for t in txs:
            assert TX_KEYS <= set(t) <= TX_KEYS | TX_OPTIONAL, t["id"]
            assert re.fullmatch(r"tx_[0-9A-Za-z]{22}", t["id"])
            assert t["account_id"] == acc
            assert all(isinstance(v, str) for v in t["metadata"].values()), t["id"]
            parse_ts(t["created"]), parse_ts(t["updated"])
            if t["settled"]:
                parse_ts(t["settled"])
            m = t["merchant"]
            if m is not None:
                assert set(m) == MERCHANT_KEYS and set(m["address"]) == ADDRESS_KEYS
            seen_schemes.add(t["scheme"])
    assert {"mastercard", "uk_retail_pot", "p2p_payment", "bacs", "payport_faster_payments",
            "monzo_flex"} <= seen_schemes
    # fraction digits vary
    digits = {len(m.group(1)) if m else 0 for m in
              (re.search(r"\.(\d+)Z$", t["created"]) for t in bank.transactions[main])}
    assert {0, 1, 2, 3, 6} <= digits
    assert any("tab" in t for t in bank.transactions[main])


def test_awkward_cases(bank, main):
    aw = {k: bank.transaction(v) for k, v in bank.awkward.items()}
    assert all(t["account_id"] == main for t in aw.values())
    assert "," in aw["merchant_comma"]["merchant"]["name"]
    assert '"' in aw["merchant_quotes"]["merchant"]["name"]
    assert aw["address_commas"]["merchant"]["address"]["short_formatted"].count(",") >= 2
    n = aw["notes_newline"]["notes"]
    assert "\n" in n and "," in n and '"' in n
    n = aw["notes_tab_backslash"]["notes"]
    assert "\t" in n and "\\" in n
    assert aw["emoji"]["merchant"]["emoji"] and "🍕" in aw["emoji"]["notes"]
    name = aw["non_ascii"]["merchant"]["name"]
    assert "é" in name and "ü" in name
    assert "£" in aw["pound_sign"]["merchant"]["name"]
    for cur, local in (("JPY", -1200), ("KWD", -1234), ("EUR", -2000), ("USD", -1200)):
        t = aw["foreign_" + cur.lower()]
        assert (t["local_currency"], t["local_amount"], t["currency"]) == (cur, local, "GBP")
        assert t["amount"] < 0
    t = aw["card_check_zero"]
    assert t["amount"] == 0 and t["metadata"]["hide_amount"] == "true"
    t = aw["refund"]
    assert t["amount"] > 0 and t["scheme"] == "mastercard" and not t["is_load"]
    live, gone = bank.pot_roles["holiday"], bank.pot_roles["deleted_recent"]
    for name, pot, sign in (("pot_out_live", live, -1), ("pot_in_live", live, 1),
                            ("pot_out_deleted", gone, -1), ("pot_in_deleted", gone, 1)):
        t = aw[name]
        assert t["scheme"] == "uk_retail_pot" and t["description"] == pot["id"]
        assert t["metadata"]["pot_id"] == pot["id"] and t["metadata"]["pot_account_id"]
        assert (t["amount"] > 0) == (sign > 0)
    assert gone["deleted"]
    t = aw["faster_payment_in"]
    assert t["scheme"] == "payport_faster_payments" and t["counterparty"]["name"]
    assert t["settled"].endswith("T06:00:00Z")
    cp = aw["counterparty_preferred_only"]["counterparty"]
    assert "name" not in cp and cp["preferred_name"]
    assert aw["p2p_payment"]["scheme"] == "p2p_payment"
    t = aw["bacs_direct_debit"]
    assert t["scheme"] == "bacs" and t["metadata"]["bacs_direct_debit_instruction_id"]
    t = aw["bacs_credit"]
    assert t["scheme"] == "bacs" and "bacs_direct_debit_instruction_id" not in t["metadata"]
    assert t["amount"] > 0
    t = aw["declined_pending"]
    assert t["decline_reason"] == "INSUFFICIENT_FUNDS" and t["settled"] == ""
    t = aw["declined_settled"]
    assert t["decline_reason"] and t["settled"]
    assert len(aw["split"]["categories"]) == 2
    assert sum(aw["split"]["categories"].values()) == aw["split"]["amount"]
    assert aw["custom_category"]["category"] == "Side hustle"
    for i in (1, 2, 3):
        t = aw["pending_%d" % i]
        assert t["settled"] == ""
        assert bank.anchor.timestamp() - parse_ts(t["created"]) / 1e9 < 3 * 86400
    assert aw["same_created_1"]["created"] == aw["same_created_2"]["created"]
    assert [t["created"] for k, t in aw.items() if "2025" in k] == [
        "2025-03-31T23:30:00Z", "2025-04-30T23:59:59.5Z", "2025-10-26T00:30:00Z",
        "2025-10-26T01:30:00Z", "2025-10-31T23:30:00Z"]
    assert aw["attachment"]["attachments"][0]["external_id"] == aw["attachment"]["id"]


def test_pagination_limits(bank, token, main):
    r = api(bank, "/transactions", token, account_id=main)
    page = r.json()["transactions"]
    assert len(page) == 30
    assert page[0]["id"] == bank.transactions[main][0]["id"]
    assert len(api(bank, "/transactions", token, account_id=main, limit=100)
               .json()["transactions"]) == 100
    for bad in ("101", "0", "ten"):
        r = api(bank, "/transactions", token, account_id=main, limit=bad)
        assert r.status == 400 and r.json()["code"].startswith("bad_request."), bad
    r = api(bank, "/transactions", token)
    assert r.status == 400 and r.json()["code"] == "bad_request.missing_param.account_id"


def test_walk_with_since_id(bank, token, main):
    txs, pages = walk(bank, token, main)
    assert pages == 5                             # 400 transactions: 4 full pages + empty
    ids = [t["id"] for t in txs]
    assert len(ids) == len(set(ids)) == 400
    assert txs == bank.transactions[main]
    keys = [(parse_ts(t["created"]), t["id"]) for t in txs]
    assert keys == sorted(keys)
    txs30, _ = walk(bank, token, main, limit=30, expand=False)
    assert [t["id"] for t in txs30] == ids
    # the tie on created falls back to the id
    a, b = bank.awkward["same_created_1"], bank.awkward["same_created_2"]
    assert ids.index(min(a, b)) == ids.index(max(a, b)) - 1


def test_since_timestamp_inclusive_before_exclusive(bank, token, main):
    txs = bank.transactions[main]
    pick = txs[200]
    created = pick["created"]
    r = api(bank, "/transactions", token, account_id=main, since=created, limit=5)
    first = r.json()["transactions"][0]
    assert parse_ts(first["created"]) == parse_ts(created)
    assert first["id"] == min(t["id"] for t in txs if t["created"] == created)
    r = api(bank, "/transactions", token, account_id=main, since=txs[150]["created"],
            before=created, limit=100)
    got = r.json()["transactions"]
    assert got and all(parse_ts(t["created"]) < parse_ts(created) for t in got)
    expect = [t["id"] for t in txs
              if parse_ts(txs[150]["created"]) <= parse_ts(t["created"]) < parse_ts(created)]
    assert [t["id"] for t in got] == expect
    # the same instant written with 0..9 fraction digits
    ns = parse_ts(created)
    sec = format_ts(ns - ns % 10 ** 9)[:-1]
    frac = "%09d" % (ns % 10 ** 9)
    variants = [sec + "." + frac + "Z", sec + "." + frac.rstrip("0") + "Z"] if ns % 10 ** 9 \
        else [sec + "Z", sec + ".0Z", sec + ".000000000Z"]
    for v in variants:
        r = api(bank, "/transactions", token, account_id=main, since=v, limit=1)
        assert r.json()["transactions"][0]["created"] == created, v
    r = api(bank, "/transactions", token, account_id=main, since="yesterday")
    assert r.status == 400
    r = api(bank, "/transactions", token, account_id=main, before=pick["id"])
    assert r.status == 400
    r = api(bank, "/transactions", token, account_id=main,
            since=bank.transactions[bank.account_ids["joint"]][0]["id"])
    assert r.status == 400


def test_expand_merchant(bank, token, main):
    plain = api(bank, "/transactions", token, account_id=main, limit=100).json()
    full = api(bank, "/transactions", token, expand=True, account_id=main, limit=100).json()
    n_merch = 0
    for p, f in zip(plain["transactions"], full["transactions"]):
        assert p["id"] == f["id"]
        if f["merchant"] is None:
            assert p["merchant"] is None
        else:
            n_merch += 1
            assert isinstance(f["merchant"], dict)
            assert p["merchant"] == f["merchant"]["id"]
            assert p["merchant"].startswith("merch_")
            assert {k: v for k, v in p.items() if k != "merchant"} == \
                {k: v for k, v in f.items() if k != "merchant"}
    assert n_merch > 10


def test_single_transaction(bank, token, main):
    tx = bank.transaction(bank.awkward["emoji"])
    r = api(bank, "/transactions/" + tx["id"], token)
    assert r.status == 200
    got = r.json()["transaction"]
    assert got["merchant"] == tx["merchant"]["id"]
    r = api(bank, "/transactions/" + tx["id"], token, expand=True)
    assert r.json() == {"transaction": tx}
    r = api(bank, "/transactions/tx_0000doesnotexist000000", token)
    assert r.status == 404 and r.json()["code"].startswith("not_found.")


def test_go_style_json(bank, token):
    raw = api(bank, "/transactions/" + bank.awkward["merchant_comma"], token,
              expand=True).body
    assert b"&" not in raw and b"\\u0026" in raw           # Smith, Jones & Sons
    assert "Café".encode() in api(bank, "/transactions/" + bank.awkward["non_ascii"],
                                  token, expand=True).body   # raw UTF-8
    assert json.loads(raw)["transaction"]["merchant"]["name"] == "Smith, Jones & Sons"


# --------------------------------------------------------------------------- 90 days

def test_ninety_day_rule(bank, main):
    tok = bank.mint_token()["access_token"]           # approved now: window open
    r = api(bank, "/transactions", tok, account_id=main, limit=100)
    assert r.status == 200
    old = bank.transactions[main][5]
    r = api(bank, "/transactions", tok, account_id=main, since=old["id"])
    assert r.status == 200
    bank.advance(299)
    assert api(bank, "/transactions", tok, account_id=main).status == 200
    bank.advance(2)                                     # 301 s after approval
    r = api(bank, "/transactions", tok, account_id=main)
    assert r.status == 403
    assert r.json()["code"] == "forbidden.verification_required" and r.json()["message"]
    now = bank.now()
    ok = format_ts(now - timedelta(days=89))
    late = format_ts(now - timedelta(days=91))
    assert api(bank, "/transactions", tok, account_id=main, since=ok).status == 200
    assert api(bank, "/transactions", tok, account_id=main, since=late).status == 403
    assert api(bank, "/transactions", tok, account_id=main, since=old["id"]).status == 403
    recent = bank.transaction(bank.awkward["pending_1"])
    r = api(bank, "/transactions", tok, account_id=main, since=recent["id"])
    assert r.status == 200
    # other endpoints are not limited
    assert api(bank, "/accounts", tok).status == 200
    assert api(bank, "/balance", tok, account_id=main).status == 200
    # a refresh does not reopen the window; a new login does
    tok = bank.mint_token()["access_token"]
    assert api(bank, "/transactions", tok, account_id=main).status == 200


def test_approval_after_polls(bank, main):
    bank.approve_after_polls = 2
    tok = exchange(bank, login(bank)).json()
    at = tok["access_token"]
    assert tok["scope"] == "third_party_developer_app.pre_verification"
    assert api(bank, "/ping/whoami", at).status == 200
    for path, params in (("/balance", {"account_id": main}),
                         ("/pots", {"current_account_id": main}),
                         ("/transactions", {"account_id": main}),
                         ("/transactions/" + bank.awkward["emoji"], {})):
        r = api(bank, path, at, **params)
        assert r.status == 403 and r.json()["code"] == "forbidden.insufficient_permissions"
    for _ in range(2):
        r = api(bank, "/accounts", at)
        assert r.status == 403 and r.json()["code"] == "forbidden.insufficient_permissions"
    r = api(bank, "/accounts", at)
    assert r.status == 200
    # approval just happened: the full history is open for 5 minutes
    txs, _ = walk(bank, at, main)
    assert len(txs) == 400
    bank.advance(301)
    assert api(bank, "/transactions", at, account_id=main).status == 403


def test_approve_after_polls_none_and_zero(bank):
    bank.approve_after_polls = None
    at = exchange(bank, login(bank)).json()["access_token"]
    for _ in range(5):
        assert api(bank, "/accounts", at).status == 403
    bank.approve()
    assert api(bank, "/accounts", at).status == 200
    bank.approve_after_polls = 0
    at = exchange(bank, login(bank)).json()["access_token"]
    assert api(bank, "/accounts", at).status == 200


# --------------------------------------------------------------------------- tokens

def test_token_exchange_and_refresh_rotation(bank, main):
    code = login(bank)
    r = exchange(bank, code)
    assert r.status == 200
    t1 = r.json()
    assert set(t1) == {"access_token", "client_id", "expires_in", "refresh_token", "scope",
                       "token_type", "user_id"}
    assert t1["token_type"] == "Bearer" and t1["expires_in"] == 21600
    assert t1["access_token"].count(".") == 2 and len(t1["access_token"]) > 100
    # the code is single-use
    r = exchange(bank, code)
    assert r.status == 401 and r.json()["code"].startswith("unauthorized.bad_authorization_code")
    for _ in range(2):
        api(bank, "/accounts", t1["access_token"])
    assert api(bank, "/accounts", t1["access_token"]).status == 200     # approved
    approved_at = bank.now()

    r = refresh(bank, t1["refresh_token"])
    assert r.status == 200
    t2 = r.json()
    assert t2["access_token"] != t1["access_token"]
    assert t2["refresh_token"] != t1["refresh_token"]
    # the old access token is evicted, the new one works and keeps the approval
    r = api(bank, "/accounts", t1["access_token"])
    assert r.status == 401
    assert r.json()["code"] == "unauthorized.bad_access_token.evicted"
    assert api(bank, "/accounts", t2["access_token"]).status == 200
    assert api(bank, "/transactions", t2["access_token"], account_id=main).status == 200
    # refresh tokens are single-use
    r = refresh(bank, t1["refresh_token"])
    assert r.status == 401
    assert r.json()["code"] == "unauthorized.bad_refresh_token"
    assert r.json()["message"] == "Bad refresh token"
    # the approval time survives the refresh: the window still closes 5 min after it
    bank.advance(301 - (bank.now() - approved_at).total_seconds())
    r = api(bank, "/transactions", t2["access_token"], account_id=main)
    assert r.status == 403 and r.json()["code"] == "forbidden.verification_required"
    t3 = refresh(bank, t2["refresh_token"]).json()
    assert api(bank, "/accounts", t3["access_token"]).status == 200
    assert api(bank, "/transactions", t3["access_token"], account_id=main).status == 403


def test_token_errors(bank):
    code = login(bank)
    r = exchange(bank, code, client_secret="wrong")
    assert r.status == 401 and r.json()["code"] == "unauthorized.bad_client"
    r = exchange(bank, code, client_id="oauth2client_0000other")
    assert r.status == 401 and r.json()["code"] == "unauthorized.bad_client"
    r = exchange(bank, code, redirect_uri="http://localhost:9999/elsewhere")
    assert r.status == 401
    r = exchange(bank, "made-up-code")
    assert r.status == 401
    r = refresh(bank, "made-up-refresh")
    assert r.status == 401 and r.json()["code"] == "unauthorized.bad_refresh_token"
    r = http("POST", bank.url + "/oauth2/token", form={"client_id": bank.client_id})
    assert r.status == 400 and r.json()["code"] == "bad_request.missing_param.grant_type"
    # the code was not used up by the failures
    assert exchange(bank, code).status == 200


def test_one_live_token_per_user(bank):
    t1 = bank.mint_token()
    t2 = bank.mint_token()
    r = api(bank, "/ping/whoami", t1["access_token"])
    assert r.status == 401 and r.json()["code"] == "unauthorized.bad_access_token.evicted"
    assert api(bank, "/ping/whoami", t2["access_token"]).status == 200
    # the evicted login's refresh token is refused too
    r = refresh(bank, t1["refresh_token"])
    assert r.status == 401 and r.json()["code"].startswith("unauthorized.bad_refresh_token")
    # a code exchange evicts a minted token as well
    t3 = exchange(bank, login(bank)).json()
    assert api(bank, "/ping/whoami", t2["access_token"]).status == 401
    assert api(bank, "/ping/whoami", t3["access_token"]).status == 200


def test_expiry_on_fake_clock(bank):
    t = bank.mint_token(expires_in=60)
    assert t["expires_in"] == 60
    assert api(bank, "/ping/whoami", t["access_token"]).status == 200
    bank.advance(61)
    r = api(bank, "/ping/whoami", t["access_token"])
    assert r.status == 401
    assert r.json()["code"] == "unauthorized.bad_access_token.expired"
    # an expired token can still be refreshed
    t2 = refresh(bank, t["refresh_token"]).json()
    assert api(bank, "/ping/whoami", t2["access_token"]).status == 200
    bank.token_lifetime = 120
    t3 = refresh(bank, t2["refresh_token"]).json()
    assert t3["expires_in"] == 120


def test_logout(bank):
    t = bank.mint_token()
    r = http("POST", bank.url + "/oauth2/logout", t["access_token"], form={})
    assert r.status == 200
    assert api(bank, "/ping/whoami", t["access_token"]).status == 401
    assert refresh(bank, t["refresh_token"]).status == 401


def test_tokens_file(bank, tmp_path):
    tok = bank.mint_token(expires_in=3600)
    path = tmp_path / "cache" / "monzoh" / "tokens.json"
    before = time.time()
    bank.write_tokens_file(path, tok)
    text = path.read_text("utf-8")
    assert not text.endswith("\n")
    data = json.loads(text)
    assert list(data) == ["access_token", "refresh_token", "expires_at", "user_id",
                          "client_id"]
    assert text == json.dumps(data, indent=2)
    assert data["access_token"] == tok["access_token"]
    assert data["refresh_token"] == tok["refresh_token"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", data["expires_at"])
    exp = parse_ts(data["expires_at"]) / 1e9
    assert before + 3590 < exp < time.time() + 3610
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700


def test_public_client_has_no_refresh_token(bank):
    bank.confidential = False
    t = exchange(bank, login(bank)).json()
    assert "refresh_token" not in t


# --------------------------------------------------------------------------- auth page

def test_auth_page_redirect(bank):
    r = http("GET", bank.url + "/?" + urllib.parse.urlencode({
        "client_id": bank.client_id, "redirect_uri": "http://127.0.0.1:5555/cb",
        "response_type": "code", "state": "a b&c"}))
    assert r.status == 302
    loc = urllib.parse.urlsplit(r.headers["Location"])
    assert (loc.scheme, loc.netloc, loc.path) == ("http", "127.0.0.1:5555", "/cb")
    q = urllib.parse.parse_qs(loc.query)
    assert q["state"] == ["a b&c"] and len(q["code"][0]) > 50
    # a redirect_uri that already has a query keeps it
    r = http("GET", bank.url + "/?" + urllib.parse.urlencode({
        "client_id": bank.client_id, "redirect_uri": "http://localhost:1/cb?x=1",
        "response_type": "code", "state": "s"}))
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)
    assert q["x"] == ["1"] and q["state"] == ["s"]
    r = http("GET", bank.url + "/?" + urllib.parse.urlencode({
        "client_id": "oauth2client_0000unknown", "redirect_uri": "http://localhost:1/cb",
        "response_type": "code", "state": "s"}))
    assert r.status == 400 and r.headers["Content-Type"].startswith("text/html")
    r = http("GET", bank.url + "/?" + urllib.parse.urlencode({
        "client_id": bank.client_id, "redirect_uri": "http://localhost:1/cb",
        "response_type": "token"}))
    assert r.status == 400
    bank.redirect_uris = ["http://localhost:8080/callback"]
    r = http("GET", bank.url + "/?" + urllib.parse.urlencode({
        "client_id": bank.client_id, "redirect_uri": "http://localhost:8081/callback",
        "response_type": "code", "state": "s"}))
    assert r.status == 400
    assert bank.counts["auth"] == 5


# --------------------------------------------------------------------------- faults

def test_fault_status(bank, token, main):
    bank.inject("balance", status=503, retry_after=7, count=2)
    for _ in range(2):
        r = api(bank, "/balance", token, account_id=main)
        assert r.status == 503
        assert r.headers["Retry-After"] == "7"
        assert r.headers["Content-Type"] == "application/json"
        assert r.json()["code"] and r.json()["message"]
    assert api(bank, "/balance", token, account_id=main).status == 200
    bank.inject(None, status=429, code="too_many_requests.slow_down", message="Calm down")
    r = api(bank, "/accounts", token)
    assert r.status == 429
    assert r.json() == {"code": "too_many_requests.slow_down", "message": "Calm down"}
    assert api(bank, "/accounts", token).status == 200


def test_fault_targets_one_endpoint_and_runs_until_cleared(bank, token, main):
    bank.inject("pots", status=500, count=None)
    for _ in range(3):
        assert api(bank, "/pots", token, current_account_id=main).status == 500
        assert api(bank, "/accounts", token).status == 200
    bank.clear_faults()
    assert api(bank, "/pots", token, current_account_id=main).status == 200
    # faults come before auth: even a bad token sees the fault
    bank.inject("whoami", status=502)
    assert api(bank, "/ping/whoami", "bogus").status == 502
    # and the token endpoint can be targeted
    bank.inject("token", status=500)
    assert refresh(bank, "whatever").status == 500


def test_fault_delay(bank, token):
    bank.inject("accounts", kind="delay", delay=0.4)
    t0 = time.monotonic()
    r = api(bank, "/accounts", token)
    assert r.status == 200 and len(r.json()["accounts"]) == 7
    assert time.monotonic() - t0 >= 0.4
    assert bank.take_fault("accounts") is None  # one request's worth, used up


def test_fault_bad_json(bank, token):
    bank.inject("accounts", kind="bad_json")
    r = api(bank, "/accounts", token)
    assert r.status == 200 and r.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        r.json()
    assert api(bank, "/accounts", token).json()["accounts"]


def test_fault_truncate(bank, token, main):
    bank.inject("transactions", kind="truncate")
    conn = httpclient.HTTPConnection("127.0.0.1", bank.port, timeout=5)
    conn.request("GET", "/transactions?account_id=" + main,
                 headers={"Authorization": "Bearer " + token})
    resp = conn.getresponse()
    assert resp.status == 200
    with pytest.raises(httpclient.IncompleteRead):
        resp.read()
    conn.close()
    assert api(bank, "/transactions", token, account_id=main).status == 200


def test_fault_drop(bank, token):
    bank.inject(None, kind="drop")
    with pytest.raises((urllib.error.URLError, httpclient.HTTPException, ConnectionError)):
        http("GET", bank.url + "/accounts", token)
    assert api(bank, "/accounts", token).status == 200


def test_faults_skip_control_api(bank):
    bank.inject(None, status=500, count=None)
    r = http("GET", bank.url + "/_fake/counts")
    assert r.status == 200
    bank.clear_faults()


# --------------------------------------------------------------------------- latency, rate limit

def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return out, time.monotonic() - t0


def all_at_once(n, fn):
    """Runs fn() in n threads released together; returns their results."""
    barrier = threading.Barrier(n)
    out = [None] * n

    def one(i):
        barrier.wait()
        out[i] = fn()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_latency_fixed_and_jittered_per_endpoint(bank, token, main):
    assert bank.set_latency(0.3, endpoint="transactions") == {
        "transactions": {"seconds": 0.3, "jitter": 0.0}}
    r, took = timed(lambda: api(bank, "/transactions", token, account_id=main, limit=1))
    assert r.status == 200 and took >= 0.3
    # Another endpoint is not delayed by it; the control API never is.
    bank.set_latency(1.0, endpoint="balance")
    _, took = timed(lambda: http("GET", bank.url + "/_fake/counts"))
    assert took < 0.5
    # Jitter: at least the fixed part, at most that and the jitter (and loopback).
    bank.set_latency(0.1, jitter=0.2, endpoint="transactions")
    for _ in range(3):
        r, took = timed(lambda: api(bank, "/transactions", token, account_id=main, limit=1))
        assert r.status == 200 and 0.1 <= took < 0.3 + 0.5
    # None: every API endpoint without one of its own.
    bank.set_latency(0.25)
    _, took = timed(lambda: api(bank, "/accounts", token))
    assert took >= 0.25
    bank.clear_faults()                    # a setting, not a fault: it stays
    _, took = timed(lambda: api(bank, "/accounts", token))
    assert took >= 0.25
    assert bank.set_latency(0) == {"transactions": {"seconds": 0.1, "jitter": 0.2},
                                   "balance": {"seconds": 1.0, "jitter": 0.0}}
    with pytest.raises(ValueError):
        bank.set_latency(-1)
    with pytest.raises(ValueError):
        bank.set_latency(1, endpoint="nowhere")


def test_rate_limit_in_flight_answers_429_with_retry_after(bank, token, main):
    bank.set_latency(1.0, endpoint="transactions")
    bank.rate_limit(in_flight=2, retry_after=3, endpoint="transactions")
    bank.reset_counts()
    got = all_at_once(5, lambda: api(bank, "/transactions", token, account_id=main, limit=1))
    assert sorted(r.status for r in got) == [200, 200, 429, 429, 429]
    for r in got:
        if r.status == 429:
            assert r.headers["Retry-After"] == "3"
            assert r.json()["code"] == "too_many_requests"
    t = bank.traffic
    assert (t["max_in_flight"], t["throttled"], t["in_flight"]) == (2, 3, 0)
    assert bank.counts["transactions"] == 5     # refused ones are requests too
    # Other endpoints are not limited; with the two answered, there is room again.
    assert api(bank, "/accounts", token).status == 200
    assert api(bank, "/transactions", token, account_id=main, limit=1).status == 200
    bank.rate_limit()
    got = all_at_once(4, lambda: api(bank, "/transactions", token, account_id=main, limit=1))
    assert [r.status for r in got] == [200] * 4


def test_rate_limit_per_second(bank, token):
    bank.rate_limit(per_second=3, retry_after=None)
    assert [api(bank, "/accounts", token).status for _ in range(3)] == [200] * 3
    r = api(bank, "/ping/whoami", token)
    assert r.status == 429 and "Retry-After" not in r.headers
    # A second after the first was let through, one more is.
    from conftest import wait_for
    wait_for(lambda: api(bank, "/accounts", token).status == 200, timeout=5,
             what="the next second's request")
    assert bank.traffic["throttled"] >= 1
    with pytest.raises(ValueError):
        bank.rate_limit(in_flight=0)


def test_traffic_counts_connections_and_peak(bank, token):
    bank.reset_counts()
    conn = httpclient.HTTPConnection("127.0.0.1", bank.port, timeout=5)
    for _ in range(3):                     # keep-alive: one connection
        conn.request("GET", "/accounts", headers={"Authorization": "Bearer " + token})
        assert conn.getresponse().read()
    conn.close()
    api(bank, "/accounts", token)          # urllib: a connection of its own
    t = bank.traffic
    assert (t["connections"], t["max_in_flight"]) == (2, 1)
    log = bank.requests
    assert [(r["endpoint"], r["target"], r["throttled"]) for r in log] == [("accounts", "/accounts", False)] * 4
    assert log == sorted(log, key=lambda r: r["at"])
    bank.reset_counts()
    assert bank.requests == []


def test_latency_and_rate_limit_through_the_control_api(bank, token, main):
    u = bank.url + "/_fake/"
    r = http("POST", u + "latency", body={"seconds": 0.4, "endpoint": "transactions"})
    assert r.status == 200 and r.json() == {"transactions": {"seconds": 0.4, "jitter": 0.0}}
    assert http("GET", u + "info").json()["latency"] == r.json()
    r = http("POST", u + "rate_limit", body={"in_flight": 1, "retry_after": 2, "endpoint": "transactions"})
    assert r.status == 200 and r.json()["in_flight"] == 1
    got = all_at_once(2, lambda: api(bank, "/transactions", token, account_id=main, limit=1))
    assert sorted(r.status for r in got) == [200, 429]
    assert http("GET", u + "traffic").json()["throttled"] == 1
    assert http("POST", u + "latency", body={"seconds": -1}).status == 400
    assert http("POST", u + "rate_limit", body={}).status == 200
    assert [r.status for r in all_at_once(2, lambda: api(bank, "/transactions", token, account_id=main,
                                                          limit=1))] == [200, 200]


# --------------------------------------------------------------------------- counts

def test_counts(bank, token, main):
    bank.reset_counts()
    assert set(bank.counts.values()) == {0}
    api(bank, "/ping/whoami", token)
    api(bank, "/accounts", token)
    api(bank, "/accounts", None)                        # refused, still counted
    api(bank, "/balance", token, account_id=main)
    api(bank, "/pots", token)                           # 400, still counted
    api(bank, "/transactions", token, account_id=main)
    api(bank, "/transactions/" + bank.awkward["emoji"], token)
    refresh(bank, "nope")
    http("GET", bank.url + "/_fake/counts")             # never counted
    c = bank.counts
    assert (c["whoami"], c["accounts"], c["balance"], c["pots"], c["transactions"],
            c["transaction"], c["token"]) == (1, 2, 1, 1, 1, 1, 1)
    assert http("GET", bank.url + "/_fake/counts").json() == c
    bank.reset_counts()
    assert bank.counts["accounts"] == 0


# --------------------------------------------------------------------------- control API

def test_control_api(bank, main):
    u = bank.url + "/_fake/"
    r = http("POST", u + "mint_token", body={"expires_in": 100})
    assert r.status == 200
    tok = r.json()
    assert tok["expires_in"] == 100
    at = tok["access_token"]
    assert api(bank, "/accounts", at).status == 200
    t0 = bank.now()
    r = http("POST", u + "advance?seconds=3600")
    assert r.status == 200
    assert (bank.now() - t0).total_seconds() >= 3600
    assert api(bank, "/accounts", at).json()["code"] == "unauthorized.bad_access_token.expired"
    at = http("POST", u + "mint_token", body={}).json()["access_token"]
    r = http("POST", u + "balance", body={"account_id": main, "balance": 4242})
    assert r.status == 200
    assert api(bank, "/balance", at, account_id=main).json()["balance"] == 4242
    assert http("POST", u + "fault", body={"endpoint": "balance", "status": 504}).status == 200
    assert api(bank, "/balance", at, account_id=main).status == 504
    http("POST", u + "fault", body={"endpoint": "balance", "count": None})
    http("POST", u + "clear_faults")
    assert api(bank, "/balance", at, account_id=main).status == 200
    assert http("POST", u + "fault", body={"kind": "explode"}).status == 400
    assert http("GET", u + "counts").json()["balance"] == 3
    http("POST", u + "reset_counts")
    assert bank.counts["balance"] == 0
    info = http("GET", u + "info").json()
    assert info["client_id"] == bank.client_id and info["client_secret"] == bank.client_secret
    assert info["account_ids"]["retail"] == main
    r = http("POST", u + "add_transaction", body={"account_id": main, "amount": -77,
                                                  "notes": "via control"})
    tx = r.json()
    assert tx["notes"] == "via control" and bank.transaction(tx["id"])
    r = http("POST", u + "update_transaction", body={"id": tx["id"], "amount": -99})
    assert r.json()["amount"] == -99
    r = http("POST", u + "remove_transaction", body={"id": tx["id"]})
    assert r.status == 200 and tx["id"] not in bank._by_id
    assert http("GET", u + "nothing").status == 404


# --------------------------------------------------------------------------- pot accounts

def current_side_transfers(bank):
    """ledger_insertion_id -> the current accounts' pot transfers."""
    return {t["metadata"]["ledger_insertion_id"]: t for a in bank.accounts
            for t in bank.transactions[a["id"]] if t["scheme"] == "uk_retail_pot"}


def test_pot_accounts_mirror_the_transfers_and_add_up(bank, main):
    transfers = current_side_transfers(bank)
    named = {t["metadata"]["pot_id"] for t in transfers.values()}
    assert set(bank.pot_accounts) == named
    mirrored = set()
    outside = []
    for pot_id, pot_acc in bank.pot_accounts.items():
        pot = bank.pot(pot_id)
        assert re.fullmatch(r"acc_[0-9A-Za-z]{22}", pot_acc)
        assert pot_acc not in [a["id"] for a in bank.accounts]
        txs = bank.transactions[pot_acc]
        keys = [(parse_ts(t["created"]), t["id"]) for t in txs]
        assert keys == sorted(keys)
        run = 0
        unmatched = []
        for t in txs:
            assert TX_KEYS <= set(t) <= TX_KEYS | TX_OPTIONAL, t["id"]
            assert re.fullmatch(r"tx_[0-9A-Za-z]{22}", t["id"])
            assert t["account_id"] == pot_acc and "decline_reason" not in t
            assert all(isinstance(v, str) for v in t["metadata"].values())
            assert t["settled"] and t["categories"] == {t["category"]: t["amount"]}
            assert bank.transaction(t["id"]) is t
            run += t["amount"]
            assert run >= 0, t["id"]                  # never below 0
            if t["scheme"] == "monzo_interest":
                assert pot["type"] == "flexible_savings"
                continue
            assert t["scheme"] == "uk_retail_pot"
            assert t["metadata"]["pot_id"] == pot_id
            assert t["metadata"]["pot_account_id"] == pot_acc
            assert t["description"] == pot["current_account_id"]
            cur = transfers.get(t["metadata"]["ledger_insertion_id"])
            if cur is None:
                unmatched.append(t)
                continue
            mirrored.add(cur["id"])
            assert cur["account_id"] == pot["current_account_id"]
            assert t["amount"] == -cur["amount"] and t["created"] == cur["created"]
            assert t["metadata"] == cur["metadata"] and t["category"] == cur["category"]
            assert t["settled"] == cur["settled"]
            assert ("pot_deposit_id" in t["metadata"]) == (t["amount"] > 0)
        assert run == pot["balance"], pot["name"]     # the ledger and /pots agree
        # the transfers outside the generated history: an opening deposit before it,
        # and one closing withdrawal
        opening = [t for t in unmatched if t["amount"] > 0]
        closing = [t for t in unmatched if t["amount"] < 0]
        assert len(opening) <= 1 and len(closing) <= 1
        start = bank.transactions[pot["current_account_id"]][0]["created"]
        assert all(parse_ts(t["created"]) < parse_ts(start) and t is txs[0] for t in opening)
        assert all(t is txs[-1] for t in closing)
        outside += [t["amount"] > 0 for t in unmatched]
    assert mirrored == {t["id"] for t in transfers.values()}
    assert set(outside) == {True, False}                # seed 1 has both kinds
    triggers = {t["metadata"]["trigger"] for acc in bank.pot_accounts.values()
                for t in bank.transactions[acc] if t["scheme"] == "uk_retail_pot"}
    assert {"user", "coin_jar"} <= triggers


def test_savings_pot_earns_interest(bank):
    isa = bank.pot_roles["isa"]
    assert isa["type"] == "flexible_savings"
    interest = [t for t in bank.transactions[bank.pot_accounts[isa["id"]]]
                if t["scheme"] == "monzo_interest"]
    assert len(interest) >= 12
    months = []
    for t in interest:
        assert 0 < t["amount"] < 5000 and t["description"] == "Interest"
        assert t["category"] == "savings" and t["metadata"]["interest_rate"] == "4.10"
        created = parse_ts(t["created"])
        assert format_ts(created)[8:10] == "01"       # on the 1st, for the month before
        assert t["metadata"]["interest_period_end"] < format_ts(created)[:10]
        months.append(format_ts(created)[:7])
    assert len(set(months)) == len(months)
    for role in ("holiday", "bills", "christmas", "deleted_recent"):
        acc = bank.pot_accounts[bank.pot_roles[role]["id"]]
        assert not any(t["scheme"] == "monzo_interest" for t in bank.transactions[acc])


def test_deleted_and_never_used_pots(bank, token, main):
    gone = bank.pot_roles["deleted_recent"]
    assert gone["deleted"] and gone["balance"] == 0
    acc = bank.pot_accounts[gone["id"]]
    txs, _ = walk(bank, token, acc)
    assert txs == bank.transactions[acc] and len(txs) >= 2
    assert sum(t["amount"] for t in txs) == 0
    assert all(parse_ts(t["created"]) < parse_ts(gone["updated"]) for t in txs)
    never = bank.pot_roles["never_used"]
    assert never in bank.pots[main] and never["balance"] == 0 and not never["deleted"]
    assert never["id"] not in bank.pot_accounts
    assert never["id"].encode() not in dumps(bank.transactions)
    unknown = api(bank, "/transactions", token, account_id="acc_0000nosuchaccount00000")
    made_up = api(bank, "/transactions", token, account_id="acc_0000" + never["id"][8:])
    assert made_up.status == unknown.status == 404
    assert made_up.json() == unknown.json()
    # pot accounts are not listed, and have no balance or pots
    assert acc not in [a["id"] for a in api(bank, "/accounts", token).json()["accounts"]]
    for path, param in (("/balance", "account_id"), ("/pots", "current_account_id")):
        r = api(bank, path, token, **{param: acc})
        assert r.status == 404 and r.json() == api(
            bank, path, token, **{param: "acc_0000nosuchaccount00000"}).json()


def test_pot_account_follows_the_transaction_rules(bank, main):
    acc = bank.pot_accounts[bank.pot_roles["isa"]["id"]]
    txs = bank.transactions[acc]
    assert len(txs) > 40
    tok = bank.mint_token()["access_token"]
    r = api(bank, "/transactions", tok, account_id=acc)
    assert r.json()["transactions"] == txs[:30]
    assert api(bank, "/transactions", tok, account_id=acc, limit=101).status == 400
    got, pages = walk(bank, tok, acc, limit=7)
    assert got == txs and pages == len(txs) // 7 + 1
    r = api(bank, "/transactions", tok, account_id=acc, since=txs[10]["created"],
            before=txs[20]["created"], limit=100)
    assert [t["id"] for t in r.json()["transactions"]] == [t["id"] for t in txs[10:20]]
    r = api(bank, "/transactions", tok, account_id=acc, since=txs[10]["id"], limit=5)
    assert r.json()["transactions"] == txs[11:16]
    r = api(bank, "/transactions", tok, account_id=acc, since=bank.transactions[main][-1]["id"])
    assert r.status == 400                              # an id from another account
    assert api(bank, "/transactions", tok, expand=True, account_id=acc,
               limit=100).json()["transactions"] == txs[:100]
    r = api(bank, "/transactions/" + txs[3]["id"], tok)
    assert r.status == 200 and r.json() == {"transaction": txs[3]}
    # the 5-minute / 90-day window, as for an account
    bank.advance(301)
    assert api(bank, "/transactions", tok, account_id=acc).status == 403
    r = api(bank, "/transactions", tok, account_id=acc, since=txs[0]["id"])
    assert r.status == 403 and r.json()["code"] == "forbidden.verification_required"
    since = format_ts(bank.now() - timedelta(days=89))
    r = api(bank, "/transactions", tok, account_id=acc, since=since, limit=100)
    assert r.status == 200
    assert r.json()["transactions"] == [t for t in txs if parse_ts(t["created"]) >=
                                        parse_ts(since)]
    assert 1 <= len(r.json()["transactions"]) < len(txs)


def test_transfer_to_pot(bank, token, main):
    pot = bank.pot_roles["never_used"]
    bal0 = dict(bank.balances[main])
    tx, leg = bank.transfer_to_pot(main, pot["id"], 2500)
    acc = bank.pot_accounts[pot["id"]]                  # the first transfer shows it
    assert (tx["account_id"], tx["amount"], tx["description"]) == (main, -2500, pot["id"])
    assert (leg["account_id"], leg["amount"], leg["description"]) == (acc, 2500, main)
    assert tx["scheme"] == leg["scheme"] == "uk_retail_pot"
    assert tx["metadata"] == leg["metadata"] and tx["created"] == leg["created"]
    assert tx["metadata"]["pot_account_id"] == acc and tx["metadata"]["pot_deposit_id"]
    assert abs(parse_ts(tx["created"]) / 1e9 - bank.now().timestamp()) < 5
    b = bank.balances[main]
    assert b["balance"] == bal0["balance"] - 2500
    assert b["total_balance"] == bal0["total_balance"]
    assert pot["balance"] == 2500 and parse_ts(pot["updated"]) > parse_ts(pot["created"])
    assert api(bank, "/pots", token, current_account_id=main).json()["pots"][-1] == pot
    assert walk(bank, token, acc)[0] == [leg]
    assert walk(bank, token, main)[0][-1] == tx
    # a withdrawal, through the control API, back-dated
    bank.advance(60)
    r = http("POST", bank.url + "/_fake/transfer_to_pot", body={
        "account_id": main, "pot_id": pot["id"], "amount": -1000,
        "created": format_ts(bank.now() - timedelta(seconds=30))})
    assert r.status == 200
    wtx, wleg = r.json()["transaction"], r.json()["pot_transaction"]
    assert (wtx["amount"], wleg["amount"]) == (1000, -1000)
    assert "pot_withdrawal_id" in wleg["metadata"] and wtx["category"] == "transfers"
    assert [t["id"] for t in bank.transactions[acc]] == [leg["id"], wleg["id"]]
    assert pot["balance"] == 1500 and bank.balances[main]["balance"] == bal0["balance"] - 1500
    assert bank.balances[main]["total_balance"] == bal0["total_balance"]
    # a pot account's transactions move the pot: add, update, remove
    extra = bank.add_transaction(acc, merchant=None, scheme="monzo_interest", amount=7,
                                 description="Interest", category="savings")
    assert pot["balance"] == 1507 and bank.balances[main]["total_balance"] == \
        bal0["total_balance"] + 7
    bank.update_transaction(extra["id"], amount=9)
    assert pot["balance"] == 1509
    bank.remove_transaction(extra["id"])
    assert pot["balance"] == 1500 and bank.balances[main]["total_balance"] == \
        bal0["total_balance"]
    with pytest.raises(ValueError):
        bank.transfer_to_pot(main, bank.pot_roles["deleted_recent"]["id"], 100)
    with pytest.raises(ValueError):
        bank.transfer_to_pot(bank.account_ids["joint"], pot["id"], 100)
    r = http("POST", bank.url + "/_fake/transfer_to_pot",
             body={"account_id": main, "pot_id": "pot_0000nope", "amount": 1})
    assert r.status == 400
    info = http("GET", bank.url + "/_fake/info").json()
    assert info["pot_accounts"] == bank.pot_accounts
    assert info["pot_roles"]["never_used"] == pot["id"]


# --------------------------------------------------------------------------- own accounts

def test_own_account_transfers_have_both_sides(bank, token, main):
    """Money moved between the current and the joint account shows in both, as the
    real API shows a transfer: opposite amounts, moments apart, each side naming the
    other account."""
    joint = bank.account_ids["joint"]
    served = {acc: {t["id"]: t for t in walk(bank, token, acc)[0]} for acc in (main, joint)}
    pairs = bank.own_transfers
    assert len(pairs) >= 4
    directions, months = set(), set()
    for out_id, in_id in pairs:
        out, inn = bank.transaction(out_id), bank.transaction(in_id)
        assert {out["account_id"], inn["account_id"]} == {main, joint}
        assert served[out["account_id"]][out_id] == out        # both exist, over HTTP too
        assert served[inn["account_id"]][in_id] == inn
        assert out["amount"] < 0 and out["amount"] + inn["amount"] == 0
        assert abs(parse_ts(out["created"]) - parse_ts(inn["created"])) < 3 * 10 ** 9
        for side, other in ((out, inn), (inn, out)):
            assert TX_KEYS <= set(side) <= TX_KEYS | TX_OPTIONAL, side["id"]
            assert side["scheme"] == "payport_faster_payments" and side["currency"] == "GBP"
            assert side["settled"] == side["created"] and "decline_reason" not in side
            assert side["include_in_spending"] is False
            acc = bank.account(other["account_id"])
            cp = side["counterparty"]
            assert cp["account_id"] == acc["id"]
            assert (cp["sort_code"], cp["account_number"]) == (acc["sort_code"],
                                                                acc["account_number"])
            assert cp["name"] == " & ".join(o["preferred_name"] for o in acc["owners"])
        assert out["metadata"]["fps_payment_id"] == inn["metadata"]["fps_payment_id"]
        assert out["description"] == inn["description"] and out["originator"]
        directions.add(out["account_id"])
        months.add(out["created"][:7])
    assert directions == {main, joint}                    # both ways
    assert len(months) >= 4                               # over the history
    # the joint account never goes below zero
    run = 0
    for t in bank.transactions[joint]:
        run += 0 if "decline_reason" in t else t["amount"]
        assert run >= 0, t["id"]
    assert run == bank.balances[joint]["balance"]


def test_include_in_spending_follows_the_docs(bank, main):
    """docs/monzo-api.md: false for pot transfers and money in (a refund may count),
    true for money out; false too for a move between one's own accounts and for what
    the user left out of spending."""
    own = {i for pair in bank.own_transfers for i in pair}
    roles = bank.spending_roles
    assert set(roles) == {"card_excluded", "refund_excluded"}
    excluded = set(roles.values())
    false_kinds = set()
    refunds = set()
    for txs in bank.transactions.values():
        for t in txs:
            flag = t["include_in_spending"]
            assert isinstance(flag, bool), t["id"]
            refund = t["scheme"] == "mastercard" and t["amount"] > 0
            if t["scheme"] == "uk_retail_pot":
                kind = "pot"
                assert flag is False
            elif t["id"] in own:
                kind = "own"
                assert flag is False
            elif "decline_reason" in t or t["amount"] == 0:
                kind = "declined or check"
                assert flag is False
            elif t["id"] in excluded:
                kind = "excluded"
                assert flag is False and t["settled"] and t["account_id"] == main
            elif refund:
                kind = "refund"
                refunds.add(flag)
            elif t["amount"] > 0:
                kind = "money in"
                assert flag is False, t["id"]
            else:
                kind = "money out"
                assert flag is True, t["id"]
            if not flag:
                false_kinds.add(kind)
    assert {"pot", "own", "money in", "excluded"} <= false_kinds
    assert refunds == {True}                     # refunds count, unless left out
    assert bank.transaction(roles["refund_excluded"])["amount"] > 0
    assert bank.transaction(roles["card_excluded"])["amount"] < 0
    assert {"own_transfers", "spending_roles"} <= set(bank.info())


# --------------------------------------------------------------------------- attachments

ATTACHMENT_KEYS = {"created", "external_id", "file_type", "file_url", "id", "type", "url",
                   "user_id"}
MAGIC = {"image/png": (b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"),
         "image/jpeg": (b"\xff\xd8\xff\xe0", b"\xff\xd9"),
         "application/pdf": (b"%PDF-1.4\n", b"%%EOF\n")}


def attachments(bank):
    """(transaction, attachment) for every attachment in the bank."""
    return [(t, a) for txs in bank.transactions.values() for t in txs
            for a in t.get("attachments") or ()]


def test_generated_attachments(bank, main):
    roles = bank.attachment_roles
    assert set(roles) == {"attachment", "receipt_png", "two_attachments", "large_jpeg",
                          "old_receipt", "invoice_pdf"}
    assert roles["attachment"] == bank.awkward["attachment"]
    assert bank.transaction(roles["invoice_pdf"])["account_id"] == bank.account_ids["business"]
    found = attachments(bank)
    assert {t["id"] for t, _ in found} == set(roles.values())
    assert len(bank.transaction(roles["two_attachments"])["attachments"]) == 2
    assert {a["file_type"] for _, a in found} == set(MAGIC)
    assert len({t["created"][:7] for t, _ in found}) >= 2                  # months
    now = bank.now().timestamp()
    assert now - parse_ts(bank.transaction(roles["old_receipt"])["created"]) / 1e9 > 90 * 86400
    api_host = urllib.parse.urlsplit(bank.url).hostname
    for t, a in found:
        assert set(a) == ATTACHMENT_KEYS
        assert a["external_id"] == t["id"] and a["user_id"] == bank.user_id
        assert re.fullmatch(r"attach_[0-9A-Za-z]{22}", a["id"])
        assert a["type"] == a["file_type"] and a["url"] == a["file_url"]
        assert a["file_url"].startswith(bank.attachment_url + "/")
        assert urllib.parse.urlsplit(a["file_url"]).hostname not in (api_host, None)
        assert parse_ts(t["created"]) < parse_ts(a["created"]) < parse_ts(t["updated"])
        assert t["scheme"] == "mastercard" and t["settled"]
    sizes = {a["file_type"]: len(bank.attachment_bytes(a["file_url"])) for _, a in found}
    large = bank.transaction(roles["large_jpeg"])["attachments"][0]
    assert 200 * 1024 <= len(bank.attachment_bytes(large["file_url"])) < 210 * 1024
    assert len(set(len(bank.attachment_bytes(a["file_url"])) for _, a in found)) == len(found)
    assert min(sizes.values()) < 20000
    # the same bytes from the same seed, before any server started
    other = FakeBank(seed=1)
    for t, a in found:
        b = other.transaction(t["id"])["attachments"]
        twin = [x for x in b if x["id"] == a["id"]][0]
        assert twin["file_url"].startswith("https://attachments.fakebank.invalid/")
        assert other.attachment_bytes(twin["file_url"]) == bank.attachment_bytes(a["file_url"])


def test_attachment_host_serves_the_files(bank, token):
    bank.reset_counts()
    found = attachments(bank)
    for t, a in found:
        want = bank.attachment_bytes(a["file_url"])
        r = http("GET", a["file_url"])
        assert r.status == 200, a["file_url"]
        assert r.body == want
        assert r.headers["Content-Type"] == a["file_type"]
        assert r.headers["Content-Length"] == str(len(want))
        start, end = MAGIC[a["file_type"]]
        assert want.startswith(start) and want.endswith(end)
        r = http("HEAD", a["file_url"])
        assert r.status == 200 and r.body == b""
        assert r.headers["Content-Length"] == str(len(want))
        assert r.headers["Content-Type"] == a["file_type"]
    assert bank.attachment_counts == {a["file_url"]: {"GET": 1, "HEAD": 1} for _, a in found}
    assert bank.counts["attachment"] == 2 * len(found)
    assert bank.counts["transactions"] == bank.counts["transaction"] == 0
    missing = bank.attachment_url + "/file/nothing.jpg"
    assert http("GET", missing).status == 404
    r = http("POST", found[0][1]["file_url"], form={"x": "1"})
    assert r.status == 405
    counts = bank.attachment_counts
    assert counts[missing] == {"GET": 1}
    assert counts[found[0][1]["file_url"]] == {"GET": 1, "HEAD": 1, "POST": 1}
    assert bank.attachment_auth_violations == []
    r = http("GET", bank.url + "/_fake/attachments").json()
    assert r == {"url": bank.attachment_url, "counts": counts, "auth_violations": []}
    info = http("GET", bank.url + "/_fake/info").json()
    assert info["attachment_url"] == bank.attachment_url
    assert info["attachment_roles"] == bank.attachment_roles
    bank.reset_counts()
    assert bank.attachment_counts == {} and bank.counts["attachment"] == 0


def test_attachment_host_refuses_authorization(bank, token):
    url = bank.transaction(bank.attachment_roles["receipt_png"])["attachments"][0]["file_url"]
    path = urllib.parse.urlsplit(url).path
    r = http("GET", url, token=token)
    assert r.status == 403 and r.body != bank.attachment_bytes(url)
    r = http("HEAD", url, token=token)
    assert r.status == 403
    conn = httpclient.HTTPConnection(bank.attachment_host, bank.attachment_port, timeout=5)
    conn.request("GET", path, headers={"Authorization": "Basic eDp5"})
    assert conn.getresponse().status == 403
    conn.close()
    assert bank.attachment_auth_violations == [
        {"method": "GET", "path": path, "authorization": "Bearer " + token},
        {"method": "HEAD", "path": path, "authorization": "Bearer " + token},
        {"method": "GET", "path": path, "authorization": "Basic eDp5"}]
    assert bank.attachment_counts[url] == {"GET": 2, "HEAD": 1}
    bank.reset_counts()                                 # the record stays
    assert len(bank.attachment_auth_violations) == 3
    assert http("GET", url).status == 200               # without it, served
    assert http("GET", bank.url + "/_fake/attachments").json()["auth_violations"] == \
        bank.attachment_auth_violations
    # a refused request uses up no fault
    bank.inject("attachment", status=500)
    assert http("GET", url, token=token).status == 403
    assert http("GET", url).status == 500
    assert http("GET", url).status == 200


def test_attachment_faults(bank, token):
    url = bank.transaction(bank.attachment_roles["large_jpeg"])["attachments"][0]["file_url"]
    size = len(bank.attachment_bytes(url))
    bank.inject("attachment", status=503, retry_after=3, count=2)
    for method in ("GET", "HEAD"):
        r = http(method, url)
        assert r.status == 503 and r.headers["Retry-After"] == "3"
    assert http("GET", url).status == 200
    bank.inject("attachment", kind="delay", delay=0.3)
    t0 = time.monotonic()
    assert http("GET", url).status == 200
    assert time.monotonic() - t0 >= 0.3
    bank.inject("attachment", kind="truncate")
    conn = httpclient.HTTPConnection(bank.attachment_host, bank.attachment_port, timeout=5)
    conn.request("GET", urllib.parse.urlsplit(url).path)
    resp = conn.getresponse()
    assert resp.status == 200 and resp.headers["Content-Length"] == str(size)
    with pytest.raises(httpclient.IncompleteRead):
        resp.read()
    conn.close()
    bank.inject("attachment", kind="drop")
    with pytest.raises((urllib.error.URLError, httpclient.HTTPException, ConnectionError)):
        http("GET", url)
    assert http("GET", url).body == bank.attachment_bytes(url)
    # faults for every endpoint leave the attachment host alone, and the other way round
    bank.inject(None, status=500, count=None)
    assert http("GET", url).status == 200
    assert api(bank, "/accounts", token).status == 500
    bank.clear_faults()
    bank.inject("attachment", status=502, count=None)
    assert api(bank, "/accounts", token).status == 200
    assert http("GET", url).status == 502
    bank.clear_faults()
    with pytest.raises(ValueError):
        bank.inject("attachment", kind="bad_json")
    assert http("POST", bank.url + "/_fake/fault",
                body={"endpoint": "attachment", "status": 504}).status == 200
    assert http("GET", url).status == 504
    # a request held until released
    hold = bank.hold("attachment")
    got = []
    th = threading.Thread(target=lambda: got.append(http("HEAD", url)))
    th.start()
    hold.wait_arrived()
    assert not got
    hold.release()
    th.join(10)
    assert got[0].status == 200


def test_a_hold_on_every_request_of_one_account_and_a_client_that_gives_up(bank, token, main):
    other = bank.add_account()["id"]
    hold = bank.hold("transactions", after=1, every=True, account=main)
    assert api(bank, "/transactions", token, account_id=main).status == 200   # the one let through
    assert api(bank, "/transactions", token, account_id=other).status == 200   # not its account
    got = []
    asker = threading.Thread(target=lambda: got.append(api(bank, "/transactions", token, account_id=main)))
    asker.start()
    hold.wait_arrived()
    # A client that stops waiting is seen to have given up.
    with pytest.raises(OSError):
        urllib.request.urlopen(urllib.request.Request(
            bank.url + "/transactions?account_id=" + main, headers={"Authorization": "Bearer " + token}),
            timeout=0.5)
    assert hold.abandoned.wait(10)
    assert not got
    hold.release()
    asker.join(10)
    assert got[0].status == 200
    assert api(bank, "/transactions", token, account_id=main).status == 200   # released: all pass


def test_add_and_remove_attachment(bank, token):
    tx = bank.transaction(bank.awkward["emoji"])
    assert tx["attachments"] is None
    bank.advance(60)
    att = bank.add_attachment(tx["id"], file_type="image/png", size=4321)
    assert att["external_id"] == tx["id"] and att["file_url"].endswith("/upload.png")
    assert att["file_url"].startswith(bank.attachment_url + "/")
    assert tx["updated"] == att["created"]
    got = api(bank, "/transactions/" + tx["id"], token).json()["transaction"]
    assert got["attachments"] == [att]
    r = http("GET", att["file_url"])
    assert r.status == 200 and len(r.body) == 4321 and r.body.startswith(MAGIC["image/png"][0])
    r = http("POST", bank.url + "/_fake/add_attachment", body={
        "tx_id": tx["id"], "file_type": "application/pdf", "size": 900, "name": "bill.pdf"})
    second = r.json()
    assert r.status == 200 and second["file_url"].endswith("/bill.pdf")
    assert [a["id"] for a in tx["attachments"]] == [att["id"], second["id"]]
    assert http("HEAD", second["file_url"]).headers["Content-Length"] == "900"
    bank.advance(60)
    bank.remove_attachment(att["id"])
    assert tx["attachments"] == [second]
    assert parse_ts(tx["updated"]) > parse_ts(att["created"])
    assert http("GET", att["file_url"]).status == 404
    r = http("POST", bank.url + "/_fake/remove_attachment",
             body={"attachment_id": second["id"]})
    assert r.status == 200 and tx["attachments"] == []
    assert http("POST", bank.url + "/_fake/remove_attachment",
                body={"attachment_id": second["id"]}).status == 400
    for bad in ({"file_type": "text/plain"}, {"size": 10}):
        with pytest.raises(ValueError):
            bank.add_attachment(tx["id"], **bad)


def test_stop_stops_the_attachment_host_too(bank):
    url = bank.transaction(bank.attachment_roles["receipt_png"])["attachments"][0]["file_url"]
    port, aport = bank.port, bank.attachment_port
    assert http("GET", url).status == 200
    bank.stop()
    for p in (port, aport):
        host = bank.attachment_host if p == aport else "127.0.0.1"
        with pytest.raises(OSError):
            socket.create_connection((host, p), timeout=1).close()
    bank.start(port=port)                               # same ports, same file_url
    assert bank.attachment_port == aport
    assert bank.transaction(bank.attachment_roles["receipt_png"])["attachments"][0][
        "file_url"] == url
    assert http("GET", url).status == 200


# --------------------------------------------------------------------------- mutations

def test_add_update_remove_transaction(bank, token, main):
    bal0 = bank.balances[main]["balance"]
    tx = bank.add_transaction(main, amount=-2500, settled="", merchant="Brand New Shop",
                              notes="fresh")
    assert tx["settled"] == "" and tx["merchant"]["name"] == "Brand New Shop"
    assert TX_KEYS <= set(tx)
    assert abs(parse_ts(tx["created"]) / 1e9 - bank.now().timestamp()) < 5
    assert bank.balances[main]["balance"] == bal0 - 2500
    txs, _ = walk(bank, token, main)
    assert txs[-1]["id"] == tx["id"]
    bank.advance(3600)
    old_updated = tx["updated"]
    bank.update_transaction(tx["id"], settled=bank.now(), amount=-2600)
    got = api(bank, "/transactions/" + tx["id"], token, expand=True).json()["transaction"]
    assert got["amount"] == -2600 and got["local_amount"] == -2600
    assert got["settled"] and parse_ts(got["updated"]) > parse_ts(old_updated)
    assert bank.balances[main]["balance"] == bal0 - 2600
    bank.remove_transaction(tx["id"])
    assert api(bank, "/transactions/" + tx["id"], token).status == 404
    assert bank.balances[main]["balance"] == bal0
    # back-dated, non-card
    old = bank.add_transaction(main, created="2024-02-29T12:00:00Z", merchant=None,
                               scheme="payport_faster_payments", amount=100,
                               description="Back-dated")
    assert old["merchant"] is None
    ids = [t["id"] for t in bank.transactions[main]]
    keys = [(parse_ts(t["created"]), t["id"]) for t in bank.transactions[main]]
    assert keys == sorted(keys) and old["id"] in ids
    bank.update_transaction(old["id"], created="2024-03-01T00:00:00.1Z")
    keys = [(parse_ts(t["created"]), t["id"]) for t in bank.transactions[main]]
    assert keys == sorted(keys)


# --------------------------------------------------------------------------- server life

def test_stop_closes_connections_and_restart(bank, token):
    port = bank.port
    conn = httpclient.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/ping/whoami", headers={"Authorization": "Bearer " + token})
    assert conn.getresponse().read()
    bank.stop()
    with pytest.raises((ConnectionError, httpclient.HTTPException, OSError)):
        conn.request("GET", "/ping/whoami", headers={"Authorization": "Bearer " + token})
        conn.getresponse().read()
    conn.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    bank.start(port=port)
    assert bank.port == port
    assert api(bank, "/ping/whoami", token).status == 200


# --------------------------------------------------------------------------- determinism

def test_determinism():
    a = FakeBank(seed=7, anchor="2026-06-15")
    b = FakeBank(seed=7, anchor="2026-06-15")
    c = FakeBank(seed=8, anchor="2026-06-15")

    def everything(bk):
        return dumps({"accounts": bk.accounts, "balances": bk.balances, "pots": bk.pots,
                      "transactions": bk.transactions, "awkward": bk.awkward,
                      "ids": [bk.client_id, bk.client_secret, bk.user_id]})

    assert everything(a) == everything(b)
    assert everything(a) != everything(c)
    # the same bytes over HTTP
    a.start()
    b.start()
    try:
        pages = []
        for bk in (a, b):
            tok = bk.mint_token()["access_token"]
            pages.append(api(bk, "/transactions", tok, expand=True,
                             account_id=bk.main_account_id, limit=100).body)
        assert pages[0] == pages[1]
    finally:
        a.stop()
        b.stop()
    # the anchor: history ends before it, the clock starts on its day
    assert all(parse_ts(t["created"]) < parse_ts("2026-06-15T00:00:00Z")
               for txs in a.transactions.values() for t in txs)
    assert a.now().date().isoformat() == "2026-06-15"


def test_transaction_count_option():
    assert len(FakeBank(seed=3, transactions=1000).transactions[
        FakeBank(seed=3, transactions=1000).main_account_id]) == 1000
    small = FakeBank(seed=3, transactions=10)
    assert len(small.transactions[small.main_account_id]) == 10 and small.awkward == {}
    empty = FakeBank(seed=3, transactions=0)
    assert empty.transactions[empty.main_account_id] == []
    assert empty.balances[empty.main_account_id]["balance"] == 0


def test_a_large_bank_pages_from_the_middle():
    """100,000 transactions (scripts/bench is where their generation and paging are
    timed): the count is right and a page from the middle comes whole, in order."""
    big = FakeBank(seed=1, transactions=100_000)
    acc = big.main_account_id
    assert len(big.transactions[acc]) == 100_000
    big.start()
    try:
        tok = big.mint_token()["access_token"]
        mid = big.transactions[acc][50_000]["id"]
        r = api(big, "/transactions", tok, expand=True, account_id=acc, since=mid, limit=100)
        assert r.status == 200
        assert [t["id"] for t in r.json()["transactions"]] == \
            [t["id"] for t in big.transactions[acc][50_001:50_101]]
    finally:
        big.stop()


# --------------------------------------------------------------------------- CLI

def test_cli(tmp_path):
    tokens = tmp_path / "xdg" / "monzoh" / "tokens.json"
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    p = subprocess.Popen([sys.executable, "-m", "fakebank", "--port", "0", "--seed", "2",
                          "--transactions", "150", "--write-tokens", str(tokens)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        line = p.stdout.readline().decode()
        assert re.fullmatch(r"\d+\n", line), line
        port = int(line)
        data = json.loads(tokens.read_text())
        assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
        url = "http://127.0.0.1:%d" % port
        r = http("GET", url + "/ping/whoami", data["access_token"])
        assert r.status == 200 and r.json()["user_id"] == data["user_id"]
        info = http("GET", url + "/_fake/info").json()
        r = http("GET", url + "/transactions?account_id=" + info["account_ids"]["retail"]
                 + "&limit=100", data["access_token"])
        assert r.status == 200
        assert http("GET", url + "/_fake/counts").json()["whoami"] == 1
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 0
        assert p.stderr.read() == b""                     # quiet without --verbose
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()


def test_cli_latency_and_rate_limit(tmp_path):
    tokens = tmp_path / "tokens.json"
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    p = subprocess.Popen([sys.executable, "-m", "fakebank", "--port", "0", "--transactions", "150",
                          "--latency", "0.3", "--jitter", "0.1", "--latency-endpoint", "transactions",
                          "--rate-limit-in-flight", "1", "--retry-after", "2", "--write-tokens", str(tokens)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        url = "http://127.0.0.1:%d" % int(p.stdout.readline())
        at = json.loads(tokens.read_text())["access_token"]
        info = http("GET", url + "/_fake/info").json()
        assert info["latency"] == {"transactions": {"seconds": 0.3, "jitter": 0.1}}
        q = url + "/transactions?limit=1&account_id=" + info["account_ids"]["retail"]
        got = all_at_once(2, lambda: timed(lambda: http("GET", q, at)))
        assert sorted(r.status for r, _ in got) == [200, 429]
        assert all(took >= 0.3 for _, took in got)
        assert [r.headers["Retry-After"] for r, _ in got if r.status == 429] == ["2"]
        assert http("GET", url + "/_fake/traffic").json()["throttled"] == 1
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()


def test_cli_sigint(tmp_path):
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    p = subprocess.Popen([sys.executable, "-m", "fakebank", "--verbose"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        port = int(p.stdout.readline())
        http("GET", "http://127.0.0.1:%d/nope" % port)
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=10) == 0
        assert b"GET /nope" in p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()


# ------------------------------------------------------------------ less friendly days

from fakebank import STRIPPABLE_FIELDS, WORLDS  # noqa: E402


def refused(r, status, code):
    """r is the bank's refusal: the status and a Monzo error body with that code."""
    assert r.status == status, r
    body = r.json()
    assert body["code"] == code and isinstance(body["message"], str) and body["message"]
    assert r.headers["Content-Type"] == "application/json"


def file_urls(bank):
    return [a["file_url"] for _, a in attachments(bank)]


def test_refuse_one_account_and_endpoint(bank, token, main):
    joint = bank.account_ids["joint"]
    got = bank.refuse("transactions", joint)
    assert got == {"endpoint": "transactions", "account_id": joint, "pot_ledgers": False,
                   "status": 403, "code": "forbidden.insufficient_permissions",
                   "message": got["message"]}
    assert bank.refusals == [got]
    bank.reset_counts()
    refused(api(bank, "/transactions", token, account_id=joint, limit=100), 403,
            "forbidden.insufficient_permissions")
    assert api(bank, "/transactions", token, account_id=main).status == 200
    assert api(bank, "/balance", token, account_id=joint).status == 200
    assert api(bank, "/pots", token, current_account_id=joint).status == 200
    joint_tx = bank.transactions[joint][0]["id"]
    assert api(bank, "/transactions/" + joint_tx, token).status == 200    # another endpoint
    assert bank.counts["transactions"] == 2
    # the token is checked first; a missing parameter is still the 400 it was
    r = api(bank, "/transactions", "nonsense", account_id=joint)
    assert r.status == 401 and r.json()["code"] == "unauthorized.bad_access_token"
    assert api(bank, "/transactions", token).status == 400
    # other statuses, codes and messages; the pots of one account, a transaction
    bank.refuse("pots", joint, status=404)
    refused(api(bank, "/pots", token, current_account_id=joint), 404, "not_found.account")
    assert api(bank, "/pots", token, current_account_id=main).status == 200
    bank.refuse("transaction", joint, status=403, code="forbidden.custom", message="No.")
    r = api(bank, "/transactions/" + joint_tx, token)
    assert r.status == 403 and r.json() == {"code": "forbidden.custom", "message": "No.",
                                            "retryable": {}}
    assert api(bank, "/transactions/" + bank.transactions[main][0]["id"], token).status == 200
    assert api(bank, "/transactions/tx_0000nothing", token).status == 404
    bank.refuse("balance", status=500)                      # every account
    refused(api(bank, "/balance", token, account_id=main), 500, "internal_service")
    # refusals are no faults: clear_faults leaves them, a fault comes first
    bank.clear_faults()
    assert api(bank, "/transactions", token, account_id=joint).status == 403
    bank.inject("transactions", status=503)
    assert api(bank, "/transactions", token, account_id=joint).status == 503
    assert api(bank, "/transactions", token, account_id=joint).status == 403
    bank.clear_refusals()
    assert bank.refusals == []
    assert api(bank, "/transactions", token, account_id=joint).status == 200
    assert api(bank, "/pots", token, current_account_id=joint).status == 200
    assert api(bank, "/balance", token, account_id=main).status == 200
    for bad in ({"endpoint": "accounts"}, {"endpoint": "balance", "status": 200},
                {"endpoint": "balance", "pot_ledgers": True},
                {"endpoint": "transactions", "account_id": joint, "pot_ledgers": True}):
        with pytest.raises(ValueError):
            bank.refuse(**bad)


@pytest.mark.parametrize("status,code", [(404, "not_found.account"),
                                         (403, "forbidden.insufficient_permissions")])
def test_world_pot_ledgers(bank, token, main, status, code):
    info = bank.world("pot_ledgers_%d" % status)
    assert info["world"] == bank.world_name == "pot_ledgers_%d" % status
    assert info["refused_endpoint"] == "transactions"
    assert info["refused_endpoints"] == ["transactions"]
    assert info["pot_ledgers"] is True and info["status"] == status and info["code"] == code
    assert sorted(info["refused_accounts"]) == sorted(bank.pot_accounts.values())
    assert info["refused_accounts"] and info["stripped"] == [] and info["refused_files"] == []
    for pot_acc in bank.pot_accounts.values():
        r = api(bank, "/transactions", token, account_id=pot_acc, limit=100)
        refused(r, status, code)
    for acc in bank.account_ids.values():                   # every listed account served
        assert api(bank, "/transactions", token, account_id=acc, limit=100).status == 200
        assert api(bank, "/balance", token, account_id=acc).status == 200
        assert api(bank, "/pots", token, current_account_id=acc).status == 200
    assert api(bank, "/accounts", token).status == 200
    # a pot opened later is refused too
    never = bank.pot_roles["never_used"]["id"]
    assert never not in bank.pot_accounts
    bank.transfer_to_pot(main, never, 500)
    refused(api(bank, "/transactions", token, account_id=bank.pot_accounts[never]), status,
            code)
    assert bank.pot_accounts[never] in bank.world_info()["refused_accounts"]
    bank.clear_faults()
    refused(api(bank, "/transactions", token, account_id=bank.pot_accounts[never]), status,
            code)
    assert bank.world(None)["world"] is None and bank.refusals == []
    for pot_acc in bank.pot_accounts.values():
        assert api(bank, "/transactions", token, account_id=pot_acc).status == 200


@pytest.mark.parametrize("name,endpoint,param", [
    ("account_transactions_403", "transactions", "account_id"),
    ("account_balance_403", "balance", "account_id"),
    ("account_pots_403", "pots", "current_account_id")])
def test_world_one_account_refused(bank, token, main, name, endpoint, param):
    acc = bank.refused_account
    assert acc == bank.account_ids["joint"] and bank.pots[acc] and bank.transactions[acc]
    info = bank.world(name)
    assert info["refused_endpoint"] == endpoint and info["refused_accounts"] == [acc]
    assert info["status"] == 403 and info["code"] == "forbidden.insufficient_permissions"
    assert info["pot_ledgers"] is False and info["attachment_host"] == "up"
    queries = {"transactions": ("/transactions", "account_id"),
               "balance": ("/balance", "account_id"),
               "pots": ("/pots", "current_account_id")}
    for ep, (path, p) in queries.items():
        for other in bank.account_ids.values():
            r = api(bank, path, token, **{p: other})
            if ep == endpoint and other == acc:
                refused(r, 403, "forbidden.insufficient_permissions")
            else:
                assert r.status == 200, (ep, other, r)
    tx = bank.transactions[acc][0]["id"]
    r = api(bank, "/transactions/" + tx, token)
    if endpoint == "transactions":
        assert info["refused_endpoints"] == ["transactions", "transaction"]
        refused(r, 403, "forbidden.insufficient_permissions")
    else:
        assert r.status == 200
    for pot_acc in bank.pot_accounts.values():              # its pots' ledgers are served
        assert api(bank, "/transactions", token, account_id=pot_acc).status == 200
    bank.clear_faults()
    assert api(bank, queries[endpoint][0], token, **{param: acc}).status == 403
    bank.clear_refusals()
    assert api(bank, queries[endpoint][0], token, **{param: acc}).status == 200


def test_world_attachment_host_down(bank, token, main):
    urls = file_urls(bank)
    host, port = bank.attachment_host, bank.attachment_port
    conn = httpclient.HTTPConnection(host, port, timeout=5)     # a kept-alive connection
    conn.request("GET", urllib.parse.urlsplit(urls[0]).path)
    conn.getresponse().read()
    info = bank.world("attachment_host_down")
    assert info["attachment_host"] == "down" and bank.attachment_host_is_down
    assert info["refused_endpoint"] == "attachment" and info["status"] is None
    assert info["refused_files"] == sorted(urls) and info["refused_accounts"] == []
    with pytest.raises((ConnectionError, httpclient.HTTPException, OSError)):
        conn.request("GET", urllib.parse.urlsplit(urls[0]).path)
        conn.getresponse().read()
    conn.close()
    for url in urls:
        with pytest.raises(urllib.error.URLError) as e:
            http("GET", url)
        assert isinstance(e.value.reason, ConnectionRefusedError)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=2).close()
    assert api(bank, "/transactions", token, account_id=main).status == 200
    bank.clear_faults()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=2).close()
    # a restart keeps it down, on the same port
    bank.stop()
    bank.start()
    assert (bank.attachment_host, bank.attachment_port) == (host, port)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=2).close()
    bank.attachment_host_up()
    assert (bank.attachment_host, bank.attachment_port) == (host, port)
    assert file_urls(bank) == urls
    for url in urls:
        r = http("GET", url)
        assert r.status == 200 and r.body == bank.attachment_bytes(url)
    bank.attachment_host_up()                               # already up: nothing happens
    bank.attachment_host_down()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=2).close()
    bank.clear_refusals()                                   # brings it up too
    assert http("GET", urls[0]).status == 200
    assert bank.world_info()["attachment_host"] == "up"


def test_world_attachment_host_500(bank, token):
    urls = file_urls(bank)
    info = bank.world("attachment_host_500")
    assert info["refused_endpoint"] == "attachment" and info["status"] == 500
    assert info["attachment_host"] == "up" and info["refused_files"] == sorted(urls)
    bank.reset_counts()
    for url in urls:
        for method in ("GET", "HEAD"):
            r = http(method, url)
            assert r.status == 500 and r.body in (b"", b"Internal Server Error\n")
    assert bank.counts["attachment"] == 2 * len(urls)
    assert http("GET", bank.attachment_url + "/file/nothing.jpg").status == 500
    assert http("GET", urls[0], token=token).status == 403    # a token: refused first
    bank.clear_faults()
    assert http("GET", urls[0]).status == 500
    bank.world(None)
    assert http("GET", urls[0]).status == 200
    # answering 500 for a while, as a fault: until clear_faults()
    bank.inject(endpoint="attachment", kind="status", status=500, count=None)
    assert [http("GET", u).status for u in urls] == [500] * len(urls)
    bank.clear_faults()
    assert http("GET", urls[0]).status == 200
    # the files of one account only
    business = bank.account_ids["business"]
    bank.refuse("attachment", business, status=503)
    assert bank.world_info()["refused_files"] == sorted(
        a["file_url"] for t, a in attachments(bank) if t["account_id"] == business)
    for t, a in attachments(bank):
        assert http("GET", a["file_url"]).status == (503 if t["account_id"] == business
                                                     else 200)


@pytest.mark.parametrize("mode", ["missing", "null"])
def test_world_fields(bank, token, mode):
    before = {acc: walk(bank, token, acc)[0] for acc in bank.transactions}
    balances = json.dumps(bank.balances, sort_keys=True)
    invoice = bank.attachment_roles["invoice_pdf"]
    invoice_urls = [a["file_url"] for a in bank.transaction(invoice)["attachments"]]
    info = bank.world("fields_" + mode)
    ids = info["stripped"]
    roles = info["stripped_roles"]
    assert info["mode"] == mode and set(info["fields"]) == set(STRIPPABLE_FIELDS)
    assert set(roles) == {"card_merchant", "counterparty", "pot_transfer", "attachments",
                          "pending", "foreign", "pot_ledger"}
    assert sorted(roles.values()) == sorted(ids) and len(set(ids)) == len(ids)
    old = {t["id"]: t for txs in before.values() for t in txs}
    was = {role: old[tx_id] for role, tx_id in roles.items()}
    assert isinstance(was["card_merchant"]["merchant"], dict)
    assert was["card_merchant"]["scheme"] == "mastercard" and was["card_merchant"]["settled"]
    assert was["counterparty"]["counterparty"] and was["counterparty"]["settled"]
    assert was["pot_transfer"]["scheme"] == "uk_retail_pot"
    assert was["attachments"]["id"] == invoice and was["attachments"]["attachments"]
    assert was["pending"]["settled"] == "" and "decline_reason" not in was["pending"]
    assert was["foreign"]["local_currency"] != was["foreign"]["currency"]
    assert was["pot_ledger"]["account_id"] in bank.pot_accounts.values()
    assert len({bank.transaction(i)["account_id"] for i in ids}) >= 4       # across accounts
    # over HTTP, in the lists and one by one, with and without expand
    for acc in bank.transactions:
        for t in walk(bank, token, acc)[0] + walk(bank, token, acc, expand=False)[0]:
            if t["id"] not in ids:
                assert TX_KEYS <= set(t)
                continue
            for f in STRIPPABLE_FIELDS:
                if mode == "missing":
                    assert f not in t, (t["id"], f)
                else:
                    assert t[f] is None, (t["id"], f)
            assert t["amount"] == old[t["id"]]["amount"]
            assert t["updated"] == old[t["id"]]["updated"]
    for tx_id in ids:
        t = api(bank, "/transactions/" + tx_id, token, expand=True).json()["transaction"]
        assert ("merchant" not in t) if mode == "missing" else t["merchant"] is None
    card = roles["card_merchant"]
    assert bank.stripped[card]["merchant"] == was["card_merchant"]["merchant"]
    # the bank's own helpers agree: no files for the invoice, balances as they were
    assert "invoice_pdf" not in bank.attachment_roles
    assert invoice not in {t["id"] for t, _ in attachments(bank)}
    for url in invoice_urls:
        assert http("GET", url).status == 404
        with pytest.raises(KeyError):
            bank.attachment_bytes(url)
    assert json.dumps(bank.balances, sort_keys=True) == balances
    # the same choice for the same seed; faults do not undo it
    assert FakeBank(seed=1).world("fields_" + mode)["stripped_roles"] == roles
    bank.clear_faults()
    bank.clear_refusals()
    assert bank.world_info()["stripped"] == ids
    # restored byte for byte
    bank.world(None)
    assert bank.stripped == {} and bank.attachment_roles["invoice_pdf"] == invoice
    for acc in bank.transactions:
        assert dumps(walk(bank, token, acc)[0]) == dumps(before[acc])
    assert http("GET", invoice_urls[0]).body == bank.attachment_bytes(invoice_urls[0])


def test_strip_chosen_transactions(bank, token, main):
    tx = bank.transactions[main][5]
    assert bank.strip_optional_fields([tx["id"]], mode="null", fields=("labels",)) == \
        [tx["id"]]
    got = api(bank, "/transactions/" + tx["id"], token).json()["transaction"]
    assert got["labels"] is None and TX_KEYS <= set(got)
    assert bank.stripped == {tx["id"]: {"labels": bank.stripped[tx["id"]]["labels"]}}
    with pytest.raises(ValueError):
        bank.strip_optional_fields([tx["id"]], fields=("amount",))
    with pytest.raises(ValueError):
        bank.strip_optional_fields(mode="absent")
    with pytest.raises(KeyError):
        bank.strip_optional_fields(["tx_0000nothing"])
    # a transaction stripped of its attachments can be given one again
    att_tx = bank.attachment_roles["receipt_png"]
    bank.strip_optional_fields([att_tx], fields=("attachments",))
    assert "attachments" not in bank.transaction(att_tx)
    att = bank.add_attachment(att_tx)
    assert bank.transaction(att_tx)["attachments"] == [att]
    bank.restore_optional_fields()
    assert len(bank.transaction(att_tx)["attachments"]) == 1


def test_worlds_by_name(bank):
    assert set(WORLDS) == {"pot_ledgers_404", "pot_ledgers_403", "account_transactions_403",
                           "account_balance_403", "account_pots_403", "attachment_host_down",
                           "attachment_host_500", "fields_missing", "fields_null"}
    keys = None
    for name in WORLDS:
        info = bank.world(name)
        assert info["world"] == name
        keys = keys or set(info)
        assert set(info) == keys
        # one world at a time: the previous one is gone
        others = [n for n in ("pot_ledgers", "attachment_host_down", "fields")
                  if not name.startswith(n)]
        if "pot_ledgers" in others:
            assert not info["pot_ledgers"]
        if "attachment_host_down" in others:
            assert info["attachment_host"] == "up"
        if "fields" in others:
            assert info["stripped"] == []
    with pytest.raises(ValueError):
        bank.world("sunny")
    assert bank.world("normal") == bank.world_info()
    assert bank.world_info()["world"] is None


def test_worlds_before_start():
    b = FakeBank(seed=1)
    assert b.world("attachment_host_down")["attachment_host"] == "down"
    b.start()
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((b.attachment_host, b.attachment_port),
                                     timeout=2).close()
        b.world(None)
        url = file_urls(b)[0]
        assert http("GET", url).status == 200
    finally:
        b.stop()


def test_worlds_control_api(bank, token, main):
    u = bank.url + "/_fake/"
    acc = bank.refused_account
    r = http("POST", u + "world", body={"name": "account_pots_403"})
    assert r.status == 200 and r.json() == bank.world_info()
    assert r.json()["refused_accounts"] == [acc]
    assert api(bank, "/pots", token, current_account_id=acc).status == 403
    assert http("GET", u + "world").json()["world"] == "account_pots_403"
    info = http("GET", u + "info").json()
    assert info["world"] == "account_pots_403" and info["refused_account"] == acc
    assert info["worlds"] == list(WORLDS)
    assert http("POST", u + "world", body={"name": "sunny"}).status == 400
    assert http("POST", u + "world", body={"name": None}).json()["world"] is None
    assert api(bank, "/pots", token, current_account_id=acc).status == 200
    r = http("POST", u + "refuse", body={"endpoint": "balance", "account_id": main,
                                          "status": 404})
    assert r.status == 200 and r.json()["code"] == "not_found.account"
    assert api(bank, "/balance", token, account_id=main).status == 404
    assert http("POST", u + "refuse_pot_ledgers", body={"status": 403}).status == 200
    pot_acc = next(iter(bank.pot_accounts.values()))
    assert api(bank, "/transactions", token, account_id=pot_acc).status == 403
    assert http("POST", u + "clear_refusals").status == 200
    assert api(bank, "/balance", token, account_id=main).status == 200
    url = file_urls(bank)[0]
    assert http("POST", u + "attachment_host_down").status == 200
    with pytest.raises(urllib.error.URLError):
        http("GET", url)
    assert http("POST", u + "attachment_host_up").status == 200
    assert http("GET", url).status == 200
    r = http("POST", u + "strip_optional_fields", body={"mode": "null"})
    assert r.status == 200 and sorted(r.json()["ids"]) == sorted(bank.stripped)
    assert r.json()["stripped_roles"] == bank.stripped_roles
    assert http("POST", u + "restore_optional_fields").status == 200
    assert bank.stripped == {}


def test_cli_world(tmp_path):
    tokens = tmp_path / "tokens.json"
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    p = subprocess.Popen([sys.executable, "-m", "fakebank", "--port", "0", "--seed", "2",
                          "--world", "pot_ledgers_404", "--write-tokens", str(tokens)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        port = int(p.stdout.readline())
        url = "http://127.0.0.1:%d" % port
        at = json.loads(tokens.read_text())["access_token"]
        info = http("GET", url + "/_fake/info").json()
        assert info["world"] == "pot_ledgers_404"
        world = http("GET", url + "/_fake/world").json()
        assert world["refused_accounts"] == sorted(info["pot_accounts"].values())
        r = http("GET", url + "/transactions?account_id=" + world["refused_accounts"][0], at)
        refused(r, 404, "not_found.account")
        r = http("GET", url + "/transactions?account_id=" + info["account_ids"]["retail"], at)
        assert r.status == 200
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=10) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()
        p.stderr.close()
    r = subprocess.run([sys.executable, "-m", "fakebank", "--world", "sunny"],
                       capture_output=True, env=env, timeout=30)
    assert r.returncode == 2 and b"invalid choice" in r.stderr
