"""The fast SenML resolver (one pass per record, flags instead of repeated lookups) against a
straightforward reference written field by field from RFC 8428 §4, on random packs — valid
and broken: both give the same records, or the same ``SenMLError`` message."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translator.errors import DecodeError
from translator.mapping.decode import Limits, PayloadFormat, decode_payload
from translator.mapping.senml import CBOR_LABELS, SenMLError, resolve_pack

NOW = 1_800_000_000.0
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-:./_]*")
_BASE = frozenset({"bn", "bt", "bu", "bv", "bs", "bver"})
_VALUES = ("v", "vs", "vb", "vd")
_NUMBERS = frozenset({"bt", "bv", "bs", "v", "s", "t", "ut"})
_TEXTS = frozenset({"bn", "bu", "n", "u", "vs", "vd", "l"})


def reference_resolve(pack: Any, now: float) -> list[dict[str, Any]]:
    """RFC 8428 §4 resolution, one rule at a time (the reference, not the product)."""
    if not isinstance(pack, list):
        raise SenMLError("a SenML pack is a JSON array of records")
    base: dict[str, Any] = {"bn": "", "bt": 0.0, "bu": None, "bv": None, "bs": None}
    resolved = []
    for index, record in enumerate(pack):
        if not isinstance(record, dict):
            raise SenMLError(f"record {index} is not an object")
        _reference_check(record, index)
        _reference_base(record, index, base)
        out = _reference_record(record, index, base, now)
        if out is not None:
            resolved.append(out)
    return resolved


def _reference_check(record: Mapping[str, Any], index: int) -> None:
    for key, value in record.items():
        if key.endswith("_"):
            raise SenMLError(f"record {index}: field {key!r} must be understood, and is not")
        if key in _NUMBERS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SenMLError(f"record {index}: {key!r} must be a number")
            if not math.isfinite(value):
                raise SenMLError(f"record {index}: {key!r} must be finite")
        elif key in _TEXTS:
            if not isinstance(value, str):
                raise SenMLError(f"record {index}: {key!r} must be text")
        elif key == "vb" and not isinstance(value, bool):
            raise SenMLError(f"record {index}: 'vb' must be true or false")
    present = [field for field in _VALUES if field in record]
    if len(present) > 1:
        raise SenMLError(f"record {index}: more than one value field ({', '.join(present)})")


def _reference_base(record: Mapping[str, Any], index: int, base: dict[str, Any]) -> None:
    if "bver" in record:
        version = record["bver"]
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise SenMLError(f"record {index}: 'bver' must be a positive integer")
        if version > 10:
            raise SenMLError(f"record {index}: SenML version {version} is not supported")
    for field in ("bn", "bt", "bu", "bv", "bs"):
        if field in record:
            base[field] = record[field]


def _reference_record(
    record: Mapping[str, Any], index: int, base: dict[str, Any], now: float
) -> dict[str, Any] | None:
    has_value = any(field in record for field in _VALUES)
    numeric = "v" in record or (base["bv"] is not None and not has_value)
    summed = "s" in record or base["bs"] is not None
    if not (has_value or numeric or summed):
        if all(key in _BASE for key in record):
            return None
        raise SenMLError(f"record {index} has no value and no sum")
    name = base["bn"] + record.get("n", "")
    if _NAME.fullmatch(name) is None:
        raise SenMLError(
            f"record {index}: name {name!r} is empty or has characters RFC 8428 forbids"
        )
    out: dict[str, Any] = {"n": name}
    unit = record.get("u", base["bu"])
    if unit is not None:
        out["u"] = unit
    if numeric:
        out["v"] = (base["bv"] or 0) + record.get("v", 0)
    for field in ("vs", "vb", "vd"):
        if field in record:
            out[field] = record[field]
    if summed:
        out["s"] = (base["bs"] or 0) + record.get("s", 0)
    moment = base["bt"] + record.get("t", 0)
    out["t"] = now + moment if moment < 2**28 else moment
    for key, value in record.items():
        if key not in out and key not in _BASE and key not in ("n", "u", "v", "s", "t"):
            out[key] = value
    return out


def _outcome(resolve: Any, pack: Any) -> Any:
    try:
        return ("records", resolve(pack, NOW))
    except SenMLError as err:
        return ("error", str(err))


FIELDS = st.sampled_from(
    ["bn", "bt", "bu", "bv", "bs", "bver", "n", "u", "v", "vs", "vb", "vd", "s", "t", "ut",
     "l", "x", "x_", "foo"]
)  # fmt: skip
ANY_VALUE = (
    st.sampled_from(["dev:", "temp", "Cel", "", "bad name", "-x", "a/b"])
    | st.integers(-3, 12)
    | st.floats(-1e3, 2e9, allow_nan=False)
    | st.sampled_from([math.inf, math.nan, 2**28 + 0.5, 1.7e9])
    | st.booleans()
    | st.none()
    | st.just([1])
)
RECORD = st.dictionaries(FIELDS, ANY_VALUE, max_size=6)
PACK = st.lists(RECORD | st.just("not a record"), max_size=5)


def _same(one: Any, two: Any) -> bool:
    """Equal, float for float (``1 == 1.0`` and ``nan != nan`` are not what is tested)."""
    return repr(one) == repr(two)


@settings(max_examples=600, deadline=None)
@given(pack=PACK)
def test_resolver_agrees_with_the_reference(pack: list[Any]) -> None:
    assert _same(_outcome(resolve_pack, pack), _outcome(reference_resolve, pack)), pack


VALID_RECORD = st.fixed_dictionaries(
    {},
    optional={
        "bn": st.sampled_from(["urn:dev:mac:0024befffe804ff1:", "dev/"]),
        "bt": st.floats(1.7e9, 1.8e9),
        "bu": st.sampled_from(["Cel", "W"]),
        "bv": st.integers(0, 5),
        "n": st.sampled_from(["temp", "hum", "x"]),
        "u": st.sampled_from(["Cel", "%RH", "%EL"]),
        "v": st.floats(-50, 50),
        "t": st.integers(-5, 0),
        "ut": st.just(60),
    },
)


@settings(max_examples=300, deadline=None)
@given(pack=st.lists(VALID_RECORD, min_size=1, max_size=4))
def test_mostly_valid_packs_agree(pack: list[dict[str, Any]]) -> None:
    assert _same(_outcome(resolve_pack, pack), _outcome(reference_resolve, pack)), pack


# --- CBOR: labels renamed, bytes and decimal fractions handled, then resolved -------------


def reference_cbor(payload: bytes) -> Any:
    """Rename every record's labels, then check every value (the order errors come in)."""
    pack = cbor2.loads(payload)
    if not isinstance(pack, list):
        raise SenMLError("a SenML pack is a CBOR array of records")
    records = []
    for index, record in enumerate(pack):
        if not isinstance(record, dict):
            raise SenMLError(f"record {index} is not a map")
        renamed: dict[str, Any] = {}
        for key, value in record.items():
            if isinstance(key, int) and not isinstance(key, bool):
                name = CBOR_LABELS.get(key)
                if name is None:
                    raise SenMLError(f"record {index}: unknown CBOR label {key}")
            elif isinstance(key, str):
                name = key
            else:
                raise SenMLError(f"record {index}: a label must be an integer or text")
            if isinstance(value, bytes):
                if name != "vd":
                    raise SenMLError(f"record {index}: {name!r} cannot be a byte string")
                value = base64.urlsafe_b64encode(value).rstrip(b"=").decode("ascii")
            renamed[name] = value
        for key, value in renamed.items():
            if value is None or isinstance(value, bool | int | str):
                continue
            if isinstance(value, float):
                if not math.isfinite(value):
                    raise SenMLError(f"record {index}: {key!r} must be finite")
                continue
            raise SenMLError(
                f"record {index}: {key!r} has a {type(value).__name__}, not a JSON scalar"
            )
        records.append(renamed)
    return reference_resolve(records, NOW)


