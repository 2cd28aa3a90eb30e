"""A refusal stays inside its part (DESIGN, "When the bank refuses a part").

The real bank refuses some things for good while it serves the rest: a pot's own
ledger, one account's transactions, balance or pots, an attachment host; and it leaves
optional fields out.  In each of those worlds the whole-tree readers a user runs
(find and read every file, rsync -a, tar, grep -r) see every file but the refused
part's, which fail with EIO only (never ENOENT, never EACCES: that is the login's);
the top transactions.tsv holds every served account's rows; .status.json names the
refusal; and monzohfs-login says what it could not capture, with the exit status
DESIGN gives.  A property test then throws random refusals and faults together at a
mount: whatever readdir lists can be stat'ed and opened, or fails with EIO."""
import errno
import json
import os
import random
import subprocess
import urllib.request
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest


from fakebank import WORLDS

# An account's files made from its transactions (its sync).
TX_FILES = {"transactions.json", "transactions.csv", "pending.csv", "declined.csv", "transactions.tsv",
            "transactions.ofx", "transactions.qif", "transactions.journal", "transactions.beancount"}


def find_files(mnt):
    """Every file under mnt as `find -type f` lists it; find itself must succeed (a
    listing that fails is a refusal leaking out of its part)."""
    r = subprocess.run(["find", str(mnt), "-type", "f", "-print0"], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    return sorted(os.path.relpath(p.decode(), mnt) for p in r.stdout.split(b"\0") if p)


def read_every_file(mnt):
    """{relative path: errno} of every listed file that cannot be stat'ed and read whole."""
    failed = {}
    for rel in find_files(mnt):
        try:
            st = os.stat(mnt / rel)
            with open(mnt / rel, "rb") as f:
                data = f.read()
            assert len(data) == st.st_size, f"{rel}: st_size {st.st_size}, {len(data)} bytes read"
        except OSError as e:
            failed[rel] = e.errno
    return failed


def refused_part(world, rel):
    """Whether the file at rel (relative to the mount) is made from what world refuses."""
    parts = rel.split("/")
    acc = world.get("account")
    in_account = len(parts) >= 3 and parts[0] == "accounts" and parts[1] == acc
    kind = world["refuses"]
    if kind == "transactions":
        return in_account and len(parts) == 3 and parts[2] in TX_FILES
    if kind == "balance":
        return in_account and parts[2:] == ["balance.json"]
    if kind == "pots":
        return in_account and parts[2:] == ["pots.json"]
    if kind == "attachments":
        return len(parts) == 5 and parts[0] == "accounts" and parts[2] == "attachments"
    return False


def tsv_ids(path):
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[0].startswith("account\tid\t") and lines[-1] == ""
    return [line.split("\t")[1] for line in lines[1:-1]]


def served_ids(bank, world):
    """The transaction ids the top TSV must hold: every account's but a refused one's,
    and every pot ledger's unless pot ledgers are refused."""
    ids = set()
    for a in bank.accounts:
        if world["refuses"] == "transactions" and a["id"] == world["account"]:
            continue
        ids |= {t["id"] for t in bank.transactions[a["id"]]}
        if world["refuses"] != "pot_ledgers":
            for pot, pot_acc in bank.pot_accounts.items():
                if bank.pot(pot)["current_account_id"] == a["id"]:
                    ids |= {t["id"] for t in bank.transactions[pot_acc]}
    return ids


# What each of the fake bank's worlds refuses, in this file's words.
REFUSES = {"pot_ledgers_404": "pot_ledgers", "pot_ledgers_403": "pot_ledgers",
           "account_transactions_403": "transactions", "account_balance_403": "balance",
           "account_pots_403": "pots", "attachment_host_down": "attachments",
           "attachment_host_500": "attachments", "fields_missing": None, "fields_null": None}


def select_world(bank, name):
    """Puts the bank in world name; returns its description: what it refuses, which
    account (for one account's refusals) and with which HTTP status."""
    info = bank.world(name)
    return dict(info, name=name, refuses=REFUSES[name], account=bank.refused_account)


@pytest.fixture(params=WORLDS)
def world(request, bank):
    return select_world(bank, request.param)


def test_whole_tree_readers_see_every_file_but_the_refused_part(bank, mounter, world, tmp_path):
    mnt = mounter().path
    failed = read_every_file(mnt)
    wrong = {rel: errno.errorcode[e] for rel, e in failed.items() if e != errno.EIO or not refused_part(world, rel)}
    assert not wrong, f"{world['name']}: files that must be served failed: {wrong}"
    if world["refuses"] in ("transactions", "balance", "pots", "attachments"):
        assert failed, f"{world['name']}: the refused part's files were served"

    # rsync: 0, or 23 naming only the refused files.
    r = subprocess.run(["rsync", "-a", f"{mnt}/", str(tmp_path / "copy")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode in (0, 23), r.stderr
    assert "vanished" not in r.stderr
    if r.returncode == 23:
        for line in r.stderr.splitlines():
            if "failed" in line and '"' in line:
                rel = os.path.relpath(line.split('"')[1], mnt)
                assert refused_part(world, rel), f"rsync: {line}"
    # tar: a file that fails may be reported, none is ever "removed" or "changed".
    r = subprocess.run(["tar", "-cf", str(tmp_path / "copy.tar"), "-C", str(mnt), "."], capture_output=True,
                       text=True, timeout=120)
    assert "removed" not in r.stderr and "changed as we read it" not in r.stderr, r.stderr
    # 2 only when a file could not be read (a refused part's, as find+read saw).
    assert r.returncode in ((0, 2) if failed else (0,)), r.stderr
    # grep -r finds a served account's transactions.
    r = subprocess.run(["grep", "-r", "-l", bank.transactions[bank.main_account_id][0]["id"], str(mnt)],
                       capture_output=True, text=True, timeout=120)
    assert f"{mnt}/accounts/{bank.main_account_id}/transactions.csv" in r.stdout.splitlines(), r.stderr

    # The top TSV holds every served account's rows.
    assert sorted(tsv_ids(mnt / "transactions.tsv")) == sorted(served_ids(bank, world))

    # .status.json names what was refused.
    status = json.loads((mnt / ".status.json").read_bytes())
    assert status["login"]["state"] == "ok"
    if world["refuses"] in ("transactions", "balance", "pots", "pot_ledgers"):
        refused = {name: r["last_error"] for name, r in status["resources"].items()
                   if r["last_error"] and r["last_error"]["http_status"] == world["status"]}
        assert refused, status["resources"]
        if world["refuses"] != "pot_ledgers":
            assert list(refused) == [f"{world['refuses']}/{world['account']}"], refused


def test_a_refused_pot_ledger_is_a_pot_with_pot_json_alone_asked_once(bank, mounter):
    select_world(bank, "pot_ledgers_404")
    mnt = mounter().path
    acc = bank.main_account_id
    pots = [p for p in bank.pot_accounts if bank.pot(p)["current_account_id"] == acc]
    assert pots, "the main account should have a pot with its own ledger"
    for pot in pots:
        d = mnt / "accounts" / acc / "pots" / pot
        assert os.listdir(d) == ["pot.json"]
        assert json.loads((d / "pot.json").read_bytes()) == bank.pot(pot)
        for name in ("transactions.csv", "transactions", "transactions.json"):
            with pytest.raises(FileNotFoundError):
                os.stat(d / name)
    before = bank.counts["transactions"]
    for pot in pots:
        os.listdir(mnt / "accounts" / acc / "pots" / pot)
        os.path.exists(mnt / "accounts" / acc / "pots" / pot / "transactions.csv")
    assert bank.counts["transactions"] == before, "a refused ledger must be remembered, not asked again"


def test_an_account_refused_keeps_its_other_files_and_directories(bank, mounter):
    info = select_world(bank, "account_transactions_403")
    acc = info["account"]
    mnt = mounter().path
    d = mnt / "accounts" / acc
    for name in ("account.json", "balance.json", "pots.json"):
        json.loads((d / name).read_bytes())
    for name in sorted(TX_FILES):
        with pytest.raises(OSError) as e:
            (d / name).read_bytes()
        assert e.value.errno == errno.EIO, f"{name}: {e.value!r}"
    assert os.listdir(d / "transactions") == [] and os.listdir(d / "attachments") == []
    # The other accounts are served whole.
    main = mnt / "accounts" / bank.main_account_id
    assert (main / "transactions.csv").read_bytes().count(b"\n") > 1


def test_a_refused_balance_leaves_the_balance_column_empty(bank, mounter):
    info = select_world(bank, "account_balance_403")
    acc = info["account"]
    mnt = mounter().path
    with pytest.raises(OSError) as e:
        (mnt / "accounts" / acc / "balance.json").read_bytes()
    assert e.value.errno == errno.EIO
    got = json.loads((mnt / "accounts" / acc / "transactions.json").read_bytes())["transactions"]
    assert got == bank.transactions[acc]
    lines = (mnt / "accounts" / acc / "transactions.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) > 1
    # Balance and Balance currency are the last two columns: Balance empty.
    assert all(line.rsplit(",", 2)[1] == "" for line in lines[1:]), lines[1:3]


def start_login(env, *args):
    from test_login import start_login as start
    return start(env, *args)


@pytest.mark.parametrize("name,code", [("pot_ledgers_404", 0), ("pot_ledgers_403", 0),
                                       ("account_balance_403", 0), ("account_transactions_403", 1)])
def test_login_captures_what_it_can_and_says_what_it_could_not(bank, env, mounter, name, code):
    info = select_world(bank, name)
    proc, url, _ = start_login(env)
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    if name.startswith("pot_ledgers"):
        for pot_acc in bank.pot_accounts.values():
            line = next(line for line in err.splitlines() if pot_acc in line)
            assert "warning" in line and str(info["status"]) in line, line
    if name == "account_transactions_403":
        line = next(line for line in err.splitlines() if info["account"] in line and "failed" in line)
        assert "403" in line, line
    # What was captured serves offline.
    mnt = mounter("offline").path
    main = bank.main_account_id
    got = json.loads((mnt / "accounts" / main / "transactions.json").read_bytes())["transactions"]
    assert got == bank.transactions[main]


def listing_agrees(mnt):
    """Every directory's names can be stat'ed and opened, or fail with EIO; each
    listing read twice gives the same names.  Returns the files that failed."""
    failed = []
    stack = [mnt]
    while stack:
        d = stack.pop()
        names = sorted(os.listdir(d))
        assert sorted(os.listdir(d)) == names, d
        for name in names:
            p = d / name
            try:
                os.lstat(p)
                if os.path.islink(p):
                    continue
                if os.path.isdir(p):
                    stack.append(p)
                else:
                    with open(p, "rb") as f:
                        # fstat: what was opened (a fault that cleared since the
                        # lstat may have made a new version of a gathering file).
                        assert len(f.read()) == os.fstat(f.fileno()).st_size, p
            except OSError as e:
                assert e.errno == errno.EIO, f"{p}: {e!r}"
                failed.append(p)
    return failed


FAULTS = [("transactions", "status", 500), ("balance", "status", 503), ("pots", "drop", 0),
          ("transactions", "truncate", 0), ("transaction", "status", 500), ("attachment", "status", 500)]


# Each world's refusals, as calls that add to what is already refused (world() starts
# each world from the normal day).
APPLY = {
    "pot_ledgers_404": lambda b: b.refuse_pot_ledgers(404),
    "pot_ledgers_403": lambda b: b.refuse_pot_ledgers(403),
    "account_transactions_403": lambda b: (b.refuse("transactions", b.refused_account),
                                           b.refuse("transaction", b.refused_account)),
    "account_balance_403": lambda b: b.refuse("balance", b.refused_account),
    "account_pots_403": lambda b: b.refuse("pots", b.refused_account),
    "attachment_host_down": lambda b: b.attachment_host_down(),
    "attachment_host_500": lambda b: b.refuse("attachment", status=500),
    "fields_missing": lambda b: b.strip_optional_fields(mode="missing"),
    "fields_null": lambda b: b.strip_optional_fields(mode="null"),
}


@pytest.mark.parametrize("seed", range(4))
def test_random_refusals_and_faults_keep_listings_and_lookups_in_agreement(bank, mounter, seed):
    rng = random.Random(seed)
    for name in rng.sample(sorted(set(WORLDS) - {"fields_null"}), 3):
        APPLY[name](bank)
    for endpoint, kind, status in rng.sample(FAULTS, 2):
        bank.inject(endpoint=endpoint, kind=kind, status=status or 503, count=rng.randint(1, 6))
    mnt = mounter().path
    listing_agrees(mnt)
    bank.clear_faults()
    listing_agrees(mnt)


def test_login_exits_3_when_the_window_closed_before_the_capture(bank, env, mounter):
    """Approved, but the five minutes ran out before the first page: each account is
    captured for the last 89 days, and the login says what was lost (exit 3).  One
    account after another (--parallel 1): side by side, the others could finish
    before the held first page lets the window close."""
    hold = bank.hold("transactions")
    proc, url, _ = start_login(env, "--parallel", "1")
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.status == 200
    hold.wait_arrived()
    bank.advance(600)
    asked_at = bank.now()
    hold.release()
    out, err = proc.communicate(timeout=120)
    done_at = bank.now()
    assert proc.returncode == 3, err
    # The sync's own log line is not repeated for every account: the ending says it.
    assert "full history is no longer available" not in err
    # One line per account at the end, from the date its known history now starts...
    lost = {london_date(t - timedelta(days=89)) for t in (asked_at, done_at)}
    ending = err[err.index(" transactions stored in "):].splitlines()
    main = bank.main_account_id
    line = next(line for line in ending if line.startswith(f"  current ({main}): "))
    assert any(f"history from {d} (older history was not captured)" in line for d in lost), line
    # ... and one warning naming them and the date before which history was lost.
    warning = next(line for line in ending if line.startswith("WARNING: "))
    assert any(warning.startswith(f"WARNING: history before {d} was not captured for ") for d in lost), warning
    for acc in bank.accounts:
        assert acc["id"] in warning
    assert f"current ({main})" in warning and f"joint ({bank.account_ids['joint']})" in warning
    assert warning.endswith(": run monzohfs-login again and approve within 5 minutes.")
    assert err.rstrip().endswith("Done: mount with  mkdir -p ~/monzo && monzohfs ~/monzo")


def london_date(moment):
    return moment.astimezone(ZoneInfo("Europe/London")).date().isoformat()
