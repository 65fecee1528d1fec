"""A zip archive written as a stream, in memory that does not grow with its number of entries.

``zipfile`` keeps a ``ZipInfo`` of some 400 bytes for every entry until it writes the central
directory at the close: 400 MB for a REFI-QDA project of a million comments.  Here each entry's
central directory record goes to a temporary file as the entry is written, and is copied into
the archive after the last entry.  An entry's sizes and CRC are known before its local header
is written (a small file is compressed in memory, a large one into a temporary file), so the
archive has no data descriptors and is never sought in: a pipe gets the same bytes as a file.

Every entry has the same fixed time and Unix permissions, so the same entries make the same
bytes whenever and wherever they are written.  Zip64 records (APPNOTE.TXT 4.5) are written
where a size, an offset or the number of entries needs them.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, BinaryIO

ENTRY_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold
_DOS_DATE = (ENTRY_TIME[0] - 1980) << 9 | ENTRY_TIME[1] << 5 | ENTRY_TIME[2]
_DOS_TIME = ENTRY_TIME[3] << 11 | ENTRY_TIME[4] << 5 | ENTRY_TIME[5] // 2
FILE_ATTRIBUTES = 0o100644 << 16
FOLDER_ATTRIBUTES = 0o40755 << 16 | 0x10  # and the MS-DOS folder bit
UNIX = 3  # the system that made the entries, so the permissions are read as Unix ones
STORED, DEFLATED = 0, 8
VERSION = 20  # what a reader needs for deflate and folders
ZIP64_VERSION = 45
# A size or offset above this is written in a zip64 field, as zipfile does: some readers take
# the 32-bit fields as signed.
ZIP64_LIMIT = 2**31 - 1
MAX_ENTRIES = 0xFFFF  # in the end record; more need the zip64 end record
UTF8_NAME = 0x800
BLOCK = 1 << 18  # bytes gathered before a write to the output: entries are many and small
COPY_CHUNK = 1 << 20

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_CENTRAL_RECORD = struct.Struct("<4s6H3L5H2L")
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_END = struct.Struct("<4s4H2LH")


class ZipStream:
    """A zip archive written to ``out`` entry by entry: :meth:`folder`, :meth:`write` (a file
    in memory), :meth:`open` (a file written in pieces), then :meth:`close`."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._block = bytearray()
        self._offset = 0  # bytes of the archive so far
        self._entries = 0
        self._directory = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close or __exit__)

    def __enter__(self) -> ZipStream:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.close()
        else:
            self._directory.close()  # an archive that failed is not finished

    def folder(self, name: str) -> None:
        """An empty folder entry; ``name`` ends with ``/``."""
        self._entry(name, STORED, 0, 0, 0, FOLDER_ATTRIBUTES)

    def write(self, name: str, data: bytes) -> None:
        """A file whose bytes are all at hand, deflated with a window no larger than it needs:
        setting up zlib's full 32 KiB window for each comment would take three times as long
        (31 us against 10 us a comment, on the benchmarks' threads)."""
        window = min(max(len(data).bit_length(), 9), 15)
        deflate = zlib.compressobj(6, zlib.DEFLATED, -window, max(window - 7, 1))
        packed = deflate.compress(data) + deflate.flush()
        self._entry(name, DEFLATED, zlib.crc32(data), len(packed), len(data), FILE_ATTRIBUTES)
        self._put(packed)

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        """A file written in pieces to the stream yielded, deflated into a temporary file as
        they come, and put into the archive when the block ends."""
        with tempfile.TemporaryFile() as packed:
            entry = _Deflating(packed)
            yield entry
            packed.write(entry.finish())
            packed_size = packed.tell()
            self._entry(name, DEFLATED, entry.crc, packed_size, entry.size, FILE_ATTRIBUTES)
            self._flush()
            packed.seek(0)
            shutil.copyfileobj(packed, self._out, COPY_CHUNK)
            self._offset += packed_size

    def close(self) -> None:
        """The central directory and the end records, after the last entry."""
        start, size = self._offset, self._directory.tell()
        self._flush()
        self._directory.seek(0)
        shutil.copyfileobj(self._directory, self._out, COPY_CHUNK)
        self._directory.close()
        self._offset += size
        count = self._entries
        if count > MAX_ENTRIES or size > ZIP64_LIMIT or start > ZIP64_LIMIT:
            end64 = self._offset
            self._put(
                _ZIP64_END.pack(
                    b"PK\x06\x06",
                    _ZIP64_END.size - 12,
                    UNIX << 8 | ZIP64_VERSION,
                    ZIP64_VERSION,
                    0,
                    0,
                    count,
                    count,
                    size,
                    start,
                )
            )
            self._put(_ZIP64_LOCATOR.pack(b"PK\x06\x07", 0, end64, 1))
        self._put(
            _END.pack(
                b"PK\x05\x06",
                0,
                0,
                min(count, MAX_ENTRIES),
                min(count, MAX_ENTRIES),
                min(size, 0xFFFFFFFF),
                min(start, 0xFFFFFFFF),
                0,
            )
        )
        self._flush()
        flush = getattr(self._out, "flush", None)  # the export dialog's counter has none
        if flush is not None:
            flush()

    def _entry(
        self, name: str, method: int, crc: int, packed: int, size: int, attributes: int
    ) -> None:
        """The local header of an entry whose data comes next, and its central record."""
        encoded = name.encode("utf-8")
        # The fields both records give alike, after the versions.
        shared = (0 if name.isascii() else UTF8_NAME, method, _DOS_TIME, _DOS_DATE, crc)
        offset = self._offset
        wide = [value for value in (size, packed, offset) if value > ZIP64_LIMIT]
        extra = struct.pack(f"<2H{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
        version = ZIP64_VERSION if wide else VERSION
        self._directory.write(
            _CENTRAL_RECORD.pack(
                b"PK\x01\x02",
                UNIX << 8 | version,
                version,
                *shared,
                _narrow(packed),
                _narrow(size),
                len(encoded),
                len(extra),
                0,
                0,
                0,
                attributes,
                _narrow(offset),
            )
            + encoded
            + extra
        )
        self._entries += 1
        # A local header's zip64 field holds both sizes, or neither.
        big = packed > ZIP64_LIMIT or size > ZIP64_LIMIT
        extra = struct.pack("<2H2Q", 1, 16, size, packed) if big else b""
        version = ZIP64_VERSION if big else VERSION
        self._put(
            _LOCAL_HEADER.pack(
                b"PK\x03\x04",
                version,
                *shared,
                0xFFFFFFFF if big else packed,
                0xFFFFFFFF if big else size,
                len(encoded),
                len(extra),
            )
            + encoded
            + extra
        )

    def _put(self, data: bytes) -> None:
        self._block += data
        self._offset += len(data)
        if len(self._block) >= BLOCK:
            self._flush()

    def _flush(self) -> None:
        if self._block:
            self._out.write(bytes(self._block))
            self._block.clear()


def _narrow(value: int) -> int:
    """A 32-bit field's value: the value, or the mark that it is in the zip64 extra field."""
    return 0xFFFFFFFF if value > ZIP64_LIMIT else value


class _Deflating:
    """A file's bytes deflated into ``packed`` as they are written, with their CRC and size."""

    def __init__(self, packed: IO[bytes]) -> None:
        self._packed = packed
        self._deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.crc = 0
        self.size = 0

    def write(self, data: bytes) -> int:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self._packed.write(self._deflate.compress(data))
        return len(data)

    def finish(self) -> bytes:
        return self._deflate.flush()
