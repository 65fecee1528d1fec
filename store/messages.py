"""Values sent to a child process over a pipe, as the import's helpers take their work.

marshal, the interpreter's own format for its basic types, is several times faster than JSON
for lists of strings and keeps every string as it is (lone surrogates too); parent and child
run the same interpreter, so they agree on its version.  Each message goes in one write with
its length first, and is read whole: ``marshal.load`` on a pipe would read a field at a time.
"""

from __future__ import annotations

import contextlib
import marshal
from typing import BinaryIO

_LENGTH_BYTES = 8


def send(pipe: BinaryIO, value: object) -> None:
    """Write ``value`` to ``pipe``; a child that has died is told by its exit status, not here."""
    message = marshal.dumps(value)
    with contextlib.suppress(BrokenPipeError):
        pipe.write(len(message).to_bytes(_LENGTH_BYTES, "little") + message)


def received(source: BinaryIO) -> object | None:
    """The next value :func:`send` wrote, or None at the end of the stream."""
    length = source.read(_LENGTH_BYTES)
    if not length:
        return None
    return marshal.loads(source.read(int.from_bytes(length, "little")))
