"""The perception layer stands alone: importing it loads no other translator layer."""

from __future__ import annotations

import subprocess
import sys

import translator.devices


def test_devices_import_no_other_translator_layer() -> None:
    probe = (
        "import sys, translator.devices; "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('translator'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    others = [m for m in loaded if m not in {"translator", "translator.errors"}]
    assert all(m.startswith("translator.devices") for m in others), others


def test_public_api_is_complete() -> None:
    exported = set(translator.devices.__all__)
    public = {
        name
        for name, value in vars(translator.devices).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("translator.")
    }
    assert public <= exported
    assert all(hasattr(translator.devices, name) for name in exported)
