"""The Things Stack (v3) webhook: uplink messages of a Dragino LHT65 POSTed as JSON.

The body follows The Things Stack's "Data Formats" page (uplink message)::

    {"end_device_ids": {"device_id", "application_ids": {"application_id"}, "dev_eui",
                        "join_eui", "dev_addr"},
     "correlation_ids": ["as:up:01…", …], "received_at": "…Z",
     "uplink_message": {"session_key_id", "f_port", "f_cnt", "frm_payload" (base64),
                        "decoded_payload": {…}, "rx_metadata": [{"gateway_ids", "time",
                        "timestamp", "rssi", "channel_rssi", "snr", "received_at"}],
                        "settings": {"data_rate": {"lora": {…}}, "frequency", "timestamp",
                        "time"}, "received_at", "consumed_airtime", "network_ids": {…}}}

``frm_payload`` is the LHT65's real 11-byte frame (battery mV with status bits, SHT20
temperature in 0.01 °C, humidity in 0.1 %, external sensor type 1, DS18B20 in 0.01 °C).
``decoded_payload`` is what the application's payload formatter makes of it: by default a
custom formatter with the common names ``temperature`` (°C), ``humidity`` (%RH) and
``battery`` (%), which the shipped ``ttn-v3-uplink`` mapping reads; with
``formatter="dragino"`` the vendor's own (``BatV``, ``Bat_status``, ``TempC_SHT``,
``Hum_SHT``, ``Ext_sensor``, ``TempC_DS``). With a registry location the message carries
``uplink_message.locations.user``. Times are RFC 3339 UTC with nanoseconds, as the stack
prints them. Headers as the webhook integration sends them: ``User-Agent:
TheThingsStack/…``, ``X-Tts-Domain``.
"""

from __future__ import annotations

import base64
import struct
from datetime import datetime
from typing import Any, Literal

import orjson

from translator.devices.base import Clock, Outgoing, Walk, seeded_rng, utc_now

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
USER_AGENT = "TheThingsStack/3.34.0 (linux/amd64)"
TTS_DOMAIN = "eu1.cloud.thethings.network"
GARDEN = (52.5203, 13.4049, 38.0)

Formatter = Literal["common", "dragino"]


