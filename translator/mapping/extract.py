"""Run a compiled plan on a decoded payload: readings and things out, or ``ExtractionError``.

This is the hot path. An ``Extractor`` is built once per plan: every reading becomes a
reader (``translator.mapping.readers``), and consecutive ``foreach`` readings over the same
items whose ``where`` tests the same path (a SenML mapping's nine units) become one group:
its items are walked once, and which readings an item's text selects is decided once per
distinct text and remembered. Per envelope, the extractor takes the captures, describes the
thing (remembered per channel, or per variables), runs the readers in the mapping's order,
reads a mapping-wide time at most once, and stamps the provenance (remembered per channel).
The readings, their order, the things and every error are those the mapping language
defines (``docs/mapping-language.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from translator.errors import ExtractionError
from translator.mapping.jsonpath import MISSING, PathQuery, PathQueryError
from translator.mapping.memo import MemoBudget
from translator.mapping.plan import MappingPlan, ReadingPlan
from translator.mapping.quantities import QuantityResolver
from translator.mapping.readers import Reader, TimeCell, compile_reader
from translator.mapping.templates import TemplateError
from translator.mapping.transforms import StepError, describe_value
from translator.values import Envelope, Provenance, Reading, ThingInfo

__all__ = ["Extractor"]

DEFAULT_MEMO_LIMIT: Final = 8192
MAX_MEMO_TEXT: Final = 256  # a longer item text is matched afresh, never remembered

_FAILURES: Final = (StepError, PathQueryError, TemplateError)

_Described = tuple[str, tuple[ThingInfo, ...]]  # the thing's IRI, and the things of a message
_Pair = tuple[int, int, "_Step", Any, dict[str, str] | None]  # reading, order, step, item, groups


class _Step:
    """One reading, compiled."""

    __slots__ = ("alone", "plan", "read")

    def __init__(self, plan: ReadingPlan, read: Reader):
        self.plan = plan
        self.read = read
        # what a reading outside foreach runs on: no item, no where groups
        self.alone: tuple[_Pair, ...] = ((0, 0, self, None, None),)


class _Group:
    """Consecutive foreach readings over the same items (``where`` on the same path)."""

    __slots__ = ("foreach", "matches", "memo", "steps", "where", "where_key", "whole")

    def __init__(self, steps: list[_Step], memo: MemoBudget):
        first = steps[0].plan
        assert first.foreach is not None
        self.foreach: PathQuery = first.foreach
        self.whole = first.foreach.steps == () and first.foreach.wildcard  # `$[*]`
        self.steps = tuple(steps)
        self.where: PathQuery | None = first.where.path if first.where is not None else None
        self.where_key = self.where.key if self.where is not None else None
        self.memo = memo
        # item text -> (position in steps, the where regex's named groups) of the readings it feeds
        self.matches: dict[str, tuple[tuple[int, dict[str, str] | None], ...]] = memo.table()

    def select(self, text: str) -> tuple[tuple[int, dict[str, str] | None], ...]:
        """The readings whose ``where`` regex matches ``text`` (then remembered)."""
        chosen = []
        for position, step in enumerate(self.steps):
            where = step.plan.where
            assert where is not None
            match = where.regex.search(text)
            if match is not None:
                groups = {k: v for k, v in match.groupdict().items() if v is not None}
                chosen.append((position, groups or None))
        found = tuple(chosen)
        if len(text) <= MAX_MEMO_TEXT:
            self.memo.put(self.matches, text, found)
        return found


class Extractor:
    """A plan's readings and things, prepared once and run per envelope.

    Provenances, descriptions of things and the readings an item's text selects are
    remembered in tables under ``memo`` (shared by the extractors of a ``MappingSet``), which
    bounds memory whatever channels and payloads arrive.
    """

    __slots__ = ("_by_channel", "_channels", "_memo", "_per_item", "_plan", "_steps", "_things")

    def __init__(
        self, plan: MappingPlan, quantities: QuantityResolver, memo: MemoBudget | None = None
    ):
        """Compile every reading of ``plan``."""
        self._plan = plan
        self._memo = memo = memo or MemoBudget(DEFAULT_MEMO_LIMIT)
        steps = [
            _Step(reading, compile_reader(reading, quantities, plan.time))
            for reading in plan.readings
        ]
        self._steps = _grouped(steps, memo)
        self._per_item = plan.thing.per_item
        # the thing depends on the channel alone: no captures, no foreach variables
        self._by_channel = not plan.captures and not plan.thing.per_item
        # channel -> its provenance, and its (thing IRI, things) when they follow from it
        self._channels: dict[str, tuple[Provenance, _Described | None]] = memo.table()
        self._things: dict[tuple[tuple[str, str], ...], ThingInfo] = memo.table()

    def extract(
        self, doc: Any, channel_variables: dict[str, str], envelope: Envelope
    ) -> tuple[tuple[Reading, ...], tuple[ThingInfo, ...]]:
        """The readings and things the plan makes of ``doc``.

        Raises:
            ExtractionError: a capture or non-optional reading found nothing, a transform
                failed, a value does not fit its property, a time does not parse.
        """
        known = self._channels.get(envelope.channel)
        if known is None:
            known = self._learn(envelope, channel_variables)
        provenance, described = known
        things: dict[str, ThingInfo] | None = None
        iri: str | None
        if described is not None:
            iri, described_things = described
            variables: Mapping[str, str] = channel_variables
        else:
            variables = self._captured(doc, channel_variables)
            things = {}
            iri = None
            if not self._per_item:
                info = self._thing(variables, None)
                iri = info.iri
                things[iri] = info
        arrival = envelope.received_at
        cell: TimeCell = [None]
        readings: list[Reading] = []
        for entry in self._steps:
            pairs = entry.alone if isinstance(entry, _Step) else self._pairs(entry, doc)
            for _position, _order, step, item, groups in pairs:
                scoped = variables if groups is None else {**variables, **groups}
                thing = iri
                if thing is None:
                    assert things is not None
                    info = self._thing(scoped, step.plan)
                    thing = info.iri
                    if thing not in things:
                        things[thing] = info
                try:
                    reading = step.read(doc, item, scoped, thing, provenance, arrival, cell)
                except _FAILURES as err:
                    raise self._fail(step.plan, str(err), step.plan.value.text) from err
                if reading is not None:
                    readings.append(reading)
        if things is not None:
            described_things = tuple(things.values())
        return tuple(readings), described_things

    # --- per envelope --------------------------------------------------------------------

    def _pairs(self, group: _Group, doc: Any) -> list[_Pair]:
        """The group's ``(reading, order, step, item, where groups)``, reading by reading,
        items in document order."""
        first = group.steps[0]
        if group.whole:  # `$[*]`: the payload's own items
            items = doc if type(doc) is list else list(doc.values()) if type(doc) is dict else []
        else:
            try:
                items = group.foreach.values(doc)
            except PathQueryError as err:
                raise self._fail(first.plan, str(err), group.foreach.text) from err
        where = group.where
        if where is None:  # no filter: every item feeds the (single) reading
            return [(0, order, first, item, None) for order, item in enumerate(items)]
        key = group.where_key
        matches = group.matches
        steps = group.steps
        chosen: list[_Pair] = []
        last = 0
        ordered = True
        for order, item in enumerate(items):
            if key is not None:  # one name step (@.n): a dictionary lookup
                text = item.get(key) if type(item) is dict else None
            else:
                try:
                    text = where.one(None, item)
                except PathQueryError:
                    continue
            if type(text) is not str and not isinstance(text, str):
                continue
            selected = matches.get(text)
            if selected is None:
                selected = group.select(text)
            for position, groups in selected:
                chosen.append((position, order, steps[position], item, groups))
                ordered = ordered and position >= last
                last = position
        if not ordered:
            chosen.sort(key=_reading_order)
        return chosen

    def _captured(self, doc: Any, channel_variables: dict[str, str]) -> Mapping[str, str]:
        captures = self._plan.captures
        if not captures:
            return channel_variables
        variables = dict(channel_variables)
        for capture in captures:
            where = capture.path.text
            try:
                value = capture.path.one(doc)
            except PathQueryError as err:
                raise self._fail(None, f"capture {capture.name}: {err}", where) from err
            if value is MISSING:
                raise self._fail(None, f"capture {capture.name}: {where} selects nothing", where)
            text = _as_text(value)
            if text is None:
                reason = f"capture {capture.name}: {describe_value(value)} is not text or a number"
                raise self._fail(None, reason, where)
            if capture.regex is not None:
                found = capture.regex.search(text)
                if found is None:
                    reason = f"capture {capture.name}: {text!r} does not match its regex"
                    raise self._fail(None, reason, where)
                text = found.group(capture.group) or ""
            variables[capture.name] = text
        return variables

    # --- remembered per channel / per variables ----------------------------------------------

    def _learn(
        self, envelope: Envelope, variables: Mapping[str, str]
    ) -> tuple[Provenance, _Described | None]:
        """What a channel alone decides: the provenance; the thing too when it can."""
        plan = self._plan
        provenance = Provenance(plan.id, plan.version, envelope.protocol, envelope.channel)
        described: _Described | None = None
        if self._by_channel:
            info = self._thing(variables, None)
            described = (info.iri, (info,))
        known = (provenance, described)
        self._memo.put(self._channels, envelope.channel, known)
        return known

    def _thing(self, variables: Mapping[str, str], reading: ReadingPlan | None) -> ThingInfo:
        key = tuple(variables.items())
        info = self._things.get(key)
        if info is None:
            info = self._describe(variables, reading)
            self._memo.put(self._things, key, info)
        return info

    def _describe(self, variables: Mapping[str, str], reading: ReadingPlan | None) -> ThingInfo:
        plan = self._plan.thing
        try:
            return ThingInfo(
                iri=plan.iri.render(variables),
                mapping_id=self._plan.id,
                type=plan.type,
                label=plan.label.render(variables) if plan.label is not None else None,
                placement=plan.placement,
                variables=tuple(sorted(variables.items())),
            )
        except TemplateError as err:
            raise self._fail(reading, f"thing: {err}", None) from err

    def _fail(self, reading: ReadingPlan | None, reason: str, path: str | None) -> ExtractionError:
        where = f"{reading.title()}: " if reading is not None else ""
        detail: dict[str, Any] = {"path": path} if path else {}
        if reading is not None:
            detail["reading"] = reading.index
        return ExtractionError(where + reason, mapping_id=self._plan.id, detail=detail)


def _grouped(steps: list[_Step], memo: MemoBudget) -> tuple[_Step | _Group, ...]:
    """Plain readings stay steps; foreach readings become groups (see ``_Group``)."""
    out: list[_Step | _Group] = []
    run: list[_Step] = []
    for step in steps:
        if step.plan.foreach is None:
            if run:
                out.append(_Group(run, memo))
                run = []
            out.append(step)
            continue
        if run and not _same_items(run[0].plan, step.plan):
            out.append(_Group(run, memo))
            run = []
        run.append(step)
        if step.plan.where is None:  # a group without a filter holds one reading
            out.append(_Group(run, memo))
            run = []
    if run:
        out.append(_Group(run, memo))
    return tuple(out)


def _same_items(first: ReadingPlan, other: ReadingPlan) -> bool:
    """Whether ``other`` walks the same items as ``first`` and filters them on the same path."""
    assert first.foreach is not None
    assert other.foreach is not None
    if first.where is None or other.where is None:
        return False
    return (
        first.foreach.text == other.foreach.text and first.where.path.text == other.where.path.text
    )


def _reading_order(pair: _Pair) -> tuple[int, int]:
    return pair[0], pair[1]


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return None
