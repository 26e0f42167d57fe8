"""Channel patterns: matching, captures, MQTT topic filters, and the index's ranking."""

from __future__ import annotations

import pytest

from translator.mapping.channels import (
    ChannelIndex,
    ChannelSyntaxError,
    covering_filters,
    parse_channel,
)
from translator.values import Protocol

MQTT = Protocol.MQTT


@pytest.mark.parametrize(
    ("pattern", "channel", "captured"),
    [
        ("zigbee2mqtt/{device}", "zigbee2mqtt/kitchen", {"device": "kitchen"}),
        ("zigbee2mqtt/{device}", "zigbee2mqtt/a/b", None),
        ("zigbee2mqtt/{device}", "zigbee2mqtt/", None),
        ("zigbee2mqtt/bridge/state", "zigbee2mqtt/bridge/state", {}),
        ("tele/{device}/SENSOR", "tele/plug-1/SENSOR", {"device": "plug-1"}),
        ("tele/{device}/SENSOR", "tele/plug-1/STATE", None),
        ("shellies/shelly-{id}/relay/0", "shellies/shelly-abc/relay/0", {"id": "abc"}),
        ("shellies/shelly-{id}/relay/0", "shellies/other-abc/relay/0", None),
        ("a/{rest+}", "a/b/c/d", {"rest": "b/c/d"}),
        ("a/{rest+}", "a", None),
        ("+/b/#", "x/b/c/d", {}),
        ("{device}/events/rpc", "$SYS/events/rpc", None),
        ("{device}/events/rpc", "shelly1/events/rpc", {"device": "shelly1"}),
        ("a.b/(x)/{v}", "a.b/(x)/1", {"v": "1"}),  # regex characters are literal
        ("a.b/(x)/{v}", "aXb/(x)/1", None),
    ],
)
def test_match(pattern: str, channel: str, captured: dict[str, str] | None) -> None:
    assert parse_channel(pattern, MQTT).match(channel) == captured


@pytest.mark.parametrize(
    ("pattern", "topic_filter"),
    [
        ("zigbee2mqtt/{device}", "zigbee2mqtt/+"),
        ("zigbee2mqtt/bridge/state", "zigbee2mqtt/bridge/state"),
        ("homeassistant/{component}/{node}/{object}/config", "homeassistant/+/+/+/config"),
        ("a/{rest+}", "a/#"),
        ("shellies/shelly-{id}/relay/0", "shellies/+/relay/0"),
        ("+/b/#", "+/b/#"),
    ],
)
def test_topic_filter(pattern: str, topic_filter: str) -> None:
    assert parse_channel(pattern, MQTT).topic_filter == topic_filter


def test_coap_and_http_paths_drop_the_leading_slash() -> None:
    pattern = parse_channel("/senml/{device}", Protocol.COAP)
    assert pattern.text == "senml/{device}"
    assert pattern.match("senml/x") == {"device": "x"}
    # '+' is an ordinary character outside MQTT
    assert parse_channel("a+b/{x}", Protocol.HTTP).match("a+b/1") == {"x": "1"}


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("a/{x+}/b", "rest wildcard must be the last level"),
        ("a/#/b", "rest wildcard must be the last level"),
        ("a/{x}/{x}", "appears twice"),
        ("a/b+", "must stand alone"),
        ("a/{x", "must be literal text or hold one"),
        ("a/{x}{y}", "must be literal text or hold one"),
        ("a/{1x}", "must be literal text or hold one"),
        ("a/p{x+}", "must be the whole level"),
        ("", "empty"),
    ],
)
def test_bad_patterns(pattern: str, message: str) -> None:
    with pytest.raises(ChannelSyntaxError, match=message):
        parse_channel(pattern, MQTT)


def test_specificity_orders_literal_over_wildcard() -> None:
    exact = parse_channel("zigbee2mqtt/bridge/state", MQTT).specificity
    one = parse_channel("zigbee2mqtt/{device}/state", MQTT).specificity
    rest = parse_channel("zigbee2mqtt/{rest+}", MQTT).specificity
    assert exact > one > rest


def test_index_returns_every_match_in_rank_order() -> None:
    entries = [
        (parse_channel("zigbee2mqtt/{device}/state", MQTT), "second"),
        (parse_channel("{a}/{b}/{c}", MQTT), "third"),
        (parse_channel("zigbee2mqtt/{rest+}", MQTT), "fourth"),
        (parse_channel("zigbee2mqtt/bridge/state", MQTT), "first-but-listed-late"),
    ]
    # ranks are the positions given; the literal one was given last, so it ranks last
    index = ChannelIndex(entries)
    found = index.match(MQTT, "zigbee2mqtt/bridge/state")
    assert [target for target, _ in found] == [
        "second",
        "third",
        "fourth",
        "first-but-listed-late",
    ]
    assert found[0][1] == {"device": "bridge"}
    assert found[2][1] == {"rest": "bridge/state"}
    assert index.match(Protocol.COAP, "zigbee2mqtt/bridge/state") == ()
    assert index.match(MQTT, "$SYS/broker/load") == ()


def test_index_shares_one_regex_run_between_mappings_of_one_pattern() -> None:
    pattern = "zigbee2mqtt/{device}"
    index = ChannelIndex([(parse_channel(pattern, MQTT), n) for n in ("a", "b", "c")])
    found = index.match(MQTT, "zigbee2mqtt/x")
    assert [target for target, _ in found] == ["a", "b", "c"]
    assert all(captured == {"device": "x"} for _, captured in found)


@pytest.mark.parametrize(
    ("filters", "covering"),
    [
        (["a/+", "a/#", "a", "b/+/c", "b/x/c"], ["a/#", "b/+/c"]),
        (["#", "$SYS/x", "a/b"], ["#", "$SYS/x"]),
        (["+/y", "$SYS/y"], ["$SYS/y", "+/y"]),
        (["a/+", "a/+", "a/b/c"], ["a/+", "a/b/c"]),
        (["+/+", "a/b", "a/#"], ["+/+", "a/#"]),
    ],
)
def test_covering_filters(filters: list[str], covering: list[str]) -> None:
    assert covering_filters(filters) == covering


def test_index_remembers_answers_within_its_limit() -> None:
    index = ChannelIndex([(parse_channel("a/{x}", MQTT), "t")], memo_limit=2)
    first = index.match(MQTT, "a/1")
    assert index.match(MQTT, "a/1") is first  # remembered
    index.match(MQTT, "a/2")
    index.match(MQTT, "a/3")  # the table was full: cleared, then refilled
    assert index.match(MQTT, "a/1") == first
    assert index.match(MQTT, "a/1") is not first
