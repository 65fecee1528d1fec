"""The reader remembers the theme, applies --theme, and survives a bad config."""

from __future__ import annotations

import json

import pytest

from tests.reader_support import SIZE, reader, seeded_database


def notifications(app) -> list[str]:
    return [notification.message for notification in app._notifications]


@pytest.fixture
def config(tmp_path, monkeypatch):
    directory = tmp_path / "config"
    monkeypatch.setenv("THREADMARK_CONFIG_DIR", str(directory))
    return directory


@pytest.fixture
def db_path(tmp_path):
    return seeded_database(tmp_path / "seed.db")


async def test_a_theme_chosen_in_the_reader_is_remembered(config, db_path):
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "threadmark-dark"
        app.theme = "threadmark-light"
        await pilot.pause()
    assert json.loads((config / "state.json").read_text())["theme"] == "threadmark-light"
    again = reader(db_path)
    async with again.run_test(size=SIZE):
        assert again.theme == "threadmark-light"


async def test_theme_option_wins_and_an_unknown_one_warns(config, db_path):
    app = reader(db_path, theme="threadmark-ansi")
    async with app.run_test(size=SIZE):
        assert app.theme == "threadmark-ansi"
    app = reader(db_path, theme="no-such-theme")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "threadmark-ansi"  # the next choice: the one remembered
        assert any("unknown theme 'no-such-theme'" in text for text in notifications(app))


async def test_a_broken_config_file_is_reported_not_fatal(config, db_path):
    config.mkdir()
    (config / "config.toml").write_text("[keys\nthis is not toml", encoding="utf-8")
    app = reader(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any("config.toml" in text for text in notifications(app))
        await pilot.press("1")  # the default keys still work
        assert app.screen.query_one("CommentList").selected.tag_ids


async def test_the_config_theme_is_not_frozen_by_the_first_start(config, db_path):
    config.mkdir()
    (config / "config.toml").write_text('[reader]\ntheme = "threadmark-light"\n', "utf-8")
    async with reader(db_path).run_test(size=SIZE) as pilot:
        await pilot.pause()
    (config / "config.toml").write_text('[reader]\ntheme = "threadmark-ansi"\n', "utf-8")
    app = reader(db_path)
    async with app.run_test(size=SIZE):
        assert app.theme == "threadmark-ansi"
