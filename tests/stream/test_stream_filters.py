"""Stream filters: every criterion must pass; types compare as IRIs; input is bounded."""

from __future__ import annotations

import pytest
from stream_samples import PLUG, SENSOR, T0

from translator.stream.filters import ANY, MAX_VALUES, StreamFilter
from translator.stream.message import StreamEvent

SAREF = "https://saref.etsi.org/core/"


def event(
    thing: str = PLUG,
    prop: str = "power",
    kind: str | None = SAREF + "Switch",
    area: str | None = "kitchen",
) -> StreamEvent:
    return StreamEvent(1, thing, prop, T0, kind, area, b"{}")


def test_no_criterion_accepts_everything() -> None:
    assert ANY.accepts_all
    assert ANY.matches(event(kind=None, area=None))
    assert StreamFilter.build(things=[], areas=[]).accepts_all  # empty lists mean "any"


def test_each_criterion_narrows() -> None:
    only = StreamFilter.build(things=[PLUG], properties=["power", "energy"])
    assert only.matches(event())
    assert not only.matches(event(thing=SENSOR))
    assert not only.matches(event(prop="onOff"))


def test_type_filters_accept_curies_and_iris_alike() -> None:
    assert StreamFilter.build(types=["saref:Switch"]).matches(event())
    assert StreamFilter.build(types=[SAREF + "Switch"]).matches(event())
    assert not StreamFilter.build(types=["saref:Sensor"]).matches(event())


def test_unknown_type_or_area_does_not_pass_such_a_filter() -> None:
    assert not StreamFilter.build(types=["saref:Switch"]).matches(event(kind=None))
    assert not StreamFilter.build(areas=["kitchen"]).matches(event(area=None))
    assert StreamFilter.build(areas=["kitchen", "hall"]).matches(event())


@pytest.mark.parametrize(
    "values",
    [[str(i) for i in range(MAX_VALUES + 1)], [""], ["x" * 5000]],
    ids=["too many", "empty", "too long"],
)
def test_untrusted_filters_are_bounded(values: list[str]) -> None:
    with pytest.raises(ValueError, match="things"):
        StreamFilter.build(things=values)
