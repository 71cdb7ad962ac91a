"""privlab._config: environment defaults, overrides and scoping."""

from __future__ import annotations

from pathlib import Path

import pytest

import privlab as pv
from privlab.exceptions import ConfigError


def test_environment_provides_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRIVLAB_HOME", str(tmp_path))
    monkeypatch.setenv("PRIVLAB_DEFAULT_EPSILON", "3.5")
    monkeypatch.setenv("PRIVLAB_PROGRESS", "0")
    cfg = pv.get_config()
    assert cfg["home"] == tmp_path
    assert cfg["default_epsilon"] == 3.5
    assert cfg["progress"] is False


def test_context_overrides_and_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVLAB_USER", "env-user")
    with pv.config_context(user="alice"):
        assert pv.get_config()["user"] == "alice"
        with pv.config_context(user="bob"):
            assert pv.get_config()["user"] == "bob"
        assert pv.get_config()["user"] == "alice"
    assert pv.get_config()["user"] == "env-user"


def test_set_config_inside_context_does_not_leak() -> None:
    before = pv.get_config()["default_delta"]
    with pv.config_context():
        pv.set_config(default_delta=1e-9)
        assert pv.get_config()["default_delta"] == 1e-9
    assert pv.get_config()["default_delta"] == before


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("default_epsilon", 0, "must be a number > 0"),
        ("default_epsilon", -1.0, "must be a number > 0"),
        ("progress", "yes", "must be True or False"),
        ("nonsense", 1, "unknown config key 'nonsense'"),
    ],
)
def test_bad_values_are_rejected(key: str, value: object, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment), pv.config_context(**{key: value}):
        pass


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVLAB_DEFAULT_EPSILON", "lots")
    with pytest.raises(ConfigError, match="PRIVLAB_DEFAULT_EPSILON='lots'"):
        pv.get_config()


def test_home_is_isolated_per_test(tmp_path: Path) -> None:
    home = pv.get_config()["home"]
    assert "privlab_home" in str(home)
    assert Path.home() / ".privlab" != home
