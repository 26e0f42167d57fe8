"""Perception layer: vendor-faithful simulated devices for the demo and the tests.

Simulators talk to the translator only over the real network (MQTT through a broker, CoAP
and HTTP to its servers) and import no other translator layer. Each is a pure model of the
device (``zigbee2mqtt``, ``tasmota``, ``shelly``, ``homeassistant``, ``owntracks``,
``senml``, ``ttn``, ``fhir``) run by a transport (``MqttDevice``, ``CoapDevice``,
``HttpDevice``); ``DeviceFleet`` runs a set of them. See ``docs/devices.md``.
"""

from translator.devices.base import Outgoing, Pace, Simulator
from translator.devices.coap import CoapDevice, CoapEndpoint
from translator.devices.fhir import PulseOximeter
from translator.devices.fleet import DEMO_FLEET, KINDS, DeviceFleet, DeviceSpec, Endpoints
from translator.devices.homeassistant import HomeAssistantNode
from translator.devices.http import HttpDevice, HttpEndpoint
from translator.devices.mqtt import MqttBroker, MqttDevice
from translator.devices.owntracks import OwnTracksPhone
from translator.devices.senml import SenmlSensor
from translator.devices.shelly import ShellySwitch
from translator.devices.tasmota import TasmotaPlug
from translator.devices.ttn import TtnUplinkSender
from translator.devices.zigbee2mqtt import ClimateSensor, ContactSensor, SmartPlug

__all__ = [
    "DEMO_FLEET",
    "KINDS",
    "ClimateSensor",
    "CoapDevice",
    "CoapEndpoint",
    "ContactSensor",
    "DeviceFleet",
    "DeviceSpec",
    "Endpoints",
    "HomeAssistantNode",
    "HttpDevice",
    "HttpEndpoint",
    "MqttBroker",
    "MqttDevice",
    "Outgoing",
    "OwnTracksPhone",
    "Pace",
    "PulseOximeter",
    "SenmlSensor",
    "ShellySwitch",
    "Simulator",
    "SmartPlug",
    "TasmotaPlug",
    "TtnUplinkSender",
]
