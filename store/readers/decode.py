"""Bytes to text and text to JSON, with errors that tell the user what is wrong and where."""

from __future__ import annotations

import codecs
import json

from store.errors import ThreadmarkError

BINARY_SAMPLE = 64 * 1024
BINARY_SHARE = 0.10
_REPLACEMENT = "\ufffd"


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (BOM or not), with U+FFFD for the odd bad byte; a binary file is refused.

    UTF-16 with a BOM is also read: spreadsheets save "Unicode text" that way.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if _looks_binary(data[:BINARY_SAMPLE]):
        raise ThreadmarkError(f"{name} is a binary file, not a thread")
    return data.decode("utf-8-sig", errors="replace")


def _looks_binary(sample: bytes) -> bool:
    """NUL and undecodable bytes are rare in text: more than a tenth of them means binary."""
    replaced = sample.decode("utf-8", errors="replace").count(_REPLACEMENT)
    undecodable = replaced - sample.count(_REPLACEMENT.encode())
    return sample.count(0) + undecodable > len(sample) * BINARY_SHARE


def load_json(content: str, name: str, *, first_line: int = 1, expected: str | None = None):
    """Parse JSON, turning every failure into a one-line ThreadmarkError naming the file.

    ``first_line`` numbers lines when ``content`` is one line of a larger file (JSON Lines);
    ``expected`` names the format the user asked for, so the message says what was wanted.
    """
    problem = f"not a {expected} thread: " if expected else ""
    try:
        return json.loads(content, strict=False)
    except json.JSONDecodeError as error:
        line = error.lineno + first_line - 1
        hint = " (one object per line is format jsonl)" if error.msg == "Extra data" else ""
        raise ThreadmarkError(
            f"{name}: {problem}malformed JSON at line {line} column {error.colno} "
            f"({error.msg}){hint}"
        ) from None
    except RecursionError:
        raise ThreadmarkError(f"{name}: {problem}JSON nested too deeply to read") from None
    except ValueError as error:  # e.g. an integer longer than Python will convert
        raise ThreadmarkError(f"{name}: {problem}unreadable JSON ({error})") from None