CBOR_KEYS = st.sampled_from([-2, -3, -4, -5, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 99, "n", "v", "x"])
CBOR_VALUES = ANY_VALUE | st.binary(max_size=3) | st.just({"m": 1})
CBOR_PACK = st.lists(st.dictionaries(CBOR_KEYS, CBOR_VALUES, max_size=5), max_size=4)
ARRIVAL = datetime.fromtimestamp(NOW, UTC)


@settings(max_examples=400, deadline=None)
@given(pack=CBOR_PACK)
def test_cbor_decoding_agrees_with_the_reference(pack: list[dict[Any, Any]]) -> None:
    payload = cbor2.dumps(pack)
    try:
        expected: Any = ("records", reference_cbor(payload))
    except SenMLError as err:
        expected = ("error", f"not valid SenML: {err}")
    try:
        got: Any = ("records", decode_payload(PayloadFormat.SENML_CBOR, payload, ARRIVAL, Limits()))
    except DecodeError as err:
        got = ("error", err.reason)
    assert _same(got, expected), pack


@pytest.mark.parametrize(
    "pack",
    [
        [{"bn": "a:", "n": "x", "v": 1, "ut": 5, "l": "q", "foo": [1]}],
        [{"bn": "a:", "bv": 1}, {"n": "x"}, {"n": "y", "vs": "t"}],
        [{"bs": 2}, {"n": "x"}],
        [{"bn": "h:", "bt": 1.7e9, "bu": "W"}],
        [{"n": "x", "v": 1, "vb": True}],
    ],
)
def test_chosen_packs_agree(pack: list[dict[str, Any]]) -> None:
    assert _same(_outcome(resolve_pack, pack), _outcome(reference_resolve, pack))
