"""Colour themes: one TOML file per theme, bundled here or dropped into the user's themes dir.

A theme file holds a Textual :class:`~textual.theme.Theme` as TOML::

    name = "my-theme"          # required
    dark = true                # default true
    ansi = false               # true: the 16 ANSI colours only (``ansi_*`` names)
    primary = "#58A6FF"        # required; also secondary, accent, warning, error, success,
                               # foreground, background, surface, panel, boost

    [variables]                # the app's own variables (all required, see REQUIRED_VARIABLES)
    tombstone = "#7D8590"      # plus any of Textual's, e.g. block-cursor-background

Everything is checked when the file is loaded, because Textual only finds a bad colour when the
theme is applied, and then the app dies.  A user's broken theme becomes a warning instead.
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.css.constants import VALID_STYLE_FLAGS
from textual.theme import Theme

DEFAULT_THEME = "threadmark-dark"

REQUIRED_VARIABLES = (
    "tag-chip-foreground",
    "link-marker",
    "tombstone",
    "duplicate-badge",
    "selected-row-background",
    "mark",
)
"""The app's own CSS variables, all plain colours: its stylesheet uses them, so themes set them."""

COLOUR_KEYS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
FLAG_KEYS = ("dark", "ansi")
KNOWN_KEYS = frozenset({"name", "variables", *FLAG_KEYS, *COLOUR_KEYS})

# Textual's own colour variables may add an alpha ("#81a1c1 35%") or use a CSS keyword.
_ALPHA = re.compile(r"\d+(\.\d+)?%")
_COLOUR_KEYWORDS = frozenset({"auto", "initial"})


class ThemeError(ValueError):
    """A theme file that cannot be used; the message is one line that names the file."""


def load_theme(path: Path) -> Theme:
    """Read and check one theme file."""
    try:
        with path.open("rb") as file:
            table = tomllib.load(file)
    except (OSError, ValueError) as error:  # ValueError: bad TOML or bad UTF-8
        raise ThemeError(f"{path}: {error}") from None
    try:
        return _theme_from_table(table)
    except ThemeError as error:
        raise ThemeError(f"{path}: {error}") from None


@functools.cache
def app_variable_defaults() -> dict[str, str]:
    """The default theme's values for the app's own variables: the fallbacks that let any
    Textual theme (or a user theme that sets only some of them) style the reader."""
    default = next(
        theme for theme in map(load_theme, bundled_theme_paths()) if theme.name == DEFAULT_THEME
    )
    return {name: default.variables[name] for name in REQUIRED_VARIABLES}


def bundled_theme_paths() -> list[Path]:
    """The theme files shipped inside this package (installed or editable alike)."""
    return sorted(Path(__file__).parent.glob("*.toml"))


def load_themes(user_dir: Path | None) -> tuple[list[Theme], list[str]]:
    """The bundled themes plus the user's, and one warning per user file that failed to load.

    A user theme with a bundled theme's name replaces it.  Bundled themes are not guarded: one
    that fails to load is a bug.
    """
    themes = {theme.name: theme for theme in map(load_theme, bundled_theme_paths())}
    warnings: list[str] = []
    user_paths = sorted(user_dir.glob("*.toml")) if user_dir and user_dir.is_dir() else []
    for path in user_paths:
        try:
            theme = load_theme(path)
        except ThemeError as error:
            warnings.append(f"theme not loaded: {error}")
        else:
            themes[theme.name] = theme
    return list(themes.values()), warnings


def _theme_from_table(table: dict) -> Theme:
    if unknown := sorted(set(table) - KNOWN_KEYS):
        raise ThemeError(f"unknown key(s): {', '.join(unknown)}")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeError("needs a name (a non-empty string)")
    if "primary" not in table:
        raise ThemeError("needs a primary colour")
    for flag in FLAG_KEYS:
        if not isinstance(table.get(flag, False), bool):
            raise ThemeError(f"{flag} must be true or false")
    ansi = table.get("ansi", False)
    for key in COLOUR_KEYS:
        if key in table:
            _check_colour(key, table[key], ansi)
    variables = table.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeError("variables must be a table ([variables])")
    if missing := [var for var in REQUIRED_VARIABLES if var not in variables]:
        raise ThemeError(f"[variables] lacks {', '.join(missing)}")
    for key, value in variables.items():
        _check_variable(key, value, ansi)
    colours = {key: table[key] for key in COLOUR_KEYS if key in table}
    return Theme(name=name, dark=table.get("dark", True), ansi=ansi, variables=variables, **colours)


def _check_colour(key: str, value: object, ansi: bool) -> None:
    if not isinstance(value, str):
        raise ThemeError(f"{key} must be a colour string")
    if value.startswith("ansi_") and not ansi:
        raise ThemeError(f"{key} = {value!r}: ansi_* colours need ansi = true")
    try:
        Color.parse(value)
    except ColorParseError as error:
        raise ThemeError(f"{key}: {error}") from None


def _check_variable(key: str, value: object, ansi: bool) -> None:
    """Check a variable the way Textual will use it: a text style, else a colour."""
    if key in REQUIRED_VARIABLES:
        _check_colour(key, value, ansi)
        return
    if not isinstance(value, str) or not value.split():
        raise ThemeError(f"{key} must be a non-empty string")
    words = value.split()
    if "-style" in key:  # text-style, link-style-hover, ...
        if bad := [word for word in words if word not in VALID_STYLE_FLAGS]:
            raise ThemeError(f"{key}: {' '.join(bad)!r} is not a text style")
        return
    colour, *alpha = words
    if colour not in _COLOUR_KEYWORDS:
        _check_colour(key, colour, ansi)
    if len(alpha) > 1 or (alpha and not _ALPHA.fullmatch(alpha[0])):
        raise ThemeError(f"{key}: {value!r} is not a colour (with an optional alpha like 35%)")
