"""Remembered answers stay bounded and never change a result: tables under one
``MemoBudget`` are cleared together at the bound, and resolving through cleared tables
gives what resolving afresh gives."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from translator.mapping import MappingSet, mappingset
from translator.mapping.memo import MemoBudget
from translator.values import Envelope

Load = Callable[..., MappingSet]
Make = Callable[..., Envelope]

PLUG = """
id: plug
version: "1"
match: {protocol: mqtt, channel: "p/{device}"}
thing: {iri: "urn:dev:p:{device}", label: "{device}"}
readings:
  - {property: power, value: $.w, unit: W}
  - {property: onOff, value: $.on, optional: true}
"""


def test_tables_share_one_bound() -> None:
    budget = MemoBudget(3)
    one, two = budget.table(), budget.table()
    budget.put(one, "a", 1)
    budget.put(two, "b", 2)
    budget.put(one, "a", 10)  # a key already there takes no room
    budget.put(two, "c", 3)
    assert (one, two) == ({"a": 10}, {"b": 2, "c": 3})
    budget.put(one, "d", 4)  # the bound is reached: everything is forgotten first
    assert (one, two) == ({"d": 4}, {})


def test_results_do_not_depend_on_what_was_remembered(
    load_text: Load, envelope: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mappingset, "MEMO_LIMIT", 3)
    monkeypatch.setattr(mappingset, "DESCRIPTION_MEMO_LIMIT", 3)
    forgetful = load_text(PLUG)
    monkeypatch.undo()
    envelopes = [
        envelope(f"p/plug-{index % 7}", f'{{"w": {index}, "on": {str(index % 2 == 0).lower()}}}')
        for index in range(40)
    ]
    for item in envelopes:
        fresh = load_text(PLUG).resolve(item)
        remembered = forgetful.resolve(item)
        assert (remembered.readings, remembered.things) == (fresh.readings, fresh.things)
