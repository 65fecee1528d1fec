"""The environment a threadmark subprocess runs in during the tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def clean_env(tmp_path: Path, extra: Mapping[str, str | None] | None) -> dict[str, str]:
    """The environment of a CLI run: no THREADMARK_* from outside, tmp config and data dirs.

    ``extra`` adds variables; a value of None removes one.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("THREADMARK_")}
    env["THREADMARK_CONFIG_DIR"] = str(tmp_path / "config")
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")  # where the default database would go
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg-config")
    env.pop("PYTHONIOENCODING", None)
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env
