"""The JSON export read back in keeps every occurrence's exact words.

Folding compares normalised text, so ``NULL`` folds into ``null`` and ``hello   WORLD`` into
``Hello world``; each such occurrence must carry its own text, or a round trip would turn it
into the first spelling.
"""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from pathlib import Path

import pytest

# Spellings that normalisation may well treat as one, each pair or group in a row.
NAUGHTY = [
    "null", "NULL", "Null",
    "Hello world", "hello   WORLD", "Hello world ", " Hello world", "Hello\tworld",
    "Hello\u00a0world", "Hello\u3000world",
    unicodedata.normalize("NFC", "caf\u00e9 cr\u00e8me"),
    unicodedata.normalize("NFD", "caf\u00e9 cr\u00e8me"),
    "\ufb01le of the \u2460 kind", "file of the 1 kind",  # NFKC folds the ligature and ①
    "zero\u200bwidth\u200djoiner", "zerowidthjoiner",
    "\ufeffa byte order mark", "a byte order mark",
    "\u202eright to left\u202c", "right to left", "\u200fmarked\u200e", "marked",
    "\u05e9\u05dc\u05d5\u05dd \u0639\u0627\u0644\u0645",
    "\u05e9\u05dc\u05d5\u05dd  \u0639\u0627\u0644\u0645",
    "thumbs \U0001f44d", "thumbs \U0001f44d\U0001f3fd",
    "family \U0001f468\u200d\U0001f469\u200d\U0001f467", "family \U0001f468\U0001f469\U0001f467",
    "line one\r\nline two", "line one\nline two", "line one\rline two",
    "trailing spaces   ", "trailing spaces", "trailing newline\n",
    "Stra\u00dfe", "STRASSE", "strasse", "\u0130stanbul", "istanbul",
    "\u01c5 titlecase", "d\u017e titlecase",
    "[deleted]", "[DELETED]", " [deleted] ",
]  # fmt: skip


def occurrence_texts(export: dict) -> dict[int, str]:
    """Each occurrence's text by its position: its own text, else its comment's."""
    return {
        occurrence["position"]: occurrence.get("text", comment["text"])
        for comment in export["comments"]
        for occurrence in comment["occurrences"]
    }


@pytest.mark.parametrize("fold", ["by-author", "across-authors"])
def test_every_spelling_survives_export_and_reimport(call_cli, tmp_path: Path, fold):
    # Two authors take turns, so both folding modes have something to fold.
    source = tmp_path / "naughty.jsonl"
    rows = [{"author": ("ann", "bob")[n % 2], "text": text} for n, text in enumerate(NAUGHTY)]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    first_db, second_db = tmp_path / "first.db", tmp_path / "second.db"
    first_json, second_json = tmp_path / "first.json", tmp_path / "second.json"

    assert call_cli("import", source, "--db", first_db, "--fold", fold)[0] == 0
    assert call_cli("export", "--db", first_db, "--format", "json", "-o", first_json)[0] == 0
    returncode, _, stderr = call_cli("import", first_json, "--db", second_db, "--fold", fold)
    assert returncode == 0, stderr
    assert call_cli("export", "--db", second_db, "--format", "json", "-o", second_json)[0] == 0

    first = json.loads(first_json.read_text("utf-8"))
    assert len(first["comments"]) < len(NAUGHTY)  # something folded, or the test proves nothing
    expected = dict(enumerate(NAUGHTY, start=1))
    assert occurrence_texts(first) == expected
    assert occurrence_texts(json.loads(second_json.read_text("utf-8"))) == expected
    for comment in first["comments"]:
        canonical = comment["occurrences"][0]
        assert "text" not in canonical  # the comment's text is its first occurrence's
        for occurrence in comment["occurrences"][1:]:
            # Only an occurrence that differs carries its own text.
            assert ("text" in occurrence) == (expected[occurrence["position"]] != comment["text"])


def test_an_export_full_of_delete_characters_imports_again(call_cli, tmp_path: Path):
    text = "rub out \x7f" * 300
    source = tmp_path / "deletes.jsonl"
    source.write_text(json.dumps({"text": text}) + "\n", encoding="utf-8")
    first_db, first_json = tmp_path / "first.db", tmp_path / "first.json"
    assert call_cli("import", source, "--db", first_db)[0] == 0
    assert call_cli("export", "--db", first_db, "--format", "json", "-o", first_json)[0] == 0
    returncode, _, stderr = call_cli("import", first_json, "--db", tmp_path / "second.db")
    assert returncode == 0, stderr
    assert "\\u007f" in first_json.read_text("utf-8")  # escaped, like the other controls
    with sqlite3.connect(tmp_path / "second.db") as db:
        assert db.execute("SELECT text FROM comments").fetchall() == [(text,)]
