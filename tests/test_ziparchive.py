"""store.ziparchive: the archives it writes read back through zipfile, entry for entry and
byte for byte, zip64 included, in memory that does not grow with the entries."""

from __future__ import annotations

import io
import random
import tracemalloc
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store import ziparchive
from store.ziparchive import ZipStream


class Pipe:
    """An output with nothing but ``write``, as a pipe or the export dialog's counter is."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    @property
    def bytes(self) -> bytes:
        return b"".join(self.chunks)


class Sink:
    """An output that keeps nothing, so that only the writer's own memory is measured."""

    def write(self, data: bytes) -> int:
        return len(data)


def archive(
    entries: list[tuple[str, bytes | None]], pieces: dict[str, list[bytes]] | None = None
) -> bytes:
    """The zip of ``entries`` (None for a folder), then ``pieces`` written with ``open``."""
    out = Pipe()
    with ZipStream(out) as zip_stream:
        for name, data in entries:
            if data is None:
                zip_stream.folder(name)
            else:
                zip_stream.write(name, data)
        for name, chunks in (pieces or {}).items():
            with zip_stream.open(name) as entry:
                for chunk in chunks:
                    entry.write(chunk)
    return out.bytes


def read_back(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        assert archive.testzip() is None  # every CRC checks
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_entries_read_back_with_their_bytes_time_and_permissions():
    text = "the same words again and again, " * 200
    raw = archive(
        [("Sources/", None), ("Sources/a.txt", b"short"), ("Sources/b.txt", text.encode())],
        {"project.qde": [b"<Project>", b"x" * 300_000, b"</Project>"]},
    )
    assert read_back(raw) == {
        "Sources/": b"",
        "Sources/a.txt": b"short",
        "Sources/b.txt": text.encode(),
        "project.qde": b"<Project>" + b"x" * 300_000 + b"</Project>",
    }
    with zipfile.ZipFile(io.BytesIO(raw)) as zip_file:
        infos = zip_file.infolist()
    assert [info.date_time for info in infos] == [(1980, 1, 1, 0, 0, 0)] * 4
    assert [info.create_system for info in infos] == [3] * 4
    assert [info.external_attr >> 16 for info in infos] == [0o40755, 0o100644, 0o100644, 0o100644]
    assert infos[0].is_dir() and not infos[1].is_dir()
    assert [info.compress_type for info in infos] == [zipfile.ZIP_STORED] + [
        zipfile.ZIP_DEFLATED
    ] * 3
    assert infos[2].compress_size < len(text) // 10  # deflated, not merely stored
    assert infos[3].flag_bits & 0x08 == 0  # sizes in the header: no data descriptor


def test_the_same_entries_make_the_same_bytes_to_a_pipe_or_a_file(tmp_path):
    entries = [("a/", None), ("a/b.txt", b"words")]
    pieces = {"c.xml": [b"<c/>"]}
    first = archive(entries, pieces)
    assert archive(entries, pieces) == first
    with open(tmp_path / "out.zip", "wb") as file, ZipStream(file) as zip_stream:
        zip_stream.folder("a/")
        zip_stream.write("a/b.txt", b"words")
        with zip_stream.open("c.xml") as entry:
            entry.write(b"<c/>")
    assert (tmp_path / "out.zip").read_bytes() == first


def test_a_name_that_is_not_ascii_is_marked_as_utf8():
    raw = archive([("Quellen/Straße ☃.txt", b"x")])
    with zipfile.ZipFile(io.BytesIO(raw)) as zip_file:
        (info,) = zip_file.infolist()
    assert info.filename == "Quellen/Straße ☃.txt"
    assert info.flag_bits & 0x800


def test_more_entries_than_the_end_record_counts_get_a_zip64_end():
    names = [f"Sources/{n:06}.txt" for n in range(ziparchive.MAX_ENTRIES + 10)]
    raw = archive([(name, name.encode()) for name in names])
    assert b"PK\x06\x06" in raw[-200:] and b"PK\x06\x07" in raw[-200:]
    contents = read_back(raw)
    assert list(contents) == names
    assert contents[names[-1]] == names[-1].encode()


def test_sizes_and_offsets_past_the_limit_are_written_in_zip64_fields(monkeypatch):
    """The 2 GiB limit, made small: every kind of zip64 field is written, and read back."""
    monkeypatch.setattr(ziparchive, "ZIP64_LIMIT", 1000)
    big = random.Random(0).randbytes(5000)  # incompressible: both its sizes are wide
    raw = archive(
        [("small.txt", b"small"), ("big.bin", big), ("after.txt", b"past the limit")],
        {"piece.bin": [big, big]},
    )
    assert read_back(raw) == {
        "small.txt": b"small",
        "big.bin": big,
        "after.txt": b"past the limit",  # its offset is wide, its sizes are not
        "piece.bin": big + big,
    }
    assert b"PK\x06\x06" in raw[-200:]  # the directory starts past the limit


def test_an_archive_that_fails_is_not_finished():
    out = Pipe()
    with pytest.raises(RuntimeError), ZipStream(out) as zip_stream:
        zip_stream.write("a.txt", b"a")
        with zip_stream.open("b.txt") as entry:
            entry.write(b"half")
            raise RuntimeError("stopped")
    assert b"PK\x05\x06" not in out.bytes  # no end record: no reader takes it for whole


def test_memory_does_not_grow_with_the_entries():
    """zipfile would hold some 400 bytes an entry (8 MB here) until its close."""
    tracemalloc.start()
    try:
        with ZipStream(Sink()) as zip_stream:
            tracemalloc.reset_peak()
            for n in range(20_000):
                zip_stream.write(f"Sources/{n:036}.txt", b"a comment of a few words")
            peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(
                st.characters(blacklist_categories=["Cs"], blacklist_characters="/\x00"),
                min_size=1,
                max_size=30,
            ),
            st.binary(max_size=3000),
        ),
        max_size=8,
        unique_by=lambda entry: entry[0],
    )
)
def test_any_names_and_bytes_read_back_as_written(entries):
    assert read_back(archive(entries)) == dict(entries)
