"""Identifiers the translator mints, and the IRI of every node it names.

Envelope keys are ``<process id>-<counter>``: a ULID drawn once per minter (48-bit start time +
80 random bits, Crockford base32) and a hexadecimal counter. Minting is one ``next()`` and one
string join, unique across threads, processes and restarts (the random part is redrawn in a
forked child). Every other node of a message derives from its envelope key:

    id:envelope/K               the envelope
    id:observation/K-i          the observation made from ``readings[i]``
    id:observation/K-i/result   its qudt:QuantityValue (numbers only)
    id:state/<sha1(thing)>/P    the latest state of property P of a thing
    id:mapping/ID/VERSION       a mapping version
"""

from __future__ import annotations

import hashlib
import itertools
import os
import secrets
import time
import weakref
from typing import Final, Protocol
from urllib.parse import quote

from translator.rdf.namespaces import ID

ENVELOPE_PREFIX: Final = ID + "envelope/"
OBSERVATION_PREFIX: Final = ID + "observation/"
STATE_PREFIX: Final = ID + "state/"
MAPPING_PREFIX: Final = ID + "mapping/"
RESULT_SUFFIX: Final = "/result"

_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid() -> str:
    """A fresh ULID: 26 Crockford base32 characters, time-ordered by millisecond."""
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "".join(reversed(chars))


class Minter(Protocol):
    """Anything that hands out envelope keys never handed out before."""

    def next_key(self) -> str:
        """A fresh key."""
        ...


class IdMinter:
    """Mints envelope keys; thread-safe (``itertools.count`` is atomic under the GIL)."""

    def __init__(self) -> None:
        self._reseed()
        ref = weakref.ref(self)

        def reseed_child() -> None:  # a forked child must not repeat its parent's keys
            minter = ref()
            if minter is not None:
                minter._reseed()

        os.register_at_fork(after_in_child=reseed_child)

    def _reseed(self) -> None:
        self._prefix = new_ulid() + "-"
        self._counter = itertools.count()

    def next_key(self) -> str:
        """A key never returned before by any minter."""
        return f"{self._prefix}{next(self._counter):x}"


def envelope_iri(key: str) -> str:
    """IRI of the envelope with this key."""
    return ENVELOPE_PREFIX + key


def envelope_key(iri: str) -> str | None:
    """The key of an envelope IRI, or ``None`` when the IRI is not one of ours."""
    if iri.startswith(ENVELOPE_PREFIX):
        return iri[len(ENVELOPE_PREFIX) :]
    return None


def observation_iri(key: str, index: int) -> str:
    """IRI of the observation made from ``readings[index]`` of envelope ``key``."""
    return f"{OBSERVATION_PREFIX}{key}-{index}"


def result_iri(observation: str) -> str:
    """IRI of the result node of a numeric observation."""
    return observation + RESULT_SUFFIX


def state_iri(thing: str, prop: str) -> str:
    """IRI of the latest-state node of one property of one thing (stable across updates)."""
    digest = hashlib.sha1(thing.encode("utf-8"), usedforsecurity=False).hexdigest()
    return f"{STATE_PREFIX}{digest}/{quote(prop, safe='')}"


def mapping_iri(mapping_id: str, version: str) -> str:
    """IRI of one version of one mapping (both segments percent-encoded)."""
    return f"{MAPPING_PREFIX}{quote(mapping_id, safe='')}/{quote(version, safe='')}"
