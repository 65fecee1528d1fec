"""config.toml and state.json: defaults, the env override, and no crash on a broken file."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from themes import DEFAULT_THEME
from tui.settings import (
    CONFIG_DIR_ENV,
    Config,
    choose_theme,
    config_dir,
    last_thread,
    load_config,
    load_state,
    remember_thread,
    save_state,
    themes_dir,
)

AVAILABLE = {DEFAULT_THEME, "threadmark-light", "threadmark-ansi", "mine"}


@pytest.fixture(autouse=True)
def config_home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own config dir, never the real one."""
    directory = tmp_path / "config"
    monkeypatch.setenv(CONFIG_DIR_ENV, str(directory))
    return directory


def write_config(directory: Path, text: str | bytes) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def test_env_variable_replaces_the_whole_config_dir(config_home):
    assert config_dir() == config_home
    assert themes_dir() == config_home / "themes"


def test_without_the_env_variable_platformdirs_decides(monkeypatch):
    monkeypatch.delenv(CONFIG_DIR_ENV)
    assert config_dir() == Path(platformdirs.user_config_dir("threadmark"))


def test_missing_config_gives_defaults():
    assert load_config() == Config()


def test_config_keys_and_theme(config_home):
    write_config(
        config_home,
        '[keys]\ntag_1 = "1"\nquit = "q,ctrl+q"\n\n[reader]\ntheme = "threadmark-light"\n',
    )
    config = load_config()
    assert config.keys == {"tag_1": "1", "quit": "q,ctrl+q"}
    assert config.theme == "threadmark-light"
    assert config.warning is None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[keys\nquit = 'q'", id="bad-toml"),
        pytest.param(b"[keys]\nquit = '\xff'", id="bad-utf8"),
    ],
)
def test_malformed_config_gives_defaults_and_a_one_line_warning(config_home, text):
    write_config(config_home, text)
    config = load_config()
    assert (config.keys, config.theme) == ({}, None)
    assert "config.toml" in config.warning
    assert "\n" not in config.warning


def test_unusable_config_parts_are_dropped_and_reported(config_home):
    write_config(
        config_home,
        '[keys]\nquit = "q"\ntag_1 = 1\nhelp = "?,"\n'
        '[reader]\ntheme = "mine"\nthme = "x"\n'
        "[colours]\n",
    )
    config = load_config()
    assert config.keys == {"quit": "q"}
    assert config.theme == "mine"
    for problem in ("tag_1", "help", "thme", "colours"):
        assert problem in config.warning
    assert "\n" not in config.warning


def test_config_sections_of_the_wrong_type_are_reported(config_home):
    write_config(config_home, 'keys = "q"\nreader = 3\n')
    config = load_config()
    assert (config.keys, config.theme) == ({}, None)
    assert "[keys] must be a table" in config.warning
    assert "[reader] must be a table" in config.warning


def test_state_round_trip_merges_changes(config_home):
    assert load_state() == {}
    save_state(theme="threadmark-light")
    save_state(other=1)
    assert load_state() == {"theme": "threadmark-light", "other": 1}
    assert [path.name for path in config_home.iterdir()] == ["state.json"]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2]", b'{"theme": "\xff"}', b""],
    ids=["garbage", "not-an-object", "bad-utf8", "empty"],
)
def test_corrupt_state_counts_as_empty_and_is_replaced(config_home, content):
    config_home.mkdir()
    (config_home / "state.json").write_bytes(content)
    assert load_state() == {}
    save_state(theme="mine")
    assert load_state() == {"theme": "mine"}


def test_unwritable_state_is_let_go(tmp_path, monkeypatch):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")
    monkeypatch.setenv(CONFIG_DIR_ENV, str(not_a_dir))
    save_state(theme="mine")  # no exception: remembering is a convenience
    assert load_state() == {}
    assert not_a_dir.read_text() == ""


def test_last_thread_is_remembered_per_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    remember_thread(Path("one.db"), 3)
    remember_thread(tmp_path / "two.db", 7)
    state = load_state()
    assert last_thread(state, tmp_path / "one.db") == 3
    assert last_thread(state, Path("two.db")) == 7
    assert last_thread(state, Path("three.db")) is None
    assert last_thread({"last_thread": "junk"}, Path("one.db")) is None


@pytest.mark.parametrize(
    ("cli", "remembered", "configured", "expected"),
    [
        ("mine", "threadmark-light", "threadmark-ansi", "mine"),
        (None, "threadmark-light", "threadmark-ansi", "threadmark-light"),
        (None, None, "threadmark-ansi", "threadmark-ansi"),
        (None, None, None, DEFAULT_THEME),
    ],
)
def test_choose_theme_precedence(cli, remembered, configured, expected):
    state = {"theme": remembered} if remembered else {}
    name, warning = choose_theme(cli, Config(theme=configured), state, AVAILABLE)
    assert (name, warning) == (expected, None)


def test_unknown_requested_theme_warns_and_falls_back():
    name, warning = choose_theme("nope", Config(), {}, AVAILABLE)
    assert name == DEFAULT_THEME
    assert "'nope'" in warning
    assert "--theme" in warning


def test_unknown_remembered_theme_gives_way_to_the_next_choice():
    state = {"theme": "deleted-user-theme"}
    name, warning = choose_theme(None, Config(theme="mine"), state, AVAILABLE)
    assert name == "mine"
    assert "deleted-user-theme" in warning
