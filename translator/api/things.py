"""``/things``: the things the twin knows, their Thing Descriptions, state and commands.

A thing is named in the path by its IRI, percent-encoded as one segment
(``/things/urn%3Adev%3Azigbee2mqtt%3Akitchen_plug``; the unencoded form works too, as long
as the IRI has no ``?`` or ``#``). Routes, with the scope each needs:

| route | scope | answer |
| --- | --- | --- |
| ``GET /things?type=&area=&mapping=&q=&limit=&offset=`` | read | a page of things (``href``) |
| ``GET /things/{id}`` | read | its W3C WoT Thing Description (``application/td+json``) |
| ``GET /things/{id}/state`` | read | latest value, unit and time of each property |
| ``GET /things/{id}/state/{property}`` | read | the latest value alone (a TD ``readproperty``) |
| ``POST /things/{id}/commands/{name}`` ``{"value": …}`` | actuate | 202 + the command record |
| ``GET /things/{id}/commands`` | read | the thing's recent command records, newest first |
| ``GET /things/{id}/commands/{command_id}`` | read | one command record (status, times, reason) |

Errors: an unknown thing, property, command name or command id is 404; a value the
command's schema refuses (or variables that cannot fill its channel) is 422, and nothing
is sent; commands without a running command service are 503.
"""

from __future__ import annotations

from typing import Annotated, Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from translator.api.auth import authenticator_of, require
from translator.errors import CommandError, CommandNotFound
from translator.mapping.mappingset import MappingSet
from translator.rdf.things import expand_curie
from translator.twin.commands import CommandService
from translator.twin.descriptions import TD_MEDIA_TYPE, ThingDescriber
from translator.twin.state import StateEntry
from translator.twin.store import TwinStore
from translator.twin.things import ThingDirectory, describing_plans
from translator.values import ThingInfo

MAX_PAGE: Final = 500
_READ: Final = [Depends(require("read"))]
_ACTUATE: Final = [Depends(require("actuate"))]


class CommandBody(BaseModel):
    """The body of ``POST /things/{id}/commands/{name}``."""

    model_config = ConfigDict(extra="forbid")

    value: Any


def thing_href(iri: str) -> str:
    """``/things/<the IRI as one percent-encoded path segment>``."""
    return "/things/" + quote(iri, safe="")


def things_router(
    directory: ThingDirectory,
    store: TwinStore,
    mappings: MappingSet,
    describer: ThingDescriber,
    commands: CommandService | None = None,
) -> APIRouter:
    """The ``/things`` routes over the running service's parts."""
    router = APIRouter(prefix="/things", tags=["things"])
    _add_list(router, directory, mappings)
    _add_commands(router, commands)  # before the TD route: "{thing_id:path}" matches all
    _add_reads(router, directory, store, mappings, describer)
    return router


