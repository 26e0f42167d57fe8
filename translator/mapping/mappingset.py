"""All loaded mappings, and the per-envelope question: which mapping, and what does it say?

``MappingSet.resolve`` is the edge layer's entry point: check the size limit, find the
mappings whose protocol and channel match (best rank first: priority, then the most
specific channel, then id; a candidate whose format is the envelope's content format goes
first), decode the payload in each candidate's format (once per
format), take the first whose ``when`` conditions hold, check its JSON Schema, extract.
Every failure is a ``PayloadError`` subclass naming the stage, the mapping and the path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
    decode_payload,
)
from translator.mapping.examples import Example
from translator.mapping.extract import ExtractMemo, extract
from translator.mapping.plan import MappingPlan
from translator.mapping.quantities import QuantityResolver
from translator.mapping.render import render_command
from translator.mapping.vocabulary import Vocabulary
from translator.values import Command, Envelope, Protocol, Reading, RenderedCommand, ThingInfo

__all__ = ["MappingSet", "Resolution"]

_UNDECODED: Final = object()
_FAILED: Final = object()


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


class MappingSet:
    """Compiled mappings, indexed by channel; built once, then only read."""

    __slots__ = ("_index", "_limits", "_memo", "_plans", "_quantities")

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
        self._index: ChannelIndex[MappingPlan] = ChannelIndex(
            (plan.channel, plan) for plan in ranked
        )
        self._quantities = QuantityResolver(vocabulary)
        self._memo = ExtractMemo()
        self._limits = Limits(max_payload_bytes, max_json_depth)

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
        limits = self._limits
        if len(payload) > limits.max_payload_bytes:
            raise DecodeError(
                f"payload of {len(payload)} bytes is over the limit of "
                f"{limits.max_payload_bytes} bytes",
                detail={"size": len(payload), "max_payload_bytes": limits.max_payload_bytes},
            )
        candidates = self._index.match(envelope.protocol, envelope.channel)
        if len(candidates) > 1 and envelope.content_format:
            preferred = FORMATS_BY_MEDIA_TYPE.get(_media_type(envelope.content_format))
            if preferred is not None:  # stable: rank order holds within each group
                candidates = tuple(
                    sorted(candidates, key=lambda candidate: candidate[0].format is not preferred)
                )
        decoded: dict[str, Any] = {}  # format -> document (plain-str keys hash in C)
        first_error: DecodeError | None = None
        for plan, variables in candidates:
            fmt: str = plan.format._value_
            doc = decoded.get(fmt, _UNDECODED)
            if doc is _UNDECODED:
                try:
                    doc = decode_payload(plan.format, payload, envelope.received_at, limits)
                except DecodeError as err:
                    err.mapping_id = plan.id
                    first_error = first_error or err
                    doc = _FAILED
                decoded[fmt] = doc
            if doc is _FAILED:
                continue
            for condition in plan.when:
                if not condition.test(doc):
                    break
            else:
                return self._translate(plan, doc, variables, envelope)
        if first_error is not None:
            raise first_error
        raise _no_match(envelope, [plan.id for plan, _ in candidates])

    def _translate(
        self, plan: MappingPlan, doc: Any, variables: dict[str, str], envelope: Envelope
    ) -> Resolution:
        if plan.schema is not None:
            violation = plan.schema.violation(doc)
            if violation is not None:
                raise SchemaViolation(
                    f"{violation.path}: {violation.message}",
                    mapping_id=plan.id,
                    detail=violation.as_detail(),
                )
        readings, things = extract(plan, doc, variables, envelope, self._quantities, self._memo)
        return Resolution(plan, tuple(readings), tuple(things))

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
