"""How the reader looks at 80x24 on the seed thread: the main screen, help, and the link picker.

Regenerate after an intended change with ``pytest tests/test_snapshots.py --snapshot-update``
and look at the SVGs in ``tests/__snapshots__`` before committing them.
"""

from __future__ import annotations

import pytest

from tests.reader_support import SIZE, reader, seeded_database

pytestmark = pytest.mark.usefixtures("reader_home")


@pytest.fixture
def seed_app(tmp_path):
    return reader(seeded_database(tmp_path / "seed.db"), "alice")


def test_main_screen(snap_compare, seed_app):
    assert snap_compare(seed_app, press=["j", "1", "2", "j", "j", "3"], terminal_size=SIZE)


def test_help_screen(snap_compare, seed_app):
    assert snap_compare(seed_app, press=["question_mark"], terminal_size=SIZE)


def test_link_picker(snap_compare, seed_app):
    assert snap_compare(seed_app, press=["j", "j", "j", "j", "r"], terminal_size=SIZE)


def test_ansi_theme(snap_compare, tmp_path):
    app = reader(seeded_database(tmp_path / "seed.db"), "alice", theme="threadmark-ansi")
    assert snap_compare(app, press=["1", "j", "4"], terminal_size=SIZE)


def test_segments(snap_compare, seed_app):
    """The pane with a tagged sentence (underlined, its chip after it) and the next selected."""
    keys = ["v", "right_square_bracket", "1", "right_square_bracket"]
    assert snap_compare(seed_app, press=keys, terminal_size=SIZE)