def _add_list(router: APIRouter, directory: ThingDirectory, mappings: MappingSet) -> None:

    @router.get("", summary="List things", dependencies=_READ)
    async def list_things(
        type: Annotated[str | None, Query(description="saref:Switch or a full IRI")] = None,
        area: Annotated[str | None, Query(description="placement area")] = None,
        mapping: Annotated[str | None, Query(description="registering mapping id")] = None,
        q: Annotated[str | None, Query(description="text in the IRI or label")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        kind = None if type is None else expand_curie(type)
        text = None if q is None else q.casefold()
        found = [
            info
            for info in directory
            if (kind is None or (info.type is not None and expand_curie(info.type) == kind))
            and (area is None or (info.placement is not None and info.placement.area == area))
            and (mapping is None or info.mapping_id == mapping)
            and (text is None or text in info.iri.casefold() or text in _label(info))
        ]
        page = found[offset : offset + limit]
        return {
            "total": len(found),
            "limit": limit,
            "offset": offset,
            "items": [_summary(info, mappings) for info in page],
        }


def _add_reads(
    router: APIRouter,
    directory: ThingDirectory,
    store: TwinStore,
    mappings: MappingSet,
    describer: ThingDescriber,
) -> None:
    @router.get("/{thing_id:path}/state/{property}", summary="Latest value", dependencies=_READ)
    async def read_property(thing_id: str, property: str) -> Response:
        _known(directory, store, thing_id)
        for entry in store.latest(thing_id):
            if entry.property == property:
                return JSONResponse(entry.value)
        raise HTTPException(404, f"thing {thing_id} has not reported {property!r}")

    @router.get("/{thing_id:path}/state", summary="Latest state", dependencies=_READ)
    async def read_state(thing_id: str) -> dict[str, Any]:
        _known(directory, store, thing_id)
        entries = store.latest(thing_id)
        return {
            "thing": thing_id,
            "href": thing_href(thing_id),
            "properties": {entry.property: _state(entry) for entry in entries},
        }

    @router.get(
        "/{thing_id:path}",
        summary="Thing Description (W3C WoT TD 1.1)",
        response_class=JSONResponse,
        dependencies=_READ,
    )
    async def describe(thing_id: str, request: Request) -> Response:
        info = _known(directory, store, thing_id)
        td = describer.describe(
            info,
            describing_plans(mappings.mappings, info),
            base=str(request.base_url),
            secured=authenticator_of(request).enabled,
            observed=[entry.property for entry in store.latest(thing_id)],
        )
        return JSONResponse(td, media_type=TD_MEDIA_TYPE)


def _add_commands(router: APIRouter, commands: CommandService | None) -> None:
    @router.post(
        "/{thing_id:path}/commands/{name}",
        summary="Send a command",
        status_code=202,
        dependencies=_ACTUATE,
    )
    async def send_command(thing_id: str, name: str, body: CommandBody) -> Response:
        service = _service(commands)
        try:
            record = await service.submit(thing_id, name, body.value)
        except CommandNotFound as err:
            raise HTTPException(404, str(err)) from err
        except CommandError as err:
            raise HTTPException(422, str(err)) from err
        location = f"{thing_href(thing_id)}/commands/{quote(record.id, safe='')}"
        return JSONResponse(record.as_dict(), 202, headers={"Location": location})

    @router.get("/{thing_id:path}/commands", summary="Recent commands", dependencies=_READ)
    async def list_commands(thing_id: str) -> dict[str, Any]:
        service = _service(commands)
        return {"items": [record.as_dict() for record in service.records(thing_id)]}

    @router.get("/{thing_id:path}/commands/{command_id}", summary="A command", dependencies=_READ)
    async def read_command(thing_id: str, command_id: str) -> dict[str, Any]:
        record = _service(commands).get(command_id)
        if record is None or record.thing != thing_id:
            raise HTTPException(404, f"no command {command_id!r} of {thing_id} in the history")
        return record.as_dict()


def _known(directory: ThingDirectory, store: TwinStore, iri: str) -> ThingInfo:
    info = directory.get(iri)
    if info is not None:
        return info
    if store.latest(iri):  # state without a description (e.g. a failed type): still a thing
        return ThingInfo(iri=iri, mapping_id="")
    raise HTTPException(404, f"no thing {iri!r} is known")


def _service(commands: CommandService | None) -> CommandService:
    if commands is None:
        raise HTTPException(503, "commands are not available: no command service runs")
    return commands


def _label(info: ThingInfo) -> str:
    return (info.label or "").casefold()


def _summary(info: ThingInfo, mappings: MappingSet) -> dict[str, Any]:
    placement = info.placement
    plans = describing_plans(mappings.mappings, info)
    return {
        "id": info.iri,
        "href": thing_href(info.iri),
        "title": info.label or info.iri,
        "type": info.type,
        "area": placement.area if placement is not None else None,
        "position": list(placement.position) if placement and placement.position else None,
        "mapping": info.mapping_id or None,
        "variables": dict(info.variables),
        "commands": sorted({name for plan in plans for name in plan.commands}),
    }


def _state(entry: StateEntry) -> dict[str, Any]:
    return {
        "value": entry.value,
        "unit": entry.unit,
        "time": entry.time.isoformat().replace("+00:00", "Z"),
        "observation": entry.observation,
    }
