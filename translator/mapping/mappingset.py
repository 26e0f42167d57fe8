"""All loaded mappings, and the per-envelope question: which mapping, and what does it say?

``MappingSet.resolve`` is the edge layer's entry point: check the size limit, find the
mappings whose protocol and channel match (best rank first: priority, then the most
specific channel, then id; a candidate whose format is the envelope's content format goes
first), decode the payload in each candidate's format (once per
format), take the first whose ``when`` conditions hold, check its JSON Schema, extract.
Every failure is a ``PayloadError`` subclass naming the stage, the mapping and the path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from translator.errors import (
    CommandError,
    DecodeError,
    MappingError,
    NoMappingMatched,
    SchemaViolation,
)
from translator.mapping.channels import ChannelIndex, covering_filters
from translator.mapping.decode import (
    DEFAULT_MAX_JSON_DEPTH,
    DEFAULT_MAX_PAYLOAD_BYTES,
    FORMATS_BY_MEDIA_TYPE,
    Limits,
    decoder,
)
from translator.mapping.examples import Example
from translator.mapping.extract import Extractor
from translator.mapping.memo import MemoBudget
from translator.mapping.plan import Condition, MappingPlan
from translator.mapping.quantities import QuantityResolver
from translator.mapping.records import same_layout
from translator.mapping.render import render_command
from translator.mapping.vocabulary import Vocabulary
from translator.values import Command, Envelope, Protocol, Reading, RenderedCommand, ThingInfo

__all__ = ["MappingSet", "Resolution"]

_UNDECODED: Final = object()
_FAILED: Final = object()
MEMO_LIMIT: Final = 8192  # channels remembered with their candidates, all protocols
DESCRIPTION_MEMO_LIMIT: Final = 8192  # provenances and things remembered, all mappings


@dataclass(frozen=True, slots=True)
class Resolution:
    """What one envelope means: the mapping that claimed it, its readings and things."""

    plan: MappingPlan
    readings: tuple[Reading, ...]
    things: tuple[ThingInfo, ...]

    @property
    def mapping_id(self) -> str:
        """Id of the mapping that translated the envelope."""
        return self.plan.id

    @property
    def mapping_version(self) -> str:
        """Version of that mapping."""
        return self.plan.version


class _MutableResolution:
    """``Resolution``'s layout without the frozen ``__setattr__`` (see ``records``)."""

    __slots__ = ("plan", "readings", "things")

    def __init__(
        self, plan: MappingPlan, readings: tuple[Reading, ...], things: tuple[ThingInfo, ...]
    ):
        self.plan = plan
        self.readings = readings
        self.things = things


def _twin_resolution(
    plan: MappingPlan, readings: tuple[Reading, ...], things: tuple[ThingInfo, ...]
) -> Resolution:
    made = _MutableResolution(plan, readings, things)
    made.__class__ = Resolution  # type: ignore[assignment]  # same slots: a plain Resolution now
    return made  # type: ignore[return-value]


_new_resolution: Final[
    Callable[[MappingPlan, tuple[Reading, ...], tuple[ThingInfo, ...]], Resolution]
] = _twin_resolution if same_layout(Resolution, _MutableResolution) else Resolution


class _Route:
    """A plan with everything ``resolve`` runs for it, prepared once."""

    __slots__ = ("accepts", "decode", "extract", "format", "plan", "schema")

    def __init__(
        self, plan: MappingPlan, quantities: QuantityResolver, limits: Limits, memo: MemoBudget
    ):
        self.plan = plan
        self.format: str = plan.format._value_  # plain-str keys hash in C
        self.decode = decoder(plan.format, limits)
        self.accepts = _all_hold(plan.when)
        self.schema = plan.schema
        self.extract = Extractor(plan, quantities, memo).extract


_Candidates = tuple[tuple[_Route, dict[str, str]], ...]


