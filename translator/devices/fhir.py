"""A pulse oximeter posting HL7 FHIR R4 vital-sign Observations (heart rate, SpO2) over HTTP.

Each report is two ``POST {path}`` requests (``application/fhir+json``), shaped like the
R4 vital-signs examples and profiles (``heartrate``, ``oxygensat``)::

    {"resourceType": "Observation", "status": "final",
     "meta": {"profile": ["http://hl7.org/fhir/StructureDefinition/heartrate"]},
     "category": [{"coding": [{"system": ".../observation-category", "code": "vital-signs"}]}],
     "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4",
                          "display": "Heart rate"}], "text": "Heart rate"},
     "subject": {"reference": "Patient/{patient}"}, "device": {"reference": "Device/{name}"},
     "effectiveDateTime": "2026-11-25T10:00:00+00:00",
     "valueQuantity": {"value": 72, "unit": "beats/minute",
                       "system": "http://unitsofmeasure.org", "code": "/min"}}

SpO2 uses LOINC 2708-6 and 59408-5 (by pulse oximetry) with UCUM ``%``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from translator.devices.base import Clock, Outgoing, Walk, seeded_rng, utc_now

FHIR_JSON = "application/fhir+json"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
VITAL_SIGNS = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs",
            "display": "Vital Signs",
        }
    ],
    "text": "Vital Signs",
}


class PulseOximeter:
    """A finger clip reporting heart rate (55 to 100 /min) and SpO2 (94 to 100 %)."""

    def __init__(
        self,
        name: str,
        *,
        patient: str = "example",
        seed: int | None = None,
        path: str = "fhir/Observation",
        clock: Clock = utc_now,
    ) -> None:
        self._name = name
        self._patient = patient
        self._rng = seeded_rng(seed)
        self._path = path
        self._clock = clock
        self.heart_rate = Walk(self._rng.uniform(62.0, 80.0), 55.0, 100.0, 2.5)
        self.spo2 = Walk(self._rng.uniform(96.0, 99.0), 94.0, 100.0, 0.6)

    @property
    def name(self) -> str:
        """The FHIR Device id."""
        return self._name

    def report(self, elapsed: float) -> list[Outgoing]:
        """A heart-rate and an SpO2 Observation, taken now."""
        now = self._clock()
        observations = (
            self.heart_rate_observation(round(self.heart_rate.next(self._rng)), now),
            self.spo2_observation(round(self.spo2.next(self._rng)), now),
        )
        headers = (("Accept", FHIR_JSON),)
        return [
            Outgoing(self._path, orjson.dumps(o), content_format=FHIR_JSON, headers=headers)
            for o in observations
        ]

    def heart_rate_observation(self, bpm: int, when: datetime) -> dict[str, Any]:
        """An R4 ``heartrate`` profile Observation."""
        code = {
            "coding": [{"system": LOINC, "code": "8867-4", "display": "Heart rate"}],
            "text": "Heart rate",
        }
        value = {"value": bpm, "unit": "beats/minute", "system": UCUM, "code": "/min"}
        return self._observation("heartrate", code, value, when)

    def spo2_observation(self, percent: int, when: datetime) -> dict[str, Any]:
        """An R4 ``oxygensat`` profile Observation (pulse oximetry)."""
        code = {
            "coding": [
                {
                    "system": LOINC,
                    "code": "2708-6",
                    "display": "Oxygen saturation in Arterial blood",
                },
                {
                    "system": LOINC,
                    "code": "59408-5",
                    "display": "Oxygen saturation in Arterial blood by Pulse oximetry",
                },
            ],
            "text": "SpO2",
        }
        value = {"value": percent, "unit": "%", "system": UCUM, "code": "%"}
        return self._observation("oxygensat", code, value, when)

    def _observation(
        self, profile: str, code: dict[str, Any], value: dict[str, Any], when: datetime
    ) -> dict[str, Any]:
        return {
            "resourceType": "Observation",
            "meta": {"profile": [f"http://hl7.org/fhir/StructureDefinition/{profile}"]},
            "status": "final",
            "category": [VITAL_SIGNS],
            "code": code,
            "subject": {"reference": f"Patient/{self._patient}"},
            "device": {"reference": f"Device/{self._name}"},
            "effectiveDateTime": when.isoformat(timespec="seconds"),
            "valueQuantity": value,
        }
