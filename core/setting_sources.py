"""Where settings come from: PITSTOP_<NAME> in the environment, then the TOML config file.

`core.settings` types every setting for the servers. The edge agent reads its two here, so a
car's gateway never loads pydantic."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

ENV_PREFIX = "PITSTOP_"
DEFAULT_HOME = Path.home() / ".pitstop"


def config_file() -> Path:
    return Path(os.environ.get("PITSTOP_CONFIG", "pitstop.toml"))


def setting_text(name: str) -> str | None:
    """A setting as text, the environment first; None when neither source names it.

    Raises ValueError, naming the file, when the config file is not valid TOML."""
    value = os.environ.get(ENV_PREFIX + name.upper())
    if value is not None:
        return value
    path = config_file()
    if not path.is_file():
        return None
    try:
        found = tomllib.loads(path.read_text(encoding="utf-8")).get(name)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML ({exc}); fix it, or point PITSTOP_CONFIG "
                         f"at another file") from None  # fmt: skip
    return None if found is None else str(found)
