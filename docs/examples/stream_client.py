"""A minimal engine client of the translator: the live stream, and a command with its status.

What a Unity, Unreal or Godot integration does, in plain Python (``websockets`` only):

1. connect to the WebSocket ``/stream`` and subscribe (optionally to some things);
2. take the snapshot (the latest value of every thing and property), then live readings;
3. send a command (a plug's ``setOnOff``) and follow its status until it is final
   (``confirmed``, ``failed`` or ``timed-out``).

Run it against ``translator demo`` (docs/engines.md)::

    python docs/examples/stream_client.py --readings 5 \\
        --command urn:dev:zigbee2mqtt:kitchen_plug setOnOff false
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.parse
import urllib.request
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

FINAL = {"confirmed", "failed", "timed-out"}


async def main(args: argparse.Namespace) -> int:
    """Stream, then (with ``--command``) command; exit 0 when all went as asked."""
    url = args.url + (
        "?" + urllib.parse.urlencode({"access_token": args.token}) if args.token else ""
    )
    async with connect(url, max_size=2**24) as socket:
        request: dict[str, Any] = {"type": "subscribe"}
        if args.thing:
            request["things"] = args.thing
        await socket.send(json.dumps(request))
        await take_snapshot(socket)
        await take_readings(socket, args.readings)
        if args.command:
            thing, name, value = args.command
            status = await command(socket, thing, name, json.loads(value), args)
            return 0 if status == "confirmed" else 1
    return 0


async def take_snapshot(socket: ClientConnection) -> None:
    """Read snapshot frames until the last one (``complete``)."""
    count = 0
    while True:
        frame = json.loads(await socket.recv())
        if frame["type"] == "snapshot":
            count += len(frame["readings"])
            if frame.get("complete", True):
                print(f"snapshot: {count} latest values")
                return


async def take_readings(socket: ClientConnection, wanted: int) -> None:
    """Print ``wanted`` live readings."""
    seen = 0
    while seen < wanted:
        frame = json.loads(await socket.recv())
        readings = [frame["reading"]] if frame["type"] == "reading" else frame.get("readings", [])
        for reading in readings if frame["type"] in ("reading", "readings") else []:
            unit = reading.get("unit") or ""
            print(f"reading: {reading['thing']} {reading['property']} = {reading['value']} {unit}")
            seen += 1


async def command(
    socket: ClientConnection, thing: str, name: str, value: Any, args: argparse.Namespace
) -> str:
    """Send one command; print its status changes until a final one; return that status."""
    await socket.send(json.dumps({"type": "command", "thing": thing, "name": name,
                                  "value": value, "id": "client-1"}))  # fmt: skip
    status, record = "requested", None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + args.timeout
    news = loop.time()  # when the status last changed
    while status not in FINAL and loop.time() < deadline:
        try:
            frame = json.loads(await asyncio.wait_for(socket.recv(), 0.5))
        except TimeoutError:
            frame = {}
        if frame.get("type") == "error" and frame.get("id") == "client-1":
            print(f"command refused: {frame['reason']}")
            return "failed"
        if frame.get("type") == "command-status" and frame.get("id") == "client-1":
            status, record, news = frame["status"], frame["command"], loop.time()
            print(f"command {name}: {status}")
        elif record is not None and loop.time() - news > 1.0:
            # no status news for a second: read the command's record over HTTP
            latest = await asyncio.to_thread(read_record, args.url, thing, record["id"], args.token)
            news = loop.time()
            if latest["status"] != status:
                status = latest["status"]
                print(f"command {name}: {status}")
    return status


def read_record(stream_url: str, thing: str, command_id: str, token: str | None) -> Any:
    """``GET /things/{thing}/commands/{id}``: the command's record, as JSON."""
    http = urllib.parse.urlsplit(stream_url)._replace(
        scheme="https" if stream_url.startswith("wss") else "http",
        path="/things/" + urllib.parse.quote(thing, safe="") + "/commands/"
        + urllib.parse.quote(command_id, safe=""),
        query="",
    )  # fmt: skip
    request = urllib.request.Request(urllib.parse.urlunsplit(http))  # noqa: S310 (http(s) only)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.load(response)


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="ws://127.0.0.1:8000/stream", help="the stream")
    parser.add_argument("--token", help="a token with the stream (and actuate) scope")
    parser.add_argument("--thing", action="append", help="only this thing (repeatable)")
    parser.add_argument("--readings", type=int, default=5, help="live readings to print")
    parser.add_argument(
        "--command", nargs=3, metavar=("THING", "NAME", "JSON_VALUE"), help="send a command"
    )
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for it")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(arguments())))
