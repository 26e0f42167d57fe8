"""``new_reading`` makes ordinary ``Reading`` values: same type, fields, equality, hash,
frozen-ness, copies and pickles as ``Reading(...)`` — only faster to build."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from datetime import UTC, datetime

import pytest

from translator.mapping.records import new_reading, same_layout
from translator.values import Protocol, Provenance, Reading

PROVENANCE = Provenance("m", "1", Protocol.MQTT, "t/a")
ARGS = ("urn:a", "temperature", 21.5, "DEG_C", datetime(2026, 11, 25, tzinfo=UTC), PROVENANCE,
        70.7, "DEG_F")  # fmt: skip


def test_a_new_reading_is_a_reading() -> None:
    made, reference = new_reading(*ARGS), Reading(*ARGS)
    assert type(made) is Reading
    assert made == reference
    assert hash(made) == hash(reference)
    assert repr(made) == repr(reference)
    assert tuple(getattr(made, field.name) for field in dataclasses.fields(made)) == ARGS
    assert dataclasses.replace(made, value=1.0) == dataclasses.replace(reference, value=1.0)
    assert pickle.loads(pickle.dumps(made)) == reference
    assert copy.copy(made) == reference
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.value = 0.0  # type: ignore[misc]


def test_the_twin_is_used_only_while_the_layouts_agree() -> None:
    assert same_layout(Reading, type("Twin", (), {"__slots__": Reading.__slots__}))
    assert not same_layout(Reading, type("Other", (), {"__slots__": ("thing", "value")}))
