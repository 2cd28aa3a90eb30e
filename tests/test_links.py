"""The friendly links beside the directories of ids: a pot named like another pot's id
gets a suffix, so every name listed is listed once and each pot's directory can be
reached; names lose the characters that would make them read as something else (C1
controls, bidirectional marks, embeddings, overrides, isolates)."""
import json
import os

from conftest import live_pots


def test_a_pot_named_like_another_pots_id_hides_nothing(bank, mounter):
    acc = bank.main_account_id
    live = live_pots(bank, acc)["pots"]
    assert len(live) >= 3, "the fake bank's main account has three live pots"
    named_like, hidden, tricky = live[:3]
    named_like["name"] = hidden["id"]
    # Shown by a terminal as "Rentexe.pdf"; with C1 controls and marks around it.
    tricky["name"] = "\u2066Rent\u202efdp.exe\u2069\u0085\u009b\u200e\u200f"
    d = mounter().path / "accounts" / acc / "pots"

    names = os.listdir(d)
    assert len(names) == len(set(names)), sorted(names)
    # The pot whose id was taken as a name is its directory, and is reached.
    assert os.path.isdir(d / hidden["id"]) and not os.path.islink(d / hidden["id"])
    assert json.loads((d / hidden["id"] / "pot.json").read_bytes()) == hidden
    links = {n: os.readlink(d / n) for n in names if os.path.islink(d / n)}
    assert [n for n, t in links.items() if t == named_like["id"]] == [hidden["id"] + "-2"]
    assert json.loads((d / (hidden["id"] + "-2") / "pot.json").read_bytes()) == named_like
    assert [n for n, t in links.items() if t == tricky["id"]] == ["Rentfdp.exe"]
    for n in names:
        assert not any(0x80 <= ord(ch) <= 0x9F or ch in "\u061c\u200e\u200f" or
                       0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069 for ch in n), repr(n)
