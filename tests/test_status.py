""".status.json opens with a verdict a user can act on: "ok", and the problems in
words (the login refused or not refreshable, the API unreachable, a part the bank
refuses, history not captured), a login state that matches what reads do, names
beside ids, and what is being synced right now."""
import errno
import json
import threading

import pytest

from conftest import wait_for


def status(mnt):
    return json.loads((mnt / ".status.json").read_bytes())


def test_a_healthy_mount_says_ok_with_names_beside_ids(bank, mounter):
    mnt = mounter().path
    acc = bank.main_account_id
    for name in ("balance.json", "pots.json", "transactions.csv"):
        (mnt / "current" / name).read_bytes()
    s = status(mnt)
    assert s["ok"] is True and s["problems"] == [] and s["login"]["state"] == "ok"
    assert s["syncing"] == []
    for key in (f"balance/{acc}", f"pots/{acc}", f"transactions/{acc}"):
        assert s["resources"][key]["name"] == "current", key
    assert s["history"][acc]["name"] == "current"
    assert (mnt / ".status.json").read_bytes() == (mnt / ".status.json").read_bytes()


def test_a_refused_part_is_named_with_the_files_it_fails(bank, mounter):
    bank.world("account_transactions_403")
    acc = bank.refused_account
    mnt = mounter().path
    with pytest.raises(OSError) as e:
        (mnt / "joint" / "transactions.csv").read_bytes()
    assert e.value.errno == errno.EIO
    s = status(mnt)
    assert s["ok"] is False and s["login"]["state"] == "ok"
    assert s["resources"][f"transactions/{acc}"]["refused"] is True
    assert s["resources"][f"transactions/{acc}"]["name"] == "joint"
    [problem] = s["problems"]
    assert problem.startswith(f"joint ({acc}): the bank refuses its transactions (HTTP 403 "), problem
    assert "its transaction files fails" in problem or "transaction files" in problem


def test_a_login_that_cannot_be_refreshed_says_so_and_what_to_set(bank, env, mounter):
    env.login(expires_in=3600)      # no client id or secret in the environment
    mnt = mounter().path
    acc = bank.main_account_id
    bank.advance(3601)
    with pytest.raises(PermissionError):
        (mnt / "accounts" / acc / "balance.json").read_bytes()
    s = status(mnt)
    assert s["ok"] is False and s["login"]["state"] == "cannot_refresh"
    assert "MONZO_CLIENT_SECRET" in s["problems"][0] and "MONZO_CLIENT_SECRET" in s["login"]["fix"]


def test_an_unreachable_api_says_so(bank, mounter):
    mnt = mounter().path
    (mnt / "whoami.json").read_bytes()
    bank.stop()
    with pytest.raises(OSError) as e:
        (mnt / "accounts.json").read_bytes()
    assert e.value.errno == errno.EIO
    s = status(mnt)
    assert s["ok"] is False and s["login"]["state"] == "unreachable"
    assert "cannot be reached" in s["problems"][0]


def test_a_sync_in_progress_shows_by_name(bank, mounter):
    acc = bank.main_account_id
    mnt = mounter().path
    (mnt / "current" / "balance.json").read_bytes()
    hold = bank.hold("transactions", after=1)   # the sync's second page
    reader = threading.Thread(target=lambda: (mnt / "current" / "transactions.csv").read_bytes())
    reader.start()
    try:
        hold.wait_arrived()
        s = wait_for(lambda: [x for x in status(mnt)["syncing"] if x["transactions"] == 100],
                     what="the sync's first page in .status.json")
        assert s == [{"account": "current", "id": acc, "transactions": 100, "since": s[0]["since"]}]
        assert s[0]["since"].endswith("Z")
    finally:
        hold.release()
        reader.join(30)
    assert status(mnt)["syncing"] == []


def test_a_client_monzo_rejects_sends_the_user_to_the_settings_not_a_new_login(bank, env, mounter):
    env.vars.update(MONZO_CLIENT_ID=bank.client_id, MONZO_CLIENT_SECRET="mnzconf.wrong")
    env.login(expires_in=3600)
    mnt = mounter().path
    bank.advance(3601)   # the bank rejects the token; its refresh, the client
    with pytest.raises(PermissionError):
        (mnt / "accounts.json").read_bytes()
    s = status(mnt)
    assert s["ok"] is False and s["login"]["state"] == "refused"
    assert "MONZO_CLIENT_ID" in s["login"]["fix"] and "monzohfs-login" not in s["login"]["fix"]
    assert s["problems"][0].startswith("Monzo rejected the client (HTTP 401 unauthorized.bad_client")
    assert "mnzconf.wrong" not in json.dumps(s)
