"""The codebook: the tags annotators apply, with their hotkeys and colours."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import NamedTuple

from store.errors import ThreadmarkError
from store.seeds import seeds_dir
from store.sql import CODEBOOK_ORDER

HOTKEYS = tuple("123456789")
# Colours handed to tags created on the fly, in turn, so new chips are told apart.
NEW_TAG_COLORS = ("#58a6ff", "#56d364", "#ffa657", "#bc8cff", "#39c5cf", "#ff7b72", "#e3b341")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class Tag(NamedTuple):
    id: int
    name: str
    hotkey: str | None
    color: str
    description: str
    parent_id: int | None


def install_starter_codebook(db: sqlite3.Connection) -> None:
    """Insert the codebook from ``seeds/codebook.json`` (called once, when a database is new)."""
    data = json.loads((seeds_dir() / "codebook.json").read_text(encoding="utf-8"))
    for tag in data["tags"]:
        db.execute(
            "INSERT INTO tags (name, hotkey, color, description) VALUES (?, ?, ?, ?)",
            (tag["name"], tag["hotkey"], tag["color"], tag["description"]),
        )


def list_tags(db: sqlite3.Connection) -> list[Tag]:
    """Every tag, those with hotkeys first in hotkey order, then by name."""
    rows = db.execute(
        "SELECT t.id, t.name, t.hotkey, t.color, t.description, t.parent_id FROM tags t "
        f"ORDER BY {CODEBOOK_ORDER}"
    ).fetchall()
    return [Tag(*row) for row in rows]


def tag_by_name(db: sqlite3.Connection, name: str) -> Tag | None:
    row = db.execute(
        "SELECT id, name, hotkey, color, description, parent_id FROM tags WHERE name = ?",
        (name,),
    ).fetchone()
    return Tag(*row) if row else None


def clean_tag_name(name: str) -> str:
    """A tag name as stored: trimmed, inner whitespace collapsed, no control characters."""
    cleaned = " ".join("".join(ch for ch in name if ch.isprintable()).split())
    if not cleaned:
        raise ThreadmarkError("a tag name cannot be empty")
    if len(cleaned) > 64:
        raise ThreadmarkError("a tag name can be at most 64 characters")
    return cleaned


def insert_tag(
    db: sqlite3.Connection,
    name: str,
    *,
    color: str | None = None,
    hotkey: str | None = None,
    description: str = "",
) -> Tag:
    """Add a tag inside the caller's transaction; a new tag takes the first free hotkey."""
    name = clean_tag_name(name)
    if tag_by_name(db, name):
        raise ThreadmarkError(f"there is already a tag named {name!r}")
    if color is not None:
        check_color(color)
    used = {row[0] for row in db.execute("SELECT hotkey FROM tags WHERE hotkey IS NOT NULL")}
    if hotkey is None:
        hotkey = next((key for key in HOTKEYS if key not in used), None)
    elif hotkey in used:
        raise ThreadmarkError(f"hotkey {hotkey} is taken")
    count = db.execute("SELECT count(*) FROM tags").fetchone()[0]
    color = color or NEW_TAG_COLORS[count % len(NEW_TAG_COLORS)]
    cursor = db.execute(
        "INSERT INTO tags (name, hotkey, color, description) VALUES (?, ?, ?, ?)",
        (name, hotkey, color, description),
    )
    return Tag(cursor.lastrowid, name, hotkey, color, description, None)


def check_color(color: str) -> None:
    """Refuse a colour the themes cannot draw a chip in."""
    if not _COLOR.match(color):
        raise ThreadmarkError(f"a tag colour is #rrggbb, not {color!r}")


def check_hotkey(db: sqlite3.Connection, hotkey: str, tag_id: int | None = None) -> None:
    """Refuse a hotkey the reader has no key for, or one another tag than ``tag_id`` has."""
    if hotkey not in HOTKEYS:
        raise ThreadmarkError(f"a hotkey is one of {', '.join(HOTKEYS)}, not {hotkey!r}")
    holder = next((tag for tag in list_tags(db) if tag.hotkey == hotkey), None)
    if holder is not None and holder.id != tag_id:
        raise ThreadmarkError(f"hotkey {hotkey} is taken by {holder.name!r}")


def find_tag(db: sqlite3.Connection, wanted: str) -> Tag:
    """The tag a person means by ``wanted``: its name in any case (as the tag picker reads a
    name), else its hotkey."""
    name = " ".join(wanted.split()).casefold()
    tags = list_tags(db)
    found = next((tag for tag in tags if tag.name.casefold() == name), None)
    found = found or next((tag for tag in tags if tag.hotkey == wanted.strip()), None)
    if found is None:
        raise ThreadmarkError(f"there is no tag named {wanted!r} and no tag with that hotkey")
    return found


def get_tag(db: sqlite3.Connection, tag_id: int) -> Tag:
    found = next((tag for tag in list_tags(db) if tag.id == tag_id), None)
    if found is None:
        raise ThreadmarkError(f"there is no tag {tag_id}")
    return found


def tag_uses(db: sqlite3.Connection) -> dict[int, int]:
    """How many times each tag is on a comment or a segment, by anyone (tag id -> uses)."""
    return dict(db.execute("SELECT tag_id, count(*) FROM annotations GROUP BY tag_id").fetchall())
