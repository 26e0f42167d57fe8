"""The compiler pass for ``readings``: one ``ReadingPlan`` per entry.

Checks what makes a reading meaningful — a known property, a unit that measures it (with a
conversion pre-reduced to ``(a, b)``), paths relative only inside ``foreach``, transforms
that parse, and every variable the thing IRI needs available to this reading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from translator.mapping.checks import compile_path_at, compile_time_at, regex_at, require_variables
from translator.mapping.plan import (
    Conversion,
    PropertyPlan,
    ReadingPlan,
    ThingPlan,
    TimePlan,
    UnitPlan,
    WherePlan,
)
from translator.mapping.quantities import (
    UnitProblem,
    check_unit_for,
    conversion_for,
    unknown_property,
    unknown_unit,
)
from translator.mapping.templates import Template, TemplateSyntaxError, parse_template
from translator.mapping.transforms import TransformSpecError, compile_transforms
from translator.mapping.vocabulary import Vocabulary
from translator.mapping.yamlsource import SourceDocument, YamlPath
from translator.ontology.model import PropertyDef, ValueKind

__all__ = ["compile_readings"]


def compile_readings(
    doc: SourceDocument,
    specs: Sequence[Mapping[str, Any]],
    vocabulary: Vocabulary,
    variables: frozenset[str],
    thing: ThingPlan,
    default_time: TimePlan | None,
) -> tuple[tuple[ReadingPlan, ...], frozenset[str]]:
    """Compile every reading; also return the variables ``where`` groups add.

    Raises:
        MappingError: the first problem, at its line.
    """
    if thing.per_item and not specs:
        require_variables(doc, ("thing", "iri"), thing.iri.variables, variables, "thing.iri")
    plans = []
    added: set[str] = set()
    for index, spec in enumerate(specs):
        path: YamlPath = ("readings", index)
        plan, groups = _reading(doc, path, index, spec, vocabulary, variables, default_time)
        available = variables | groups
        what = f"thing.iri (needed by readings[{index}])"
        require_variables(doc, path, thing.iri.variables, available, what)
        if thing.label is not None:
            what = f"thing.label (needed by readings[{index}])"
            require_variables(doc, path, thing.label.variables, available, what)
        plans.append(plan)
        added |= groups
    return tuple(plans), frozenset(added)


def _reading(
    doc: SourceDocument,
    path: YamlPath,
    index: int,
    spec: Mapping[str, Any],
    vocabulary: Vocabulary,
    variables: frozenset[str],
    default_time: TimePlan | None,
) -> tuple[ReadingPlan, frozenset[str]]:
    foreach = where = None
    groups: frozenset[str] = frozenset()
    if "foreach" in spec:
        foreach = compile_path_at(doc, (*path, "foreach"), spec["foreach"])
    if "where" in spec:
        if foreach is None:
            raise doc.error((*path, "where"), "'where' filters foreach items; add a 'foreach'")
        where = _where(doc, (*path, "where"), spec["where"], variables)
        groups = frozenset(where.regex.groupindex)
    relative = foreach is not None
    available = variables | groups
    prop = _property(doc, (*path, "property"), spec["property"], vocabulary, available, relative)
    unit = _unit(doc, (*path, "unit"), spec.get("unit"), vocabulary, available, relative)
    conversion = _conversion(doc, path, prop, unit, vocabulary)
    try:
        transforms = compile_transforms(spec.get("transform", []))
    except TransformSpecError as err:
        step: YamlPath = (*path, "transform", err.index)
        raise doc.error((*step, err.key) if err.key else step, str(err)) from err
    time = default_time
    if "time" in spec:
        time = compile_time_at(doc, (*path, "time"), spec["time"], relative=relative)
    if time is not None and time.path is None:
        time = None  # "arrival"
    plan = ReadingPlan(
        index=index,
        line=doc.line(path),
        property=prop,
        value=compile_path_at(doc, (*path, "value"), spec["value"], relative=relative),
        transforms=transforms,
        unit=unit,
        conversion=conversion,
        time=time,
        optional=bool(spec.get("optional", False)),
        foreach=foreach,
        where=where,
    )
    return plan, groups


def _where(
    doc: SourceDocument, path: YamlPath, spec: Mapping[str, Any], variables: frozenset[str]
) -> WherePlan:
    regex = regex_at(doc, (*path, "regex"), spec["regex"])
    for name in regex.groupindex:
        if name in variables:
            raise doc.error(
                (*path, "regex"), f"group {name!r} would overwrite the variable {{{name}}}"
            )
    return WherePlan(compile_path_at(doc, (*path, "path"), spec["path"], relative=True), regex)


def _template_at(
    doc: SourceDocument, path: YamlPath, text: str, available: frozenset[str]
) -> Template:
    try:
        template = parse_template(text)
    except TemplateSyntaxError as err:
        raise doc.error(path, str(err)) from err
    require_variables(doc, path, template.variables, available, f"template {text!r}")
    return template


def _property(
    doc: SourceDocument,
    path: YamlPath,
    spec: Any,
    vocabulary: Vocabulary,
    available: frozenset[str],
    relative: bool,
) -> PropertyPlan:
    if isinstance(spec, str):
        found = vocabulary.properties.get(spec)
        if found is None:
            raise doc.error(path, unknown_property(spec, vocabulary))
        return PropertyPlan(found)
    _one_source(doc, path, spec)
    names = dict(spec.get("map", {}))
    for vendor, ours in names.items():
        if ours not in vocabulary.properties:
            raise doc.error((*path, "map", vendor), unknown_property(ours, vocabulary))
    if "template" in spec:
        template = _template_at(doc, (*path, "template"), spec["template"], available)
        return PropertyPlan(None, template=template, names=names)
    query = compile_path_at(doc, (*path, "path"), spec["path"], relative=relative)
    return PropertyPlan(None, path=query, names=names)


def _unit(
    doc: SourceDocument,
    path: YamlPath,
    spec: Any,
    vocabulary: Vocabulary,
    available: frozenset[str],
    relative: bool,
) -> UnitPlan | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec not in vocabulary.units:
            raise doc.error(path, unknown_unit(spec, vocabulary))
        return UnitPlan(spec)
    _one_source(doc, path, spec)
    names = dict(spec.get("map", {}))
    for vendor, ours in names.items():
        if ours not in vocabulary.units:
            raise doc.error((*path, "map", vendor), unknown_unit(ours, vocabulary))
    default = spec.get("default")
    if default is not None and default not in vocabulary.units:
        raise doc.error((*path, "default"), unknown_unit(default, vocabulary))
    codes = spec.get("codes")
    if "template" in spec:
        template = _template_at(doc, (*path, "template"), spec["template"], available)
        return UnitPlan(None, template=template, codes=codes, names=names, default=default)
    query = compile_path_at(doc, (*path, "path"), spec["path"], relative=relative)
    return UnitPlan(None, path=query, codes=codes, names=names, default=default)


def _one_source(doc: SourceDocument, path: YamlPath, spec: Mapping[str, Any]) -> None:
    if ("template" in spec) == ("path" in spec):
        raise doc.error(path, "give exactly one of 'path' or 'template'")


def _conversion(
    doc: SourceDocument,
    path: YamlPath,
    prop: PropertyPlan,
    unit: UnitPlan | None,
    vocabulary: Vocabulary,
) -> Conversion | None:
    """Pre-reduce the conversion when property and unit are fixed; check what can be."""
    fixed = prop.fixed
    if fixed is None:
        return None
    where: YamlPath = (*path, "unit")
    if fixed.kind is not ValueKind.NUMBER:
        if unit is not None:
            raise doc.error(where, f"property {fixed.name} is {fixed.kind.value}; it takes no unit")
        return None
    try:
        if unit is None or unit.fixed is not None:
            return conversion_for(unit.fixed if unit else None, fixed, vocabulary)
        _check_candidates(doc, where, unit, fixed, vocabulary)
    except UnitProblem as err:
        raise doc.error(where, str(err)) from err
    return None


def _check_candidates(
    doc: SourceDocument, where: YamlPath, unit: UnitPlan, prop: PropertyDef, vocabulary: Vocabulary
) -> None:
    """Units a dynamic unit can map to (``map``, ``default``) must fit the property."""
    for vendor, ours in unit.names.items():
        try:
            check_unit_for(ours, prop, vocabulary)
        except UnitProblem as err:
            raise doc.error((*where, "map", vendor), str(err)) from err
    if unit.default is not None:
        try:
            check_unit_for(unit.default, prop, vocabulary)
        except UnitProblem as err:
            raise doc.error((*where, "default"), str(err)) from err
