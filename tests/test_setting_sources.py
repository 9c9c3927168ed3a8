"""The edge agent reads its settings without pydantic; it must read what the servers read."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.setting_sources import DEFAULT_HOME, setting_text
from core.settings import Settings

CASES = {
    "environment only": ({"PITSTOP_MQTT_URL": "mqtt://env:1883"}, ""),
    "file only": ({}, 'mqtt_url = "mqtt://file:1883"\nhome = "/srv/pitstop"\n'),
    "environment before file": (
        {"PITSTOP_MQTT_URL": "mqtt://env:1883", "PITSTOP_HOME": "/var/lib/pitstop"},
        'mqtt_url = "mqtt://file:1883"\nhome = "/srv/pitstop"\n',
    ),
    "neither": ({}, ""),
}


@pytest.mark.parametrize("case", CASES)
def test_the_light_reader_agrees_with_the_typed_settings(case, tmp_path, monkeypatch):
    env, toml = CASES[case]
    config = tmp_path / "pitstop.toml"
    config.write_text(toml)
    for name in ("PITSTOP_MQTT_URL", "PITSTOP_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PITSTOP_CONFIG", str(config))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    typed = Settings()
    assert setting_text("mqtt_url") == typed.mqtt_url
    assert Path(setting_text("home") or DEFAULT_HOME) == typed.home


def test_a_broken_config_file_is_named(tmp_path, monkeypatch):
    config = tmp_path / "pitstop.toml"
    config.write_text("mqtt_url = \n")
    monkeypatch.delenv("PITSTOP_MQTT_URL", raising=False)
    monkeypatch.setenv("PITSTOP_CONFIG", str(config))
    with pytest.raises(ValueError, match="pitstop.toml is not valid TOML"):
        setting_text("mqtt_url")
