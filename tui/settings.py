"""The user's config (``config.toml``, edited by hand) and the app's memory (``state.json``).

Both live in the config dir: ``$THREADMARK_CONFIG_DIR`` if set, else platformdirs'
``user_config_dir("threadmark")``; user themes go in its ``themes/`` subdirectory.

``config.toml``, never written by the app::

    [keys]                  # binding id = Textual keymap keys (comma-separated)
    tag_1 = "1"
    quit = "q,ctrl+q"

    [reader]
    theme = "threadmark-light"

``state.json`` is written by the app: ``{"theme": name, "last_thread": {db path: thread id}}``.

Neither file can stop the app: a problem becomes a one-line warning for a notification, and
the defaults (or an empty state) are used instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from store.files import atomic_write
from themes import DEFAULT_THEME

CONFIG_DIR_ENV = "THREADMARK_CONFIG_DIR"
CONFIG_SECTIONS = ("keys", "reader")


@dataclass(frozen=True)
class Config:
    """What config.toml asks for, and the warning to show if some of it could not be used."""

    keys: dict[str, str] = field(default_factory=dict)
    """A keymap for :meth:`textual.app.App.set_keymap`: binding id -> ``"q,ctrl+q"``."""
    theme: str | None = None
    warning: str | None = None


def config_dir() -> Path:
    """Where config.toml, state.json and user themes live."""
    if env := os.environ.get(CONFIG_DIR_ENV):
        return Path(env)
    return Path(platformdirs.user_config_dir("threadmark"))


def themes_dir() -> Path:
    """Where the user drops their own theme files."""
    return config_dir() / "themes"


def load_config() -> Config:
    """Read config.toml; a missing file means defaults, a broken one defaults and a warning.

    Well-formed parts of a partly wrong file are kept: one mistyped key binding should not
    throw away the theme choice.
    """
    path = config_dir() / "config.toml"
    try:
        with path.open("rb") as file:
            table = tomllib.load(file)
    except FileNotFoundError:
        return Config()
    except (OSError, ValueError) as error:  # ValueError: bad TOML or bad UTF-8
        return Config(warning=f"{path} not used: {error}")
    problems: list[str] = []
    keys = _keymap(table.get("keys", {}), problems)
    theme = _reader_theme(table.get("reader", {}), problems)
    problems += [f"unknown section {name!r}" for name in table if name not in CONFIG_SECTIONS]
    warning = f"{path}: {'; '.join(problems)} (ignored)" if problems else None
    return Config(keys=keys, theme=theme, warning=warning)


def _keymap(section: object, problems: list[str]) -> dict[str, str]:
    """The well-formed bindings of [keys]; each bad one is added to ``problems``."""
    if not isinstance(section, dict):
        problems.append("[keys] must be a table")
        return {}
    keymap = {}
    for binding_id, keys in section.items():
        if isinstance(keys, str) and all(key.strip() for key in keys.split(",")):
            keymap[binding_id] = keys
        else:
            problems.append(f'[keys] {binding_id} must be keys like "q,ctrl+q"')
    return keymap


def _reader_theme(section: object, problems: list[str]) -> str | None:
    """[reader] theme, if given well; anything else in [reader] is added to ``problems``."""
    if not isinstance(section, dict):
        problems.append("[reader] must be a table")
        return None
    problems += [f"unknown key [reader] {key}" for key in section if key != "theme"]
    theme = section.get("theme")
    if theme is None or isinstance(theme, str):
        return theme
    problems.append("[reader] theme must be a string")
    return None


def load_state() -> dict:
    """The remembered state; a corrupt or unreadable file counts as empty."""
    try:
        state = json.loads(_state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def save_state(**changes: object) -> None:
    """Merge ``changes`` into state.json, if it can be written.

    Remembering is a convenience: a read-only config dir must neither crash the app nor
    interrupt the user, so a failure to write is let go (the next start uses the defaults).
    """
    text = json.dumps({**load_state(), **changes}, indent=2, sort_keys=True)
    with contextlib.suppress(OSError):
        _write_atomically(_state_path(), text)


def _state_path() -> Path:
    return config_dir() / "state.json"


def _write_atomically(path: Path, text: str) -> None:
    """Written whole or not at all, so no reader sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as file:
        file.write(text.encode("utf-8"))


def last_thread(state: dict, db_path: Path) -> int | None:
    """The thread last open in this database, if one was remembered."""
    thread_id = _last_threads(state).get(_db_key(db_path))
    return thread_id if isinstance(thread_id, int) else None


def remember_thread(db_path: Path, thread_id: int) -> None:
    """Remember the thread open in this database (see save_state)."""
    threads = {**_last_threads(load_state()), _db_key(db_path): thread_id}
    save_state(last_thread=threads)


def _last_threads(state: dict) -> dict:
    threads = state.get("last_thread")
    return threads if isinstance(threads, dict) else {}


def _db_key(db_path: Path) -> str:
    """One key per database file, however the path was spelled on the command line."""
    return str(Path(db_path).expanduser().resolve())


def choose_theme(
    cli_theme: str | None, config: Config, state: dict, available: set[str]
) -> tuple[str, str | None]:
    """The theme to start with, and a warning if a requested one is not available.

    ``--theme`` beats the remembered theme, which beats config.toml, which beats the default;
    an unknown name is skipped (with a warning about the first one) in favour of the next.
    """
    remembered = state.get("theme") if isinstance(state.get("theme"), str) else None
    requests = [
        (cli_theme, "--theme"),
        (remembered, "state.json"),
        (config.theme, "config.toml"),
    ]
    warning = None
    for name, source in requests:
        if name is None:
            continue
        if name in available:
            return name, warning and f"{warning}; using {name}"
        warning = warning or f"unknown theme {name!r} (from {source})"
    return DEFAULT_THEME, warning and f"{warning}; using {DEFAULT_THEME}"
