"""Bundled themes load, apply in a Textual app and keep their promises; user themes are guarded."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import Static

from themes import (
    COLOUR_KEYS,
    DEFAULT_THEME,
    REQUIRED_VARIABLES,
    ThemeError,
    bundled_theme_paths,
    load_theme,
    load_themes,
)

BUNDLED_NAMES = {
    "threadmark-dark",
    "threadmark-light",
    "threadmark-high-contrast",
    "threadmark-ansi",
}
REQUIRED_VARIABLES_TOML = "\n".join(f'{name} = "#808080"' for name in REQUIRED_VARIABLES)


def theme_toml(name: str = "user-theme", primary: str = "#ff8800", extra: str = "") -> str:
    """A valid user theme, with ``extra`` lines added to its [variables] table."""
    return (
        f'name = "{name}"\nprimary = "{primary}"\n[variables]\n{REQUIRED_VARIABLES_TOML}\n{extra}'
    )


def write(directory: Path, filename: str, text: str | bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def theme_names(user_dir: Path | None) -> set[str]:
    return {theme.name for theme in load_themes(user_dir)[0]}


def bundled(name: str):
    return next(theme for theme in load_themes(None)[0] if theme.name == name)


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two opaque colours."""

    def luminance(colour: str) -> float:
        channels = [value / 255 for value in Color.parse(colour).rgb]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


class ThemeProbe(App):
    """An app whose stylesheet uses every variable the real app relies on."""

    CSS = "\n".join(f"#{name} {{ color: ${name}; }}" for name in REQUIRED_VARIABLES)

    def compose(self) -> ComposeResult:
        for name in REQUIRED_VARIABLES:
            yield Static(name, id=name)


def test_the_four_themes_ship_with_distinct_names():
    themes, warnings = load_themes(None)
    names = [theme.name for theme in themes]
    assert set(names) >= BUNDLED_NAMES
    assert len(names) == len(set(names)) == len(bundled_theme_paths())
    assert DEFAULT_THEME in names
    assert warnings == []


@pytest.mark.parametrize("path", bundled_theme_paths(), ids=lambda path: path.name)
def test_bundled_theme_defines_every_app_variable(path):
    theme = load_theme(path)
    assert set(REQUIRED_VARIABLES) <= set(theme.variables)


async def test_every_theme_applies_in_a_textual_app():
    app = ThemeProbe()
    themes, _ = load_themes(None)
    for theme in themes:
        app.register_theme(theme)
    # Before the stylesheet is parsed: Textual's own themes lack the app's variables.
    app.theme = DEFAULT_THEME
    async with app.run_test() as pilot:
        for theme in themes:
            app.theme = theme.name
            await pilot.pause()
            assert app.theme == theme.name
            tombstone = app.query_one("#tombstone", Static)
            assert tombstone.styles.color == Color.parse(theme.variables["tombstone"])


def test_ansi_theme_uses_only_ansi_colours():
    theme = bundled("threadmark-ansi")
    assert theme.ansi
    colours = [getattr(theme, key) for key in COLOUR_KEYS] + [
        value for key, value in theme.variables.items() if "-style" not in key
    ]
    assert all(colour.startswith("ansi_") for colour in colours), colours


def test_high_contrast_theme_is_aaa():
    theme = bundled("threadmark-high-contrast")
    assert (theme.foreground, theme.background) == ("#FFFFFF", "#000000")
    assert contrast(theme.foreground, theme.variables["selected-row-background"]) >= 7
    on_background = [theme.primary, theme.accent, theme.error, theme.success, theme.warning] + [
        theme.variables[name] for name in ("link-marker", "tombstone", "duplicate-badge", "mark")
    ]
    for colour in on_background:
        assert contrast(colour, theme.background) >= 7, colour


def test_user_theme_extends_the_bundled_ones(tmp_path):
    write(tmp_path, "mine.toml", theme_toml("mine"))
    themes, warnings = load_themes(tmp_path)
    assert {theme.name for theme in themes} == theme_names(None) | {"mine"}
    assert warnings == []


def test_user_theme_overrides_a_bundled_one_of_the_same_name(tmp_path):
    write(tmp_path, "dark.toml", theme_toml(DEFAULT_THEME, primary="#123456"))
    themes, _ = load_themes(tmp_path)
    dark = [theme for theme in themes if theme.name == DEFAULT_THEME]
    assert [theme.primary for theme in dark] == ["#123456"]


def test_user_theme_may_set_textual_variables(tmp_path):
    extra = (
        'block-cursor-text-style = "bold underline"\n'
        'input-selection-background = "#81a1c1 35%"\n'
        'block-cursor-foreground = "auto 87%"\n'
    )
    theme = load_theme(write(tmp_path, "t.toml", theme_toml(extra=extra)))
    assert theme.variables["input-selection-background"] == "#81a1c1 35%"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(theme_toml() + "\n[extra]\n", "unknown key", id="unknown-key"),
        pytest.param('primary = "#fff"', "needs a name", id="no-name"),
        pytest.param('name = "x"', "needs a primary", id="no-primary"),
        pytest.param(theme_toml(primary="#ggg"), "primary", id="bad-colour"),
        pytest.param(theme_toml(primary="ansi_red"), "ansi = true", id="ansi-colour-not-ansi"),
        pytest.param('name = "x"\nprimary = "#fff"\ndark = "yes"', "dark", id="dark-not-bool"),
        pytest.param('name = "x"\nprimary = "#fff"', "lacks", id="no-variables"),
        pytest.param(
            theme_toml().replace("#808080", "#80808", 1), "tag-chip-foreground", id="bad-variable"
        ),
        pytest.param(theme_toml(extra='border = "notacolour"'), "border", id="bad-textual-colour"),
        pytest.param(theme_toml(extra='border = "#fff 35% 2"'), "border", id="bad-alpha"),
        pytest.param(theme_toml(extra='link-style = "blinking"'), "text style", id="bad-style"),
        pytest.param('name = "x"\nprimary "#fff"', "line 2", id="bad-toml"),
        pytest.param(b'name = "\xff"', "utf-8", id="bad-utf8"),
    ],
)
def test_bad_theme_file_is_a_one_line_error_naming_the_file(tmp_path, text, problem):
    path = write(tmp_path, "bad.toml", text)
    with pytest.raises(ThemeError) as raised:
        load_theme(path)
    message = str(raised.value)
    assert str(path) in message
    assert problem in message
    assert "\n" not in message


def test_bad_user_theme_is_a_warning_not_an_exception(tmp_path):
    write(tmp_path, "good.toml", theme_toml("good"))
    write(tmp_path, "broken.toml", "name = [")
    themes, warnings = load_themes(tmp_path)
    assert "good" in {theme.name for theme in themes}
    assert len(warnings) == 1
    assert "broken.toml" in warnings[0]


def test_missing_user_dir_means_bundled_themes_only(tmp_path):
    themes, warnings = load_themes(tmp_path / "absent")
    assert {theme.name for theme in themes} == theme_names(None)
    assert warnings == []
