"""Settings: defaults declared beside the code, a user file over them, strict validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from newstrace.config import SETTING_MODULES, Config, all_settings
from newstrace.errors import ConfigError


def test_config_every_setting_has_help_and_a_dotted_name() -> None:
    settings = all_settings()
    assert settings, "no settings declared"
    for name, setting in settings.items():
        area, _, key = name.partition(".")
        assert area and key, name
        assert setting.help.strip(), name


def test_config_every_declared_module_imports() -> None:
    import importlib

    for name in SETTING_MODULES:
        importlib.import_module(name)


def test_config_user_file_overrides_defaults(tmp_path: Path) -> None:
    path = tmp_path / "n.toml"
    path.write_text("[trace]\ngroup_threshold = 0.8\n")
    assert Config.load(path)["trace.group_threshold"] == 0.8
    assert Config()["trace.group_threshold"] != 0.8


def test_config_unknown_key_names_the_closest(tmp_path: Path) -> None:
    path = tmp_path / "n.toml"
    path.write_text("[trace]\ngroup_treshold = 0.8\n")
    with pytest.raises(ConfigError, match="Did you mean 'trace.group_threshold'"):
        Config.load(path)


def test_config_wrong_type_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "n.toml"
    path.write_text('[trace]\ngroup_threshold = "high"\n')
    with pytest.raises(ConfigError, match="must be float"):
        Config.load(path)


def test_config_bad_toml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "n.toml"
    path.write_text("[trace\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        Config.load(path)
    with pytest.raises(ConfigError, match="does not exist"):
        Config.load(tmp_path / "missing.toml")
