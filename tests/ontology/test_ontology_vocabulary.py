"""The vocabulary loader: units, properties, codes, suggestions, compatibility, conversions."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from translator.errors import OntologyError
from translator.ontology.files import ontology_dir
from translator.ontology.model import ValueKind
from translator.ontology.vocabulary import Vocabulary, load_vocabulary

REQUIRED = {
    # name: (kind, canonical unit, minimum, maximum)
    "temperature": (ValueKind.NUMBER, "DEG_C", -273.15, None),
    "relativeHumidity": (ValueKind.NUMBER, "PERCENT_RH", 0.0, 100.0),
    "batteryLevel": (ValueKind.NUMBER, "PERCENT", 0.0, 100.0),
    "power": (ValueKind.NUMBER, "W", None, None),
    "energy": (ValueKind.NUMBER, "KiloW-HR", 0.0, None),
    "voltage": (ValueKind.NUMBER, "V", None, None),
    "current": (ValueKind.NUMBER, "A", None, None),
    "illuminance": (ValueKind.NUMBER, "LUX", 0.0, None),
    "co2": (ValueKind.NUMBER, "PPM", 0.0, None),
    "pressure": (ValueKind.NUMBER, "HectoPA", 0.0, None),
    "onOff": (ValueKind.BOOLEAN, None, None, None),
    "contact": (ValueKind.BOOLEAN, None, None, None),
    "occupancy": (ValueKind.BOOLEAN, None, None, None),
    "latitude": (ValueKind.NUMBER, "DEG", -90.0, 90.0),
    "longitude": (ValueKind.NUMBER, "DEG", -180.0, 180.0),
    "altitude": (ValueKind.NUMBER, "M", None, None),
    "heartRate": (ValueKind.NUMBER, "BEAT-PER-MIN", 0.0, None),
    "oxygenSaturation": (ValueKind.NUMBER, "PERCENT", 0.0, 100.0),
    "linkQuality": (ValueKind.NUMBER, "UNITLESS", 0.0, 255.0),
    "rssi": (ValueKind.NUMBER, "DeciB_M", None, None),
    "soundLevel": (ValueKind.NUMBER, "DeciB", None, None),
    "pm25": (ValueKind.NUMBER, "MicroGM-PER-M3", 0.0, None),
    "frequency": (ValueKind.NUMBER, "HZ", 0.0, None),
    "powerFactor": (ValueKind.NUMBER, "UNITLESS", -1.0, 1.0),
    "speed": (ValueKind.NUMBER, "M-PER-SEC", 0.0, None),
}


def test_loads(vocabulary: Vocabulary) -> None:
    assert len(vocabulary.units) > 300
    assert len(vocabulary.properties) >= len(REQUIRED)


def test_every_applicable_unit_converts_to_the_canonical_unit(vocabulary: Vocabulary) -> None:
    for prop, units in vocabulary.applicable.items():
        canonical = vocabulary.property(prop).canonical_unit
        assert canonical is not None
        for unit in units:
            a, _ = vocabulary.linear(unit, canonical)
            assert a > 0, (prop, unit)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_required_property(vocabulary: Vocabulary, name: str) -> None:
    kind, unit, minimum, maximum = REQUIRED[name]
    prop = vocabulary.property(name)
    assert prop.iri == f"https://w3id.org/semantic-translator/property/{name}"
    assert (prop.kind, prop.canonical_unit, prop.minimum, prop.maximum) == (
        kind,
        unit,
        minimum,
        maximum,
    )
    assert prop.label


def test_every_number_has_a_known_canonical_unit_compatible_with_it(
    vocabulary: Vocabulary,
) -> None:
    for prop in vocabulary.properties.values():
        if prop.kind is not ValueKind.NUMBER:
            assert prop.canonical_unit is None
            assert vocabulary.applicable_units(prop.name) == frozenset()
            continue
        assert prop.canonical_unit is not None
        assert prop.canonical_unit in vocabulary.units
        assert vocabulary.compatible(prop.canonical_unit, prop.name)


def test_canonical_units_carry_the_property_kind_in_qudt(vocabulary: Vocabulary) -> None:
    """The unit's QUDT kinds hold the property's kind or one it specializes (rssi aside)."""
    for prop in vocabulary.properties.values():
        if prop.canonical_unit is None or prop.name == "rssi":
            continue
        assert prop.quantity_kind is not None
        unit_kinds = vocabulary.unit(prop.canonical_unit).quantity_kinds
        assert unit_kinds & vocabulary.kinds[prop.quantity_kind], prop.name


def test_unknown_names_raise_key_error_naming_them(vocabulary: Vocabulary) -> None:
    with pytest.raises(KeyError, match="NOT_A_UNIT"):
        vocabulary.unit("NOT_A_UNIT")
    with pytest.raises(KeyError, match="notAProperty"):
        vocabulary.property("notAProperty")


def test_units_carry_qudt_facts(vocabulary: Vocabulary) -> None:
    fahrenheit = vocabulary.unit("DEG_F")
    assert fahrenheit.iri == "http://qudt.org/vocab/unit/DEG_F"
    assert fahrenheit.symbol == "°F"
    assert fahrenheit.offset == pytest.approx(459.67)
    assert fahrenheit.multiplier == pytest.approx(5 / 9)
    assert "Temperature" in fahrenheit.quantity_kinds
    assert "[degF]" in fahrenheit.ucum


@pytest.mark.parametrize(
    ("unit", "prop"),
    [
        ("DEG_F", "temperature"),
        ("K", "temperature"),
        ("MilliW", "power"),
        ("KiloW", "power"),
        ("J", "energy"),
        ("W-HR", "energy"),
        ("MilliV", "voltage"),
        ("MilliA", "current"),
        ("HectoPA", "pressure"),
        ("PA", "pressure"),
        ("MilliBAR", "pressure"),
        ("PERCENT", "relativeHumidity"),
        ("KiloM-PER-HR", "speed"),
        ("RAD", "latitude"),
        ("FT", "altitude"),
        ("PPB", "co2"),
    ],
)
def test_compatible(vocabulary: Vocabulary, unit: str, prop: str) -> None:
    assert vocabulary.compatible(unit, prop)


@pytest.mark.parametrize(
    ("unit", "prop"),
    [("W", "temperature"), ("DEG_C", "power"), ("M", "pressure"), ("V", "rssi"), ("W", "onOff")],
)
def test_incompatible(vocabulary: Vocabulary, unit: str, prop: str) -> None:
    assert not vocabulary.compatible(unit, prop)


@pytest.mark.parametrize(
    ("code", "system", "unit"),
    [
        ("Cel", "senml", "DEG_C"),
        ("%RH", "senml", "PERCENT_RH"),
        ("%", "senml", "PERCENT"),
        ("W", "senml", "W"),
        ("kWh", "senml", "KiloW-HR"),
        ("Wh", "senml", "W-HR"),
        ("lx", "senml", "LUX"),
        ("ppm", "senml", "PPM"),
        ("hPa", "senml", "HectoPA"),
        ("Pa", "senml", "PA"),
        ("lat", "senml", "DEG"),
        ("lon", "senml", "DEG"),
        ("beat/min", "senml", "BEAT-PER-MIN"),
        ("dBm", "senml", "DeciB_M"),
        ("mV", "senml", "MilliV"),
        ("Cel", "ucum", "DEG_C"),
        ("[degF]", "ucum", "DEG_F"),
        ("kW.h", "ucum", "KiloW-HR"),
        ("hPa", "ucum", "HectoPA"),
    ],
)
def test_unit_for_code(vocabulary: Vocabulary, code: str, system: str, unit: str) -> None:
    found = vocabulary.unit_for_code(code, system)  # type: ignore[arg-type]
    assert found is not None
    assert found.name == unit


def test_unit_codes_are_case_sensitive(vocabulary: Vocabulary) -> None:
    assert vocabulary.unit_for_code("cel", "senml") is None
    assert vocabulary.unit_for_code("Cel", "ucum") is not None
    assert vocabulary.unit_for_code("no-such-code", "ucum") is None


def test_every_senml_unit_of_a_property_is_applicable(vocabulary: Vocabulary) -> None:
    cel = vocabulary.unit_for_code("Cel", "senml")
    assert cel is not None
    assert vocabulary.compatible(cel.name, "temperature")


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("DEG_C", "DEG_C"),
        ("deg_c", "DEG_C"),
        ("Celsius", "DEG_C"),
        ("degC", "DEG_C"),
        ("°C", "DEG_C"),
        ("°F", "DEG_F"),
        ("Fahrenheit", "DEG_F"),
        ("kwh", "KiloW-HR"),
        ("kWh", "KiloW-HR"),
        ("watt", "W"),
        ("mW", "MilliW"),
        ("hPa", "HectoPA"),
        ("mbar", "MilliBAR"),
        ("%", "PERCENT"),
        ("lux", "LUX"),
        ("ppm", "PPM"),
        ("mV", "MilliV"),
        ("km/h", "KiloM-PER-HR"),
        ("kelvin", "K"),
    ],
)
def test_suggest_unit(vocabulary: Vocabulary, name: str, unit: str) -> None:
    assert vocabulary.suggest_unit(name) == unit


@pytest.mark.parametrize(
    ("name", "prop"),
    [
        ("temperature", "temperature"),
        ("temp", "temperature"),
        ("Temperatur", "temperature"),
        ("humidity", "relativeHumidity"),
        ("Relative humidity", "relativeHumidity"),
        ("battery", "batteryLevel"),
        ("linkquality", "linkQuality"),
        ("state", "onOff"),
        ("lux", "illuminance"),
        ("heart rate", "heartRate"),
    ],
)
def test_suggest_property(vocabulary: Vocabulary, name: str, prop: str) -> None:
    assert vocabulary.suggest_property(name) == prop


def test_nothing_close_suggests_nothing(vocabulary: Vocabulary) -> None:
    assert vocabulary.suggest_unit("xyzzy-quux") is None
    assert vocabulary.suggest_property("xyzzy-quux") is None
    assert vocabulary.suggest_unit("") is None


def convert(vocabulary: Vocabulary, value: float, source: str, target: str) -> float:
    a, b = vocabulary.linear(source, target)
    return a * value + b


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (212.0, "DEG_F", "DEG_C", 100.0),
        (32.0, "DEG_F", "DEG_C", 0.0),
        (0.0, "DEG_C", "K", 273.15),
        (-40.0, "DEG_C", "DEG_F", -40.0),
        (1500.0, "MilliW", "W", 1.5),
        (2.0, "KiloW", "W", 2000.0),
        (1.0, "KiloW-HR", "J", 3.6e6),
        (3.6e6, "J", "KiloW-HR", 1.0),
        (1500.0, "W-HR", "KiloW-HR", 1.5),
        (1013.25, "HectoPA", "PA", 101325.0),
        (1013.25, "MilliBAR", "HectoPA", 1013.25),
        (3300.0, "MilliV", "V", 3.3),
        (36.0, "KiloM-PER-HR", "M-PER-SEC", 10.0),
        (0.5, "FRACTION", "PERCENT", 50.0),
        (math.pi, "RAD", "DEG", 180.0),
    ],
)
def test_linear(
    vocabulary: Vocabulary, value: float, source: str, target: str, expected: float
) -> None:
    assert convert(vocabulary, value, source, target) == pytest.approx(expected, abs=1e-9)


def test_same_unit_is_identity(vocabulary: Vocabulary) -> None:
    assert vocabulary.linear("DeciB", "DeciB") == (1.0, 0.0)


@pytest.mark.parametrize(
    ("source", "target"),
    [("W", "DEG_C"), ("M", "SEC"), ("DeciB", "UNITLESS"), ("DeciB_M", "MilliW")],
)
def test_incompatible_units_do_not_convert(
    vocabulary: Vocabulary, source: str, target: str
) -> None:
    with pytest.raises(ValueError, match=source):
        vocabulary.linear(source, target)


def test_unknown_unit_does_not_convert(vocabulary: Vocabulary) -> None:
    with pytest.raises(KeyError, match="NOPE"):
        vocabulary.linear("NOPE", "W")


# Module level, not a fixture: hypothesis needs the pairs when the test is collected.
VOCABULARY = load_vocabulary()
PAIRS = sorted(
    (unit, canonical)
    for prop, units in VOCABULARY.applicable.items()
    if (canonical := VOCABULARY.property(prop).canonical_unit) is not None
    for unit in units
    if unit != canonical
)


@given(
    pair=st.sampled_from(PAIRS),
    value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)
def test_conversion_round_trips(pair: tuple[str, str], value: float) -> None:
    source, target = pair
    there = convert(VOCABULARY, value, source, target)
    back = convert(VOCABULARY, there, target, source)
    assert back == pytest.approx(value, rel=1e-9, abs=1e-6)


def test_missing_directory_raises_ontology_error(tmp_path: Path) -> None:
    with pytest.raises(OntologyError, match=r"units\.ttl"):
        load_vocabulary(tmp_path)


def test_property_naming_unknown_unit_is_rejected(tmp_path: Path) -> None:
    for name in ("units.ttl", "quantitykinds.ttl"):
        (tmp_path / name).write_bytes((ontology_dir() / name).read_bytes())
    (tmp_path / "properties.ttl").write_text(
        "@prefix tr: <https://w3id.org/semantic-translator/ns#> .\n"
        "@prefix unit: <http://qudt.org/vocab/unit/> .\n"
        '<https://w3id.org/semantic-translator/property/x> tr:valueKind "number" ;\n'
        "    tr:canonicalUnit unit:NOT_SHIPPED .\n",
        encoding="utf-8",
    )
    with pytest.raises(OntologyError, match="NOT_SHIPPED"):
        load_vocabulary(tmp_path)


def test_vocabulary_is_frozen(vocabulary: Vocabulary) -> None:
    with pytest.raises(AttributeError):
        vocabulary.units = {}  # type: ignore[misc]
    with pytest.raises(TypeError):
        vocabulary.units["X"] = vocabulary.unit("W")  # type: ignore[index]
