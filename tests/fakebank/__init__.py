"""A fake Monzo API on loopback, for the monzohfs tests and scripts/demo.

In process (pytest)::

    from fakebank import FakeBank
    bank = FakeBank(seed=1, transactions=None)   # None: 400 in the main uk_retail account
    bank.start(host="127.0.0.1", port=0)         # background threads; returns bank
    bank.url, bank.port                          # API base and auth page (GET /)
    bank.attachment_url                          # the attachment host (127.0.0.2)
    bank.client_id, bank.client_secret, bank.user_id
    tok = bank.mint_token(expires_in=None, approved=True, approved_at=None)
    bank.write_tokens_file(path, tok)            # monzoh's tokens.json, 0600
    bank.now(); bank.advance(seconds)            # the fake clock
    bank.counts; bank.reset_counts()             # requests per endpoint
    bank.attachment_roles[name] -> tx id         # transactions with attachments
    bank.attachment_bytes(file_url) -> bytes     # what the attachment host serves
    bank.attachment_counts -> {file_url: {method: n}}; bank.attachment_auth_violations
    bank.accounts, bank.balances[acc], bank.pots[acc], bank.transactions[acc]
    bank.awkward[name] -> tx id; bank.account_ids[role] -> acc id; bank.pot_roles[role]
    bank.pot_accounts[pot id] -> pot account id (pots a transfer names; see bank.py),
        whose transactions are in bank.transactions[pot account id]
    bank.own_transfers -> [(sending tx id, receiving tx id)]   # current <-> joint
    bank.spending_roles[role] -> tx id   # card_excluded, refund_excluded (see bank.py)
    bank.set_balance(acc, balance=None, total_balance=None, **fields)
    bank.add_transaction(acc, **fields); bank.update_transaction(tx_id, **fields)
    bank.remove_transaction(tx_id)       # all three work on pot accounts too
    tx, pot_tx = bank.transfer_to_pot(acc, pot_id, amount, created=None)  # both sides
    bank.add_attachment(tx_id, file_type="image/jpeg", size=20000, name=None, created=None)
    bank.remove_attachment(attachment_id)
    bank.redirect_attachment(url_or_path, location, status=302)   # location None: undo
    bank.attachment_content_length(head="exact", get="exact")   # or "none", "less"
    bank.start_internal_host() -> url; bank.internal_requests   # a host of the user's own
                                         # network (127.0.0.3) no attachment may reach
    bank.inject(endpoint=None, kind="status", status=503, count=1, delay=0.0,
                retry_after=None, code=None, message=None); bank.clear_faults()
    bank.approve_after_polls = 2; bank.approve(); bank.token_lifetime = 21600
    bank.set_latency(seconds, jitter=0.0, endpoint=None)  # each request waits (traffic.py)
    bank.rate_limit(in_flight=None, per_second=None, retry_after=1, endpoint=None)  # 429s
    bank.traffic -> {"max_in_flight", "in_flight", "connections", "throttled"}
    bank.requests -> [{"endpoint", "target", "at", "throttled"}]   # in arrival order
    bank.stop()

The bank's less friendly days (bank.py, "Refusals and worlds"), each until cleared;
clear_faults() leaves them:
    bank.world(name) -> dict; WORLDS; bank.world(None)   # one name each; None: normal
    bank.world_info(); bank.world_name; bank.refused_account   # the joint account
    bank.refuse(endpoint, account_id=None, status=403, code=None, message=None,
                pot_ledgers=False)          # balance, pots, transactions, transaction,
    bank.refuse_pot_ledgers(status=404)     # attachment; bank.refusals
    bank.clear_refusals()                   # also brings the attachment host up
    bank.attachment_host_down(); bank.attachment_host_up()   # ECONNREFUSED, same port
    ids = bank.strip_optional_fields(tx_ids=None, mode="missing" | "null",
                                     fields=STRIPPABLE_FIELDS)
    bank.stripped, bank.stripped_roles; bank.restore_optional_fields()
The attachment host answering 500 for a while: inject("attachment", status=500,
count=None) (until clear_faults) or refuse("attachment", status=500) (until
clear_refusals).

Endpoint names (counts, inject, hold): auth, token, logout, whoami, accounts, balance,
pots, transactions, transaction, not_found, attachment (the attachment host).
inject(endpoint=None) hits every one but auth and attachment.

Out of process: ``PYTHONPATH=tests python3 -m fakebank --help``, then the control API
under /_fake/ (no auth, never counted, never faulted):
GET counts | info | now | attachments ({"url", "counts", "auth_violations"});
GET world (world_info()); GET traffic (bank.traffic).
POST reset_counts | advance?seconds=N | balance | fault | clear_faults | mint_token
(optional "tokens_file": path) | approve | add_transaction | update_transaction |
remove_transaction | transfer_to_pot (answers {"transaction", "pot_transaction"}) |
add_attachment | remove_attachment | redirect_attachment | attachment_content_length |
settings | world ({"name"}) | refuse |
refuse_pot_ledgers | clear_refusals | attachment_host_down | attachment_host_up |
strip_optional_fields (answers {"ids", "stripped_roles"}) | restore_optional_fields |
latency ({"seconds", "jitter", "endpoint"}) | rate_limit ({"in_flight", "per_second",
"retry_after", "endpoint"}).
POST bodies are JSON objects holding the keyword arguments of the method of
the same name.

bank.py holds the state and the generated data (its docstring says how dates are
anchored), traffic.py the latency and the rate limit, server.py the HTTP side,
__main__.py the command line.
"""

from .bank import STRIPPABLE_FIELDS, WORLDS, FakeBank, format_ts, parse_ts

__all__ = ["FakeBank", "STRIPPABLE_FIELDS", "WORLDS", "format_ts", "parse_ts"]