def rfc3339_nanos(moment: datetime) -> str:
    """``2026-11-25T10:00:00.123456000Z``: UTC, nine fraction digits, as Go prints it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


class TtnUplinkSender:
    """The webhook integration of one application, for one LHT65 end device."""

    def __init__(
        self,
        device_id: str,
        *,
        application_id: str = "sim-sensors",
        seed: int | None = None,
        path: str = "ttn/uplink",
        formatter: Formatter = "common",
        location: tuple[float, float, float] | None = GARDEN,
        clock: Clock = utc_now,
    ) -> None:
        self._device_id = device_id
        self._application_id = application_id
        self._rng = seeded_rng(seed)
        self._path = path
        self._formatter: Formatter = formatter
        self._location = location
        self._clock = clock
        rng = self._rng
        self._dev_eui = "A84041" + "".join(f"{rng.randrange(256):02X}" for _ in range(5))
        self._dev_addr = "260B" + "".join(f"{rng.randrange(256):02X}" for _ in range(2))
        self._f_cnt = rng.randint(0, 5000)
        self.temperature = Walk(rng.uniform(19.0, 24.0), 18.0, 26.0, 0.2)
        self.humidity = Walk(rng.uniform(35.0, 55.0), 30.0, 60.0, 0.8)
        self.probe = Walk(rng.uniform(4.0, 6.0), 2.0, 8.0, 0.1)
        self.battery_mv = rng.randint(2950, 3100)

    @property
    def name(self) -> str:
        """The end device id."""
        return self._device_id

    def frame(self) -> bytes:
        """Advance the sensor and return the LHT65 frame (``frm_payload`` before base64)."""
        rng = self._rng
        if rng.random() < 0.02 and self.battery_mv > 2500:
            self.battery_mv -= 1
        status = 3 if self.battery_mv >= 2650 else 2
        return struct.pack(
            ">HhHBhH",
            status << 14 | self.battery_mv,
            round(self.temperature.next(rng) * 100),
            round(self.humidity.next(rng) * 10),
            1,
            round(self.probe.next(rng) * 100),
            0x7FFF,
        )

    def report(self, elapsed: float) -> list[Outgoing]:
        """One uplink message POSTed to the webhook path."""
        self._f_cnt += 1
        body = self._uplink(self.frame(), self._clock())
        headers = (("User-Agent", USER_AGENT), ("X-Tts-Domain", TTS_DOMAIN))
        return [
            Outgoing(
                self._path, orjson.dumps(body), content_format="application/json", headers=headers
            )
        ]

    def _uplink(self, frame: bytes, now: datetime) -> dict[str, Any]:
        received = rfc3339_nanos(now)
        timestamp = self._rng.randrange(2**32)
        return {
            "end_device_ids": {
                "device_id": self._device_id,
                "application_ids": {"application_id": self._application_id},
                "dev_eui": self._dev_eui,
                "join_eui": "A840410000000101",
                "dev_addr": self._dev_addr,
            },
            "correlation_ids": [f"as:up:{self._ulid()}", f"gs:uplink:{self._ulid()}"],
            "received_at": received,
            "uplink_message": {
                "session_key_id": base64.b64encode(self._rng.randbytes(16)).decode(),
                "f_port": 2,
                "f_cnt": self._f_cnt,
                "frm_payload": base64.b64encode(frame).decode(),
                "decoded_payload": self.decode(frame),
                "rx_metadata": [self._gateway(received, timestamp)],
                "settings": {
                    "data_rate": {
                        "lora": {"bandwidth": 125000, "spreading_factor": 7, "coding_rate": "4/5"}
                    },
                    "frequency": "868100000",
                    "timestamp": timestamp,
                    "time": received,
                },
                "received_at": received,
                "consumed_airtime": "0.061696s",
                **self._locations(),
                "network_ids": {"net_id": "000013", "tenant_id": "ttn", "cluster_id": "eu1"},
            },
        }

    def decode(self, frame: bytes) -> dict[str, Any]:
        """The application's payload formatter applied to ``frame``."""
        if self._formatter == "dragino":
            return decode_lht65(frame)
        return format_common(frame)

    def _locations(self) -> dict[str, Any]:
        if self._location is None:
            return {}
        latitude, longitude, altitude = self._location
        user = {
            "latitude": latitude,
            "longitude": longitude,
            "altitude": altitude,
            "source": "SOURCE_REGISTRY",
        }
        return {"locations": {"user": user}}

    def _gateway(self, received: str, timestamp: int) -> dict[str, Any]:
        rssi = self._rng.randint(-110, -60)
        return {
            "gateway_ids": {"gateway_id": "sim-gateway", "eui": "B827EBFFFE000001"},
            "time": received,
            "timestamp": timestamp,
            "rssi": rssi,
            "channel_rssi": rssi,
            "snr": round(self._rng.uniform(-5.0, 10.0), 1),
            "received_at": received,
        }

    def _ulid(self) -> str:
        return "".join(self._rng.choice(CROCKFORD) for _ in range(26))


def format_common(frame: bytes) -> dict[str, Any]:
    """A custom payload formatter: the LHT65 frame under common names, battery in percent."""
    vendor = decode_lht65(frame)
    millivolts = vendor["BatV"] * 1000
    percent = round(min(100.0, max(0.0, (millivolts - 2450) / (3100 - 2450) * 100)))
    return {
        "temperature": vendor["TempC_SHT"],
        "humidity": vendor["Hum_SHT"],
        "battery": percent,
    }


def decode_lht65(frame: bytes) -> dict[str, Any]:
    """What Dragino's LHT65 payload formatter returns for a frame with a temperature probe."""
    battery, temp_sht, hum_sht, ext, temp_ds, _ = struct.unpack(">HhHBhH", frame)
    return {
        "BatV": (battery & 0x3FFF) / 1000,
        "Bat_status": battery >> 14,
        "TempC_SHT": round(temp_sht / 100, 2),
        "Hum_SHT": round(hum_sht / 10, 1),
        "Ext_sensor": "Temperature Sensor" if ext == 1 else "No external sensor",
        "TempC_DS": round(temp_ds / 100, 2),
    }