class MappingSet:
    """Compiled mappings, indexed by channel; built once, then only read."""

    __slots__ = ("_candidates", "_index", "_limits", "_memo", "_plans", "_preferred")

    def __init__(
        self,
        plans: Iterable[MappingPlan],
        vocabulary: Vocabulary,
        *,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
        max_json_depth: int = DEFAULT_MAX_JSON_DEPTH,
    ):
        """Index ``plans``.

        Raises:
            MappingError: two plans share an id.
        """
        ranked = sorted(plans, key=lambda plan: plan.rank_key)
        by_id: dict[str, MappingPlan] = {}
        for plan in ranked:
            other = by_id.get(plan.id)
            if other is not None:
                raise MappingError(
                    plan.file, plan.line, f"duplicate mapping id {plan.id!r} (also in {other.file})"
                )
            by_id[plan.id] = plan
        self._plans = MappingProxyType(by_id)
        self._limits = Limits(max_payload_bytes, max_json_depth)
        quantities = QuantityResolver(vocabulary)
        described = MemoBudget(DESCRIPTION_MEMO_LIMIT)  # provenances and things, all plans
        self._index: ChannelIndex[_Route] = ChannelIndex(
            (plan.channel, _Route(plan, quantities, self._limits, described)) for plan in ranked
        )
        self._memo = MemoBudget(MEMO_LIMIT)
        # protocol -> channel -> the candidates, best rank first (no tuple key to build)
        self._candidates: dict[str, dict[str, _Candidates]] = {
            protocol.value: self._memo.table() for protocol in Protocol
        }
        # (protocol, channel, content format) -> candidates, those in that format first
        self._preferred: dict[tuple[str, str, str], _Candidates] = self._memo.table()

    @property
    def mappings(self) -> Mapping[str, MappingPlan]:
        """Mapping id -> plan."""
        return self._plans

    @property
    def limits(self) -> Limits:
        """The payload limits ``resolve`` enforces."""
        return self._limits

    @property
    def examples(self) -> tuple[Example, ...]:
        """Every example of every mapping, in mapping-id order."""
        return tuple(
            example for key in sorted(self._plans) for example in self._plans[key].examples
        )

    def topic_filters(self) -> list[str]:
        """The MQTT topic filters to subscribe to (no filter covered by another)."""
        mqtt = [plan for plan in self._plans.values() if plan.protocol is Protocol.MQTT]
        return covering_filters([plan.channel.topic_filter for plan in mqtt])

    def resolve(self, envelope: Envelope) -> Resolution:
        """Translate one envelope into readings and things.

        Raises:
            DecodeError: too large, or not valid in the claiming mapping's format.
            NoMappingMatched: no mapping's protocol, channel and conditions fit.
            SchemaViolation: the payload breaks the mapping's JSON Schema.
            ExtractionError: a reading could not be extracted.
        """
        payload = envelope.payload
        if len(payload) > self._limits.max_payload_bytes:
            raise self._too_large(payload)
        known = self._candidates[envelope.protocol._value_]
        candidates = known.get(envelope.channel)
        if candidates is None:
            candidates = self._match(known, envelope)
        if len(candidates) != 1:
            return self._first_fitting(candidates, envelope)
        route, variables = candidates[0]  # the usual case: one mapping claims the channel
        try:
            doc = route.decode(payload, envelope.received_at)
        except DecodeError as err:
            err.mapping_id = route.plan.id
            raise
        accepts = route.accepts
        if accepts is None or accepts(doc):
            return self._translate(route, doc, variables, envelope)
        raise _no_match(envelope, [route.plan.id])

    def _first_fitting(self, candidates: _Candidates, envelope: Envelope) -> Resolution:
        """Several candidates (or none): decode once per format, the first that fits wins."""
        if envelope.content_format:
            candidates = self._prefer(candidates, envelope, envelope.content_format)
        decoded: dict[str, Any] = {}  # format -> document
        first_error: DecodeError | None = None
        for route, variables in candidates:
            doc = decoded.get(route.format, _UNDECODED)
            if doc is _UNDECODED:
                try:
                    doc = route.decode(envelope.payload, envelope.received_at)
                except DecodeError as err:
                    err.mapping_id = route.plan.id
                    first_error = first_error or err
                    doc = _FAILED
                decoded[route.format] = doc
            if doc is _FAILED:
                continue
            accepts = route.accepts
            if accepts is None or accepts(doc):
                return self._translate(route, doc, variables, envelope)
        if first_error is not None:
            raise first_error
        raise _no_match(envelope, [route.plan.id for route, _ in candidates])

    def _too_large(self, payload: bytes) -> DecodeError:
        limit = self._limits.max_payload_bytes
        return DecodeError(
            f"payload of {len(payload)} bytes is over the limit of {limit} bytes",
            detail={"size": len(payload), "max_payload_bytes": limit},
        )

    def _match(self, known: dict[str, _Candidates], envelope: Envelope) -> _Candidates:
        """The routes whose channel matches, best rank first (then remembered)."""
        candidates = self._index.find(envelope.protocol, envelope.channel)
        self._memo.put(known, envelope.channel, candidates)
        return candidates

    def _prefer(
        self, candidates: _Candidates, envelope: Envelope, content_format: str
    ) -> _Candidates:
        """Those whose format is the envelope's content format first (stable: rank order
        holds within each group)."""
        key = (envelope.protocol._value_, envelope.channel, content_format)
        ordered = self._preferred.get(key)
        if ordered is None:
            ordered = candidates
            preferred = FORMATS_BY_MEDIA_TYPE.get(_media_type(content_format))
            if preferred is not None:
                ordered = tuple(
                    sorted(
                        candidates, key=lambda candidate: candidate[0].plan.format is not preferred
                    )
                )
            self._memo.put(self._preferred, key, ordered)
        return ordered

    def _translate(
        self, route: _Route, doc: Any, variables: dict[str, str], envelope: Envelope
    ) -> Resolution:
        schema = route.schema
        if schema is not None:
            violation = schema.violation(doc)
            if violation is not None:
                raise SchemaViolation(
                    f"{violation.path}: {violation.message}",
                    mapping_id=route.plan.id,
                    detail=violation.as_detail(),
                )
        readings, things = route.extract(doc, variables, envelope)
        return _new_resolution(route.plan, readings, things)

    def render_command(
        self, mapping_id: str, command: Command, variables: Mapping[str, str]
    ) -> RenderedCommand:
        """Render ``command`` with mapping ``mapping_id`` for a thing's ``variables``.

        Raises:
            CommandError: unknown mapping or command, refused value, bad variables.
        """
        plan = self._plans.get(mapping_id)
        if plan is None:
            raise CommandError(f"no mapping {mapping_id!r} is loaded")
        return render_command(plan, command, variables)


def _all_hold(conditions: tuple[Condition, ...]) -> Callable[[Any], bool] | None:
    """The ``when`` conditions as one test (``None``: there are none)."""
    if not conditions:
        return None
    tests = tuple(condition.test for condition in conditions)
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda doc: first(doc) and second(doc)

    def every(doc: Any) -> bool:
        for test in tests:  # noqa: SIM110 (a generator costs a frame: hot path)
            if not test(doc):
                return False
        return True

    return every


def _media_type(content_format: str) -> str:
    return content_format.partition(";")[0].strip().lower()


def _no_match(envelope: Envelope, claimed: list[str]) -> NoMappingMatched:
    where = f"{envelope.protocol.value} channel {envelope.channel!r}"
    if claimed:
        reason = (
            f"no mapping's conditions hold for {where} (channel matched by: {', '.join(claimed)})"
        )
    else:
        reason = f"no mapping for {where}"
    return NoMappingMatched(
        reason,
        detail={
            "protocol": envelope.protocol.value,
            "channel": envelope.channel,
            "candidates": claimed,
        },
    )
