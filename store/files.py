"""Files: what kind of file a path is, and writing one atomically.

Sources and databases alike must be regular files: opening a named pipe blocks until someone
writes to it, and a device can be read for ever.  Every file threadmark writes (an export,
the settings) is written with :func:`atomic_write`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

_SPECIAL_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def special_kind(mode: int) -> str:
    """``st_mode`` of a file that is neither a regular file nor a directory, in words."""
    return _SPECIAL_KINDS.get(stat.S_IFMT(mode), "not a regular file")


@contextmanager
def atomic_write(path: Path) -> Iterator[BinaryIO]:
    """A binary stream whose bytes become ``path`` whole, or not at all.

    They go to a hidden file beside ``path``, which is flushed to disk and renamed over it
    only once everything was written: a failure, a ctrl+c or a crash leaves no file at
    ``path`` (or the one there before, untouched), and a reader of ``path`` never sees half
    of one.  The file gets the usual permissions (``umask``), not a temp file's 0600.
    """
    path = Path(path)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` survive a power cut (where the system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
