"""Settings: packaged defaults, a user TOML file laid over them, validated strictly.

Every setting has a dotted name (``stage.setting``), a default and one line of help, declared
next to the code that uses it as a ``SETTINGS`` tuple in that module. A user file
(``newstrace.toml`` in the working folder, or ``--config FILE``) overrides defaults by section:

    [reuse]
    min_jaccard = 0.6

Unknown keys and wrong types are errors that name the closest valid setting.
"""

from __future__ import annotations

import difflib
import importlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import ConfigError

#: Modules that declare ``SETTINGS``. A stage module joins this list when it lands.
SETTING_MODULES: tuple[str, ...] = (
    "newstrace.ingest",
    "newstrace.segment",
    "newstrace.reuse",
    "newstrace.stories",
    "newstrace.attribution",
    "newstrace.trace",
    "newstrace.factchecks",
)
USER_FILE = "newstrace.toml"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    choices: tuple[Any, ...] = ()  # when not empty, the only values allowed
    limits: tuple[float | None, float | None] | None = None  # (lowest, highest); None: see ``bounds``

    @property
    def kind(self) -> type:
        return type(self.default)

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """(lowest, highest) allowed value of a number, None for no bound. No number may be
        negative; a similarity, share or threshold in [0, 1] stays in [0, 1]; sizes and counts
        that a stage divides or loops by are at least 1."""
        if self.limits is not None:
            return self.limits
        if not isinstance(self.default, (int, float)) or isinstance(self.default, bool):
            return None, None
        last = self.name.rsplit(".", 1)[-1]
        if isinstance(self.default, float) and 0.0 <= self.default <= 1.0 and _FRACTION.search(last):
            return 0.0, 1.0
        if isinstance(self.default, int) and _AT_LEAST_ONE.search(last):
            return 1, None
        return 0, None


_FRACTION = re.compile(r"cosine|threshold|coverage|share|jaccard|order|checkworthiness|bonus")
_AT_LEAST_ONE = re.compile(r"batch_size|num_perm|bands|rows|words|ngram|candidates|members_scored|top_k|neighbours")


def import_if_present(module_name: str) -> ModuleType | None:
    """The module, or None when that module itself is absent (an optional area not in this
    build). An import error *inside* the module is raised, never hidden."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise


def all_settings(modules: Iterable[str] = SETTING_MODULES) -> dict[str, Setting]:
    found: dict[str, Setting] = {}
    for module_name in modules:
        module = import_if_present(module_name)
        if module is None:
            continue
        for setting in getattr(module, "SETTINGS", ()):
            if setting.name in found:
                raise ConfigError(f"Setting {setting.name!r} is declared twice.")
            found[setting.name] = setting
    return found


class Config(Mapping[str, Any]):
    """Read-only mapping of every setting name to its value."""

    def __init__(self, overrides: Mapping[str, Any] | None = None, *, source: str = "defaults") -> None:
        self.settings = all_settings()
        self.source = source
        self._values = {name: s.default for name, s in self.settings.items()}
        for name, value in (overrides or {}).items():
            self._set(name, value)

    def _set(self, name: str, value: Any) -> None:
        setting = self.settings.get(name)
        if setting is None:
            close = difflib.get_close_matches(name, self.settings, n=1, cutoff=0.8)
            section = name.split(".", 1)[0]
            siblings = sorted(n for n in self.settings if n.split(".", 1)[0] == section)
            if close:
                hint = f" Did you mean {close[0]!r}?"
            elif siblings:
                hint = f" Settings of [{section}]: {', '.join(n.split('.', 1)[1] for n in siblings)}."
            else:
                hint = " Run `newstrace config` to list settings."
            raise ConfigError(f"Unknown setting {name!r} in {self.source}.{hint}")
        expected = setting.kind
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(
                f"Setting {name!r} in {self.source} must be {expected.__name__}, "
                f"got {value!r} ({type(value).__name__})."
            )
        if setting.choices and value not in setting.choices:
            shown = ", ".join(repr(c) for c in setting.choices)
            raise ConfigError(f"Setting {name!r} in {self.source} must be one of {shown}, got {value!r}.")
        low, high = setting.bounds
        number = float(value) if isinstance(value, (int, float)) else 0.0
        if (low is not None and number < low) or (high is not None and number > high):
            allowed = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ConfigError(f"Setting {name!r} in {self.source} must be {allowed}, got {value!r} "
                              f"(default {setting.default!r}).")
        self._values[name] = value

    def __getitem__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise ConfigError(f"Unknown setting {name!r}.") from None

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Config:
        """Defaults, overlaid with ``path`` (or ./newstrace.toml when present)."""
        if path is None:
            if not Path(USER_FILE).exists():
                return cls()
            path = USER_FILE
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Config file {str(path)!r} does not exist.") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Config file {str(path)!r} is not valid TOML: {exc}") from None
        flat: dict[str, Any] = {}
        for section, values in data.items():
            if not isinstance(values, dict):
                raise ConfigError(
                    f"{path}: {section!r} must be a [section] of settings, e.g. [reuse] min_jaccard = 0.6"
                )
            for key, value in values.items():
                flat[f"{section}.{key}"] = value
        return cls(flat, source=str(path))
